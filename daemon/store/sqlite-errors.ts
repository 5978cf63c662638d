import { CortexError } from '../../src/protocol/errors.js';

/** Maps SQLite's failures to the error codes clients see; anything unexpected stays internal. */
export function translateSqliteError(error: unknown): Error {
  if (error instanceof CortexError) return error;
  if (!(error instanceof Error)) return new Error(String(error));
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return error;
  if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE' || code === 'SQLITE_IOERR_SHMSIZE') {
    return new CortexError('ENOSPC', 'The disk is full: the write was not saved and nothing was changed.');
  }
  if (code === 'SQLITE_TOOBIG') {
    return new CortexError('ETOOBIG', 'The value is larger than the database accepts.');
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new CortexError('EBUSY', 'The database is busy; try again.');
  }
  return error;
}

/** Whether a write failed for want of room (a full disk, a file size limit, `max_page_count`). */
export function isDiskFull(error: unknown): boolean {
  const translated = translateSqliteError(error);
  return translated instanceof CortexError && translated.code === 'ENOSPC';
}
