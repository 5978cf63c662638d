import { CortexError } from '../../src/protocol/errors.js';
import { toJson } from '../../src/json-values.js';
import { parseReplicationPolicy, type TableClash } from '../../src/protocol/store-types.js';
import { type Command, line, withClient } from '../context.js';
import { printTable } from '../table-output.js';
import { required } from '../parse-input.js';

export const tablesCommand: Command = {
  name: 'tables',
  usage: 'tables [--json]',
  summary: 'List the tables: key, attributes, indexes, replication, owner, name clashes.',
  async run(context) {
    const { tables } = await withClient(context, (client) => client.call('tables', {}));
    if (context.global.json) {
      for (const table of tables) line(context.stdout, toJson(table));
      return;
    }
    if (tables.length === 0) {
      line(context.stderr, 'No tables yet: cortex create_table NAME KEY,ATTR,... creates one.');
      return;
    }
    const rows = [
      ['TABLE', 'ATTRIBUTES (KEY FIRST)', 'INDEXES', 'REPLICATE', 'OWNER', 'CLASH'],
      ...tables.map((table) => [
        table.name,
        table.attributes.join(','),
        table.indexes.join(',') || '-',
        table.replicate,
        table.owner,
        clashText(table.clashes),
      ]),
    ];
    printTable(context.stdout, rows);
    for (const table of tables.filter((candidate) => candidate.clashes.length > 0)) {
      line(
        context.stderr,
        `${table.name} clashes with another table of that name on the mesh: neither is merged; drop one of them to resolve it.`,
      );
    }
  },
};

/** Who else has a table of this name: where it was created and whose it is. */
function clashText(clashes: readonly TableClash[]): string {
  if (clashes.length === 0) return '-';
  const seen = new Map(clashes.map((clash) => [clash.incarnation, `${clash.owner}'s on ${clash.node}`]));
  return [...seen.values()].join(', ');
}

export const createTableCommand: Command = {
  name: 'create_table',
  aliases: ['create-table'],
  usage: 'create_table NAME KEY,ATTR,... [--indexes A,B] [--replicate local|mesh|peers:a,b]',
  summary: 'Create a table; the first attribute is the key.',
  options: { indexes: { type: 'string' }, replicate: { type: 'string' } },
  async run(context, args, options) {
    const name = required(args, 0, 'the table name');
    const attributes = required(args, 1, 'the attributes, comma separated')
      .split(',')
      .map((item) => item.trim());
    const indexes =
      typeof options['indexes'] === 'string' ? options['indexes'].split(',').map((item) => item.trim()) : undefined;
    const replicateText = options['replicate'] as string | undefined;
    const replicate = replicateText === undefined ? undefined : parseReplicationPolicy(replicateText);
    if (replicateText !== undefined && replicate === undefined) {
      throw new CortexError(
        'EINVAL',
        `--replicate must be local, mesh or peers:NODE,NODE, not ${JSON.stringify(replicateText)}.`,
      );
    }
    const { table } = await withClient(context, (client) =>
      client.call('create_table', { name, attributes, indexes, replicate }),
    );
    line(context.stdout, context.global.json ? toJson(table) : `created ${table.name} (key ${table.attributes[0]})`);
  },
};

export const dropTableCommand: Command = {
  name: 'drop_table',
  aliases: ['drop-table'],
  usage: 'drop_table NAME',
  summary: 'Drop a table and all its records.',
  async run(context, args) {
    const name = required(args, 0, 'the table name');
    await withClient(context, (client) => client.call('drop_table', { name }));
    line(context.stdout, context.global.json ? toJson({ ok: true }) : `dropped ${name}`);
  },
};
