import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { formatRuntimeEvents, runRuntimeEventsBench } from './runtime-events.js';

/**
 * Benchmarks beyond the table store, each with its own anchor or target, run
 * after the store suites. Each of the others is also a program of its own
 * (`node dist/bench/<name>.js`); here it runs as a child process and its report
 * is appended. BENCH_EXTRAS=events,mesh,... picks some; `none` skips them.
 */
export interface ExtraBench {
  name: string;
  title: string;
  run: () => Promise<string>;
}

function script(file: string): () => Promise<string> {
  const path = fileURLToPath(new URL(`./${file}`, import.meta.url));
  return () =>
    new Promise((resolve, reject) => {
      execFile(process.execPath, [path], { maxBuffer: 16 << 20, timeout: 15 * 60_000 }, (error, stdout) =>
        error ? reject(new Error(`${file}: ${error.message}`)) : resolve(stdout.trimEnd()),
      );
    });
}

export const EXTRAS: readonly ExtraBench[] = [
  {
    name: 'events',
    title: 'session events to subscribers',
    run: async () => formatRuntimeEvents(await runRuntimeEventsBench()),
  },
  { name: 'codex', title: 'Codex turns: app-server against exec', run: script('codex-turns.js') },
  { name: 'mesh', title: 'mesh replication', run: script('mesh.js') },
  { name: 'handshake', title: 'mesh handshake with pinning and revocation checked', run: script('handshake.js') },
  { name: 'pty', title: 'terminal throughput against tmux', run: script('pty.js') },
  { name: 'fs', title: 'fs_list of a 100,000-file tree', run: script('fs-list.js') },
  { name: 'tui', title: 'TUI first frame, key latency, memory', run: script('tui.js') },
  { name: 'markdown', title: "the Chat tab's Markdown renderer against a plain wrap", run: script('markdown.js') },
  { name: 'cli', title: 'CLI start-up against node -e 0 and redis-cli', run: script('cli-start.js') },
  { name: 'backup', title: 'export and import of 1,000,000 records against sqlite3', run: script('backup.js') },
  { name: 'tree', title: 'one tree: remote against local events, terminals, listings', run: script('tree.js') },
  { name: 'acl', title: 'identity checks on the get path', run: script('acl-check.js') },
];

export function selectedExtras(raw = process.env['BENCH_EXTRAS']): ExtraBench[] {
  if (raw === undefined || raw.trim() === '') return [...EXTRAS];
  if (raw.trim() === 'none') return [];
  const names = raw.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!EXTRAS.some((extra) => extra.name === name)) {
      throw new Error(
        `BENCH_EXTRAS: unknown benchmark ${name} (known: ${EXTRAS.map((extra) => extra.name).join(', ')})`,
      );
    }
  }
  return EXTRAS.filter((extra) => names.includes(extra.name));
}
