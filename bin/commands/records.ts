import { CortexError } from '../../src/protocol/errors.js';
import { fromJson, toJson } from '../../src/json-values.js';
import { isPlainMap } from '../../src/protocol/validate.js';
import { recordLines } from '../backup-format.js';
import { importAll } from '../import-backup.js';
import type { StoredRecord } from '../../src/protocol/store-types.js';
import { type CliContext, type Command, line, withClient } from '../context.js';
import { keyArgument, mapArgument, positiveInteger, required } from '../parse-input.js';
import { queryMesh } from './cluster.js';

export const putCommand: Command = {
  name: 'put',
  maxArgs: 2,
  usage: 'put TABLE \'{"id":"u1",...}\' | put TABLE - < RECORDS',
  summary:
    'Write a record (a JSON object holding the key attribute). With -, read one record, or ' +
    'JSON lines written all or nothing, from standard input: for values a command line cannot hold.',
  async run(context, args) {
    const table = required(args, 0, 'the table name');
    if (args[1] === '-') return putFromStdin(context, table);
    const record = mapArgument(args[1], 'the record', 2) as StoredRecord;
    await withClient(context, (client) => client.call('put', { table, record }));
    if (context.global.json) line(context.stdout, toJson({ ok: true }));
  },
};

/** One JSON object (pretty-printed or not), else one per line, all in one transaction. */
async function putFromStdin(context: CliContext, table: string): Promise<void> {
  const text = await readAll(context.stdin);
  const single = oneObject(text);
  if (single !== undefined) {
    await withClient(context, (client) => client.call('put', { table, record: single }));
    if (context.global.json) line(context.stdout, toJson({ ok: true, count: 1 }));
    return;
  }
  const { imported } = await withClient(context, async (client) => {
    const { max_message_bytes } = await client.call('status', {});
    return importAll(client, recordLines(table, text, 'standard input'), max_message_bytes);
  });
  if (context.global.json) line(context.stdout, toJson({ ok: true, count: imported }));
}

function oneObject(text: string): StoredRecord | undefined {
  if (text.trim() === '') throw new CortexError('EINVAL', 'Standard input is empty: there is no record to put.');
  try {
    const value = fromJson(text);
    return isPlainMap(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export const getCommand: Command = {
  name: 'get',
  maxArgs: 2,
  usage: 'get TABLE KEY',
  summary: 'Print a record as JSON; exits 3 when there is none.',
  async run(context, args) {
    const table = required(args, 0, 'the table name');
    const key = keyArgument(args[1], 2);
    const { record } = await withClient(context, (client) => client.call('get', { table, key }));
    if (record === null) throw new CortexError('ENOTFOUND', `${table} has no record with key ${JSON.stringify(key)}.`);
    line(context.stdout, toJson(record));
  },
};

export const deleteCommand: Command = {
  name: 'delete',
  maxArgs: 2,
  usage: 'delete TABLE KEY',
  summary: 'Delete a record; exits 3 when there was none.',
  async run(context, args) {
    const table = required(args, 0, 'the table name');
    const key = keyArgument(args[1], 2);
    const { deleted } = await withClient(context, (client) => client.call('delete', { table, key }));
    if (!deleted) throw new CortexError('ENOTFOUND', `${table} has no record with key ${JSON.stringify(key)}.`);
    if (context.global.json) line(context.stdout, toJson({ ok: true, deleted }));
  },
};

export const queryCommand: Command = {
  name: 'query',
  maxArgs: 2,
  aliases: ['match'],
  usage: 'query TABLE \'{"attr":value,...}\' [--limit N] [--mesh [--timeout DURATION]]',
  summary:
    'Print the records matching a pattern, one JSON object per line (operators: $gt $gte $lt $lte $prefix $in $ne $eq); --mesh asks every node.',
  options: { limit: { type: 'string' }, mesh: { type: 'boolean' } },
  async run(context, args, options) {
    if (options['mesh'] === true) return queryMesh(context, args, options);
    const table = required(args, 0, 'the table name');
    const pattern = mapArgument(args[1] ?? '{}', 'the pattern', 2);
    const limit = positiveInteger(options['limit'] as string | undefined, '--limit');
    const { records, truncated } = await withClient(context, (client) =>
      client.call('match', { table, pattern, limit }),
    );
    for (const record of records) line(context.stdout, toJson(record));
    if (truncated) line(context.stderr, `(more records match; raise --limit to see them)`);
  },
};

export const allCommand: Command = {
  name: 'all',
  maxArgs: 1,
  usage: 'all TABLE [--limit N]',
  summary: 'Print the records of a table in key order, one JSON object per line (all of them unless --limit).',
  options: { limit: { type: 'string' } },
  async run(context, args, options) {
    const table = required(args, 0, 'the table name');
    let left = positiveInteger(options['limit'] as string | undefined, '--limit') ?? Number.POSITIVE_INFINITY;
    await withClient(context, async (client) => {
      let cursor: string | undefined;
      do {
        const page = await client.call('all', { table, cursor, limit: Math.min(left, 1000) });
        for (const record of page.records) line(context.stdout, toJson(record));
        left -= page.records.length;
        cursor = page.cursor ?? undefined;
      } while (cursor !== undefined && left > 0);
    });
  },
};
