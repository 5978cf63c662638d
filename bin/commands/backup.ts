import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { toJson } from '../../src/json-values.js';
import { CortexError } from '../../src/protocol/errors.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { type Entry, readEntries } from '../backup-format.js';
import { type Command, line, withClient } from '../context.js';
import { exitCodeFor } from '../exit-codes.js';
import { type ImportCounts, importAll, importPartially } from '../import-backup.js';
import { required } from '../parse-input.js';

export const exportCommand: Command = {
  name: 'export',
  maxArgs: Number.POSITIVE_INFINITY,
  usage: 'export [TABLE...] [--format json|msgpack] [--output FILE]',
  summary:
    'Back up tables (all by default) with their definitions and versions, as JSON lines or a MessagePack ' +
    'stream, to stdout or a file; the records are read a page at a time, so any size streams.',
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
    line(context.stderr, `exported ${records(count)}`);
  },
};

export const importCommand: Command = {
  name: 'import',
  maxArgs: 1,
  usage: 'import FILE|- [--partial]',
  summary:
    'Restore a backup made by export (JSON lines or MessagePack, detected), creating missing tables; ' +
    'records merge by version. All or nothing: a bad line says where, and nothing is imported. ' +
    '--partial commits batch by batch and goes on past the records that fail.',
  options: { partial: { type: 'boolean' } },
  async run(context, args, options) {
    const file = required(args, 0, 'the backup file, or - for standard input');
    const input = file === '-' ? (context.stdin as Readable) : await openBackup(file);
    const source = file === '-' ? 'standard input' : file;
    const partial = options['partial'] === true;
    let counts: ImportCounts;
    try {
      counts = await withClient(context, async (client) => {
        const { max_message_bytes } = await client.call('status', {});
        const entries = readEntries(input, source);
        return partial
          ? importPartially(client, entries, max_message_bytes, (message) => line(context.stderr, message))
          : importAll(client, entries, max_message_bytes);
      });
    } finally {
      input.destroy();
    }
    const failed = partial ? `, ${counts.failed} failed` : '';
    line(context.stderr, `imported ${records(counts.imported)}, ${counts.skipped} skipped by version${failed}`);
    return counts.firstFailure === undefined ? 0 : exitCodeFor(counts.firstFailure.code);
  },
};

/** `1 record`, `2 records`. */
export function records(count: number): string {
  return `${count} ${count === 1 ? 'record' : 'records'}`;
}

async function openBackup(file: string): Promise<Readable> {
  try {
    return (await open(file, 'r')).createReadStream();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CortexError('ENOTFOUND', `There is no backup file ${file}.`);
    if (code === 'EACCES' || code === 'EPERM') throw new CortexError('EACCES', `Cannot read the backup file ${file}.`);
    throw new CortexError('EINVAL', `Cannot read the backup file ${file} (${code ?? errorText(error)}).`);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function writeWithBackpressure(stream: Writable, data: string | Buffer): Promise<void> | void {
  if (stream.write(data)) return;
  return new Promise((resolve) => stream.once('drain', resolve));
}
