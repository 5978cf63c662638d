import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { CORTEX_BIN, mib, startBenchDaemon } from './bench-daemon.js';
import { findProgram } from './programs.js';

export interface Transfer {
  name: string;
  seconds: number;
  /** Bytes of the backup file (the JSON lines, or the SQL text). */
  bytes: number;
  recordsPerSec: number;
  mibPerSec: number;
}

export interface BackupBenchResult {
  records: number;
  transfers: Transfer[];
}

const BATCH = 1000;

/**
 * Backup and restore of a large table as a user runs them: `cortex export
 * --output FILE` and `cortex import FILE` as whole processes against real
 * daemons (the import into an empty one, all or nothing), beside the sqlite3
 * shell's `.dump` and `.read` of the same records in a plain table
 * `(id TEXT PRIMARY KEY, name TEXT, n INTEGER)`, in the same run.
 */
export async function runBackupBench(
  records = Number(process.env['BENCH_BACKUP_RECORDS'] ?? 1_000_000),
): Promise<BackupBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-backup-'));
  const transfers: Transfer[] = [];
  try {
    const source = await startBenchDaemon();
    const backup = join(dir, 'backup.jsonl');
    try {
      await source.client.call('create_table', { name: 'bench', attributes: ['id', 'name', 'n'] });
      for (let start = 0; start < records; start += BATCH) {
        const batch = Array.from({ length: Math.min(BATCH, records - start) }, (_, i) => recordAt(start + i));
        await source.client.call('put_many', { table: 'bench', records: batch });
      }
      transfers.push(
        timed('cortex export', records, backup, () =>
          cortex(['--home', source.home, 'export', 'bench', '--output', backup]),
        ),
      );
    } finally {
      await source.stop();
    }
    const target = await startBenchDaemon();
    try {
      transfers.push(timed('cortex import', records, backup, () => cortex(['--home', target.home, 'import', backup])));
      const { records: sample } = await target.client.call('all', { table: 'bench', limit: 1 });
      if (sample.length !== 1) throw new Error('the import restored nothing');
    } finally {
      await target.stop();
    }
    const sqlite3 = findProgram('sqlite3');
    if (sqlite3 !== undefined) transfers.push(...sqliteAnchor(sqlite3, records, dir));
    return { records, transfers };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** About 100 bytes of MessagePack each, as the store benchmark's records. */
function recordAt(i: number): { id: string; name: string; n: number } {
  return { id: `key-${String(i).padStart(9, '0')}`, name: `name ${i} `.padEnd(60, 'x'), n: i };
}

function cortex(args: string[]): void {
  const result = spawnSync(process.execPath, [CORTEX_BIN, '--timeout', '30m', ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`cortex ${args.join(' ')} failed: ${result.stderr}`);
}

function timed(name: string, records: number, file: string, work: () => void): Transfer {
  const started = performance.now();
  work();
  const seconds = (performance.now() - started) / 1000;
  const bytes = statSync(file).size;
  return { name, seconds, bytes, recordsPerSec: records / seconds, mibPerSec: bytes / 1024 / 1024 / seconds };
}

function sqliteAnchor(sqlite3: string, records: number, dir: string): Transfer[] {
  const original = join(dir, 'original.db');
  const db = new BetterSqlite3(original);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE bench (id TEXT PRIMARY KEY, name TEXT, n INTEGER)');
  const insert = db.prepare('INSERT INTO bench (id, name, n) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < records; i++) {
      const { id, name, n } = recordAt(i);
      insert.run(id, name, n);
    }
  })();
  db.close();
  const dump = join(dir, 'dump.sql');
  const restored = join(dir, 'restored.db');
  return [
    timed('sqlite3 .dump', records, dump, () => execFileSync(sqlite3, [original, `.output ${dump}`, '.dump'])),
    timed('sqlite3 .read', records, dump, () => execFileSync(sqlite3, [restored, `.read ${dump}`])),
  ];
}

export function formatBackup(result: BackupBenchResult): string {
  const byName = new Map(result.transfers.map((transfer) => [transfer.name, transfer]));
  const anchorOf: Record<string, string> = { 'cortex export': 'sqlite3 .dump', 'cortex import': 'sqlite3 .read' };
  const rows = result.transfers.map((transfer) => {
    const anchor = byName.get(anchorOf[transfer.name] ?? '');
    const ratio =
      anchor === undefined ? '' : `, ${(transfer.recordsPerSec / anchor.recordsPerSec).toFixed(2)}x ${anchor.name}`;
    return (
      `  ${transfer.name.padEnd(14)} ${transfer.seconds.toFixed(1).padStart(6)} s  ` +
      `${Math.round(transfer.recordsPerSec).toLocaleString('en-US').padStart(9)} records/s  ` +
      `${transfer.mibPerSec.toFixed(1).padStart(6)} MiB/s of ${mib(transfer.bytes)} MiB${ratio}`
    );
  });
  return [`backup and restore of ${result.records.toLocaleString('en-US')} records (~100 bytes each)`, ...rows].join(
    '\n',
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runBackupBench().then(
    (result) => console.log(formatBackup(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
