import type { DaemonServices, HandlerTable } from './types.js';

export function tableHandlers({ store }: DaemonServices): Pick<HandlerTable, 'create_table' | 'drop_table' | 'tables'> {
  return {
    create_table: (params, call) => ({ ok: true, table: store.createTable({ ...params, owner: call.identity }) }),
    drop_table: ({ name }) => {
      store.dropTable(name);
      return { ok: true };
    },
    tables: () => ({ tables: store.catalog.list() }),
  };
}
