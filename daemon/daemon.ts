import { mkdirSync, statfsSync, unlinkSync } from 'node:fs';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { parseAddress, peerOf } from '../src/address.js';
import type { CortexPaths } from '../src/paths.js';
import { CortexError } from '../src/protocol/errors.js';
import type { StatusResult } from '../src/protocol/methods.js';
import { VERSION } from '../src/version.js';
import { type DaemonConfig, loadConfig } from './config.js';
import { createHandlers } from './handlers/index.js';
import type { DaemonServices } from './handlers/types.js';
import { createLogger, type Logger } from './logger.js';
import { AccessControl } from './access/access-control.js';
import { TokenStore } from './access/token-store.js';
import { LocalIdentities } from './identity/local-identity.js';
import { loadNativeAddon, type NativeAddon } from './identity/native.js';
import { PidLock } from './pid-lock.js';
import { createRuntime, type Runtime } from './runtime/index.js';
import { Mesh } from './mesh/mesh.js';
import { Subscriptions } from './pubsub/subscriptions.js';
import { tableTopics } from './pubsub/table-topics.js';
import { Connection } from './server/connection.js';
import { Dispatcher } from './server/dispatcher.js';
import { NotifyErrors } from './server/notify-errors.js';
import { listenTls } from './server/tls-listener.js';
import { listenUnix } from './server/unix-listener.js';
import { nodeTlsFiles } from './tls/node-tls-files.js';
import { openDatabase } from './store/open-database.js';
import { Store } from './store/store.js';
import { TerminalManager } from './terminals/terminal-manager.js';
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
  /** Also log to stderr (the foreground daemon does; one started in the background logs to its file only). */
  logToStderr?: boolean;
}

/**
 * cortexd: owns the database, the listeners and every connection. Started once
 * per data directory; stop() closes everything it opened, in reverse order.
 */
export class Daemon {
  private readonly connections = new Set<Connection>();
  private readonly startedAt = Date.now();
  private server: Server | undefined;
  private tlsServer: TlsServer | undefined;
  private tlsAddress: string | null = null;
  private runtime: Runtime | undefined;
  private inspector: WorkspaceInspector | undefined;
  private terminals: TerminalManager | undefined;
  private stopping: Promise<void> | undefined;
  private mesh: Mesh | undefined;

  private constructor(
    readonly paths: CortexPaths,
    readonly config: DaemonConfig,
    readonly log: Logger,
    private readonly lock: PidLock,
    private readonly db: Database,
    readonly store: Store,
  ) {}

  static async start(options: DaemonOptions): Promise<Daemon> {
    const { paths } = options;
    mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
    const config = loadConfig(paths.configDir, {
      nodeName: options.nodeName,
      socketGroup: options.socketGroup ?? (paths.mode === 'system' ? 'cortex' : undefined),
      listen: options.listen,
      meshListen: options.meshListen,
    });
    const log = createLogger({
      level: config.logLevel,
      file: join(paths.dataDir, 'cortexd.log'),
      stderr: options.logToStderr ?? true,
    });
    const lock = PidLock.acquire(join(paths.dataDir, 'daemon.lock'));
    let db: Database | undefined;
    let daemon: Daemon | undefined;
    try {
      db = openDatabase(paths.dataDir, config.synchronous);
      const offset = options.clockOffsetMs ?? 0;
      const now = offset === 0 ? Date.now : () => Date.now() + offset;
      if (offset !== 0) log.warn(`the wall clock is offset by ${offset} ms (CORTEX_CLOCK_OFFSET_MS, a testing aid)`);
      const store = new Store(db, config.nodeName, now, config.mesh.maxDriftMs);
      daemon = new Daemon(paths, config, log, lock, db, store);
      await daemon.listen();
      log.info(`cortexd ${VERSION} (pid ${process.pid}, node ${config.nodeName}) listening on ${paths.socket}`);
      return daemon;
    } catch (error) {
      // A listener that did open (the socket, before a failing TLS or mesh listener) would
      // keep the process alive after the error.
      await daemon?.closeListeners();
      db?.close();
      lock.release();
      throw error;
    }
  }

  private async closeListeners(): Promise<void> {
    await this.mesh?.stop();
    await Promise.all(
      [this.server, this.tlsServer].map((server) =>
        server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve(),
      ),
    );
    try {
      unlinkSync(this.paths.socket);
    } catch {
      // Not created, or already removed.
    }
  }

  /** Closes listeners and connections, commits pending writes, closes the database. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    try {
      await this.mesh?.stop();
    } catch (error) {
      this.log.error(`stopping the mesh failed: ${(error as Error).message}`);
    }
    const closed = [this.server, this.tlsServer].map((server) =>
      server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve(),
    );
    for (const connection of this.connections) connection.close();
    await Promise.all(closed);
    await this.runtime?.sessions.shutdown();
    await this.terminals?.shutdown();
    await this.inspector?.close();
    try {
      this.store.flush();
    } catch (error) {
      this.log.error(`final commit failed: ${(error as Error).message}`);
    }
    this.db.close();
    try {
      unlinkSync(this.paths.socket);
    } catch {
      // Already removed by server.close().
    }
    this.lock.release();
    this.log.info('cortexd stopped');
  }

  private async listen(): Promise<void> {
    const access = new AccessControl(this.db, this.store.catalog);
    const tokens = new TokenStore(this.db);
    tokens.onRevoked((name) => this.closeConnectionsOf(name));
    const subscriptions = new Subscriptions(this.config.subscriptionLimits, (line) => this.log.info(line));
    const notifyErrors = new NotifyErrors(subscriptions);
    subscriptions.register(notifyErrors.family());
    subscriptions.register(tableTopics(this.store, access, subscriptions));
    this.runtime = createRuntime(this.db, this.store, this.config, this.log, subscriptions, process.env);
    const inspector = new WorkspaceInspector(
      this.runtime,
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
    this.inspector = inspector;
    this.terminals = terminals;
    const mesh = new Mesh({
      node: this.config.nodeName,
      db: this.db,
      store: this.store,
      access,
      log: this.log,
      subscriptions,
      configDir: this.paths.configDir,
      dataDir: this.paths.dataDir,
      listen: this.config.meshListen,
      settings: this.config.mesh,
    });
    this.mesh = mesh;
    const services: DaemonServices = {
      ...this.runtime,
      inspector,
      terminals,
      store: this.store,
      access,
      tokens,
      subscriptions,
      mesh,
      log: this.log,
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
        resources: resources(this.paths.dataDir),
      }),
    };
    const dispatcher = new Dispatcher(createHandlers(services), this.log, notifyErrors, (connection) => {
      this.connections.delete(connection);
      subscriptions.drop(connection);
    });
    const addon = loadNativeAddon();
    const identities = new LocalIdentities(addon, this.log);
    const gid = this.config.socketGroup === undefined ? undefined : groupIdOf(addon, this.config.socketGroup);
    this.server = await listenUnix(
      this.paths.socket,
      (socket: Socket) => {
        if (this.stopping) {
          socket.destroy();
          return;
        }
        const identity = identities.identify(socket);
        const peer = identity.pid === undefined ? 'local' : `pid ${identity.pid}`;
        this.connections.add(new Connection(socket, identity, dispatcher, this.config, this.log, 'unix', peer));
      },
      gid,
    );
    if (this.config.listen !== undefined) await this.listenRemote(this.config.listen, dispatcher);
    await mesh.start();
  }

  private async listenRemote(listen: string, dispatcher: Dispatcher): Promise<void> {
    const address = parseAddress(listen);
    const files = await nodeTlsFiles(this.paths.configDir, this.config.nodeName, [address.host], '--listen');
    this.tlsServer = await listenTls(address, files, this.log, (socket, identity) => {
      if (this.stopping) {
        socket.destroy();
        return;
      }
      const connection = new Connection(socket, identity, dispatcher, this.config, this.log, 'tls', peerOf(socket));
      this.connections.add(connection);
    });
    const bound = this.tlsServer.address() as AddressInfo;
    this.tlsAddress = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
    this.log.info(`tls listening on ${this.tlsAddress}`);
  }

  /** A revoked token takes effect at once: connections authenticated with it are closed. */
  private closeConnectionsOf(tokenName: string): void {
    for (const connection of this.connections) {
      if (connection.identity.via === 'token' && connection.identity.name === tokenName) {
        this.log.info(`connection ${connection.id}: closed, its token ${tokenName} was revoked`);
        connection.close();
      }
    }
  }
}

function groupIdOf(addon: NativeAddon | { missing: string }, group: string): number {
  if ('missing' in addon) {
    throw new CortexError(
      'EINVAL',
      `A socket group (${group}) needs the native addon, which is not built: ${addon.missing}`,
    );
  }
  const gid = addon.groupId(group);
  if (gid === null) {
    throw new CortexError(
      'EINVAL',
      `The group ${group} does not exist: create it (groupadd ${group}) and add the users who may use the daemon.`,
    );
  }
  return gid;
}

function resources(dataDir: string): StatusResult['resources'] {
  const disk = statfsSync(dataDir);
  return {
    load1: Math.round(loadavg()[0]! * 100) / 100,
    memory_used: Math.round((1 - freemem() / totalmem()) * 1000) / 1000,
    disk_free: disk.bavail * disk.bsize,
  };
}
