import type { ErrorCode } from '../src/protocol/errors.js';

/** One place maps error codes to exit codes, so scripts can tell failures apart. */
const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  EINVAL: 2,
  ENOTFOUND: 3,
  EEXIST: 4,
  EACCES: 5,
  ECONFLICT: 6,
  ECONNREFUSED: 7,
  ETIMEDOUT: 7,
  ECLOSED: 7,
  EUNREACHABLE: 7,
  ENOSPC: 8,
  ETOOBIG: 9,
  EBUSY: 10,
};

export function exitCodeFor(code: ErrorCode): number {
  return EXIT_CODES[code] ?? 1;
}
