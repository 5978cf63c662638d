import type { Readable } from 'node:stream';
import { fromJson } from '../src/json-values.js';
import { CortexError } from '../src/protocol/errors.js';
import { FrameScanner } from '../src/protocol/frame-scanner.js';
import type { VersionTuple } from '../src/protocol/methods.js';
import { Decoder } from '../src/protocol/msgpack-decode.js';
import type { MsgValue } from '../src/protocol/msgpack-types.js';
import type { ReplicationPolicy, StoredRecord } from '../src/protocol/store-types.js';
import { isPlainMap } from '../src/protocol/validate.js';

/**
 * The backup format: one entry per line (JSON) or per value (a MessagePack
 * stream). A table's definition comes before its records, each with its version
 * (hybrid logical clock and node) so that a restore merges by last-writer-wins
 * instead of overwriting: a record deleted or changed since the backup stays so.
 *   {"table": "users", "definition": {"attributes": [...], "indexes": [...], "replicate": "local"}}
 *   {"table": "users", "record": {...}, "version": [hlc, "node"]}
 * Entries without a version (older backups, hand-written files) are written as new puts.
 */
export type Entry = DefinitionEntry | RecordEntry;

export interface Definition {
  attributes: string[];
  indexes: string[];
  replicate: ReplicationPolicy;
}

export interface DefinitionEntry {
  table: string;
  definition: Definition;
}

export interface RecordEntry {
  table: string;
  record: StoredRecord;
  version?: VersionTuple;
}

/** An entry read from a backup, with where it was (for messages) and its size in bytes there. */
export interface ReadEntry {
  entry: Entry;
  where: string;
  bytes: number;
}

/** A line that is not a valid entry; the lines after it can still be read. */
export interface BadEntry {
  error: CortexError;
  where: string;
}

/** Decides JSON or MessagePack from the first byte, and yields the backup's entries. */
export async function* readEntries(input: Readable, source: string): AsyncGenerator<ReadEntry | BadEntry> {
  const chunks = input as AsyncIterable<Buffer>;
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done === true) return;
  const rest: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => iterator };
  const json = first.value[0] === 0x7b || first.value[0] === 0x0a || first.value[0] === 0x20;
  yield* json ? jsonEntries(first.value, rest, source) : msgpackEntries(first.value, rest, source);
}

async function* jsonEntries(
  first: Buffer,
  rest: AsyncIterable<Buffer>,
  source: string,
): AsyncGenerator<ReadEntry | BadEntry> {
  let lineNumber = 0;
  for await (const line of lines(first, rest)) {
    lineNumber++;
    const text = line.toString('utf8');
    if (text.trim() === '') continue;
    const where = `line ${lineNumber} of ${source}`;
    try {
      yield { entry: toEntry(parseJson(text, where), where), where, bytes: line.length };
    } catch (error) {
      yield { error: error as CortexError, where };
    }
  }
}

function parseJson(text: string, where: string): MsgValue {
  try {
    return fromJson(text);
  } catch (error) {
    throw new CortexError('EINVAL', `${capitalize(where)} is not valid JSON: ${(error as Error).message}.`);
  }
}

/** Records of one table, one JSON object per line (`cortex put TABLE -`), as backup entries. */
export function* recordLines(table: string, text: string, source: string): Generator<ReadEntry | BadEntry> {
  let lineNumber = 0;
  for (const line of text.split('\n')) {
    lineNumber++;
    if (line.trim() === '') continue;
    const where = `line ${lineNumber} of ${source}`;
    try {
      const record = parseJson(line, where);
      if (!isPlainMap(record)) throw new CortexError('EINVAL', `${capitalize(where)} is not a JSON object.`);
      yield { entry: { table, record }, where, bytes: Buffer.byteLength(line) };
    } catch (error) {
      yield { error: error as CortexError, where };
    }
  }
}

/** Lines as bytes; each chunk is searched once, so a line of many megabytes costs linear time. */
async function* lines(first: Buffer, rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  const split = function* (chunk: Buffer): Generator<Buffer> {
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      pending.push(chunk.subarray(start, end));
      yield pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      pending = [];
      start = end + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  };
  yield* split(first);
  for await (const chunk of rest) yield* split(chunk);
  if (pending.length > 0) yield Buffer.concat(pending);
}

async function* msgpackEntries(
  first: Buffer,
  rest: AsyncIterable<Buffer>,
  source: string,
): AsyncGenerator<ReadEntry | BadEntry> {
  const scanner = new FrameScanner();
  const decoder = new Decoder();
  let pending: Buffer[] = [];
  let count = 0;
  const split = function* (chunk: Buffer): Generator<ReadEntry | BadEntry> {
    let offset = 0;
    while (offset < chunk.length) {
      const where = `value ${count + 1} of ${source}`;
      let end: number;
      try {
        end = scanner.scan(chunk, offset);
      } catch (error) {
        throw new CortexError('EINVAL', `${capitalize(where)} is not MessagePack: ${(error as Error).message}`);
      }
      if (end === -1) {
        pending.push(chunk.subarray(offset));
        return;
      }
      const bytes =
        pending.length === 0 ? chunk.subarray(offset, end) : Buffer.concat([...pending, chunk.subarray(offset, end)]);
      pending = [];
      count++;
      let entry: Entry;
      try {
        entry = toEntry(decoder.decode(bytes), where);
      } catch (error) {
        yield { error: error as CortexError, where };
        offset = end;
        continue;
      }
      yield { entry, where, bytes: bytes.length };
      offset = end;
    }
  };
  yield* split(first);
  for await (const chunk of rest) yield* split(chunk);
  if (pending.length > 0) {
    const where = `value ${count + 1} of ${source}`;
    throw new CortexError('EINVAL', `${capitalize(where)} is cut short: the backup ends in the middle of it.`);
  }
}

/** Checks an entry's shape; what the daemon checks (keys, definitions) it checks again. */
function toEntry(value: MsgValue, where: string): Entry {
  const fail = (what: string) => new CortexError('EINVAL', `${capitalize(where)} ${what}.`);
  if (!isPlainMap(value) || typeof value['table'] !== 'string') {
    throw fail('is not a backup entry (it has no table name; is this a cortex export?)');
  }
  const table = value['table'];
  const definition = value['definition'];
  if (isPlainMap(definition)) {
    const { attributes, indexes = [], replicate = 'local' } = definition;
    if (!isStringList(attributes) || !isStringList(indexes) || typeof replicate !== 'string') {
      throw fail(`defines ${table} without a list of attributes, a list of indexes and a policy`);
    }
    return { table, definition: { attributes, indexes, replicate: replicate as ReplicationPolicy } };
  }
  const record = value['record'];
  if (!isPlainMap(record)) throw fail(`holds neither a definition nor a record for ${table}`);
  const version = value['version'];
  if (version === undefined || version === null) return { table, record };
  if (
    !Array.isArray(version) ||
    version.length !== 2 ||
    typeof version[0] !== 'number' ||
    typeof version[1] !== 'string'
  ) {
    throw fail(`gives a version that is not [hlc, "node"]`);
  }
  return { table, record, version: [version[0], version[1]] };
}

function isStringList(value: MsgValue | undefined): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
