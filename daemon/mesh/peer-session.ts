import { CortexError } from '../../src/protocol/errors.js';
import type { PeerResources } from '../../src/protocol/mesh-types.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { isPlainMap } from '../../src/protocol/validate.js';
import { VERSION } from '../../src/version.js';
import type { Logger } from '../logger.js';
import type { ResyncHorizon } from '../store/replica.js';
import type { Store } from '../store/store.js';
import type { VerifiedCertificate } from '../tls/peer-certificate.js';
import type { RevocationList } from '../tls/revocation-list.js';
import { Inbound } from './inbound.js';
import type { MeshEvents } from './mesh-events.js';
import type { MeshSettings } from './mesh-settings.js';
import { Outbound } from './outbound.js';
import type { PeerBook } from './peer-book.js';
import type { PeerChannel } from './peer-channel.js';
import {
  type Bye,
  type ForwardRequest,
  type GossipEntry,
  type Heartbeat,
  type Hello,
  type NodeAnswer,
  parseAck,
  parseBye,
  parseChanges,
  parseDefer,
  parseForward,
  parseHeartbeat,
  parseHello,
  parseQueryRequest,
  parseRelease,
  parseStream,
  parseRevocations,
  PROTOCOL,
  type QueryRequest,
  type ReleaseMessage,
  type StreamMessage,
} from './wire.js';

/** What a link needs from the rest of the daemon. */
export interface SessionContext {
  me: string;
  store: Store;
  book: PeerBook;
  log: Logger;
  events: MeshEvents;
  settings: MeshSettings;
  resources(): PeerResources;
  /** HOST:PORT of this node's mesh listener, told to peers so that they can dial back; null when none. */
  listen(): string | null;
  /** The revocation list this node enforces, sent to peers that hold an older one. */
  revocations(): RevocationList | undefined;
  /** A peer sent a revocation list: take it if it is the CA's and newer (checked asynchronously). */
  revocationsFrom(peer: string, crl: Uint8Array): void;
  /** Whether an established link may stay: undefined to keep it, else the reason to refuse it. */
  admit(session: PeerSession): CortexError | undefined;
  /** The link is up: both sides admitted it. */
  up(session: PeerSession): void;
  /** `wasUp`: the link had been up (both sides admitted it), not refused on the way. */
  closed(session: PeerSession, wasUp: boolean): void;
  /** A query relayed by `peer` (for a caller of its own, or of a node beyond it). */
  query(request: QueryRequest, peer: string): Promise<NodeAnswer[]>;
  droppedTable(table: string): void;
  /** What the peer's heartbeat says of every node it knows; and what to tell it. */
  gossip(peer: string, entries: GossipEntry[]): void;
  gossipFor(peer: string): GossipEntry[];
  /** Calls and streams for other nodes, or passing through this one (NodeCalls). */
  forward(request: ForwardRequest, peer: string): Promise<unknown>;
  stream(message: StreamMessage): void;
  release(message: ReleaseMessage): void;
}

/** How long the two hellos may take once TLS is up. */
const HELLO_MS = 10_000;

/**
 * One link with a peer, from the hello exchange to its end. It owns the two
 * replication halves (outbound from this node's log, inbound into its store),
 * heartbeats both ways, and answers the peer's mesh queries.
 *
 * The hello carries each side's checkpoint of the other's log (where the other
 * resumes sending: anti-entropy from a per-peer checkpoint) and its wall clock: a
 * peer whose clock is ahead by more than max_clock_drift_ms is refused, so its
 * timestamps cannot win every conflict. A peer this node has not heard from for
 * longer than the tombstone grace period (or never) gets a full resync: this
 * node's whole log and its tombstone horizons. The hello also says where the
 * sender's mesh listener is (for dialling back) and brings its revocation list.
 *
 * A link is up once both sides have admitted it: this side when the peer's hello
 * passes its checks, the peer when its first heartbeat arrives (a peer that
 * refuses sends `bye` instead). Only then does `ready` resolve, so cluster_connect
 * never reports a link the other side refused.
 */
export class PeerSession {
  state: 'handshake' | 'open' | 'closed' = 'handshake';
  /** Both sides admitted the link (the peer's first heartbeat came). */
  up = false;
  since: number;
  lastHeartbeat: number | null = null;
  peerHead = 0;
  resources: PeerResources | null = null;
  closeReason: string | null = null;
  outbound: Outbound | undefined;
  inbound: Inbound | undefined;
  readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (error: CortexError) => void;
  private lastReceived: number;
  private readonly helloTimer: NodeJS.Timeout;
  private beatTimer: NodeJS.Timeout | undefined;
  /** This side sends the peer its whole log on this link (the peer is new, or was away too long). */
  private readonly resyncing: boolean;
  /** This node's tombstone horizons, sent with a resync: the peer drops what they deleted. */
  private readonly sentHorizons: ResyncHorizon[];
  /** What this node's hello said it had applied of the peer's log: the peer resumes after it. */
  private readonly sentCheckpoint: number;
  private readonly sentSeen: number;
  private resyncAcked = false;
  private caughtUpTo: number | undefined;
  /** The number of the newest revocation list the peer holds, or was sent. */
  private peerCrl = 0;
  /** HOST:PORT where the peer's mesh listener can be dialled, from its hello. */
  advertised: string | null = null;
  /** When both sides had admitted the link (this node's clock, ms). */
  upSince = 0;
  readonly peer: string;
  readonly from: string;
  private readonly remoteHost: string | undefined;

  constructor(
    private readonly ctx: SessionContext,
    readonly channel: PeerChannel,
    /** The peer's certificate, verified by the PeerGate: its CN is the peer's node name. */
    readonly certificate: VerifiedCertificate,
    readonly direction: 'outbound' | 'inbound',
    readonly address: string | null,
    /** Where the link comes from or goes to (for logs), and the peer's IP address (to dial back a listener bound to every address). */
    remote: { from: string; host: string | undefined },
  ) {
    this.from = remote.from;
    this.remoteHost = remote.host;
    const peer = certificate.name;
    this.peer = peer;
    this.since = ctx.store.now();
    this.lastReceived = Date.now();
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // A refused or failed link rejects `ready`; whoever waits on it handles that.
    this.ready.catch(() => undefined);
    const record = ctx.book.get(peer);
    this.resyncing = record === undefined || record.lastSeen < ctx.store.now() - ctx.settings.graceMs;
    this.sentHorizons = this.resyncing ? ctx.store.replica.horizonsFor(peer) : [];
    this.sentCheckpoint = record?.checkpoint ?? 0;
    this.sentSeen = record?.seen ?? 0;
    this.helloTimer = setTimeout(
      () => this.close(`${peer} sent no hello within ${HELLO_MS} ms`, { code: 'ETIMEDOUT', message: 'no hello' }),
      HELLO_MS,
    );
    channel.start({
      notification: (method, params) => this.notification(method, params),
      request: (method, params) => this.request(method, params),
      closed: (reason) => this.close(`the link with ${peer} closed: ${reason}`),
    });
    const hello: Hello = {
      proto: PROTOCOL,
      node: ctx.me,
      version: VERSION,
      clock: ctx.store.now(),
      hlc: ctx.store.replica.hlc,
      checkpoint: this.sentCheckpoint,
      seen: this.sentSeen,
      resync: this.resyncing,
      horizons: this.sentHorizons,
      listen: ctx.listen() ?? undefined,
      crl: ctx.revocations()?.der,
    };
    this.peerCrl = ctx.revocations()?.number ?? 0;
    channel.notify('hello', hello);
  }

  /** Ends the link, telling the peer why when `bye` is given. Idempotent. */
  close(reason: string, bye?: Bye): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeReason = reason;
    this.since = this.ctx.store.now();
    clearTimeout(this.helloTimer);
    if (this.beatTimer !== undefined) clearInterval(this.beatTimer);
    this.outbound?.stop();
    this.inbound?.close();
    if (bye !== undefined) this.channel.notify('bye', bye);
    this.channel.close(reason);
    this.rejectReady(new CortexError(bye?.code ?? 'ECLOSED', reason));
    this.ctx.closed(this, this.up);
  }

  /** Refuses the link with a reason the peer logs (and cluster_connect reports). */
  refuse(error: CortexError): void {
    const reason = `link with ${this.peer} refused: ${error.message}`;
    // Two nodes dialling each other at once is routine: one of the two links goes.
    if (error.code === 'EEXIST') this.ctx.log.debug(`mesh: ${reason}`);
    else this.ctx.log.warn(`mesh: ${reason}`);
    this.close(reason, { code: error.code, message: error.message });
  }

  private notification(method: string, params: MsgValue): void {
    this.lastReceived = Date.now();
    try {
      if (method === 'bye') {
        const bye = parseBye(params);
        this.closeFromPeer(bye);
        return;
      }
      if (this.state === 'handshake') {
        if (method !== 'hello') throw new CortexError('EPROTO', `${method} before hello`);
        // Another protocol's hello may not parse as this one's: its version is read first.
        const proto = isPlainMap(params) ? params['proto'] : undefined;
        if (proto !== PROTOCOL) {
          this.refuse(
            new CortexError(
              'EPROTO',
              `it speaks peer protocol ${typeof proto === 'number' ? proto : '?'}, this node ${PROTOCOL}`,
            ),
          );
          return;
        }
        this.established(parseHello(params, 'hello'));
        return;
      }
      if (this.state !== 'open') return;
      switch (method) {
        case 'changes':
          this.inbound!.receive(parseChanges(params));
          return;
        case 'ack':
          this.acked(parseAck(params, 'ack').seq);
          return;
        case 'defer': {
          const defer = parseDefer(params, 'defer');
          this.outbound!.defer(defer.seq, defer.retry_ms);
          return;
        }
        case 'heartbeat':
          this.heartbeat(parseHeartbeat(params, 'heartbeat'));
          return;
        case 'stream':
          this.ctx.stream(parseStream(params, 'stream'));
          return;
        case 'release':
          this.ctx.release(parseRelease(params, 'release'));
          return;
        case 'revocations': {
          const crl = parseRevocations(params, 'revocations').crl;
          this.ctx.revocationsFrom(this.peer, crl);
          return;
        }
        default:
          throw new CortexError('EPROTO', `unknown message ${JSON.stringify(method)}`);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.ctx.log.warn(`mesh: ${this.peer} broke the peer protocol (${message}); closing the link`);
      this.close(`${this.peer} broke the peer protocol: ${message}`, { code: 'EPROTO', message });
    }
  }

  private closeFromPeer(bye: Bye): void {
    if (this.state === 'closed') return;
    // Refused before the link was up: the peer's reason is the whole story (a duplicate link is routine).
    if (!this.up) {
      const line = `mesh: no link with ${this.peer}: ${bye.message}`;
      if (bye.code === 'EEXIST') this.ctx.log.debug(line);
      else this.ctx.log.warn(line);
    }
    const reason = `${this.peer} closed the link: ${bye.message}`;
    // Before the channel closes: whoever waits on `ready` learns the peer's reason, not "closed".
    this.rejectReady(new CortexError(bye.code, bye.message));
    this.close(reason);
  }

  private async request(method: string, params: Record<string, MsgValue>): Promise<unknown> {
    this.lastReceived = Date.now();
    if (this.state !== 'open') throw new CortexError('EBUSY', 'The link is not open yet.');
    if (method === 'forward') return this.ctx.forward(parseForward(params, 'forward'), this.peer);
    if (method !== 'query') throw new CortexError('ENOTFOUND', `There is no peer method ${JSON.stringify(method)}.`);
    return { answers: await this.ctx.query(parseQueryRequest(params, 'query'), this.peer) };
  }

  private established(hello: Hello): void {
    const { ctx, peer } = this;
    clearTimeout(this.helloTimer);
    if (hello.crl !== undefined) ctx.revocationsFrom(peer, hello.crl);
    // The list it brought may revoke it: then this link is cut already.
    if (this.state === 'closed') return;
    this.advertised = dialBackAddress(hello.listen, this.remoteHost);
    if (hello.node !== peer) {
      this.refuse(new CortexError('EACCES', `it says it is ${hello.node} but its certificate names ${peer}`));
      return;
    }
    const ahead = hello.clock - ctx.store.now();
    if (ahead > ctx.settings.maxDriftMs) {
      const message = `the clock of ${peer} is ${(ahead / 1000).toFixed(1)} s ahead of this node's (at most ${ctx.settings.maxDriftMs / 1000} s is allowed): fix its time (NTP); its writes would otherwise win every conflict`;
      ctx.events.emit({ type: 'clock_skew', peer, message, data: { ahead_ms: ahead } });
      this.refuse(new CortexError('ECONFLICT', message));
      return;
    }
    const refusal = ctx.admit(this);
    if (refusal !== undefined) {
      this.refuse(refusal);
      return;
    }
    const record = ctx.book.get(peer);
    this.state = 'open';
    this.since = ctx.store.now();
    // A peer being resynced counts as away until it has confirmed the whole copy: if the
    // link drops before, the next link resyncs again.
    ctx.book.note(peer, {
      lastSeen: this.resyncing ? (record?.lastSeen ?? 0) : ctx.store.now(),
      acked: this.resyncing ? 0 : hello.checkpoint,
      ...(this.direction === 'outbound' ? { address: this.address } : {}),
    });
    this.outbound = new Outbound({
      replica: ctx.store.replica,
      channel: this.channel,
      peer,
      start: this.resyncing ? 0 : hello.checkpoint,
      // With horizons to apply, the peer must learn every key this node holds, even those it
      // sent here, or it would drop them as deleted.
      sendEverything: this.sentHorizons.length > 0,
      acked: (seq) => this.saveAck(seq),
    });
    this.inbound = new Inbound({
      store: ctx.store,
      book: ctx.book,
      channel: this.channel,
      peer,
      log: ctx.log,
      events: ctx.events,
      start: hello.resync ? 0 : this.sentCheckpoint,
      syncedHlc: record?.syncedHlc ?? 0,
      resync: hello.resync
        ? {
            horizons: new Map(
              hello.horizons.map(([table, incarnation, hlc, node]) => [table, { incarnation, horizon: { hlc, node } }]),
            ),
            seenByPeer: hello.seen,
            seenHere: this.sentSeen,
          }
        : undefined,
      dropped: (table) => ctx.droppedTable(table),
      failed: (reason) => {
        ctx.log.error(`mesh: ${reason}; closing the link, it resumes from the last commit`);
        this.close(reason, { code: 'EINTERNAL', message: reason });
      },
    });
    this.beatTimer = setInterval(() => this.beat(), ctx.settings.heartbeatMs);
    // The first heartbeat tells the peer that this side admitted the link.
    this.beat();
    this.outbound.pump();
  }

  /** The peer's first heartbeat: it admitted the link too. */
  private confirmed(): void {
    const { ctx, peer } = this;
    this.up = true;
    this.upSince = ctx.store.now();
    ctx.log.info(
      `mesh: linked with ${peer} (${this.direction}${this.address ? ` ${this.address}` : ''})${this.resyncing ? ', sending it a full resync' : ''}`,
    );
    ctx.events.emit({
      type: 'peer_up',
      peer,
      message: `linked with ${peer}`,
      data: { direction: this.direction, resync: this.resyncing },
    });
    ctx.up(this);
    this.resolveReady();
  }

  /** Sends the peer a revocation list newer than the one it holds (once per list). */
  sendRevocations(list: RevocationList): void {
    if (this.state !== 'open' || list.number <= this.peerCrl) return;
    this.peerCrl = list.number;
    this.channel.notify('revocations', { crl: list.der });
  }

  private acked(seq: number): void {
    const outbound = this.outbound!;
    outbound.ack(seq);
    if (this.resyncing && !this.resyncAcked) {
      this.caughtUpTo ??= outbound.caughtUpAt;
      if (this.caughtUpTo !== undefined && seq >= this.caughtUpTo) {
        this.resyncAcked = true;
        this.ctx.book.note(this.peer, { lastSeen: this.ctx.store.now() });
      }
    }
  }

  private saveAck(seq: number): void {
    this.ctx.book.note(this.peer, { acked: seq });
  }

  private heartbeat(beat: Heartbeat): void {
    const { ctx, peer } = this;
    if (!this.up) this.confirmed();
    if (beat.crl > this.peerCrl) this.peerCrl = beat.crl;
    const list = ctx.revocations();
    if (list !== undefined) this.sendRevocations(list);
    const now = ctx.store.now();
    this.lastHeartbeat = now;
    this.peerHead = beat.head;
    this.resources = beat.resources;
    const ahead = beat.clock - now;
    if (ahead > ctx.settings.maxDriftMs) {
      const message = `the clock of ${peer} jumped ${(ahead / 1000).toFixed(1)} s ahead of this node's`;
      ctx.events.emit({ type: 'clock_skew', peer, message, data: { ahead_ms: ahead } });
      this.refuse(new CortexError('ECONFLICT', message));
      return;
    }
    ctx.gossip(peer, beat.nodes);
    const change: { lastSeen?: number; syncedHlc?: number } = {};
    if (!this.resyncing || this.resyncAcked) change.lastSeen = now;
    // Everything the peer had logged when it sent this heartbeat is applied here: both
    // sides had exchanged their writes up to (about) this moment.
    if (this.inbound !== undefined && this.inbound.caughtUp && this.inbound.checkpoint >= beat.head) {
      change.syncedHlc = Math.min(beat.hlc, ctx.store.replica.hlc);
    }
    ctx.book.note(peer, change);
  }

  private beat(): void {
    const { ctx } = this;
    const silentMs = Date.now() - this.lastReceived;
    const limit = Math.max(4 * ctx.settings.heartbeatMs, 2000);
    if (silentMs > limit) {
      this.close(`${this.peer} sent nothing for ${silentMs} ms`, { code: 'ETIMEDOUT', message: 'no heartbeat' });
      return;
    }
    const beat: Heartbeat = {
      clock: ctx.store.now(),
      hlc: ctx.store.replica.hlc,
      head: ctx.store.replica.headSeq(),
      resources: ctx.resources(),
      nodes: ctx.gossipFor(this.peer),
      crl: ctx.revocations()?.number ?? 0,
    };
    this.channel.notify('heartbeat', beat);
  }
}

/**
 * Where a peer's listener can be dialled back: the address it is bound to, or,
 * when bound to every address (0.0.0.0, ::), the address its link came from.
 */
function dialBackAddress(listen: string | undefined, remoteHost: string | undefined): string | null {
  if (listen === undefined) return null;
  const match = /^(\[([^\]]+)\]|[^:]+):(\d+)$/.exec(listen);
  if (match === null) return null;
  const host = match[2] ?? match[1]!;
  if (host !== '0.0.0.0' && host !== '::') return listen;
  if (remoteHost === undefined) return null;
  const plain = remoteHost.replace(/^::ffff:(?=\d+\.)/, '');
  return plain.includes(':') ? `[${plain}]:${match[3]}` : `${plain}:${match[3]}`;
}
