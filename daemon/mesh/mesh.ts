import type { Server } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Database } from 'better-sqlite3';
import { parseAddress, peerOf } from '../../src/address.js';
import { CortexError } from '../../src/protocol/errors.js';
import type { ClusterStatus, MeshNodeFailure, PeerStatus } from '../../src/protocol/mesh-types.js';
import { type MsgValue, RawMsgpack } from '../../src/protocol/msgpack-types.js';
import type { AccessControl } from '../access/access-control.js';
import type { Identity } from '../identity/identity.js';
import type { Logger } from '../logger.js';
import type { Subscriptions } from '../pubsub/subscriptions.js';
import type { Rewind } from '../store/incarnations.js';
import type { Store } from '../store/store.js';
import { certificateName, nodeTlsFiles, type TlsFiles } from '../tls/node-tls-files.js';
import { MeshEvents } from './mesh-events.js';
import type { MeshSettings } from './mesh-settings.js';
import { PeerBook } from './peer-book.js';
import { PeerChannel } from './peer-channel.js';
import { PeerSession, type SessionContext } from './peer-session.js';
import { dialPeer, listenPeers } from './peer-tls.js';
import { fanOut } from './query-fanout.js';
import { Redialer } from './redialer.js';
import { collectResources } from './resources.js';
import { TombstoneCollector } from './tombstone-gc.js';

export interface MeshOptions {
  node: string;
  db: Database;
  store: Store;
  access: AccessControl;
  log: Logger;
  subscriptions: Subscriptions;
  configDir: string;
  dataDir: string;
  /** HOST:PORT for the peer listener; without it this node only dials out. */
  listen: string | undefined;
  settings: MeshSettings;
}

/** query_mesh's answer, with records still as their stored bytes. */
export interface MeshQueryAnswer {
  records: { node: string; record: RawMsgpack }[];
  nodes: { answered: string[]; failed: MeshNodeFailure[] };
}

/**
 * The mesh: the peer listener, the links (one per peer), the saved peers and
 * their redialling, tombstone collection, and query_mesh. Every link replicates
 * both ways from the change log; see peer-session.ts for one link's life.
 */
export class Mesh {
  readonly events: MeshEvents;
  private readonly book: PeerBook;
  private readonly links = new Map<string, PeerSession>();
  private readonly handshakes = new Set<PeerSession>();
  /** Links opened by cluster_connect: admitted even when the peer had been disconnected. */
  private readonly explicit = new WeakSet<PeerSession>();
  private readonly dialers = new Map<string, Redialer>();
  private readonly lastErrors = new Map<string, string>();
  private readonly collector: TombstoneCollector;
  private readonly context: SessionContext;
  private server: Server | undefined;
  private listenAddress: string | null = null;
  private files: TlsFiles | undefined;
  private gcTimer: NodeJS.Timeout | undefined;
  private pumpQueued = false;
  private stopped = false;
  private readonly unsubscribeLog: () => void;
  private readonly unsubscribeRewind: () => void;

  constructor(private readonly options: MeshOptions) {
    const { store, log, subscriptions, settings } = options;
    this.events = new MeshEvents(subscriptions, store.now);
    subscriptions.register(this.events.family());
    this.book = new PeerBook(options.db, store);
    this.collector = new TombstoneCollector(store.replica, store.now, settings.graceMs, () => this.peersHolding());
    this.context = {
      me: options.node,
      store,
      book: this.book,
      log,
      events: this.events,
      settings,
      resources: () => collectResources(options.dataDir),
      admit: (session) => this.admit(session),
      closed: (session, wasOpen) => this.closed(session, wasOpen),
      query: (request) => fanOut(this.fanOutContext(), request, { name: request.identity, via: 'mesh', admin: false }),
      droppedTable: (table) => options.access.forgetTable(table),
    };
    this.unsubscribeRewind = store.replica.onRewind((rewind) => this.rewind(rewind));
    // Every commit that grew the log is sent on to the links, once per turn of the event loop.
    this.unsubscribeLog = store.onLog(() => {
      if (this.pumpQueued || this.links.size === 0) return;
      this.pumpQueued = true;
      setImmediate(() => {
        this.pumpQueued = false;
        for (const link of this.links.values()) link.outbound?.pump();
      });
    });
  }

  /** Opens the peer listener (when configured), redials the saved peers and starts collecting tombstones. */
  async start(): Promise<void> {
    if (this.options.listen !== undefined) await this.listen(this.options.listen);
    for (const peer of this.book.all()) {
      if (peer.dial && !peer.blocked && peer.address !== null) this.keepLinked(peer.node).schedule(0);
    }
    this.scheduleCollection();
  }

  get listening(): string | null {
    return this.listenAddress;
  }

  /** cluster_connect: links with the node at `address`, and keeps it linked from now on. */
  async connect(address: string): Promise<PeerStatus> {
    const node = await this.dial(address, undefined, true);
    await this.book.update(node, { address, dial: true, blocked: false });
    this.lastErrors.delete(node);
    this.keepLinked(node);
    return this.peerStatus(node);
  }

  /** cluster_disconnect: ends the link, stops redialling, and refuses the peer's links until connected again. */
  async disconnect(node: string): Promise<boolean> {
    const known = this.book.get(node) !== undefined || this.links.has(node);
    if (!known) return false;
    this.dialers.get(node)?.stop();
    this.dialers.delete(node);
    await this.book.update(node, { dial: false, blocked: true });
    const bye = {
      code: 'EACCES' as const,
      message: `${this.options.node} disconnected from ${node} (cluster_disconnect)`,
    };
    this.links.get(node)?.close(`disconnected from ${node} by cluster_disconnect`, bye);
    for (const session of this.handshakes) if (session.peer === node) session.close('disconnected', bye);
    this.options.log.info(`mesh: disconnected from ${node}; its links are refused until cluster_connect`);
    return true;
  }

  status(): ClusterStatus {
    const nodes = new Set([...this.book.all().map((peer) => peer.node), ...this.links.keys()]);
    return {
      node: this.options.node,
      listen: this.listenAddress,
      peers: [...nodes].sort().map((node) => this.peerStatus(node)),
    };
  }

  /** query_mesh: every reachable node answers a match, each checked against its own ACLs. */
  async query(
    table: string,
    pattern: Record<string, MsgValue>,
    limit: number,
    timeoutMs: number | undefined,
    identity: Identity,
  ): Promise<MeshQueryAnswer> {
    const answers = await fanOut(
      this.fanOutContext(),
      {
        table,
        pattern,
        limit,
        identity: identity.name,
        timeout_ms: timeoutMs ?? this.options.settings.queryTimeoutMs,
        exclude: [],
      },
      identity,
    );
    const result: MeshQueryAnswer = { records: [], nodes: { answered: [], failed: [] } };
    for (const answer of answers.sort((a, b) => (a.node < b.node ? -1 : 1))) {
      if (answer.records !== undefined) {
        result.nodes.answered.push(answer.node);
        for (const bytes of answer.records) result.records.push({ node: answer.node, record: new RawMsgpack(bytes) });
      } else {
        result.nodes.failed.push({
          node: answer.node,
          code: answer.code ?? 'EINTERNAL',
          message: answer.message ?? 'The node could not answer.',
        });
      }
    }
    return result;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribeLog();
    this.unsubscribeRewind();
    if (this.gcTimer !== undefined) clearTimeout(this.gcTimer);
    for (const dialer of this.dialers.values()) dialer.stop();
    const bye = { code: 'ECLOSED' as const, message: `${this.options.node} is shutting down` };
    for (const session of [...this.links.values(), ...this.handshakes]) session.close('shutting down', bye);
    const server = this.server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async listen(address: string): Promise<void> {
    const files = await this.tls([parseAddress(address).host]);
    const { server, address: bound } = await listenPeers(address, files, this.options.log, (socket, node) => {
      if (this.stopped) {
        socket.destroy();
        return;
      }
      this.open(socket, node, 'inbound', null, peerOf(socket));
    });
    this.server = server;
    this.listenAddress = bound;
    this.options.log.info(`mesh listening on ${bound} as node ${this.options.node}`);
  }

  /** This node's certificate files; its CN must be the node name, which is what peers know it by. */
  private async tls(hosts: string[] = []): Promise<TlsFiles> {
    if (this.files !== undefined) return this.files;
    const { configDir, node } = this.options;
    const files = await nodeTlsFiles(configDir, node, hosts, 'The mesh');
    const name = certificateName(files.cert);
    if (name !== node) {
      throw new CortexError(
        'EINVAL',
        `node.crt in ${configDir} was issued to ${name ?? 'no name'}, but this node is named ${node}: issue one for it (cortex ca issue node --name ${node}) or start it with --node-name ${name ?? '...'}.`,
      );
    }
    this.files = files;
    return files;
  }

  private async dial(address: string, expected: string | undefined, explicit = false): Promise<string> {
    if (this.stopped) throw new CortexError('ECLOSED', 'The daemon is shutting down.');
    const files = await this.tls();
    const { socket, node } = await dialPeer(address, files);
    if (expected !== undefined && node !== expected) {
      socket.destroy();
      throw new CortexError('EACCES', `${address} now answers as ${node}, not ${expected}.`);
    }
    const session = this.open(socket, node, 'outbound', address, address, explicit);
    try {
      await session.ready;
    } catch (error) {
      // Refused because the two are linked already (the other side dialled too): linked is what was asked.
      if (error instanceof CortexError && error.code === 'EEXIST' && this.links.get(node)?.state === 'open') {
        return node;
      }
      throw error;
    }
    return node;
  }

  private open(
    socket: TLSSocket,
    node: string,
    direction: 'outbound' | 'inbound',
    address: string | null,
    from: string,
    explicit = false,
  ): PeerSession {
    this.options.log.debug(`mesh: ${direction} TLS link with ${node} (${from})`);
    const channel = new PeerChannel(socket, Math.max(this.options.settings.maxMessageBytes, 64 << 20), node);
    const session = new PeerSession(this.context, channel, node, direction, address);
    if (explicit) this.explicit.add(session);
    if (session.state !== 'closed') this.handshakes.add(session);
    return session;
  }

  /**
   * Whether a link that finished its hello may stay. Two nodes keep one link: when
   * both dialled, the one dialled by the node with the smaller name stays, on both
   * sides alike; a new link in the same direction as an old one replaces it (the old
   * one is from before a restart).
   */
  private admit(session: PeerSession): CortexError | undefined {
    const { node: me } = this.options;
    const { peer } = session;
    this.handshakes.delete(session);
    if (this.stopped) return new CortexError('ECLOSED', `${me} is shutting down.`);
    if (peer === me) return new CortexError('EINVAL', `it is this node itself (${me}).`);
    if (this.book.get(peer)?.blocked === true && !this.explicit.has(session)) {
      return new CortexError(
        'EACCES',
        `${me} was disconnected from ${peer} with cluster_disconnect; it links again after cluster_connect`,
      );
    }
    const existing = this.links.get(peer);
    if (existing !== undefined && existing.state === 'open') {
      const preferred = me < peer ? 'outbound' : 'inbound';
      if (existing.direction !== session.direction && session.direction !== preferred) {
        return new CortexError('EEXIST', `${me} is already linked with ${peer}`);
      }
      existing.close(`replaced by a newer link with ${peer}`, { code: 'EEXIST', message: 'replaced by a newer link' });
    }
    this.links.set(peer, session);
    this.lastErrors.delete(peer);
    return undefined;
  }

  private closed(session: PeerSession, wasOpen: boolean): void {
    this.handshakes.delete(session);
    const { peer } = session;
    if (session.closeReason !== null) this.lastErrors.set(peer, session.closeReason);
    if (this.links.get(peer) !== session) return;
    this.links.delete(peer);
    if (wasOpen && !this.stopped) {
      this.options.log.info(`mesh: link with ${peer} down: ${session.closeReason ?? 'closed'}`);
      this.events.emit({ type: 'peer_down', peer, message: session.closeReason ?? 'the link closed' });
    }
    this.dialers.get(peer)?.linkClosed();
  }

  private keepLinked(node: string): Redialer {
    let dialer = this.dialers.get(node);
    if (dialer === undefined) {
      dialer = new Redialer(
        async () => {
          const address = this.book.get(node)?.address;
          if (address === null || address === undefined) throw new CortexError('ENOTFOUND', `No address for ${node}.`);
          return this.dial(address, node);
        },
        () => this.links.get(node)?.state === 'open',
        this.options.settings.redialMaxMs,
      );
      this.dialers.set(node, dialer);
    }
    return dialer;
  }

  private peerStatus(node: string): PeerStatus {
    const { store } = this.options;
    const link = this.links.get(node);
    const record = this.book.get(node);
    const head = store.replica.headSeq();
    const acked = link?.outbound?.acked ?? record?.acked ?? 0;
    const oldest = head > acked ? store.replica.firstHlcAfter(acked) : undefined;
    const dialer = this.dialers.get(node);
    const error = link === undefined ? (dialer?.lastError ?? this.lastErrors.get(node) ?? null) : null;
    return {
      node,
      address: record?.address ?? link?.address ?? null,
      state: link !== undefined ? 'connected' : dialer !== undefined ? 'connecting' : 'disconnected',
      direction: link?.direction ?? null,
      since: link?.since ?? record?.lastSeen ?? null,
      last_heartbeat: link?.lastHeartbeat ?? null,
      lag: {
        outbound: Math.max(0, head - acked),
        inbound: link?.inbound !== undefined ? Math.max(0, link.peerHead - link.inbound.checkpoint) : 0,
        ms: oldest === undefined ? 0 : Math.max(0, store.now() - Math.floor(oldest / 1000)),
      },
      error,
      resources: link?.resources ?? null,
    };
  }

  /**
   * A clash was resolved here (the local table of its name was dropped): the peer's
   * changes to the other table, refused until now, are read again. Over the live
   * link when there is one; else the saved checkpoint goes back, for the next link.
   */
  private rewind({ table, peer, seq }: Rewind): void {
    const link = this.links.get(peer);
    if (link?.inbound !== undefined) {
      link.inbound.rewind(seq);
      return;
    }
    const record = this.book.get(peer);
    if (record === undefined || record.checkpoint <= seq) return;
    this.options.log.info(`mesh: ${table} is no longer in a clash here; ${peer}'s log is read again after seq ${seq}`);
    this.options.store
      .transact(() => this.book.checkpoint(peer, seq))
      .catch((error: unknown) => {
        this.options.log.warn(`mesh: could not move the checkpoint of ${peer} back: ${(error as Error).message}`);
      });
  }

  private fanOutContext() {
    return {
      me: this.options.node,
      store: this.options.store,
      access: this.options.access,
      sessions: () => [...this.links.values()].filter((link) => link.state === 'open'),
    };
  }

  /** Peers whose acknowledgements tombstone collection waits for: linked now, or heard from within the grace period. */
  private peersHolding() {
    const since = this.options.store.now() - this.options.settings.graceMs;
    return this.book.all().filter((peer) => peer.lastSeen > since || this.links.has(peer.node));
  }

  /** A sweep of the whole log every gcIntervalMs, a slice at a time with short breaks between slices. */
  private scheduleCollection(delayMs = this.options.settings.gcIntervalMs): void {
    if (this.stopped) return;
    this.gcTimer = setTimeout(() => {
      this.collector.pass().then(
        ({ collected, more }) => {
          if (collected > 0) this.options.log.debug(`mesh: collected ${collected} tombstone(s)`);
          this.scheduleCollection(more ? 10 : undefined);
        },
        (error: unknown) => {
          this.options.log.warn(`mesh: tombstone collection failed: ${(error as Error).message}`);
          this.scheduleCollection();
        },
      );
    }, delayMs);
  }
}
