import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import type { Client } from '../../src/client/client.js';
import { decode } from '../../src/protocol/msgpack-decode.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import type { TableChange } from '../../src/protocol/notifications.js';
import { homePaths } from '../../src/paths.js';
import { initCa, tlsPaths } from '../../daemon/tls/certificate-authority.js';
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
 * set up machines: `cortex ca init` once, then ca.crt and ca.key copied into
 * every node's config directory; each daemon issues its own node certificate
 * (CN = its node name) at start.
 */
export class TestMesh {
  readonly root = mkdtempSync(join(tmpdir(), 'cortex-mesh-'));
  readonly nodes = new Map<string, MeshNode>();
  private readonly caDir = join(this.root, 'ca');

  async init(): Promise<void> {
    await initCa(this.caDir);
  }

  /** Starts (or restarts, on the same home and port) a node. */
  async start(
    name: string,
    options: { config?: Record<string, unknown>; env?: Record<string, string>; port?: number; args?: string[] } = {},
  ): Promise<MeshNode> {
    const home = join(this.root, name);
    const { configDir } = homePaths(home);
    mkdirSync(configDir, { recursive: true });
    const ca = tlsPaths(this.caDir);
    copyFileSync(ca.caCert, tlsPaths(configDir).caCert);
    copyFileSync(ca.caKey, tlsPaths(configDir).caKey);
    const previous = this.nodes.get(name);
    const port = options.port ?? previous?.port ?? 0;
    const daemon = await startDaemon({
      home,
      config: { ...FAST_MESH, ...(options.config ?? previous?.config) },
      env: options.env ?? {},
      args: ['--node-name', name, '--mesh-listen', `127.0.0.1:${port}`, ...(options.args ?? [])],
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

  /** Every row of a table, tombstones included, with versions, read from the database file. */
  rows(table: string): { k: unknown; v: MsgValue; hlc: number; node: string; del: number }[] {
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
