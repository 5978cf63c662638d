import type { DaemonServices, HandlerTable } from './types.js';

export function tableHandlers({
  store,
  access,
}: DaemonServices): Pick<HandlerTable, 'create_table' | 'drop_table' | 'tables'> {
  return {
    create_table: (params, call) => ({ ok: true, table: store.createTable({ ...params, owner: call.identity.name }) }),
    drop_table: ({ name }, call) => {
      access.requireOwner(call.identity, name, 'drop');
      store.dropTable(name);
      access.forgetTable(name);
      return { ok: true };
    },
    tables: (_params, call) => ({
      tables: store.catalog.list().filter((table) => access.allows(call.identity, table.name, 'read')),
    }),
  };
}
