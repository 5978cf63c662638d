import { CortexError } from '../src/protocol/errors.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `500ms`, `5s`, `1.5s`, `2m`, `1h` in milliseconds; a bare number is milliseconds
 * (as `query --mesh --timeout 300` always took), and 0 means no deadline.
 */
export function parseDuration(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = match === null ? Number.NaN : Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']!);
  if (!Number.isSafeInteger(ms) || ms > 2_147_483_647) {
    throw new CortexError('EINVAL', `${what} must be a duration such as 500ms, 5s or 2m, not ${JSON.stringify(text)}.`);
  }
  return ms;
}
