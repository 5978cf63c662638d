import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import type { Client } from '../../src/client/client.js';
import { decode } from '../../src/protocol/msgpack-decode.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import type { TableChange } from '../../src/protocol/notifications.js';
import { homePaths } from '../../src/paths.js';
import { PeerChannel } from '../../daemon/mesh/peer-channel.js';
import { dialPeer } from '../../daemon/mesh/peer-tls.js';
import { PROTOCOL } from '../../daemon/mesh/wire.js';
import { initCa, issueCertificate, tlsPaths } from '../../daemon/tls/certificate-authority.js';
import { VERSION } from '../../src/version.js';
import { writeNodeBundle } from '../../daemon/tls/node-bundle.js';
import { type DaemonHandle, startDaemon } from '../helpers/daemon.js';

/** Settings that make a mesh of test daemons quick to notice things, on 2 cores. */
export const FAST_MESH = {
  mesh_heartbeat_ms: 200,
  mesh_redial_max_ms: 400,
  mesh_gc_interval_ms: 100,
  log_level: 'info',
};

/**
 * A set of real daemons on loopback sharing one CA, the way the README says to
 * set up machines: `cortex ca init` once on a machine of its own (`caDir`, whose
 * ca.key no node ever gets), then for each node `cortex ca issue node --out` into
 * its config directory: ca.crt, node.crt and node.key (CN = its node name).
 */
export class TestMesh {
  readonly root = mkdtempSync(join(tmpdir(), 'cortex-mesh-'));
  readonly nodes = new Map<string, MeshNode>();
  /** The CA machine's config directory: ca.key lives here and nowhere else. */
  readonly caDir: string;

  /** `caOn`: the node that is the CA machine (it holds ca.key and issues its own certificate); else a machine apart. */
  constructor(options: { caOn?: string } = {}) {
    this.caDir = options.caOn === undefined ? join(this.root, 'ca') : this.configDir(options.caOn);
  }

  async init(): Promise<void> {
    await initCa(this.caDir);
  }

  /** The config directory of a node's home. */
  configDir(name: string): string {
    return homePaths(join(this.root, name)).configDir;
  }

  /** Starts (or restarts, on the same home and port) a node. */
  async start(
    name: string,
    options: {
      config?: Record<string, unknown>;
      env?: Record<string, string>;
      port?: number;
      args?: string[];
      /** The node name, when it is not the home's `name` (an impostor of another node). */
      node?: string;
      /** A certificate and key (PEM) to install instead of a fresh one from the CA: an expired one, a client's... */
      certificate?: { cert: string; key: string };
    } = {},
  ): Promise<MeshNode> {
    const home = join(this.root, name);
    const { configDir } = homePaths(home);
    const nodeName = options.node ?? name;
    mkdirSync(configDir, { recursive: true });
    const own = tlsPaths(configDir);
    if (options.certificate !== undefined) {
      writeFileSync(own.caCert, readFileSync(tlsPaths(this.caDir).caCert));
      writeFileSync(own.nodeCert, options.certificate.cert);
      writeFileSync(own.nodeKey, options.certificate.key, { mode: 0o600 });
    } else if (!existsSync(own.nodeCert)) {
      // Issued once on the CA machine and kept, as on a real node, across restarts.
      await writeNodeBundle(this.caDir, { name: nodeName, hosts: [] }, configDir, false);
    }
    const previous = this.nodes.get(name);
    const port = options.port ?? previous?.port ?? 0;
    const daemon = await startDaemon({
      home,
      config: { ...FAST_MESH, ...(options.config ?? previous?.config) },
      env: options.env ?? {},
      args: ['--node-name', nodeName, '--mesh-listen', `127.0.0.1:${port}`, ...(options.args ?? [])],
    });
    // The mesh listener opens last, after the socket and any TLS listener.
    const address = await eventually(
      `${name}'s mesh listener`,
      () => /mesh listening on (\S+)/.exec(daemon.stderr())?.[1],
    );
    const client = await daemon.connect();
    const node = new MeshNode(name, daemon, client, address, options.config ?? previous?.config ?? {});
    this.nodes.set(name, node);
    return node;
  }

  node(name: string): MeshNode {
    return this.nodes.get(name)!;
  }

  async cleanup(): Promise<void> {
    for (const node of this.nodes.values()) await node.kill();
    // A CLI call made while a node was down starts a daemon of its own in that home
    // (autostart): end it too, by the pid in its lock file.
    for (const name of this.nodes.keys()) {
      const lock = join(homePaths(join(this.root, name)).dataDir, 'daemon.lock');
      const pid = existsSync(lock) ? Number(readFileSync(lock, 'utf8').trim()) : NaN;
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

export class MeshNode {
  constructor(
    readonly name: string,
    readonly daemon: DaemonHandle,
    readonly client: Client,
    readonly address: string,
    readonly config: Record<string, unknown>,
  ) {}

  get port(): number {
    return Number(this.address.split(':').pop());
  }

  get dbFile(): string {
    return join(this.daemon.dataDir, 'cortex.db');
  }

  async connect(other: MeshNode): Promise<void> {
    await this.client.call('cluster_connect', { node: other.address });
  }

  /** SIGKILL: no chance to flush or say goodbye. */
  async kill(): Promise<void> {
    this.client.close();
    await this.daemon.kill();
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.daemon.stop();
  }

  /**
   * Every row of a table, tombstones included, with versions, read from the database file once
   * every acknowledged put is committed to it (see untilJournalEmpty).
   */
  rows(table: string): { k: unknown; v: MsgValue; hlc: number; node: string; del: number }[] {
    const { exitCode, signalCode } = this.daemon.process;
    // A stopped daemon committed on its way out; a killed one's journal waits for its next start.
    if (exitCode === null && signalCode === null) untilJournalEmpty(this.daemon.dataDir);
    const db = new BetterSqlite3(this.dbFile, { readonly: true, fileMustExist: true });
    try {
      const exists = db.prepare('SELECT 1 FROM sqlite_master WHERE name = ?').get(`t_${table}`);
      if (exists === undefined) return [];
      const rows = db.prepare(`SELECT k, v, hlc, node, del FROM "t_${table}" ORDER BY k`).all() as {
        k: unknown;
        v: Buffer | null;
        hlc: number;
        node: string;
        del: number;
      }[];
      return rows.map((row) => ({ ...row, v: row.v === null ? null : decode(row.v) }));
    } finally {
      db.close();
    }
  }

  /** The live records of a table in key order, as `all` returns them. */
  async records(table: string): Promise<MsgValue[]> {
    const out: MsgValue[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.call('all', { table, cursor, limit: 1000 });
      out.push(...page.records);
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    return out;
  }
}

/**
 * Waits until the daemon's put journal is empty: acknowledged puts reach the database file
 * within the commit interval (10 ms), and the journal is emptied by each commit, so once it is
 * empty every put acknowledged before the wait began is in the file. Synchronous, for the
 * synchronous `rows`; bounded, so a daemon that never commits fails the test instead of hanging it.
 */
export function untilJournalEmpty(dataDir: string, timeoutMs = 10_000): void {
  const journal = join(dataDir, 'cortex.puts');
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while ((statSync(journal, { throwIfNoEntry: false })?.size ?? 0) > 0) {
    if (Date.now() > deadline) throw new Error(`the put journal ${journal} was not emptied within ${timeoutMs} ms`);
    Atomics.wait(pause, 0, 0, 2);
  }
}

/**
 * Waits until `check` returns something other than undefined. Used only as a
 * convergence check where no single event says "done" (several nodes settling);
 * each round is a real read of the daemons, and the deadline turns a hang into a
 * failure that says what was awaited.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    }
    await delay(25);
  }
}

/** Resolves with the first `table_change` on `client` that satisfies `match` (subscribe first). */
export function nextChange(client: Client, match: (change: TableChange) => boolean): Promise<TableChange> {
  return new Promise((resolve) => {
    const off = client.onNotification('table_change', (change) => {
      if (match(change)) {
        off();
        resolve(change);
      }
    });
  });
}

/** Waits until every node's live rows of `table` are identical (data and versions); returns them. */
export async function converged(nodes: MeshNode[], table: string, timeoutMs = 30_000) {
  return eventually(
    `${nodes.map((node) => node.name).join(', ')} to hold identical copies of ${table}`,
    () => {
      const dumps = nodes.map((node) => node.rows(table).filter((row) => row.del === 0));
      const first = JSON.stringify(dumps[0]);
      return dumps.every((dump) => JSON.stringify(dump) === first) ? dumps[0]! : undefined;
    },
    timeoutMs,
  );
}

/**
 * A compromised node of the mesh: a valid node certificate `name` from the mesh's CA (a machine apart),
 * linked to `target` over its own mutual-TLS socket and speaking the peer protocol by hand. It says hello
 * and nothing more: the test sends what it likes (`notify`, `request`). `requests` answers what the target
 * asks of it (by default: nothing, ever).
 */
export async function roguePeer(
  mesh: TestMesh,
  name: string,
  target: MeshNode,
  requests: (method: string, params: Record<string, MsgValue>) => unknown = () => new Promise(() => undefined),
): Promise<PeerChannel> {
  const issued = await issueCertificate(mesh.caDir, { commonName: name, kind: 'node', hosts: ['127.0.0.1'] });
  const files = {
    cert: join(mesh.root, `${name}.crt`),
    key: join(mesh.root, `${name}.key`),
    ca: tlsPaths(mesh.caDir).caCert,
  };
  writeFileSync(files.cert, issued.cert);
  writeFileSync(files.key, issued.key, { mode: 0o600 });
  const socket = await dialPeer(target.address, files, { checkHost: false });
  const rogue = new PeerChannel(socket, 1 << 26, target.name);
  rogue.start({ notification: () => undefined, request: requests, closed: () => undefined });
  const hello = { proto: PROTOCOL, node: name, version: VERSION, clock: Date.now(), hlc: 0, checkpoint: 0, seen: 0 };
  rogue.notify('hello', { ...hello, resync: false, horizons: [] });
  return rogue;
}

/**
 * A heartbeat from the rogue peer `from`, telling of itself and of `others` (name and hops), each
 * fresh and well; the rest of it as a live peer with nothing to say sends it.
 */
export function rogueHeartbeat(rogue: PeerChannel, from: string, others: { node: string; hops: number }[] = []): void {
  const entry = ({ node, hops }: { node: string; hops: number }) => ({
    node,
    hops,
    age_ms: 0,
    summary: null,
    down: null,
  });
  rogue.notify('heartbeat', {
    clock: Date.now(),
    hlc: 0,
    head: 0,
    resources: { load: 0, mem_free: 0, mem_total: 0, disk_free: null },
    crl: 0,
    nodes: [entry({ node: from, hops: 0 }), ...others.map(entry)],
  });
}
