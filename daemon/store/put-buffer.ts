import type { Database, Statement } from 'better-sqlite3';
import type { PutJournal } from './put-journal.js';
import type { TableHandle } from './table-catalog.js';
import { eachStatement, statementsFor, valuesList } from './multi-row.js';
import { indexColumn, sqlString, tableSqlName } from './table-sql.js';

/**
 * Rows per statement, largest first: a table's rows of a batch go in as few
 * multi-row INSERTs of these sizes as add up to them. Every size up to 16, so a
 * batch of up to 16 rows in one table (one read from each of 16 clients) is one
 * statement, which runs alone in autocommit with no BEGIN or COMMIT; past that
 * 32 and 64 (a pipelined slice, a full burst). Each table prepares only the sizes
 * it uses: all 18 take ~200 KiB for a table of two indexed attributes, where all
 * 64 sizes would take ~1.9 MiB.
 */
const ROWS_PER_STATEMENT: readonly number[] = [64, 32, ...Array.from({ length: 16 }, (_, index) => 16 - index)];
const MOST_ROWS = 64;

/**
 * At most this many values are bound by one statement. Far below SQLite's limit
 * (32,766), because they are passed as the arguments of one call, which is cheaper
 * for better-sqlite3 than an array and must fit on the stack: only a table with
 * over 60 indexed attributes has fewer than 64 rows a statement.
 */
const MAX_VALUES = 4096;

/** Values a row binds besides one per indexed attribute: key, bytes, hlc, seq (node and src are written into the SQL). */
const VALUES_PER_ROW = 4;

/** A table's insert statements, by how many rows each takes (prepared when first needed). */
interface TableStatements {
  /** The sizes this table uses, largest first (fewer when its rows bind many values). */
  sizes: readonly number[];
  /**
   * How many statements `n` rows take, for every `n` below the largest size: asked at every
   * commit, where walking the sizes cost a lone put ~1,000 instructions (see statementCount).
   */
  statementsBelowLargest: Uint8Array;
  valuesPerRow: number;
  bySize: (Statement<unknown[]> | undefined)[];
}

/** One table's waiting rows, their values laid end to end. */
interface TableRows {
  handle: TableHandle;
  statements: TableStatements;
  values: unknown[];
  rows: number;
  /** How many of the first rows are in the journal already (held by hold()): a later turn adds only those after. */
  journaled: number;
}

/**
 * This node's puts of a group commit, kept back until the batch is written, then
 * written per table as multi-row `INSERT OR REPLACE` statements: each statement
 * call (binding, stepping, resetting, and the result object better-sqlite3 makes
 * for it) is paid once for many rows instead of once per put. Rows of a table go in
 * the order they were put, so a key put twice keeps its later row; every row
 * carries the clock and seq it was given when put, so the log's order is the puts'
 * order whatever order the tables are written in. A local put's node is this node's
 * and its src is null, so both are part of the statement rather than bound.
 */
export class PutBuffer {
  private waiting: TableRows[] = [];
  /** Rows waiting, in all tables. */
  private rows = 0;
  /** The table of the last put, found without a search when puts come to one table. */
  private last: TableRows | undefined;
  /** A dropped or reloaded table's handle is a new object: its statements go with the old one. */
  private readonly statements = new WeakMap<TableHandle, TableStatements>();

  constructor(
    private readonly db: Database,
    private readonly node: string,
    /** Where `flush(true)` adds the rows it writes (see WriteBatcher's journaled turns). */
    private readonly journal?: PutJournal,
  ) {}

  /** Keeps a row back: its key, bytes, clock and seq, then one value per indexed attribute. */
  add(handle: TableHandle, key: unknown, bytes: Uint8Array, hlc: number, seq: number, indexValues: unknown[]): void {
    let table = this.last;
    if (table?.handle !== handle) {
      table = this.waiting.find((waiting) => waiting.handle === handle);
      if (table === undefined) {
        table = { handle, statements: this.statementsOf(handle), values: [], rows: 0, journaled: 0 };
        this.waiting.push(table);
      }
      this.last = table;
    }
    table.values.push(key, bytes, hlc, seq);
    for (const value of indexValues) table.values.push(value);
    table.rows++;
    this.rows++;
  }

  /** How many statements writing the waiting rows takes: one may run alone, in autocommit. */
  get statementCount(): number {
    let count = 0;
    for (const { rows, statements } of this.waiting) {
      const largest = statements.sizes[0]!;
      count += Math.floor(rows / largest) + statements.statementsBelowLargest[rows % largest]!;
    }
    return count;
  }

  /**
   * Writes the waiting rows and forgets them (whether or not a statement fails: the caller rolls back then);
   * `journaled`: adds them to the journal's turn as well.
   */
  flush(journaled = false): void {
    const waiting = this.waiting;
    this.discard();
    for (const table of waiting) {
      this.write(table);
      if (journaled) this.addToJournal(table);
    }
  }

  /**
   * Adds the rows not journaled yet to the journal's turn, and keeps every row waiting:
   * a put is durable once its turn's frame is written, so its statement can wait for a
   * read, another write or the commit, and a sequential put pays its statement call once
   * per many puts (see WriteBatcher's journaled turns). From MOST_ROWS rows on, they are
   * written now, as flush(true) does: one largest statement, and no more kept in memory.
   */
  hold(): void {
    if (this.rows >= MOST_ROWS) {
      this.flush(true);
      return;
    }
    for (const table of this.waiting) this.addToJournal(table);
  }

  /** Forgets the waiting rows: their batch was rolled back, or they were written. */
  discard(): void {
    if (this.waiting.length > 0) this.waiting = [];
    this.rows = 0;
    this.last = undefined;
  }

  private addToJournal(table: TableRows): void {
    if (table.journaled === table.rows) return;
    this.journal!.add(table.handle.info.name, table.statements.valuesPerRow, table.values, table.journaled);
    table.journaled = table.rows;
  }

  private write({ handle, statements, values, rows }: TableRows): void {
    const { sizes, valuesPerRow, bySize } = statements;
    eachStatement(rows, sizes, (row, size) => {
      const from = row * valuesPerRow;
      const to = from + size * valuesPerRow;
      const statement = (bySize[size] ??= this.db.prepare(insertSql(handle, this.node, size)));
      statement.run(...(to - from === values.length ? values : values.slice(from, to)));
    });
  }

  private statementsOf(handle: TableHandle): TableStatements {
    let statements = this.statements.get(handle);
    if (statements === undefined) {
      const valuesPerRow = VALUES_PER_ROW + handle.info.indexes.length;
      const maxRows = Math.floor(MAX_VALUES / valuesPerRow);
      const sizes = maxRows >= MOST_ROWS ? ROWS_PER_STATEMENT : ROWS_PER_STATEMENT.filter((size) => size <= maxRows);
      const statementsBelowLargest = Uint8Array.from({ length: sizes[0]! }, (_, rows) => statementsFor(rows, sizes));
      statements = { sizes, valuesPerRow, statementsBelowLargest, bySize: [] };
      this.statements.set(handle, statements);
    }
    return statements;
  }
}

/** `INSERT OR REPLACE` of `rows` local rows: key, bytes, hlc and seq bound, this node and no src written in. */
function insertSql(handle: TableHandle, node: string, rows: number): string {
  const { name, indexes } = handle.info;
  const columns = ['k', 'v', 'hlc', 'node', 'del', 'seq', 'src', ...indexes.map(indexColumn)];
  const row = `(?, ?, ?, ${sqlString(node)}, 0, ?, NULL${', ?'.repeat(indexes.length)})`;
  return `INSERT OR REPLACE INTO ${tableSqlName(name)} (${columns.join(', ')}) VALUES ${valuesList(row, rows)}`;
}
