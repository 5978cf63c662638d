/** A duration as errors say it: 250 → `250 ms`, 1500 → `1.5 s`, 30000 → `30 s`. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}
