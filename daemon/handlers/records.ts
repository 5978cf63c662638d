import { CortexError } from '../../src/protocol/errors.js';
import { DEFAULT_PAGE } from '../../src/protocol/methods.js';
import { ANSWERED } from '../server/caller.js';
import type { DaemonServices, HandlerTable } from './types.js';

export function recordHandlers({
  store,
  access,
}: DaemonServices): Pick<HandlerTable, 'put' | 'put_many' | 'get' | 'delete' | 'match' | 'all' | 'count'> {
  return {
    // A put is the hot path: a request's answer is given by the store once the put is durable, with no promise.
    put: ({ table, record }, call) => {
      access.require(call.identity, table, 'write');
      if (call.answer === undefined) return store.put(table, record);
      store.putTo(call.answer, table, record);
      return ANSWERED;
    },
    put_many: async ({ table, records, versions }, call) => {
      access.require(call.identity, table, 'write');
      if (versions === undefined) {
        await store.putMany(table, records);
        return { ok: true, count: records.length };
      }
      if (versions.length !== records.length) {
        throw new CortexError('EINVAL', `versions must have one entry per record (${records.length}).`);
      }
      const count = await store.putVersioned(
        table,
        records,
        versions.map(([hlc, node]) => ({ hlc, node })),
      );
      return { ok: true, count };
    },
    get: ({ table, key }, call) => {
      access.require(call.identity, table, 'read');
      return { record: store.get(table, key) };
    },
    delete: async ({ table, key }, call) => {
      access.require(call.identity, table, 'write');
      return { ok: true, deleted: await store.delete(table, key) };
    },
    match: ({ table, pattern, limit }, call) => {
      access.require(call.identity, table, 'read');
      return store.match(table, pattern, limit ?? DEFAULT_PAGE);
    },
    all: ({ table, limit, cursor, versions, reverse }, call) => {
      access.require(call.identity, table, 'read');
      if (reverse !== true) return store.page(table, limit ?? DEFAULT_PAGE, cursor, versions === true);
      if (versions === true)
        throw new CortexError('EINVAL', 'versions are returned only in key order, not with reverse.');
      return store.pageBackward(table, limit ?? DEFAULT_PAGE, cursor);
    },
    count: ({ table }, call) => {
      access.require(call.identity, table, 'read');
      return { count: store.count(table) };
    },
  };
}
