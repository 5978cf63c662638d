import type { DaemonServices, HandlerTable } from './types.js';

/** All-or-nothing restores (see ImportStaging); an import belongs to the connection that began it. */
export function importHandlers({
  imports,
  access,
  store,
}: DaemonServices): Pick<
  HandlerTable,
  'import_begin' | 'import_table' | 'import_records' | 'import_commit' | 'import_abort'
> {
  return {
    import_begin: (_params, call) => ({ import: imports.begin(call.caller.id) }),
    import_table: ({ import: id, ...definition }, call) => {
      imports.define(id, call.caller.id, definition);
      return { ok: true };
    },
    import_records: async ({ import: id, table, records, versions }, call) => {
      // A table the import creates will be the caller's; one that exists needs write access.
      if (store.catalog.has(table)) access.require(call.identity, table, 'write');
      return { ok: true, count: await imports.stage(id, call.caller.id, table, records, versions) };
    },
    import_commit: ({ import: id }, call) => {
      // Checked again: a table may have been created by someone else since its records were staged.
      for (const table of imports.tablesOf(id, call.caller.id).written) {
        if (store.catalog.has(table)) access.require(call.identity, table, 'write');
      }
      return { ok: true, ...imports.commit(id, call.caller.id, call.identity.name) };
    },
    import_abort: async ({ import: id }, call) => {
      await imports.abort(id, call.caller.id);
      return { ok: true };
    },
  };
}
