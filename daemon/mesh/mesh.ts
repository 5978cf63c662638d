import { existsSync } from 'node:fs';
import type { Server } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Database } from 'better-sqlite3';
import { parseAddress, peerOf } from '../../src/address.js';
import { CortexError } from '../../src/protocol/errors.js';
import type { ClusterStatus, MeshNodeFailure, PeerStatus } from '../../src/protocol/mesh-types.js';
import type { NodeReason, NodeSummary } from '../../src/protocol/tree-types.js';
import { type MsgValue, RawMsgpack } from '../../src/protocol/msgpack-types.js';
import type { AccessControl } from '../access/access-control.js';
import { type Identity, identityOf } from '../identity/identity.js';
import type { Logger } from '../logger.js';
import type { Subscriptions } from '../pubsub/subscriptions.js';
import type { Rewind } from '../store/incarnations.js';
import type { Store } from '../store/store.js';
import { holdsCa, tlsPaths } from '../tls/certificate-authority.js';
import { certificateWatcher } from '../tls/certificate-expiry.js';
import { certificateName, nodeTlsFiles, type TlsFiles } from '../tls/node-tls-files.js';
import { isRefusal, type VerifiedCertificate } from '../tls/peer-certificate.js';
import type { RevocationList } from '../tls/revocation-list.js';
import type { Revocations } from '../tls/revocations.js';
import { MeshEvents } from './mesh-events.js';
import type { MeshSettings } from './mesh-settings.js';
import { PeerBook } from './peer-book.js';
import { PeerChannel } from './peer-channel.js';
import { Dialers } from './dialers.js';
import { MeshJoining } from './mesh-joining.js';
import { PeerGate } from './peer-gate.js';
import { PeerPins } from './peer-pins.js';
import { PeerSession, type SessionContext } from './peer-session.js';
import { dialPeer, listenPeers, refuseSocket } from './peer-tls.js';
import { fanOut } from './query-fanout.js';
import { linkReason } from './link-reason.js';
import type { CallProof, CallStatement } from './call-proof.js';
import { CallVerifier, isReplayRefusal } from './call-verifier.js';
import { NodeCalls } from './node-calls.js';
import { NodeSigner } from './node-signer.js';
import { OriginCertificates } from './origin-certificates.js';
import { type NodeView, Routes } from './routes.js';
import type { NodeAnswer, QueryRequest } from './wire.js';
import { TombstoneCollector } from './tombstone-gc.js';

/** Nodes changing reachability at once past which the log says so in one line. */
const LOGGED_ONE_BY_ONE = 8;

export interface MeshOptions {
  node: string;
  db: Database;
  store: Store;
  access: AccessControl;
  log: Logger;
  subscriptions: Subscriptions;
  configDir: string;
  dataDir: string;
  /** What this node tells the mesh about itself in every heartbeat. */
  summary: () => NodeSummary;
  /** HOST:PORT for the peer listener; without it this node only dials out. */
  listen: string | undefined;
  settings: MeshSettings;
  /** The revocation list this node enforces, shared with the TLS listener. */
  revocations: Revocations;
}

/** query_mesh's answer, with records still as their stored bytes. */
export interface MeshQueryAnswer {
  records: { node: string; record: RawMsgpack }[];
  nodes: { answered: string[]; failed: MeshNodeFailure[] };
}

/**
 * The mesh: the peer listener, the links (one per peer), the saved peers and
 * their redialling, tombstone collection, and query_mesh. Every link replicates
 * both ways from the change log; see peer-session.ts for one link's life, and
 * peer-gate.ts for who may link at all.
 */
export class Mesh {
  readonly events: MeshEvents;
  /** Calls and streams for other nodes, relayed when there is no direct link. */
  readonly calls: NodeCalls;
  private readonly routes: Routes;
  private readonly signer: NodeSigner;
  private readonly verifier: CallVerifier;
  /** The nodes reachable at the last check, and who wants to hear when that changes. */
  private online = new Set<string>();
  private readonly reachabilityListeners = new Set<(node: string, online: boolean) => void>();
  private reachTimer: NodeJS.Timeout | undefined;
  /** This node's certificate, for `status` and `cluster`. */
  readonly certificate: ReturnType<typeof certificateWatcher>;
  private readonly book: PeerBook;
  private readonly gate: PeerGate;
  private readonly joining: MeshJoining;
  private readonly loose = new Set<TLSSocket>();
  /** The listener's address while this node waits for its certificate (from `mesh join`). */
  private waitingToListen: string | undefined;
  private readonly links = new Map<string, PeerSession>();
  private readonly handshakes = new Set<PeerSession>();
  /** Links opened by cluster_connect: admitted even when the peer had been disconnected. */
  private readonly explicit = new WeakSet<PeerSession>();
  private readonly dialers: Dialers;
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
  private readonly unsubscribeRevocations: () => void;
  private readonly unsubscribeRewind: () => void;

  constructor(private readonly options: MeshOptions) {
    const { store, log, subscriptions, settings, revocations } = options;
    this.events = new MeshEvents(subscriptions, store.now, options.access.authority);
    subscriptions.register(this.events.family());
    this.book = new PeerBook(options.db, store);
    // A node is reachable while news of it is as fresh as a link must be to stay open.
    const liveMs = Math.max(4 * settings.heartbeatMs, 2000);
    this.routes = new Routes(options.node, liveMs, store.now, (node) => this.linkError(node));
    const paths = tlsPaths(options.configDir);
    this.signer = new NodeSigner({ cert: paths.nodeCert, key: paths.nodeKey });
    this.calls = new NodeCalls({
      me: options.node,
      nextHop: (node) => this.routes.nextHop(node),
      channel: (peer) => {
        const link = this.links.get(peer);
        return link?.state === 'open' ? link.channel : undefined;
      },
      unreachable: (node) => this.unreachable(node),
      prove: (statement) => this.signer.prove(statement, Date.now()),
      log,
    });
    this.gate = new PeerGate(options.node, new PeerPins(options.dataDir, log), revocations, log, this.events);
    const origins = new OriginCertificates({
      caCert: paths.caCert,
      revocations,
      pinRefusal: (certificate) => this.gate.pinRefusal(certificate),
    });
    this.verifier = new CallVerifier(origins, settings.maxDriftMs);
    this.certificate = certificateWatcher(tlsPaths(options.configDir).nodeCert, revocations);
    this.dialers = new Dialers(
      this.book,
      (address, node) => this.dial(address, node),
      (node) => this.links.get(node)?.state === 'open',
      settings.redialMaxMs,
    );
    this.joining = new MeshJoining({
      me: options.node,
      configDir: options.configDir,
      log,
      revocations,
      listenAddress: () => this.listenAddress,
      knows: (name) => name === options.node || this.gate.pinOf(name) !== null || this.links.has(name),
    });
    this.collector = new TombstoneCollector(store.replica, store.now, settings.graceMs, () => this.peersHolding());
    this.context = {
      me: options.node,
      store,
      book: this.book,
      log,
      events: this.events,
      settings,
      resources: () => {
        const { load, mem_free, mem_total, disk_free } = options.summary();
        return { load, mem_free, mem_total, disk_free };
      },
      listen: () => this.listenAddress,
      revocations: () => revocations.current,
      revocationsFrom: (peer, crl) => this.revocationsFrom(peer, crl),
      admit: (session) => this.admit(session),
      up: (session) => this.up(session),
      closed: (session, wasUp) => this.closed(session, wasUp),
      query: (request, peer) => this.answerPeer(request, peer),
      droppedTable: (table) => options.access.forgetTable(table),
      gossip: (peer, entries) => {
        this.routes.learn(peer, entries);
        this.checkReachability();
      },
      gossipFor: (peer) => this.routes.gossipFor(peer, options.summary()),
      forward: (request, peer) => this.calls.incoming(request, peer),
      stream: (message) => this.calls.incomingStream(message),
      release: (message) => this.calls.incomingRelease(message),
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
    this.unsubscribeRevocations = revocations.onChange((list) => this.enforce(list));
  }

  /**
   * Opens the peer listener (when configured), redials the saved peers, dials
   * back the peers that had dialled this node (their own redial may be far off
   * after this node was away), and starts collecting tombstones.
   */
  async start(): Promise<void> {
    if (this.options.listen !== undefined) await this.listenOrWait(this.options.listen);
    const recent = this.options.store.now() - this.options.settings.graceMs;
    for (const peer of this.book.all()) {
      if (peer.blocked || peer.address === null) continue;
      if (peer.dial) this.dialers.keep(peer.node).schedule(0);
      else if (peer.lastSeen > recent) this.dialers.dialBack(peer.node).schedule(0);
    }
    this.scheduleCollection();
    // News of nodes beyond the links ages between heartbeats: reachability is checked as often.
    this.reachTimer = setInterval(() => this.checkReachability(), this.options.settings.heartbeatMs);
  }

  get listening(): string | null {
    return this.listenAddress;
  }

  /**
   * cluster_connect: links with the node at `address`, and keeps it linked from
   * now on. `checkHost`: the certificate must name the host dialled (unless the
   * node at `address` was proven otherwise, as the inviting node of a join is).
   */
  async connect(address: string, checkHost = true): Promise<PeerStatus> {
    const node = await this.dial(address, undefined, true, checkHost);
    await this.book.update(node, { address, dial: true, blocked: false });
    this.lastErrors.delete(node);
    this.dialers.stop(node);
    this.dialers.keep(node);
    return this.peerStatus(node);
  }

  /**
   * cluster_forget: this node forgets everything about `node`: its pinned
   * certificate, its address, how far the two had replicated. The next link with
   * a node of that name is a first link: pinned anew, with a full resync (a new
   * certificate may well be a new machine under the old name).
   */
  async forget(node: string): Promise<boolean> {
    const known = this.book.get(node) !== undefined || this.links.has(node) || this.gate.pinOf(node) !== null;
    const refused = this.gate.refusalOf(node) !== null;
    if (!known && !refused) return false;
    this.dialers.stop(node);
    const bye = {
      code: 'ECLOSED' as const,
      message: `${this.options.node} forgot ${node} (cluster_forget); link again`,
    };
    this.links.get(node)?.close(`${node} was forgotten by cluster_forget`, bye);
    for (const session of this.handshakes) if (session.peer === node) session.close('forgotten', bye);
    await this.book.forget(node);
    this.gate.forget(node);
    this.lastErrors.delete(node);
    this.options.log.warn(`mesh: forgot ${node}: its pinned certificate, address and replication checkpoints`);
    return true;
  }

  /** cluster_disconnect: ends the link, stops redialling, and refuses the peer's links until connected again. */
  async disconnect(node: string): Promise<boolean> {
    const known = this.book.get(node) !== undefined || this.links.has(node);
    if (!known) return false;
    this.dialers.stop(node);
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
    const nodes = new Set([
      ...this.book.all().map((peer) => peer.node),
      ...this.links.keys(),
      ...this.gate.refusedNames(),
    ]);
    const list = this.options.revocations.current;
    return {
      node: this.options.node,
      listen: this.listenAddress,
      peers: [...nodes].sort().map((node) => this.peerStatus(node)),
      certificate: this.certificate(),
      revocations: { number: list?.number ?? 0, revoked: list?.serials.size ?? 0 },
    };
  }

  /** mesh_invite, on the CA machine: a one-time token for a new node to join with. */
  invite(options: { name: string | undefined; ttlMs: number; hosts: string[] }) {
    return this.joining.invite(options);
  }

  /**
   * mesh_join, on a new node: gets this node's certificate from the inviting node
   * with the token (the key is made here and stays here), opens the mesh listener
   * that was waiting for it, and links with the inviting node.
   */
  async join(token: string, address: string, force: boolean): Promise<PeerStatus> {
    const listenHost = this.waitingToListen === undefined ? undefined : parseAddress(this.waitingToListen).host;
    const crl = await this.joining.fetchCertificate(token, address, force, listenHost);
    this.files = undefined;
    this.options.log.info(`mesh: joined the mesh as ${this.options.node}, with an invitation from ${address}`);
    if (crl !== null) this.revocationsFrom(address, crl);
    const waiting = this.waitingToListen;
    this.waitingToListen = undefined;
    if (waiting !== undefined) await this.listen(waiting);
    // The join proved it a node of this mesh (its CA, in the token), whatever host names its certificate has.
    return this.connect(address, false);
  }

  /** cluster_revocations: the list in force, after taking `crl` when it is the CA's and newer. */
  revocationList(crl: Uint8Array | undefined): { number: number; serials: string[]; taken: boolean } {
    const taken = crl === undefined ? false : this.options.revocations.adopt(crl);
    const list = this.options.revocations.current;
    return { number: list?.number ?? 0, serials: [...(list?.serials ?? [])].sort(), taken };
  }

  /** query_mesh: every reachable node answers a match, each checked against its own ACLs. */
  async query(
    table: string,
    pattern: Record<string, MsgValue>,
    limit: number,
    timeoutMs: number | undefined,
    identity: Identity,
  ): Promise<MeshQueryAnswer> {
    const request: QueryRequest = {
      table,
      pattern,
      limit,
      identity: identity.name,
      timeout_ms: timeoutMs ?? this.options.settings.queryTimeoutMs,
      exclude: [],
    };
    // Signed once for every node it reaches: those beyond the links know it by the signature only.
    if (this.links.size > 0) request.proof = this.signer.prove(queryStatement(request), Date.now());
    const answers = await fanOut(this.fanOutContext(), request, identity);
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

  /** Every node this one knows of, itself first, online or not. */
  nodes(): NodeView[] {
    return this.routes.view(this.options.summary());
  }

  /** Called when a node becomes reachable (true) or unreachable (false). */
  onReachability(listener: (node: string, online: boolean) => void): () => void {
    this.reachabilityListeners.add(listener);
    return () => this.reachabilityListeners.delete(listener);
  }

  /** Whether calls for `node` can go out now. */
  reachable(node: string): boolean {
    return this.routes.nextHop(node) !== undefined;
  }

  /** The error of a call for a node that cannot be reached: ENOTFOUND for a node never heard of. */
  unreachable(node: string): CortexError {
    // One node's view, not the whole list: a node that loses its routes to thousands of nodes asks for each.
    const view = this.routes.viewOf(node, () => this.options.summary());
    if (view === undefined) {
      // Asked for each node that went away too (it may be forgotten by then): nothing here walks every node.
      return new CortexError(
        'ENOTFOUND',
        `There is no node named ${node} in this mesh (cortex nodes lists those known).`,
      );
    }
    const down = view.down ?? { reason: 'link_down' as NodeReason, message: 'the route to it just went down' };
    const heard =
      view.heardAt === null ? 'never heard from' : `last heard ${ago(this.options.store.now() - view.heardAt)}`;
    return new CortexError('EUNREACHABLE', `${node} cannot be reached (${down.reason}: ${down.message}; ${heard}).`, {
      node,
      reason: down.reason,
      last_heard: view.heardAt,
    });
  }

  /**
   * The signature of a call or query that came through other nodes (call-verifier.ts): EACCES unless
   * its origin signed exactly it, lately, and it was not taken before. The caller logs a refusal.
   */
  checkProof(statement: CallStatement, proof: CallProof | undefined): void {
    this.verifier.check(statement, proof);
  }

  /**
   * A query relayed by a peer, for a caller of another node. The identity is the
   * asker's, in full, and is checked here against this node's own grants and
   * mappings. One that names this node is forged (a query never comes back to
   * the node it started on), and refused; one of a node beyond the link must
   * carry that node's signature over the query.
   */
  private answerPeer(request: QueryRequest, linkPeer: string): Promise<NodeAnswer[]> {
    const { node } = this.options;
    const identity = identityOf(request.identity);
    const refusal =
      identity === undefined
        ? { why: `${JSON.stringify(request.identity)} is not an identity`, replay: false }
        : identity.node === node
          ? { why: `a peer may not speak for ${identity.name}, an identity of ${node} itself`, replay: false }
          : identity.node === linkPeer
            ? undefined
            : this.unproven(request);
    if (identity === undefined || refusal !== undefined) {
      const { why, replay } = refusal!;
      // A query reaches a node by each path to it; the copies after the first are refused as replays, quietly.
      const line = `mesh: a query_mesh relayed by a peer was refused: ${why} (it came from ${linkPeer})`;
      if (replay) this.options.log.debug(line);
      else this.options.log.warn(line);
      return Promise.resolve([{ node, code: 'EACCES', message: `${node} refused the query: ${why}.` }]);
    }
    return fanOut(this.fanOutContext(), request, identity);
  }

  /** Why a query of a node beyond the link is not believed, if it is not: its node's signature. */
  private unproven(request: QueryRequest): { why: string; replay: boolean } | undefined {
    try {
      this.verifier.check(queryStatement(request), request.proof);
      return undefined;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { why, replay: isReplayRefusal(error) };
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reachTimer !== undefined) clearInterval(this.reachTimer);
    this.unsubscribeLog();
    this.unsubscribeRewind();
    this.unsubscribeRevocations();
    if (this.gcTimer !== undefined) clearTimeout(this.gcTimer);
    this.dialers.stopAll();
    const bye = { code: 'ECLOSED' as const, message: `${this.options.node} is shutting down` };
    for (const session of [...this.links.values(), ...this.handshakes]) session.close('shutting down', bye);
    for (const socket of this.loose) socket.destroy();
    const server = this.server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A connection that is no link (refused, or asking to join): it must not hold up the listener's close. */
  private holdLoose(socket: TLSSocket): void {
    this.loose.add(socket);
    socket.once('close', () => this.loose.delete(socket));
  }

  /** A node with no certificate yet opens its listener once `mesh join` brings one. */
  private async listenOrWait(address: string): Promise<void> {
    const { configDir, log } = this.options;
    if (!existsSync(tlsPaths(configDir).nodeCert) && !holdsCa(configDir)) {
      this.waitingToListen = address;
      log.warn(
        `mesh: no listener on ${address} until this node has its certificate: cortex mesh join TOKEN HOST:PORT, or cortex ca install DIR and a restart`,
      );
      return;
    }
    await this.listen(address);
  }

  private async listen(address: string): Promise<void> {
    const files = await this.tls([parseAddress(address).host]);
    const { server, address: bound } = await listenPeers(address, files, this.options.log, (socket) => {
      if (this.stopped) {
        socket.destroy();
        return;
      }
      const from = peerOf(socket);
      const certificate = this.gate.verify(socket);
      if (!isRefusal(certificate)) {
        this.open(socket, certificate, 'inbound', null, from);
        return;
      }
      this.holdLoose(socket);
      const refuse = () => this.gate.refuse(socket, certificate, from);
      // With no certificate, the CA machine's listener takes a join request instead.
      if (certificate.reason !== 'no_certificate' || !this.joining.serve(socket, from, refuse)) refuse();
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

  /**
   * Dials `address`. A known peer (`expected`, pinned) is proven by its pin rather
   * than by the host name in its certificate, so it can be dialled back at the
   * address it gave whatever names its certificate holds.
   */
  private async dial(
    address: string,
    expected: string | undefined,
    explicit = false,
    checkHost = true,
  ): Promise<string> {
    if (this.stopped) throw new CortexError('ECLOSED', 'The daemon is shutting down.');
    const files = await this.tls();
    const pinned = expected !== undefined && this.gate.pinOf(expected) !== null;
    const socket = await dialPeer(address, files, { checkHost: checkHost && !pinned });
    const certificate = this.gate.check(socket, address);
    if (isRefusal(certificate))
      throw new CortexError('EACCES', `Could not link with ${address}: ${certificate.message}.`);
    const node = certificate.name;
    if (expected !== undefined && node !== expected) {
      const message = `${address} now answers as ${node}, not ${expected}`;
      refuseSocket(socket, { code: 'EACCES', message: `${this.options.node} expected ${expected} at ${address}` });
      throw new CortexError('EACCES', `${message}.`);
    }
    await this.untilUp(this.open(socket, certificate, 'outbound', address, address, explicit), node);
    return node;
  }

  /**
   * Waits until `session`, or the link that took its place, is up: admitted by
   * both sides. A link refused or replaced with EEXIST gave way to another link
   * with the same node (the other side dialled too, or this node's redial of it
   * was admitted after it), and linked is what was asked; but that link's 'open'
   * says only that this side admitted it, and the peer may still refuse it, so
   * its `ready` decides. It may itself give way again: the loop follows. A redial
   * may replace cluster_connect's link like any newer one: the peer keeps the
   * newer of its two as well, and refusing it here could leave each side with
   * a different link, that is, with none.
   */
  private async untilUp(session: PeerSession, node: string): Promise<void> {
    let waited = session;
    for (;;) {
      try {
        await waited.ready;
        return;
      } catch (error) {
        const current = this.links.get(node);
        if (!(error instanceof CortexError) || error.code !== 'EEXIST' || current === undefined || current === waited) {
          throw error;
        }
        waited = current;
      }
    }
  }

  private open(
    socket: TLSSocket,
    certificate: VerifiedCertificate,
    direction: 'outbound' | 'inbound',
    address: string | null,
    from: string,
    explicit = false,
  ): PeerSession {
    this.options.log.debug(`mesh: ${direction} TLS link with ${certificate.name} (${from})`);
    const channel = new PeerChannel(
      socket,
      Math.max(this.options.settings.maxMessageBytes, 64 << 20),
      certificate.name,
      this.options.settings.maxOutputBytes,
    );
    const session = new PeerSession(this.context, channel, certificate, direction, address, {
      from,
      host: socket.remoteAddress,
    });
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
    }
    const refusal = this.gate.pinOnLink(session.certificate);
    if (refusal !== undefined) {
      this.gate.report(refusal, session.from);
      return new CortexError('EACCES', `${me} refused the link: ${refusal.message}`);
    }
    existing?.close(`replaced by a newer link with ${peer}`, { code: 'EEXIST', message: 'replaced by a newer link' });
    this.links.set(peer, session);
    this.options.store.commitWhenQuiet(this.options.settings.commitQuietMs);
    this.lastErrors.delete(peer);
    this.routes.linkUp(peer);
    queueMicrotask(() => this.checkReachability());
    return undefined;
  }

  /** Both sides admitted the link: remember where a peer that dialled in listens, to dial it back one day. */
  private up(session: PeerSession): void {
    const { peer, advertised } = session;
    const record = this.book.get(peer);
    if (
      session.direction === 'inbound' &&
      advertised !== null &&
      record?.dial !== true &&
      record?.address !== advertised
    ) {
      this.book.note(peer, { address: advertised });
    }
    this.dialers.linkedBack(peer);
  }

  private closed(session: PeerSession, wasUp: boolean): void {
    this.handshakes.delete(session);
    const { peer } = session;
    if (session.closeReason !== null) this.lastErrors.set(peer, session.closeReason);
    if (this.links.get(peer) !== session) return;
    this.links.delete(peer);
    if (this.links.size === 0) this.options.store.commitWhenQuiet(0);
    this.routes.linkDown(peer);
    this.checkReachability();
    if (!wasUp) return;
    if (!this.stopped) {
      this.options.log.info(`mesh: link with ${peer} down: ${session.closeReason ?? 'closed'}`);
      this.events.emit({ type: 'peer_down', peer, message: session.closeReason ?? 'the link closed' });
    }
    this.dialers.linkClosed(peer, this.options.store.now() - session.upSince);
  }

  /** A new revocation list: a linked node it revokes is cut at once, and the others get the list. */
  private enforce(list: RevocationList): void {
    this.options.log.info(`mesh: revocation list #${list.number} in force (${list.serials.size} revoked)`);
    for (const session of [...this.links.values(), ...this.handshakes]) {
      if (!list.serials.has(session.certificate.serial)) continue;
      const { message } = this.gate.revoked(session.certificate, session.from);
      session.close(`cut: ${message}`, { code: 'EACCES', message: `${this.options.node} cut the link: ${message}` });
    }
    for (const session of this.links.values()) session.sendRevocations(list);
  }

  /** A peer's list, taken when it is the CA's and newer than this node's. */
  private revocationsFrom(peer: string, crl: Uint8Array): void {
    try {
      if (this.options.revocations.adopt(crl)) {
        this.options.log.info(`mesh: took revocation list #${this.options.revocations.number} from ${peer}`);
      }
    } catch (error) {
      this.options.log.warn(`mesh: ${peer} sent a revocation list that is not used: ${(error as Error).message}`);
    }
  }

  private peerStatus(node: string): PeerStatus {
    const { store } = this.options;
    const link = this.links.get(node);
    const record = this.book.get(node);
    const head = store.replica.headSeq();
    const acked = link?.outbound?.acked ?? record?.acked ?? 0;
    const oldest = head > acked ? store.replica.firstHlcAfter(acked) : undefined;
    const error = link === undefined ? (this.dialers.lastError(node) ?? this.lastErrors.get(node) ?? null) : null;
    return {
      node,
      address: record?.address ?? link?.address ?? null,
      state: link !== undefined ? 'connected' : this.dialers.has(node) ? 'connecting' : 'disconnected',
      direction: link?.direction ?? null,
      since: link?.since ?? record?.lastSeen ?? null,
      last_heartbeat: link?.lastHeartbeat ?? null,
      lag: {
        outbound: Math.max(0, head - acked),
        inbound: link?.inbound !== undefined ? Math.max(0, link.peerHead - link.inbound.checkpoint) : 0,
        ms: oldest === undefined ? 0 : Math.max(0, store.now() - Math.floor(oldest / 1000)),
      },
      error,
      last_trouble: this.events.lastTroubleOf(node),
      resources: link?.resources ?? null,
      pinned: this.gate.pinOf(node),
      refused: this.gate.refusalOf(node),
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

  /** Why this node's own link with `node` is down, when it is one of its peers and it is. */
  private linkError(node: string): { reason: NodeReason; message: string } | null {
    if (this.links.get(node)?.state === 'open') return null;
    const message = this.dialers.lastError(node) ?? this.lastErrors.get(node);
    return message === undefined || message === null ? null : { reason: linkReason(message), message };
  }

  /** Tells the listeners of every node that became reachable or unreachable since the last check. */
  private checkReachability(): void {
    if (this.stopped) return;
    const now = this.routes.reachable();
    const before = this.online;
    this.online = now;
    this.reachabilityChanged(
      [...now].filter((node) => !before.has(node)),
      true,
    );
    this.reachabilityChanged(
      [...before].filter((node) => !now.has(node)),
      false,
    );
  }

  private reachabilityChanged(nodes: string[], online: boolean): void {
    const state = online ? 'reachable' : 'out of reach';
    // One line for many: a peer telling of thousands of nodes at once must not write thousands of lines.
    if (nodes.length > LOGGED_ONE_BY_ONE) {
      this.options.log.info(
        `mesh: ${nodes.length} nodes are ${state} (${nodes.slice(0, LOGGED_ONE_BY_ONE).join(', ')}, …)`,
      );
    } else {
      for (const node of nodes) this.options.log.info(`mesh: ${node} is ${state}`);
    }
    const listeners = [...this.reachabilityListeners];
    for (const node of nodes) for (const listener of listeners) listener(node, online);
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

/** 2300 → `2 s ago`. */
/** What the asker's node signs of a query: what it matches, not how far it has gone. */
function queryStatement(request: QueryRequest): CallStatement {
  const { identity, table, pattern, limit } = request;
  const origin = identityOf(identity)?.node ?? '';
  return { identity, origin, target: '*', conn: '', method: 'query', params: { table, pattern, limit } };
}

function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds < 120 ? `${seconds} s ago` : `${Math.round(seconds / 60)} min ago`;
}
