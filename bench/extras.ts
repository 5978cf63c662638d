import { formatRuntimeEvents, runRuntimeEventsBench } from './runtime-events.js';

/**
 * Benchmarks beyond the table store, each with its own anchor or target,
 * run after the store suites. BENCH_EXTRAS=events,... picks some; `none` skips them.
 */
export interface ExtraBench {
  name: string;
  title: string;
  run: () => Promise<string>;
}

export const EXTRAS: readonly ExtraBench[] = [
  {
    name: 'events',
    title: 'session events to subscribers',
    run: async () => formatRuntimeEvents(await runRuntimeEventsBench()),
  },
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
