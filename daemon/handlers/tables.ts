import type { DaemonServices, HandlerTable } from './types.js';

/**
 * Tables: creating and dropping one is audited in the log (who, which
 * incarnation, on which node), as a replicated table's creation and drop reach
 * every node its policy names.
 */
export function tableHandlers({
  store,
  access,
  log,
}: DaemonServices): Pick<HandlerTable, 'create_table' | 'drop_table' | 'tables'> {
  return {
    create_table: (params, call) => {
      const table = store.createTable({ ...params, owner: call.identity.name });
      log.info(
        `audit: ${call.identity.name} created table ${table.name} (incarnation ${table.incarnation}, ${table.replicate}) on ${store.node}`,
      );
      return { ok: true, table };
    },
    drop_table: ({ name }, call) => {
      access.requireOwner(call.identity, name, 'drop');
      const table = store.dropTable(name, call.identity.name);
      access.forgetTable(name);
      log.info(
        `audit: ${call.identity.name} dropped table ${name} (incarnation ${table.incarnation}, ${table.replicate}, owner ${table.owner}) on ${store.node}`,
      );
      return { ok: true };
    },
    tables: (_params, call) => ({
      tables: store.catalog
        .list()
        .filter((table) => access.allows(call.identity, table.name, 'read'))
        .map((table) => ({ ...table, clashes: store.replica.clashesOf(table.name) })),
    }),
  };
}
