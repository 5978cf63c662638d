import type { Database, Statement } from 'better-sqlite3';
import type { ReplicationPolicy, TableClash } from '../../src/protocol/store-types.js';
import { compareVersions, type Version } from './version.js';

/** A table incarnation's id: the node that created it and the HLC of its creation. */
export function incarnationOf(creation: Version): string {
  return `${creation.node}:${creation.hlc}`;
}

/** The drop of one incarnation of a replicated table; incarnation '' for a drop recorded before incarnations. */
export interface TableDrop extends Version {
  table: string;
  incarnation: string;
  replicate: ReplicationPolicy;
  /** Who dropped it, on the node where it was dropped. */
  by: string;
}

/** A clash is resolved here: read `peer`'s log again after `seq`, for the other table of that name. */
export interface Rewind {
  table: string;
  peer: string;
  seq: number;
}

interface ClashRow extends TableClash {
  table: string;
  /** The first of the peer's changes refused for it. */
  seq: number;
}

/**
 * What the store remembers about incarnations besides the live tables: the
 * dropped ones (so a late definition of one never comes back) and the clashes
 * (another incarnation of a local table's name, refused). Both live in the
 * database and in memory; writes happen inside the caller's transaction.
 */
export class Incarnations {
  private readonly drops = new Map<string, TableDrop>();
  private readonly clashes = new Map<string, ClashRow[]>();
  private readonly saveDrop: Statement<[string, string, number, string, string, string]>;
  private readonly saveClash: Statement<[string, string, string, string, string, string, number, number]>;
  private readonly removeClashes: Statement<[string]>;
  private readonly removeClash: Statement<[string, string]>;

  private readonly readDrops: Statement<[], TableDrop>;
  private readonly readClashes: Statement<[], ClashRow>;

  constructor(db: Database) {
    this.readDrops = db.prepare(
      'SELECT tbl AS "table", incarnation, hlc, node, replicate, dropped_by AS "by" FROM _dropped',
    );
    this.readClashes = db.prepare(
      'SELECT tbl AS "table", incarnation, node, owner, replicate, peer, seq, since FROM _clashes ORDER BY since',
    );
    this.reload();
    this.saveDrop = db.prepare(
      'INSERT OR REPLACE INTO _dropped (tbl, incarnation, hlc, node, replicate, dropped_by) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.saveClash = db.prepare(
      'INSERT OR IGNORE INTO _clashes (tbl, incarnation, node, owner, replicate, peer, seq, since) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.removeClashes = db.prepare('DELETE FROM _clashes WHERE tbl = ?');
    this.removeClash = db.prepare('DELETE FROM _clashes WHERE tbl = ? AND incarnation = ?');
  }

  /** Reads the drops and clashes again from the database: after a rolled-back transaction changed them in memory. */
  reload(): void {
    this.drops.clear();
    this.clashes.clear();
    for (const row of this.readDrops.all()) this.drops.set(dropKey(row.table, row.incarnation), row);
    for (const row of this.readClashes.all()) this.clashesFor(row.table).push(row);
  }

  /** Whether this incarnation was dropped (or is older than a drop recorded before incarnations). */
  isDropped(table: string, incarnation: string, creation: Version): boolean {
    if (this.drops.has(dropKey(table, incarnation))) return true;
    const legacy = this.drops.get(dropKey(table, ''));
    return legacy !== undefined && compareVersions(legacy, creation) >= 0;
  }

  dropOf(table: string, incarnation: string): TableDrop | undefined {
    return this.drops.get(dropKey(table, incarnation));
  }

  /** Inside a transaction. */
  recordDrop(drop: TableDrop): void {
    const known = this.drops.get(dropKey(drop.table, drop.incarnation));
    if (known !== undefined && compareVersions(known, drop) >= 0) return;
    this.saveDrop.run(drop.table, drop.incarnation, drop.hlc, drop.node, drop.replicate, drop.by);
    this.drops.set(dropKey(drop.table, drop.incarnation), drop);
  }

  clashesOf(table: string): TableClash[] {
    return (this.clashes.get(table) ?? []).map(({ table: _table, seq: _seq, ...clash }) => clash);
  }

  /** Records a clash (the first refused change of each peer is kept); inside a transaction. */
  noteClash(clash: ClashRow): void {
    const rows = this.clashesFor(clash.table);
    if (rows.some((row) => row.incarnation === clash.incarnation && row.peer === clash.peer)) return;
    const { table, incarnation, node, owner, replicate, peer, seq, since } = clash;
    this.saveClash.run(table, incarnation, node, owner, replicate, peer, seq, since);
    rows.push(clash);
  }

  /**
   * The local table was dropped: its clashes are over, and the other tables of its
   * name are wanted now. Returns, per peer, where to read its log again: just before
   * the first change refused for them. Inside a transaction.
   */
  resolve(table: string): Rewind[] {
    const rows = this.clashes.get(table) ?? [];
    if (rows.length === 0) return [];
    this.removeClashes.run(table);
    this.clashes.delete(table);
    const from = new Map<string, number>();
    for (const row of rows) from.set(row.peer, Math.min(from.get(row.peer) ?? row.seq, row.seq));
    return [...from].map(([peer, seq]) => ({ table, peer, seq: seq - 1 }));
  }

  /** Another incarnation was dropped: it clashes with nothing any more. Inside a transaction. */
  forget(table: string, incarnation: string): void {
    const rows = this.clashes.get(table);
    if (rows === undefined || !rows.some((row) => row.incarnation === incarnation)) return;
    this.removeClash.run(table, incarnation);
    const left = rows.filter((row) => row.incarnation !== incarnation);
    if (left.length === 0) this.clashes.delete(table);
    else this.clashes.set(table, left);
  }

  private clashesFor(table: string): ClashRow[] {
    let rows = this.clashes.get(table);
    if (rows === undefined) this.clashes.set(table, (rows = []));
    return rows;
  }
}

function dropKey(table: string, incarnation: string): string {
  return `${table}\u0000${incarnation}`;
}
