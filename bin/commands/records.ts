import { CortexError } from '../../src/protocol/errors.js';
import { toJson } from '../../src/json-values.js';
import type { StoredRecord } from '../../src/protocol/store-types.js';
import { type Command, line, withClient } from '../context.js';
import { keyArgument, mapArgument, positiveInteger, required } from '../parse-input.js';
import { queryMesh } from './cluster.js';

export const putCommand: Command = {
  name: 'put',
  usage: 'put TABLE \'{"id":"u1",...}\'',
  summary: 'Write a record (a JSON object holding the key attribute).',
  async run(context, args) {
    const table = required(args, 0, 'the table name');
    const record = mapArgument(args[1], 'the record', 2) as StoredRecord;
    await withClient(context, (client) => client.call('put', { table, record }));
    if (context.global.json) line(context.stdout, toJson({ ok: true }));
  },
};

export const getCommand: Command = {
  name: 'get',
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
  aliases: ['match'],
  usage: 'query TABLE \'{"attr":value,...}\' [--limit N] [--mesh [--timeout MS]]',
  summary:
    'Print the records matching a pattern, one JSON object per line (operators: $gt $gte $lt $lte $prefix $in $ne $eq); --mesh asks every node.',
  options: { limit: { type: 'string' }, mesh: { type: 'boolean' }, timeout: { type: 'string' } },
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
