import { DEFAULT_PAGE } from '../../src/protocol/methods.js';
import type { DaemonServices, HandlerTable } from './types.js';

export function recordHandlers({
  store,
}: DaemonServices): Pick<HandlerTable, 'put' | 'put_many' | 'get' | 'delete' | 'match' | 'all'> {
  return {
    put: async ({ table, record }) => {
      await store.put(table, record);
      return { ok: true };
    },
    put_many: async ({ table, records }) => {
      await store.putMany(table, records);
      return { ok: true, count: records.length };
    },
    get: ({ table, key }) => ({ record: store.get(table, key) }),
    delete: async ({ table, key }) => ({ ok: true, deleted: await store.delete(table, key) }),
    match: ({ table, pattern, limit }) => store.match(table, pattern, limit ?? DEFAULT_PAGE),
    all: ({ table, limit, cursor }) => store.page(table, limit ?? DEFAULT_PAGE, cursor),
  };
}
