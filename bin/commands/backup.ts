import { createReadStream, createWriteStream, openSync } from 'node:fs';
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
    const path = typeof options['output'] === 'string' ? options['output'] : undefined;
    const output = new Output(path === undefined ? context.stdout : createWriteStream(path), path);
    const encodeEntry = (entry: Entry) => (format === 'json' ? Buffer.from(`${toJson(entry)}\n`) : encode(entry));
    let count = 0;
    await withClient(context, async (client) => {
      const { tables } = await client.call('tables', {});
      const wanted = args.length > 0 ? args : tables.map((table) => table.name);
      for (const name of wanted) {
        const table = tables.find((candidate) => candidate.name === name);
        if (table === undefined) throw new CortexError('ENOTFOUND', `There is no table named ${JSON.stringify(name)}.`);
        const { attributes, indexes, replicate } = table;
        await output.write(encodeEntry({ table: name, definition: { attributes, indexes, replicate } }));
        let cursor: string | undefined;
        do {
          const page = await client.call('all', { table: name, cursor, limit: 1000, versions: true });
          const entries = page.records.map((record, index) => {
            const version = page.versions?.[index];
            return encodeEntry(version === undefined ? { table: name, record } : { table: name, record, version });
          });
          await output.write(Buffer.concat(entries));
          count += page.records.length;
          cursor = page.cursor ?? undefined;
        } while (cursor !== undefined);
      }
    });
    await output.end();
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
    const input = file === '-' ? (context.stdin as Readable) : openBackup(file);
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

function openBackup(file: string): Readable {
  try {
    return createReadStream('', { fd: openSync(file, 'r') });
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

/**
 * Where an export goes, a page at a time, waiting when the reader is slower. A file
 * that cannot be written (a full disk) is an error with its path; stdout's errors are
 * bin/closed-output.ts's.
 */
class Output {
  private failure: Error | undefined;
  private readonly failed: Promise<never>;

  constructor(
    private readonly stream: Writable,
    private readonly path: string | undefined,
  ) {
    this.failed = new Promise<never>((_, reject) => {
      if (path === undefined) return;
      stream.once('error', (error: NodeJS.ErrnoException) => {
        this.failure = new CortexError(
          error.code === 'ENOSPC' ? 'ENOSPC' : error.code === 'EACCES' ? 'EACCES' : 'EINVAL',
          `Cannot write ${path} (${error.code ?? error.message}).`,
        );
        reject(this.failure);
      });
    });
    this.failed.catch(() => undefined);
  }

  async write(data: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.stream.write(data)) return;
    await Promise.race([new Promise((resolve) => this.stream.once('drain', resolve)), this.failed]);
  }

  async end(): Promise<void> {
    if (this.path === undefined) return;
    await Promise.race([new Promise<void>((resolve) => this.stream.end(resolve)), this.failed]);
  }
}
