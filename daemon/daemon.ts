import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { parseAddress, peerOf } from '../src/address.js';
import { type CortexPaths, stoppedMarker } from '../src/paths.js';
import { CortexError } from '../src/protocol/errors.js';
import type { PeerResources } from '../src/protocol/mesh-types.js';
import type { StatusResult } from '../src/protocol/methods.js';
import { VERSION } from '../src/version.js';
import { type DaemonConfig, loadConfig } from './config.js';
import { createHandlers } from './handlers/index.js';
import type { DaemonServices } from './handlers/types.js';
import { createLogger, type Logger } from './logger.js';
import { AccessControl } from './access/access-control.js';
import { Authority } from './access/authority.js';
import { IdentityMap } from './access/identity-map.js';
import { ForwardedIdentities } from './access/forwarded-identity.js';
import { TokenStore } from './access/token-store.js';
import { LocalIdentities } from './identity/local-identity.js';
import { makeDirectory } from './make-directory.js';
import { saveNodeName, settleNodeName } from './node-name.js';
import { type AddonOrReason, loadNativeAddon } from '../src/native/addon.js';
import { PidLock } from './pid-lock.js';
import { createRuntime, type Runtime } from './runtime/index.js';
import { Mesh } from './mesh/mesh.js';
import { collectResources, fakeResources } from './mesh/resources.js';
import { Subscriptions } from './pubsub/subscriptions.js';
import { tableTopics } from './pubsub/table-topics.js';
import { Connection } from './server/connection.js';
import { followCredentials } from './server/credential-changes.js';
import { Dispatcher } from './server/dispatcher.js';
import { NotifyErrors } from './server/notify-errors.js';
import { listenTls } from './server/tls-listener.js';
import { type LocalCredentials, listenUnix, type SocketIo, type UnixListener } from './server/unix-listener.js';
import { tlsPaths } from './tls/certificate-authority.js';
import { normalizeSerial } from './tls/issued-ledger.js';
import { nodeTlsFiles } from './tls/node-tls-files.js';
import type { RevocationList } from './tls/revocation-list.js';
import { Revocations, savedListPath } from './tls/revocations.js';
import { Checkpointer } from './store/checkpointer.js';
import { journalIn, type StoreJournal } from './store/put-journal.js';
import { openDatabase } from './store/open-database.js';
import { ImportStaging } from './store/import-staging.js';
import { Store } from './store/store.js';
import { TerminalManager } from './terminals/terminal-manager.js';
import { nodeSummary } from './tree/node-summary.js';
import { Tree } from './tree/tree.js';
import { WorkspaceInspector } from './workspace/inspector.js';

export interface DaemonOptions {
  paths: CortexPaths;
  nodeName?: string | undefined;
  /** Let this group's members use the socket too; system mode uses `cortex`. */
  socketGroup?: string | undefined;
  /** HOST:PORT for the TLS listener. */
  listen?: string | undefined;
  /** HOST:PORT for the mesh peer listener. */
  meshListen?: string | undefined;
  /**
   * Added to the wall clock, in ms: a testing aid (CORTEX_CLOCK_OFFSET_MS) to play a
   * node whose clock is wrong. Read once at start and passed down, never global.
   */
  clockOffsetMs?: number | undefined;
  /**
   * CORTEX_TEST_RESOURCES: figures (load, mem_free, mem_total, disk_free) this daemon
   * reports instead of its machine's, a testing aid for placement. Read once at start.
   */
  testResources?: string | undefined;
  /** Also log to stderr (the foreground daemon does; one started in the background logs to its file only). */
  logToStderr?: boolean;
  /** Testing aids (CORTEX_TEST_NO_ADDON, CORTEX_TEST_FAIL_PEERCRED): act as if the addon were missing, or every caller's credentials unreadable. */
  pretendNoAddon?: boolean;
  failPeerCred?: boolean;
}

/**
 * cortexd: owns the database, the listeners and every connection. Started once
 * per data directory; stop() closes everything it opened, in reverse order.
 */
export class Daemon {
  private readonly connections = new Set<Connection>();
  private readonly startedAt = Date.now();
  private server: UnixListener | undefined;
  private tlsServer: TlsServer | undefined;
  private tlsAddress: string | null = null;
  private runtime: Runtime | undefined;
  private inspector: WorkspaceInspector | undefined;
  private terminals: TerminalManager | undefined;
  private stopping: Promise<void> | undefined;
  private mesh: Mesh | undefined;
  private markStopped: () => void = () => undefined;
  /** Resolves once the daemon has stopped, whoever stopped it (a signal, or the shutdown method). */
  readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));
  private revocations: Revocations | undefined;
  /** The serial of the client certificate each TLS connection came with, to close it when revoked. */
  private readonly clientSerials = new WeakMap<Connection, string>();

  private constructor(
    readonly paths: CortexPaths,
    readonly config: DaemonConfig,
    readonly log: Logger,
    private readonly lock: PidLock,
    private readonly db: Database,
    private readonly checkpoints: Checkpointer,
    readonly store: Store,
    private readonly addon: AddonOrReason,
    private readonly failPeerCred: boolean,
    private readonly fakeFigures: Partial<PeerResources>,
  ) {}

  static async start(options: DaemonOptions): Promise<Daemon> {
    const { paths } = options;
    makeDirectory(paths.dataDir, 0o700);
    const loaded = loadConfig(paths.configDir, {
      nodeName: options.nodeName,
      socketGroup: options.socketGroup ?? (paths.mode === 'system' ? 'cortex' : undefined),
      listen: options.listen,
      meshListen: options.meshListen,
    });
    const log = createLogger({
      level: loaded.logLevel,
      file: join(paths.dataDir, 'cortexd.log'),
      stderr: options.logToStderr ?? true,
    });
    const lock = PidLock.acquire(join(paths.dataDir, 'daemon.lock'));
    let db: Database | undefined;
    let checkpoints: Checkpointer | undefined;
    let journal: StoreJournal | undefined;
    let daemon: Daemon | undefined;
    try {
      const config = { ...loaded, nodeName: settleNodeName(loaded, paths.dataDir) };
      // Without the addon nobody's credentials can be read: a socket shared with a group would
      // make every member the owner, so the daemon refuses to serve one (before touching anything).
      const addon = loadNativeAddon(options.pretendNoAddon === true);
      if ('missing' in addon && config.socketGroup !== undefined) {
        throw new CortexError(
          'EINVAL',
          `The socket is to be shared with the group ${config.socketGroup}, but the native addon that tells its members apart is not available (${addon.missing}); the daemon refuses to serve a shared socket without it: rebuild it (npm rebuild) or run without a group.`,
        );
      }
      db = openDatabase(paths.dataDir, config.synchronous, { node: config.nodeName });
      saveNodeName(db, config.nodeName);
      checkpoints = new Checkpointer(db, (line) => log.warn(line));
      const offset = options.clockOffsetMs ?? 0;
      const now = offset === 0 ? Date.now : () => Date.now() + offset;
      if (offset !== 0) log.warn(`the wall clock is offset by ${offset} ms (CORTEX_CLOCK_OFFSET_MS, a testing aid)`);
      // With `synchronous: full` every commit is fsynced: the journal, which is not, would weaken that.
      journal = journalIn(paths.dataDir, config.synchronous === 'full' ? 0 : config.commitIntervalMs);
      const store = new Store(db, config.nodeName, now, config.mesh.maxDriftMs, journal, config.recordCacheBytes);
      reportReplay(store.replayed, log);
      const fake = fakeResources(options.testResources);
      if (Object.keys(fake).length > 0)
        log.warn(`machine figures replaced by ${JSON.stringify(fake)} (CORTEX_TEST_RESOURCES, a testing aid)`);
      daemon = new Daemon(paths, config, log, lock, db, checkpoints, store, addon, options.failPeerCred === true, fake);
      const running = daemon;
      store.journalLost = (error) => {
        log.error(
          `acknowledged puts could not be written again after a failed commit (${(error as Error).message}); the daemon stops, and its next start writes them from the put journal`,
        );
        void running.stop();
      };
      await daemon.listen();
      rmSync(stoppedMarker(paths.dataDir), { force: true });
      log.info(`cortexd ${VERSION} (pid ${process.pid}, node ${config.nodeName}) listening on ${paths.socket}`);
      return daemon;
    } catch (error) {
      // A listener that did open (the socket, before a failing TLS or mesh listener) would
      // keep the process alive after the error.
      await daemon?.closeListeners();
      await checkpoints?.close();
      journal?.file.close();
      db?.close();
      lock.release();
      throw error;
    }
  }

  private async closeListeners(): Promise<void> {
    await this.mesh?.stop();
    await Promise.all([this.server?.close(), this.closeTls()]);
    try {
      unlinkSync(this.paths.socket);
    } catch {
      // Not created, or already removed.
    }
  }

  /**
   * Closes listeners and connections, commits pending writes, closes the database.
   * Idempotent. `onPurpose` (`stopped by cortex stop (root) at ...`) is left in the
   * data directory so that clients do not start another daemon there on demand.
   */
  stop(onPurpose?: string): Promise<void> {
    this.stopping ??= this.shutdown(onPurpose).finally(() => this.markStopped());
    return this.stopping;
  }

  private async shutdown(onPurpose: string | undefined): Promise<void> {
    if (onPurpose !== undefined) {
      try {
        writeFileSync(stoppedMarker(this.paths.dataDir), `${onPurpose}\n`, { mode: 0o600 });
      } catch (error) {
        this.log.error(`could not note that the daemon was stopped on purpose: ${(error as Error).message}`);
      }
    }
    try {
      await this.mesh?.stop();
    } catch (error) {
      this.log.error(`stopping the mesh failed: ${(error as Error).message}`);
    }
    const closed = Promise.all([this.server?.close(), this.closeTls()]);
    for (const connection of this.connections) connection.close();
    await closed;
    await this.runtime?.sessions.shutdown();
    await this.terminals?.shutdown();
    await this.inspector?.close();
    try {
      this.store.close();
    } catch (error) {
      this.log.error(`final commit failed: ${(error as Error).message}`);
    }
    await this.checkpoints.close();
    this.db.close();
    try {
      unlinkSync(this.paths.socket);
    } catch {
      // Already removed by server.close().
    }
    this.lock.release();
    this.log.info('cortexd stopped');
  }

  private closeTls(): Promise<void> {
    const server = this.tlsServer;
    return server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
  }

  private async listen(): Promise<void> {
    const node = this.config.nodeName;
    const authority = new Authority(
      node,
      process.getuid?.() ?? 0,
      new IdentityMap(this.db, node, this.store.writeApart),
    );
    const tls = tlsPaths(this.paths.configDir);
    const revocations = new Revocations(
      { caCert: tls.caCert, caCrl: tls.caCrl, saved: savedListPath(this.paths.dataDir) },
      this.log,
    );
    revocations.load();
    revocations.onChange((list) => this.closeRevokedClients(list));
    const access = new AccessControl(this.db, this.store.catalog, authority, this.store.writeApart);
    const tokens = new TokenStore(this.db, this.store.writeApart);
    const subscriptions = new Subscriptions(this.config.subscriptionLimits, (line) => this.log.info(line));
    followCredentials({ authority, tokens, subscriptions, connections: this.connections, log: this.log });
    const notifyErrors = new NotifyErrors(subscriptions);
    subscriptions.register(notifyErrors.family());
    const imports = new ImportStaging(this.db, this.store);
    subscriptions.register(tableTopics(this.store, access, subscriptions));
    this.runtime = await createRuntime(
      this.db,
      this.store,
      this.config,
      this.log,
      subscriptions,
      authority,
      process.env,
      this.paths.dataDir,
    );
    const inspector = new WorkspaceInspector(
      this.runtime,
      authority,
      subscriptions,
      {
        dataDir: this.paths.dataDir,
        readMaxBytes: this.config.fsReadMaxBytes,
        watch: {
          debounceMs: this.config.watchDebounceMs,
          maxWatches: this.config.watchMaxWatches,
          chokidarLimit: 2000,
        },
        checkTimeoutMs: this.config.checkTimeoutMs,
        checksAfterTurn: this.config.checksAfterTurn,
      },
      this.log,
    );
    const terminals = new TerminalManager(
      {
        directory: join(this.paths.dataDir, 'terminals'),
        scrollbackBytes: this.config.termScrollbackBytes,
        viewerMaxPendingBytes: this.config.termViewerMaxPendingBytes,
        viewerGraceMs: 2000,
        socket: this.paths.socket,
        closeGraceMs: 2000,
      },
      subscriptions,
      authority,
      (workspace, terminal) =>
        inspector.workspaceTopics.publish(workspace, 'term_exit', {
          id: terminal.id,
          workspace,
          exit_code: terminal.exit_code,
          signal: terminal.signal,
        }),
      this.log,
    );
    terminals.load();
    subscriptions.register(terminals.family());
    subscriptions.register(terminals.topic.family(subscriptions));
    this.inspector = inspector;
    this.terminals = terminals;
    // The inspector's turn hooks are in place: messages queued before a restart may run.
    this.runtime.sessions.runRecoveredQueues();
    const runtime = this.runtime;
    const figures = () => collectResources(this.paths.dataDir, this.fakeFigures);
    const mesh = new Mesh({
      node: this.config.nodeName,
      db: this.db,
      store: this.store,
      access,
      log: this.log,
      subscriptions,
      configDir: this.paths.configDir,
      dataDir: this.paths.dataDir,
      summary: () => nodeSummary(figures(), runtime, terminals),
      listen: this.config.meshListen,
      settings: this.config.mesh,
      revocations,
    });
    this.mesh = mesh;
    this.revocations = revocations;
    const own = mesh.certificate();
    if (own?.warning) this.log.warn(own.warning);
    const services: DaemonServices = {
      ...this.runtime,
      inspector,
      terminals,
      store: this.store,
      imports,
      access,
      authority,
      tokens,
      subscriptions,
      mesh,
      log: this.log,
      stop: (onPurpose) => {
        // After this turn, so that the caller's answer goes out before its connection closes.
        setImmediate(() => void this.stop(onPurpose));
      },
      node: this.config.nodeName,
      placementLimits: this.config.placement,
      workspaceRoot: this.config.workspaceRoot ?? join(this.paths.dataDir, 'workspaces'),
      status: () => ({
        version: VERSION,
        node: this.config.nodeName,
        pid: process.pid,
        uptime_ms: Date.now() - this.startedAt,
        data_dir: this.paths.dataDir,
        socket: this.paths.socket,
        listen: this.tlsAddress,
        mesh_listen: mesh.listening,
        tables: this.store.catalog.size,
        connections: this.connections.size,
        max_message_bytes: this.config.maxMessageBytes,
        resources: statusResources(figures()),
        certificate: mesh.certificate(),
      }),
    };
    const tree = new Tree({
      me: this.config.nodeName,
      local: createHandlers(services),
      mesh,
      subscriptions,
      runtime,
      terminals,
      identities: new ForwardedIdentities(this.config.nodeName, authority),
      authority,
      limits: this.config.placement,
      queryTimeoutMs: this.config.mesh.queryTimeoutMs,
      viewerLimits: { maxPendingBytes: this.config.termViewerMaxPendingBytes, graceMs: 2000 },
      log: this.log,
    });
    subscriptions.register(tree.family());
    mesh.calls.serve(tree.server);
    const dispatcher = new Dispatcher(tree.handlers, this.log, notifyErrors, (connection) => {
      this.connections.delete(connection);
      subscriptions.drop(connection);
      imports.dropOwner(connection.id);
      tree.dropConnection(connection);
    });
    const { addon } = this;
    const identities = new LocalIdentities(node, addon, this.log, this.failPeerCred);
    const gid = this.config.socketGroup === undefined ? undefined : groupIdOf(addon, this.config.socketGroup);
    this.server = await listenUnix(
      this.paths.socket,
      (socket: Socket, credentials: LocalCredentials, io?: SocketIo) => {
        if (this.stopping) {
          socket.destroy();
          return;
        }
        const identity = identities.identify(credentials);
        const peer = identity.pid === undefined ? 'local' : `pid ${identity.pid}`;
        this.connections.add(new Connection(socket, identity, dispatcher, this.config, this.log, 'unix', peer, io));
      },
      {
        gid,
        addon: 'missing' in addon ? undefined : addon,
        onAcceptError: (reason) => this.log.error(`the socket could not accept a caller: ${reason}`),
        nextRequestWaitMicros: this.config.nextRequestWaitMicros,
      },
    );
    if (this.config.listen !== undefined) await this.listenRemote(this.config.listen, dispatcher);
    await mesh.start();
  }

  private async listenRemote(listen: string, dispatcher: Dispatcher): Promise<void> {
    const address = parseAddress(listen);
    const files = await nodeTlsFiles(this.paths.configDir, this.config.nodeName, [address.host], '--listen');
    this.tlsServer = await listenTls(
      address,
      this.config.nodeName,
      files,
      this.log,
      this.revocations!,
      (socket, identity) => {
        if (this.stopping) {
          socket.destroy();
          return;
        }
        const connection = new Connection(socket, identity, dispatcher, this.config, this.log, 'tls', peerOf(socket));
        this.connections.add(connection);
        if (identity.kind === 'cert') {
          this.clientSerials.set(connection, normalizeSerial(socket.getPeerCertificate().serialNumber));
        }
      },
    );
    const bound = this.tlsServer.address() as AddressInfo;
    this.tlsAddress = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
    this.log.info(`tls listening on ${this.tlsAddress}`);
  }

  /** A revoked client certificate takes effect at once, as a revoked token does. */
  private closeRevokedClients(list: RevocationList): void {
    for (const connection of this.connections) {
      const serial = this.clientSerials.get(connection);
      if (serial !== undefined && list.serials.has(serial)) {
        this.log.info(`connection ${connection.id}: closed, its client certificate (serial ${serial}) was revoked`);
        connection.close();
      }
    }
  }
}

/** What the start wrote again from the put journal goes to the log: a crash came before those puts' commit. */
function reportReplay(replayed: Store['replayed'], log: Logger): void {
  if (replayed.puts > 0) {
    log.warn(
      `wrote ${replayed.puts} acknowledged puts again from the put journal: the last run ended before their commit`,
    );
  }
  if (replayed.ignoredBytes > 0) {
    log.warn(
      `ignored the last ${replayed.ignoredBytes} bytes of the put journal: a write the last run ended in, never acknowledged`,
    );
  }
}

function groupIdOf(addon: AddonOrReason, group: string): number {
  if ('missing' in addon) throw new CortexError('EINVAL', `A socket group (${group}) needs the native addon.`);
  const gid = addon.groupId(group);
  if (gid === null) {
    throw new CortexError(
      'EINVAL',
      `The group ${group} does not exist: create it (groupadd ${group}) and add the users who may use the daemon.`,
    );
  }
  return gid;
}

function statusResources(figures: PeerResources): StatusResult['resources'] {
  return {
    load1: Math.round(figures.load * 100) / 100,
    memory_used: Math.round((1 - figures.mem_free / figures.mem_total) * 1000) / 1000,
    disk_free: figures.disk_free ?? 0,
  };
}
