import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { Client } from '../../src/client/client.js';
import { fromJson, toJson } from '../../src/json-values.js';
import { CortexError } from '../../src/protocol/errors.js';
import { FrameScanner } from '../../src/protocol/frame-scanner.js';
import { Decoder } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import type { ReplicationPolicy, StoredRecord } from '../../src/protocol/store-types.js';
import { isPlainMap } from '../../src/protocol/validate.js';
import type { VersionTuple } from '../../src/protocol/methods.js';
import { type Command, line, withClient } from '../context.js';
import { required } from '../parse-input.js';

/**
 * The backup format: one entry per line (JSON) or per value (a MessagePack
 * stream). A table's definition comes before its records, each with its version
 * (hybrid logical clock and node) so that a restore merges by last-writer-wins
 * instead of overwriting: a record deleted or changed since the backup stays so.
 *   {"table": "users", "definition": {"attributes": [...], "indexes": [...], "replicate": "local"}}
 *   {"table": "users", "record": {...}, "version": [hlc, "node"]}
 * Entries without a version (older backups, hand-written files) are written as new puts.
 */
type Entry =
  | { table: string; definition: { attributes: string[]; indexes: string[]; replicate: ReplicationPolicy } }
  | { table: string; record: StoredRecord; version?: VersionTuple };

export const exportCommand: Command = {
  name: 'export',
  usage: 'export [TABLE...] [--format json|msgpack] [--output FILE]',
  summary: 'Back up tables (all by default) as JSON lines or a MessagePack stream, to stdout or a file.',
  options: { format: { type: 'string' }, output: { type: 'string' } },
  async run(context, args, options) {
    const format = options['format'] ?? 'json';
    if (format !== 'json' && format !== 'msgpack') {
      throw new CortexError('EINVAL', `--format must be json or msgpack, not ${JSON.stringify(format)}.`);
    }
    const output = typeof options['output'] === 'string' ? createWriteStream(options['output']) : context.stdout;
    const write = (entry: Entry) =>
      writeWithBackpressure(output, format === 'json' ? `${toJson(entry)}\n` : encode(entry));
    let count = 0;
    await withClient(context, async (client) => {
      const { tables } = await client.call('tables', {});
      const wanted = args.length > 0 ? args : tables.map((table) => table.name);
      for (const name of wanted) {
        const table = tables.find((candidate) => candidate.name === name);
        if (table === undefined) throw new CortexError('ENOTFOUND', `There is no table named ${JSON.stringify(name)}.`);
        const { attributes, indexes, replicate } = table;
        await write({ table: name, definition: { attributes, indexes, replicate } });
        let cursor: string | undefined;
        do {
          const page = await client.call('all', { table: name, cursor, limit: 1000, versions: true });
          for (const [index, record] of page.records.entries()) {
            const version = page.versions?.[index];
            await write(version === undefined ? { table: name, record } : { table: name, record, version });
          }
          count += page.records.length;
          cursor = page.cursor ?? undefined;
        } while (cursor !== undefined);
      }
    });
    if (output !== context.stdout)
      await new Promise<void>((resolve, reject) =>
        output.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
    line(context.stderr, `exported ${count} records`);
  },
};

export const importCommand: Command = {
  name: 'import',
  usage: 'import FILE|-',
  summary: 'Restore a backup made by export (JSON lines or MessagePack, detected); creates missing tables.',
  async run(context, args) {
    const file = required(args, 0, 'the backup file, or - for standard input');
    const input = file === '-' ? (context.stdin as Readable) : createReadStream(file);
    let count = 0;
    await withClient(context, async (client) => {
      const importer = new Importer(client);
      for await (const entry of readEntries(input)) await importer.add(entry);
      count = await importer.finish();
    });
    line(context.stderr, `imported ${count} records`);
  },
};

/** Sends records in batches, several batches in flight, creating tables as their definitions come. */
class Importer {
  private batch: StoredRecord[] = [];
  private versions: (VersionTuple | undefined)[] = [];
  private batchTable = '';
  private inFlight: Promise<unknown>[] = [];
  private count = 0;

  constructor(private readonly client: Client) {}

  async add(entry: MsgValue): Promise<void> {
    if (!isPlainMap(entry) || typeof entry['table'] !== 'string') {
      throw new CortexError('EINVAL', 'The backup holds an entry without a table name; is it a cortex export?');
    }
    const table = entry['table'];
    if (isPlainMap(entry['definition'])) {
      await this.send();
      await this.createTable(table, entry['definition']);
    } else if (isPlainMap(entry['record'])) {
      if (table !== this.batchTable) await this.send();
      this.batchTable = table;
      this.batch.push(entry['record']);
      this.versions.push(versionOf(entry['version']));
      if (this.batch.length >= 500) await this.send();
    } else {
      throw new CortexError('EINVAL', `The backup holds an entry for ${table} with neither a definition nor a record.`);
    }
  }

  async finish(): Promise<number> {
    await this.send();
    await Promise.all(this.inFlight);
    return this.count;
  }

  private async createTable(name: string, definition: Record<string, MsgValue>): Promise<void> {
    await Promise.all(this.inFlight);
    this.inFlight = [];
    try {
      await this.client.call('create_table', {
        name,
        attributes: definition['attributes'] as string[],
        indexes: definition['indexes'] as string[] | undefined,
        replicate: definition['replicate'] as ReplicationPolicy | undefined,
      });
    } catch (error) {
      if (!(error instanceof CortexError && error.code === 'EEXIST')) throw error;
    }
  }

  private async send(): Promise<void> {
    if (this.batch.length === 0) return;
    const records = this.batch;
    const versions = this.versions;
    this.batch = [];
    this.versions = [];
    this.count += records.length;
    // A batch is restored by version only when every record in it has one.
    const versioned = versions.every((version) => version !== undefined);
    this.inFlight.push(
      this.client.call('put_many', {
        table: this.batchTable,
        records,
        versions: versioned ? versions : undefined,
      }),
    );
    if (this.inFlight.length >= 4) {
      await Promise.all(this.inFlight);
      this.inFlight = [];
    }
  }
}

function versionOf(value: MsgValue | undefined): VersionTuple | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [hlc, node] = value;
  return typeof hlc === 'number' && typeof node === 'string' ? [hlc, node] : undefined;
}

/** Yields the entries of a backup, JSON lines or MessagePack, decided by its first byte. */
async function* readEntries(input: Readable): AsyncGenerator<MsgValue> {
  let format: 'json' | 'msgpack' | undefined;
  let text = '';
  let lineNumber = 0;
  const scanner = new FrameScanner();
  const decoder = new Decoder();
  let pending: Buffer[] = [];
  for await (const chunk of input as AsyncIterable<Buffer>) {
    format ??= chunk[0] === 0x7b || chunk[0] === 0x0a || chunk[0] === 0x20 ? 'json' : 'msgpack';
    if (format === 'json') {
      text += chunk.toString('utf8');
      const lines = text.split('\n');
      text = lines.pop() ?? '';
      for (const jsonLine of lines) {
        lineNumber++;
        if (jsonLine.trim() !== '') yield parseLine(jsonLine, lineNumber);
      }
      continue;
    }
    let offset = 0;
    while (offset < chunk.length) {
      const end = scanner.scan(chunk, offset);
      if (end === -1) {
        pending.push(chunk.subarray(offset));
        break;
      }
      const bytes = Buffer.concat([...pending, chunk.subarray(offset, end)]);
      pending = [];
      yield decoder.decode(bytes);
      offset = end;
    }
  }
  if (text.trim() !== '') yield parseLine(text, lineNumber + 1);
  if (pending.length > 0) throw new CortexError('EINVAL', 'The backup ends in the middle of a MessagePack value.');
}

function parseLine(text: string, lineNumber: number): MsgValue {
  try {
    return fromJson(text);
  } catch (error) {
    throw new CortexError('EINVAL', `Line ${lineNumber} of the backup is not valid JSON: ${(error as Error).message}.`);
  }
}

function writeWithBackpressure(stream: Writable, data: string | Buffer): Promise<void> | void {
  if (stream.write(data)) return;
  return new Promise((resolve) => stream.once('drain', resolve));
}
