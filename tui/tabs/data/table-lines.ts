import type { Grant } from '../../../src/protocol/access-types.js';
import type { TableListing } from '../../../src/protocol/store-types.js';

/** The columns of the tables list. */
export const TABLE_TITLES = ['table', 'policy', 'key', 'indexes', 'records', 'owner', 'clash'];

/** A table's row in the list; `!` marks a table a peer offered another incarnation of. */
export function tableCells(table: TableListing, count: number | undefined): string[] {
  return [
    table.name,
    table.replicate,
    table.attributes[0] ?? '',
    table.indexes.join(',') || '-',
    count === undefined ? '…' : count.toLocaleString('en-US'),
    table.owner,
    table.clashes.length > 0 ? `! ${table.clashes.map((clash) => clash.node).join(',')}` : '',
  ];
}

/** What is known of the selected table beyond its row: its attributes, clashes and grants. */
export function tableDetails(table: TableListing, grants: readonly Grant[], grantsError: string | undefined): string[] {
  const own = grants.filter((grant) => grant.table === table.name);
  return [
    `attributes: ${table.attributes.join(', ')} · incarnation ${table.incarnation}`,
    ...table.clashes.map(
      (clash) =>
        `! clash: peer ${clash.peer} offers another ${table.name} (${clash.incarnation}, owner ${clash.owner})`,
    ),
    grantsError !== undefined
      ? `grants: ${grantsError}`
      : own.length === 0
        ? 'grants: none (only its owner and administrators)'
        : `grants (${own.length}):`,
    ...own.map((grant) => `  ${grant.identity} ${grant.permissions.join(',')} (by ${grant.granted_by})`),
  ];
}
