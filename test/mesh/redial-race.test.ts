import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { CortexError } from '../../src/protocol/errors.js';
import type { PeerStatus } from '../../src/protocol/mesh-types.js';
import { VERSION } from '../../src/version.js';
import { issueCertificate, tlsPaths } from '../../daemon/tls/certificate-authority.js';
import { PeerChannel } from '../../daemon/mesh/peer-channel.js';
import { type Bye, type Heartbeat, type Hello, PROTOCOL } from '../../daemon/mesh/wire.js';
import { type MeshNode, TestMesh } from './mesh-helpers.js';

/** One link of the scripted peer: it says only what the test tells it to, and records what it hears. */
class ScriptedLink {
  readonly channel: PeerChannel;
  private readonly heard: string[] = [];
  private readonly waiting: { method: string; resolve: () => void }[] = [];

  constructor(
    readonly socket: TLSSocket,
    private readonly node: string,
  ) {
    this.channel = new PeerChannel(socket, 1 << 20, 'a');
    this.channel.start({
      notification: (method) => {
        this.heard.push(method);
        for (const waiter of this.waiting.filter((entry) => entry.method === method)) {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          waiter.resolve();
        }
      },
      request: () => undefined,
      closed: () => undefined,
    });
  }

  /** Resolves once the other side has sent `method` on this link (at once when it already has). */
  received(method: string): Promise<void> {
    if (this.heard.includes(method)) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ method, resolve }));
  }

  hello(): void {
    const hello: Hello = {
      proto: PROTOCOL,
      node: this.node,
      version: VERSION,
      clock: Date.now(),
      hlc: 0,
      checkpoint: 0,
      seen: 0,
      resync: false,
      horizons: [],
    };
    this.channel.notify('hello', hello);
  }

  /** The first heartbeat says that this side admitted the link. */
  heartbeat(): void {
    const beat: Heartbeat = {
      clock: Date.now(),
      hlc: 0,
      head: 0,
      resources: { load: 0, mem_free: 0, mem_total: 0, disk_free: null },
      crl: 0,
      nodes: [],
    };
    this.channel.notify('heartbeat', beat);
  }

  bye(bye: Bye): void {
    this.channel.notify('bye', bye);
    this.channel.close(bye.message);
  }
}

/**
 * A node `b` that is a script, not a daemon: a mesh listener with a node
 * certificate for b from the test mesh's CA, whose every connection the test
 * takes in turn (`nextLink`) and drives by hand, to put a's links through an
 * order of events that a loaded machine gives only now and then.
 */
class ScriptedPeer {
  private server: Server | undefined;
  private readonly links: ScriptedLink[] = [];
  private readonly waiting: ((link: ScriptedLink) => void)[] = [];
  address = '';

  constructor(
    private readonly mesh: TestMesh,
    private readonly node: string,
  ) {}

  async start(): Promise<void> {
    const { cert, key } = await issueCertificate(this.mesh.caDir, { commonName: this.node, kind: 'node' });
    const ca = readFileSync(tlsPaths(this.mesh.caDir).caCert);
    this.server = createServer({ cert, key, ca, requestCert: true, rejectUnauthorized: false }, (socket) => {
      const link = new ScriptedLink(socket, this.node);
      this.links.push(link);
      this.waiting.shift()?.(link);
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.address = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves with the next connection a makes to this peer: call it before that connection can come. */
  nextLink(): Promise<ScriptedLink> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    for (const link of this.links) link.socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * The race behind a "linked" that was not: b disconnects a, so a's redial of
 * its saved peer b (S1) is under way when an administrator runs cluster_connect
 * (S2). b answers S2 first, then S1; a admits S1 as the newer link, which
 * replaces S2 on a's side. cluster_connect reports what becomes of S1 on b's
 * side: b's refusal, not the link that a alone had admitted.
 */
describe('cluster_connect racing a redial', () => {
  const mesh = new TestMesh();
  const b = new ScriptedPeer(mesh, 'b');
  const refusal: Bye = { code: 'EACCES', message: 'b disconnected from a (cluster_disconnect)' };
  let a: MeshNode;
  /** The next connection a's redial of b makes: asked for before what sets the redial off. */
  let redial: Promise<ScriptedLink>;
  // A step the script waits on that never comes (a link a does not make) fails the test rather than hanging it.
  const within = { timeout: 10_000 };

  before(async () => {
    await mesh.init();
    await b.start();
    a = await mesh.start('a');
  });
  after(async () => {
    await b.close();
    await mesh.cleanup();
  });

  /**
   * Plays the race up to the point where a has admitted S1 in place of S2, and
   * returns cluster_connect's answer (still to come) and S1.
   */
  async function connectWhileRedialling(): Promise<{ connect: Promise<{ peer: PeerStatus }>; s1: ScriptedLink }> {
    // b holds the redial without a word until S2 is a's link.
    const s1 = await redial;
    const next = b.nextLink();
    const connect = a.client.call('cluster_connect', { node: b.address });
    // Its answer is awaited only once the race is played; a refusal that comes sooner fails the test there.
    connect.catch(() => undefined);
    const s2 = await next;
    s2.hello();
    // a's first heartbeat on S2: a admitted S2, its link with b now.
    await s2.received('heartbeat');
    s1.hello();
    // a admitted S1 too, as the newer link in the same direction, and told b that S1 replaced S2.
    await s1.received('heartbeat');
    await s2.received('bye');
    return { connect, s1 };
  }

  it('links with b, and redials b when b ends the link', within, async () => {
    const first = b.nextLink();
    const connected = a.client.call('cluster_connect', { node: b.address });
    const link = await first;
    link.hello();
    link.heartbeat();
    assert.equal((await connected).peer.state, 'connected');

    redial = b.nextLink();
    link.bye(refusal);
  });

  it('does not say "linked" when the redial replaces its link and b then refuses that one', within, async () => {
    const { connect, s1 } = await connectWhileRedialling();
    // The refused redial is tried again later.
    redial = b.nextLink();
    s1.bye(refusal);
    await assert.rejects(connect, (error: CortexError) => {
      assert.equal(error.code, 'EACCES');
      assert.equal(error.message, refusal.message);
      return true;
    });
    const peer = (await a.client.call('cluster_status', {})).peers.find((entry) => entry.node === 'b');
    assert.notEqual(peer?.state, 'connected');
  });

  it('says "linked" once b admits the redial that replaced its link', within, async () => {
    const { connect, s1 } = await connectWhileRedialling();
    s1.heartbeat();
    const { peer } = await connect;
    assert.deepEqual([peer.state, peer.direction], ['connected', 'outbound']);
  });
});
