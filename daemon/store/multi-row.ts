/**
 * Multi-row INSERTs: a batch of rows goes in as statements of a few fixed sizes,
 * so that each statement call (binding, stepping, resetting, better-sqlite3's
 * result object) is paid once for many rows. Used by the store's puts and the
 * session event log.
 */

/** The `VALUES` list of `rows` copies of one row's placeholders. */
export function valuesList(row: string, rows: number): string {
  return Array<string>(rows).fill(row).join(', ');
}

/**
 * Splits `total` rows into statements of `sizes` (largest first, ending with 1),
 * calling `run(from, size)` for each in order.
 */
export function eachStatement(
  total: number,
  sizes: readonly number[],
  run: (from: number, size: number) => void,
): void {
  let from = 0;
  for (const size of sizes) for (; total - from >= size; from += size) run(from, size);
}

/** How many statements `eachStatement` makes for `total` rows. */
export function statementsFor(total: number, sizes: readonly number[]): number {
  let count = 0;
  let left = total;
  for (const size of sizes) {
    if (left === 0) break;
    count += Math.floor(left / size);
    left %= size;
  }
  return count;
}
