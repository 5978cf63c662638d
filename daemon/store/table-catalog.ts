import type { Database, Statement } from 'better-sqlite3';
import { CortexError } from '../../src/protocol/errors.js';
import type { ReplicationPolicy, TableInfo } from '../../src/protocol/store-types.js';
import type { RecordCache, TableRecords } from './record-cache.js';
import { createTableStatements, indexColumn, tableSqlName } from './table-sql.js';
import type { Version } from './version.js';

/** A row as the mesh sees it: its version, whether it is a tombstone, and its bytes. */
export interface RowState {
  v: Buffer | null;
  hlc: number;
  node: string;
  del: number;
}

/** The prepared statements of one table, made once when the table is loaded or created. */
export interface TableHandle {
  info: TableInfo;
  /** Its records in the record cache: a new handle (a table created again) starts with none. */
  records: TableRecords;
  get: Statement<[unknown], Buffer>;
  /** Values: key, bytes, hlc, node, seq, src, then one per indexed attribute. */
  put: Statement<unknown[]>;
  /** Values: hlc, node, seq, key. */
  tombstone: Statement<[number, string, number, unknown]>;
  /** Writes a tombstone whether or not a row exists (a delete received from a peer): key, hlc, node, seq, src. */
  putTombstone: Statement<[unknown, number, string, number, string | null]>;
  /** The highest seq of the table's rows. */
  lastSeq: Statement<[], number | null>;
  /** The row's version, live or tombstone, without its bytes. */
  version: Statement<[unknown], Omit<RowState, 'v'>>;
  row: Statement<[unknown], RowState>;
  /** Removes a row for good (a collected tombstone). */
  remove: Statement<[unknown]>;
  page: Statement<[number], { k: unknown; v: Buffer }>;
  pageAfter: Statement<[unknown, number], { k: unknown; v: Buffer }>;
  pageVersions: Statement<[number], { k: unknown; v: Buffer; hlc: number; node: string }>;
  pageVersionsAfter: Statement<[unknown, number], { k: unknown; v: Buffer; hlc: number; node: string }>;
  /** The last keys first: the end of a table without reading it from its start. */
  pageDesc: Statement<[number], { k: unknown; v: Buffer }>;
  pageBefore: Statement<[unknown, number], { k: unknown; v: Buffer }>;
  count: Statement<[], number>;
}

interface TableRow {
  name: string;
  attributes: string;
  indexes: string;
  replicate: string;
  owner: string;
  created: number;
  hlc: number;
  node: string;
  incarnation: string;
}

/** The user tables: their definitions in `_tables` and their SQLite tables. */
export class TableCatalog {
  private readonly tables = new Map<string, TableHandle>();
  /** When and where each table was created: a definition received from a peer is compared by it. */
  private readonly versions = new Map<string, Version>();

  constructor(
    private readonly db: Database,
    /** A dropped table's cached records leave it with the table. */
    private readonly cache: RecordCache,
  ) {
    this.loadAll();
  }

  /**
   * Reads every definition again, after a transaction that created or dropped tables was rolled
   * back: SQLite undid them, and the handles here must follow, or a table the rollback removed
   * stays listed over a SQLite table that is gone. Their cached records go with the old handles.
   */
  reload(): void {
    this.cache.clear();
    this.tables.clear();
    this.versions.clear();
    this.loadAll();
  }

  private loadAll(): void {
    const rows = this.db
      .prepare('SELECT name, attributes, indexes, replicate, owner, created, hlc, node, incarnation FROM _tables')
      .all() as TableRow[];
    for (const row of rows) this.load(infoFromRow(row), { hlc: row.hlc, node: row.node });
  }

  /** The version of the table's creation. */
  versionOf(name: string): Version | undefined {
    return this.versions.get(name);
  }

  get size(): number {
    return this.tables.size;
  }

  handles(): IterableIterator<TableHandle> {
    return this.tables.values();
  }

  list(): TableInfo[] {
    return [...this.tables.values()].map((handle) => handle.info).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** The table, or ENOTFOUND. */
  handle(name: string): TableHandle {
    const handle = this.tables.get(name);
    if (handle === undefined) throw new CortexError('ENOTFOUND', `There is no table named ${JSON.stringify(name)}.`);
    return handle;
  }

  has(name: string): boolean {
    return this.tables.has(name);
  }

  /** The table, or undefined. */
  find(name: string): TableHandle | undefined {
    return this.tables.get(name);
  }

  /** Creates the SQLite table and its indexes and records the definition; the caller holds a transaction. */
  create(info: TableInfo, hlc: number, node: string): void {
    if (this.tables.has(info.name)) {
      throw new CortexError('EEXIST', `A table named ${JSON.stringify(info.name)} already exists.`);
    }
    for (const statement of createTableStatements(info)) this.db.exec(statement);
    this.db
      .prepare(
        'INSERT INTO _tables (name, attributes, indexes, replicate, owner, created, hlc, node, incarnation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        info.name,
        JSON.stringify(info.attributes),
        JSON.stringify(info.indexes),
        info.replicate,
        info.owner,
        info.created,
        hlc,
        node,
        info.incarnation,
      );
    this.load(info, { hlc, node });
  }

  /** Drops the SQLite table and forgets the definition; the caller holds a transaction. */
  drop(name: string): void {
    const { records } = this.handle(name);
    this.cache.forgetTable(records);
    this.db.exec(`DROP TABLE ${tableSqlName(name)}`);
    this.db.prepare('DELETE FROM _tables WHERE name = ?').run(name);
    this.tables.delete(name);
    this.versions.delete(name);
  }

  private load(info: TableInfo, version: Version): void {
    this.versions.set(info.name, version);
    const table = tableSqlName(info.name);
    const columns = ['k', 'v', 'hlc', 'node', 'del', 'seq', 'src', ...info.indexes.map(indexColumn)];
    const placeholders = columns.map((column) => (column === 'del' ? '0' : '?'));
    this.tables.set(info.name, {
      info,
      records: new Map(),
      get: this.db.prepare<[unknown], Buffer>(`SELECT v FROM ${table} WHERE k = ? AND del = 0`).pluck(),
      put: this.db.prepare(
        `INSERT OR REPLACE INTO ${table} (${columns.join(', ')}) VALUES (${placeholders.join(', ')})`,
      ),
      tombstone: this.db.prepare(
        `UPDATE ${table} SET v = NULL, del = 1, hlc = ?, node = ?, seq = ?, src = NULL${info.indexes
          .map((attribute) => `, ${indexColumn(attribute)} = NULL`)
          .join('')} WHERE k = ? AND del = 0`,
      ),
      putTombstone: this.db.prepare(
        `INSERT OR REPLACE INTO ${table} (${columns.join(', ')}) VALUES (?, NULL, ?, ?, 1, ?, ?${info.indexes
          .map(() => ', NULL')
          .join('')})`,
      ),
      lastSeq: this.db.prepare<[], number | null>(`SELECT max(seq) FROM ${table}`).pluck(),
      version: this.db.prepare(`SELECT hlc, node, del FROM ${table} WHERE k = ?`),
      row: this.db.prepare(`SELECT v, hlc, node, del FROM ${table} WHERE k = ?`),
      remove: this.db.prepare(`DELETE FROM ${table} WHERE k = ?`),
      page: this.db.prepare(`SELECT k, v FROM ${table} WHERE del = 0 ORDER BY k LIMIT ?`),
      pageAfter: this.db.prepare(`SELECT k, v FROM ${table} WHERE k > ? AND del = 0 ORDER BY k LIMIT ?`),
      pageVersions: this.db.prepare(`SELECT k, v, hlc, node FROM ${table} WHERE del = 0 ORDER BY k LIMIT ?`),
      pageVersionsAfter: this.db.prepare(
        `SELECT k, v, hlc, node FROM ${table} WHERE k > ? AND del = 0 ORDER BY k LIMIT ?`,
      ),
      pageDesc: this.db.prepare(`SELECT k, v FROM ${table} WHERE del = 0 ORDER BY k DESC LIMIT ?`),
      pageBefore: this.db.prepare(`SELECT k, v FROM ${table} WHERE k < ? AND del = 0 ORDER BY k DESC LIMIT ?`),
      count: this.db.prepare<[], number>(`SELECT count(*) FROM ${table} WHERE del = 0`).pluck(),
    });
  }
}

function infoFromRow(row: TableRow): TableInfo {
  return {
    name: row.name,
    attributes: JSON.parse(row.attributes) as string[],
    indexes: JSON.parse(row.indexes) as string[],
    replicate: row.replicate as ReplicationPolicy,
    owner: row.owner,
    created: row.created,
    incarnation: row.incarnation,
  };
}
