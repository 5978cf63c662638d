import type { Client } from '../src/client/client.js';
import { CortexError, errorCode, errorMessage } from '../src/protocol/errors.js';
import type { VersionTuple } from '../src/protocol/methods.js';
import type { StoredRecord } from '../src/protocol/store-types.js';
import type { BadEntry, DefinitionEntry, ReadEntry, RecordEntry } from './backup-format.js';

export interface ImportCounts {
  /** Records written. */
  imported: number;
  /** Records whose version was not newer than what the table holds. */
  skipped: number;
  /** Records (or lines) that could not be imported; only --partial goes on past one. */
  failed: number;
  /** The first failure's code, for the exit status. */
  firstFailure?: CortexError;
}

type RecordRead = ReadEntry & { entry: RecordEntry };

type Step =
  | { kind: 'definition'; read: ReadEntry & { entry: DefinitionEntry } }
  | { kind: 'records'; table: string; reads: RecordRead[] }
  | { kind: 'bad'; bad: BadEntry };

/** Batches in flight at once: enough to keep the daemon busy while the next is read. */
const IN_FLIGHT = 4;
const MAX_BATCH_RECORDS = 1000;
const MAX_BATCH_BYTES = 1024 * 1024;

/**
 * Restores entries (a backup's, or `put TABLE -`'s lines) all or nothing: records are sent in batches bounded by bytes
 * as well as count (a message is limited; a record of any size that `put` took
 * travels alone), staged by the daemon, and committed in one transaction. The
 * first mistake (a bad line, a record without its key, a table the backup never
 * defines) stops it with where it is, and nothing is committed.
 */
export async function importAll(
  client: Client,
  entries: AsyncIterable<ReadEntry | BadEntry> | Iterable<ReadEntry | BadEntry>,
  maxMessageBytes: number,
): Promise<ImportCounts> {
  const { import: id } = await client.call('import_begin', {});
  try {
    await stageAll(client, id, entries, maxMessageBytes);
  } catch (error) {
    // The connection closes after this, and the daemon drops what was staged.
    throw new CortexError(errorCode(error) ?? 'EINTERNAL', `${errorMessage(error)} Nothing was imported.`);
  }
  try {
    const { written, skipped } = await client.call('import_commit', { import: id });
    return { imported: written, skipped, failed: 0 };
  } catch (error) {
    if (!isLinkFailure(error))
      throw new CortexError(errorCode(error) ?? 'EINTERNAL', `${errorMessage(error)} Nothing was imported.`);
    throw new CortexError(
      errorCode(error)!,
      `${errorMessage(error)} The daemon may have committed the import or not: look before importing again.`,
    );
  }
}

async function stageAll(
  client: Client,
  id: string,
  entries: AsyncIterable<ReadEntry | BadEntry> | Iterable<ReadEntry | BadEntry>,
  maxMessageBytes: number,
): Promise<void> {
  const pipeline = new Pipeline();
  for await (const step of steps(entries, batchBytes(maxMessageBytes))) {
    if (step.kind === 'bad') throw step.bad.error;
    if (step.kind === 'definition') {
      await pipeline.drain();
      const { table, definition } = step.read.entry;
      await client.call('import_table', { import: id, name: table, ...definition }).catch((error: unknown) => {
        throw located(step.read.where, error);
      });
      continue;
    }
    const { table, reads } = step;
    await pipeline.add(
      client
        .call('import_records', { import: id, table, records: reads.map(recordOf), versions: versionsOf(reads) })
        .catch((error: unknown) => {
          throw located(reads[indexOf(error, reads.length)]!.where, error);
        }),
    );
  }
  await pipeline.drain();
}

/**
 * `--partial`: batch by batch, each committed on its own, going on past what fails.
 * A batch that fails is sent again record by record, so that only the records at
 * fault are counted failed; each failure is reported through `report`.
 */
export async function importPartially(
  client: Client,
  entries: AsyncIterable<ReadEntry | BadEntry> | Iterable<ReadEntry | BadEntry>,
  maxMessageBytes: number,
  report: (message: string) => void,
): Promise<ImportCounts> {
  const counts: ImportCounts = { imported: 0, skipped: 0, failed: 0 };
  const fail = (where: string, error: unknown) => {
    counts.failed++;
    const failure = located(where, error);
    counts.firstFailure ??= failure;
    report(failure.message);
  };
  const pipeline = new Pipeline();
  for await (const step of steps(entries, batchBytes(maxMessageBytes))) {
    if (step.kind === 'bad') {
      fail(step.bad.where, step.bad.error);
    } else if (step.kind === 'definition') {
      await pipeline.drain();
      const { table, definition } = step.read.entry;
      await client.call('create_table', { name: table, ...definition }).catch((error: unknown) => {
        if (errorCode(error) !== 'EEXIST') fail(step.read.where, error);
      });
    } else {
      await pipeline.add(putBatch(client, step.table, step.reads, counts, fail));
    }
  }
  await pipeline.drain();
  return counts;
}

async function putBatch(
  client: Client,
  table: string,
  reads: RecordRead[],
  counts: ImportCounts,
  fail: (where: string, error: unknown) => void,
): Promise<void> {
  const send = (batch: RecordRead[]) =>
    client.call('put_many', { table, records: batch.map(recordOf), versions: versionsOf(batch) });
  try {
    const { count } = await send(reads);
    counts.imported += count;
    counts.skipped += reads.length - count;
    return;
  } catch (error) {
    if (isLinkFailure(error)) throw error;
  }
  for (const read of reads) {
    try {
      const { count } = await send([read]);
      counts.imported += count;
      counts.skipped += 1 - count;
    } catch (error) {
      if (isLinkFailure(error)) throw error;
      fail(read.where, error);
    }
  }
}

/** Without a daemon there is nothing to go on with, --partial or not. */
function isLinkFailure(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ECLOSED' || code === 'ETIMEDOUT' || code === 'ECONNREFUSED';
}

/** The entries grouped into steps: a definition alone, records in bounded batches of one table. */
async function* steps(
  entries: AsyncIterable<ReadEntry | BadEntry> | Iterable<ReadEntry | BadEntry>,
  maxBytes: number,
): AsyncGenerator<Step> {
  let batch: RecordRead[] = [];
  let bytes = 0;
  const flush = function* (): Generator<Step> {
    if (batch.length > 0) yield { kind: 'records', table: batch[0]!.entry.table, reads: batch };
    batch = [];
    bytes = 0;
  };
  for await (const read of entries) {
    if ('error' in read) {
      yield* flush();
      yield { kind: 'bad', bad: read };
    } else if ('definition' in read.entry) {
      yield* flush();
      yield { kind: 'definition', read: read as ReadEntry & { entry: DefinitionEntry } };
    } else {
      const previous = batch[0]?.entry;
      const fits =
        previous !== undefined &&
        previous.table === read.entry.table &&
        (previous.version === undefined) === (read.entry.version === undefined) &&
        batch.length < MAX_BATCH_RECORDS &&
        bytes + read.bytes <= maxBytes;
      if (!fits) yield* flush();
      batch.push(read as RecordRead);
      bytes += read.bytes;
    }
  }
  yield* flush();
}

/**
 * How many bytes of backup a batch may carry. A record's MessagePack is at most three
 * times its JSON (`0.1` is 3 characters and 9 bytes), so a batch stays well within the
 * daemon's message limit; a record larger than the bound goes alone.
 */
function batchBytes(maxMessageBytes: number): number {
  return Math.max(1, Math.min(MAX_BATCH_BYTES, Math.floor(maxMessageBytes / 8)));
}

function recordOf(read: RecordRead): StoredRecord {
  return read.entry.record;
}

/** A batch's versions; batches never mix records with and without one. */
function versionsOf(reads: RecordRead[]): VersionTuple[] | undefined {
  if (reads[0]?.entry.version === undefined) return undefined;
  return reads.map((read) => read.entry.version!);
}

/** The daemon names a bad record by its index in the batch, in the error's data. */
function indexOf(error: unknown, length: number): number {
  const data = (error as { data?: unknown }).data;
  const index = data !== null && typeof data === 'object' ? (data as { index?: unknown }).index : undefined;
  return typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < length ? index : 0;
}

/** The error, said of a place in the backup (unless it says where already). */
function located(where: string, error: unknown): CortexError {
  const message = errorMessage(error);
  const code = errorCode(error) ?? 'EINTERNAL';
  if (message.toLowerCase().startsWith(where.toLowerCase())) return new CortexError(code, message);
  return new CortexError(code, `${where.charAt(0).toUpperCase()}${where.slice(1)}: ${message}`);
}

/** At most IN_FLIGHT calls at once; the first failure is thrown by the next add or drain. */
class Pipeline {
  private running: Promise<void>[] = [];
  private failure: Error | undefined;

  async add(work: Promise<unknown>): Promise<void> {
    this.running.push(
      work.then(
        () => undefined,
        (error: unknown) => {
          this.failure ??= error instanceof Error ? error : new Error(String(error));
        },
      ),
    );
    if (this.running.length >= IN_FLIGHT) await this.running.shift();
    this.check();
  }

  async drain(): Promise<void> {
    await Promise.all(this.running);
    this.running = [];
    this.check();
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
