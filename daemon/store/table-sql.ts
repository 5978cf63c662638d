import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import type { TableInfo } from '../../src/protocol/store-types.js';

/**
 * How a user table is laid out in SQLite. Names reaching this file were checked
 * against TABLE_NAME and ATTRIBUTE_NAME, so quoting them is enough.
 *
 * "t_<name>" (STRICT, WITHOUT ROWID, clustered on the key):
 *   k    the key attribute's value (TEXT or INTEGER)
 *   v    the whole record, MessagePack, sent back to clients untouched; NULL for a tombstone
 *   hlc  the hybrid logical clock of the last write, node its writer
 *   del  1 for a tombstone (a delete the mesh still has to carry)
 *   seq  the change log's seq of the row's last change (indexed: the log is read by it)
 *   src  the peer the last change came from, NULL when it was made here
 *   "i_<attr>" one column per indexed attribute, holding its value when it is a
 *        scalar, with a real SQLite index on it
 */
export function tableSqlName(table: string): string {
  return `"t_${table}"`;
}

/** A name as an SQL string literal (names were checked against their patterns; quoting keeps it safe anyway). */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function indexColumn(attribute: string): string {
  return `"i_${attribute}"`;
}

export function createTableStatements(table: TableInfo): string[] {
  const columns = table.indexes.map((attribute) => `${indexColumn(attribute)} ANY`);
  const statements = [
    `CREATE TABLE ${tableSqlName(table.name)} (
      k ANY PRIMARY KEY NOT NULL,
      v BLOB,
      hlc INTEGER NOT NULL,
      node TEXT NOT NULL,
      del INTEGER NOT NULL DEFAULT 0,
      seq INTEGER NOT NULL,
      src TEXT${columns.map((column) => `,\n      ${column}`).join('')}
    ) STRICT, WITHOUT ROWID`,
    seqIndexStatement(table.name),
  ];
  for (const attribute of table.indexes) {
    statements.push(
      `CREATE INDEX "x_${table.name}_${attribute}" ON ${tableSqlName(table.name)} (${indexColumn(attribute)})`,
    );
  }
  return statements;
}

/**
 * The index the change log reads a table's rows by (see ChangeLog). It covers every
 * column the log reads (the key is in every index of a WITHOUT ROWID table), so a
 * page of the log is one walk of the index, not a lookup of each row.
 */
export function seqIndexStatement(table: string): string {
  return `CREATE INDEX "q_${table}" ON ${tableSqlName(table)} (seq, hlc, node, del, src)`;
}

const INT64_MAX = (1n << 63n) - 1n;

/** The column that answers conditions on `attribute`, if any does. */
export function columnFor(table: TableInfo, attribute: string): string | undefined {
  if (attribute === table.attributes[0]) return 'k';
  return table.indexes.includes(attribute) ? indexColumn(attribute) : undefined;
}

/**
 * What an indexed attribute's value looks like in its column: scalars as
 * themselves (booleans as 0/1), binary as a blob, and null for anything that an
 * index cannot order (arrays, maps, timestamps), which matches then re-check.
 */
export function indexValue(value: MsgValue | undefined): string | number | bigint | Uint8Array | null {
  switch (typeof value) {
    case 'string':
    case 'number':
      return value;
    case 'bigint':
      // SQLite integers are signed 64-bit; a larger unsigned value cannot be indexed (matches re-check it).
      return value <= INT64_MAX ? value : null;
    case 'boolean':
      return value ? 1 : 0;
    default:
      return value instanceof Uint8Array ? value : null;
  }
}
