import type { Database, Statement } from 'better-sqlite3';
import { CortexError } from '../../src/protocol/errors.js';
import { decode, rawBytesOf } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import type { VersionTuple } from '../../src/protocol/methods.js';
import { isRecordKey, type RecordKey, type StoredRecord } from '../../src/protocol/store-types.js';
import { checkDefinition, type NewTable, type Store } from './store.js';

/** A table definition as a backup carries it. */
export type ImportDefinition = Omit<NewTable, 'owner'>;

export interface ImportOutcome {
  /** Tables the import created (those that existed already were kept as they are). */
  created: string[];
  /** Records written. */
  written: number;
  /** Records with a version not newer than the one the table holds (changed or deleted since the backup). */
  skipped: number;
}

interface StagedImport {
  /** The connection that began it: only it may add to it, commit it or abort it. */
  owner: number;
  /** Definitions in the order the backup gave them. */
  definitions: Map<string, ImportDefinition>;
  /** Tables that records were staged for. */
  tables: Set<string>;
}

interface StagedRow {
  id: number;
  tbl: string;
  k: RecordKey;
  v: Buffer;
  hlc: number | null;
  node: string | null;
}

/** Staged rows are read back this many at a time (a statement cannot stay open while others write). */
const CHUNK = 1000;

/**
 * All-or-nothing restores. A backup arrives in many messages (a message is
 * bounded, a backup is not); each batch is checked as it comes (a table for its
 * records, a key on every record) and its records are staged in a temporary
 * table, outside the database file. Commit applies everything in one
 * transaction; a mistake anywhere, an abort, or the connection closing leaves the
 * tables as they were.
 */
export class ImportStaging {
  private readonly imports = new Map<string, StagedImport>();
  private readonly insert: Statement<[string, string, RecordKey, Uint8Array, number | null, string | null]>;
  private readonly chunk: Statement<[string, number, number], StagedRow>;
  private readonly remove: Statement<[string]>;
  private nextId = 1;

  constructor(
    db: Database,
    private readonly store: Store,
  ) {
    // In the temp schema: a connection-private file that SQLite deletes itself, crash included.
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS _import_rows (
      import TEXT NOT NULL, tbl TEXT NOT NULL, k NOT NULL, v BLOB NOT NULL, hlc INTEGER, node TEXT)`);
    db.exec('CREATE INDEX IF NOT EXISTS temp._import_rows_by_import ON _import_rows (import)');
    this.insert = db.prepare('INSERT INTO temp._import_rows (import, tbl, k, v, hlc, node) VALUES (?, ?, ?, ?, ?, ?)');
    this.chunk = db.prepare(
      'SELECT rowid AS id, tbl, k, v, hlc, node FROM temp._import_rows WHERE import = ? AND rowid > ? ORDER BY rowid LIMIT ?',
    );
    this.remove = db.prepare('DELETE FROM temp._import_rows WHERE import = ?');
  }

  begin(owner: number): string {
    const id = `i_${this.nextId++}`;
    this.imports.set(id, { owner, definitions: new Map(), tables: new Set() });
    return id;
  }

  /** A table the backup defines; created at commit unless it exists by then. */
  define(id: string, owner: number, definition: ImportDefinition): void {
    const staged = this.staged(id, owner);
    // Checked now, so that a mistake is reported where it is in the backup.
    checkDefinition({ ...definition, owner: '' }, this.store.node, 0);
    this.checkKey(definition);
    staged.definitions.set(definition.name, definition);
  }

  /**
   * Stages records for a table defined earlier in the backup or existing here.
   * A record without a valid key is refused with its index in `data`.
   */
  async stage(
    id: string,
    owner: number,
    table: string,
    records: StoredRecord[],
    versions: VersionTuple[] | undefined,
  ): Promise<number> {
    const staged = this.staged(id, owner);
    const keyName = this.keyOf(staged, table);
    if (versions !== undefined && versions.length !== records.length) {
      throw new CortexError('EINVAL', `versions must have one entry per record (${records.length}).`);
    }
    const rows = records.map((record, index) => {
      const key = Object.hasOwn(record, keyName) ? record[keyName] : undefined;
      if (!isRecordKey(key)) {
        throw new CortexError(
          'EINVAL',
          `The record's ${keyName}, the key of ${table}, must be a string or an integer.`,
          { index },
        );
      }
      return { key, bytes: rawBytesOf(record) ?? encode(record), version: versions?.[index] };
    });
    await this.store.transact(() => {
      for (const row of rows) {
        this.insert.run(id, table, row.key, row.bytes, row.version?.[0] ?? null, row.version?.[1] ?? null);
      }
    });
    staged.tables.add(table);
    return rows.length;
  }

  /** The tables an import would write to, for the caller's access checks before commit. */
  tablesOf(id: string, owner: number): { defined: string[]; written: string[] } {
    const staged = this.staged(id, owner);
    return { defined: [...staged.definitions.keys()], written: [...staged.tables] };
  }

  /** Applies an import in one transaction, and forgets it whatever happens. */
  commit(id: string, owner: number, identity: string): ImportOutcome {
    const staged = this.staged(id, owner);
    this.imports.delete(id);
    const outcome: ImportOutcome = { created: [], written: 0, skipped: 0 };
    try {
      this.store.restore((writer) => {
        for (const definition of staged.definitions.values()) {
          if (this.checkKey(definition)) continue;
          writer.createTable({ ...definition, owner: identity });
          outcome.created.push(definition.name);
        }
        for (let after = 0; ;) {
          const rows = this.chunk.all(id, after, CHUNK);
          for (const row of rows) {
            if (row.hlc === null || row.node === null) {
              writer.put(row.tbl, decode(row.v) as StoredRecord);
              outcome.written++;
            } else if (writer.merge(row.tbl, row.k, row.v, { hlc: row.hlc, node: row.node })) {
              outcome.written++;
            } else {
              outcome.skipped++;
            }
          }
          if (rows.length < CHUNK) break;
          after = rows[rows.length - 1]!.id;
        }
        this.remove.run(id);
      });
    } catch (error) {
      void this.discard(id);
      throw error;
    }
    return outcome;
  }

  abort(id: string, owner: number): Promise<void> {
    this.staged(id, owner);
    this.imports.delete(id);
    return this.discard(id);
  }

  /** The connection closed: its unfinished imports go. */
  dropOwner(owner: number): void {
    for (const [id, staged] of this.imports) {
      if (staged.owner !== owner) continue;
      this.imports.delete(id);
      void this.discard(id);
    }
  }

  private discard(id: string): Promise<void> {
    return this.store.transact(() => void this.remove.run(id)).catch(() => undefined);
  }

  /**
   * True when the table exists here already; it is kept as it is, but records keyed
   * by another attribute cannot go into it.
   */
  private checkKey(definition: ImportDefinition): boolean {
    if (!this.store.catalog.has(definition.name)) return false;
    const here = this.store.catalog.handle(definition.name).info.attributes[0];
    if (here !== definition.attributes[0]) {
      throw new CortexError(
        'ECONFLICT',
        `The backup's ${definition.name} is keyed by ${definition.attributes[0]}, but ${definition.name} here is keyed by ${here}.`,
      );
    }
    return true;
  }

  private staged(id: string, owner: number): StagedImport {
    const staged = this.imports.get(id);
    if (staged === undefined || staged.owner !== owner) {
      throw new CortexError('ENOTFOUND', `There is no import ${id} on this connection (it ended, or never began).`);
    }
    return staged;
  }

  private keyOf(staged: StagedImport, table: string): string {
    const defined = staged.definitions.get(table);
    if (defined !== undefined && !this.store.catalog.has(table)) return defined.attributes[0]!;
    if (this.store.catalog.has(table)) return this.store.catalog.handle(table).info.attributes[0]!;
    throw new CortexError(
      'ENOTFOUND',
      `There is no table named ${JSON.stringify(table)}, and the backup does not define it before its records.`,
    );
  }
}
