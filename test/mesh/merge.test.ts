import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import type { Database } from 'better-sqlite3';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import type { StoredRecord } from '../../src/protocol/store-types.js';
import { HLC_PER_MS } from '../../daemon/store/hlc.js';
import type { RemoteWrite } from '../../daemon/store/merge.js';
import { incarnationOf } from '../../daemon/store/incarnations.js';
import { openDatabase } from '../../daemon/store/open-database.js';
import type { RemoteBatch, TableDefinition } from '../../daemon/store/replica.js';
import { Store } from '../../daemon/store/store.js';
import { tempDir } from '../helpers/daemon.js';

/**
 * The store's side of replication, on a real SQLite file: last-writer-wins by
 * (hlc, node), tombstones, the clock moving on every merge, the skew bound, the
 * policy check and the checkpoint written in the applying transaction. Each case
 * is one of the pitfalls the mesh issue lists.
 */
describe('merging remote versions into the store', () => {
  const dir = tempDir('cortex-merge-');
  let db: Database;
  let store: Store;
  let wall: number;
  let checkpoints: number[];

  const definition = (name: string, replicate: TableDefinition['replicate'] = 'mesh'): TableDefinition => ({
    name,
    attributes: ['id', 'v'],
    indexes: ['v'],
    replicate,
    owner: 'alice',
    created: 1,
    hlc: 1 * HLC_PER_MS,
    node: 'b',
    incarnation: incarnationOf({ hlc: 1 * HLC_PER_MS, node: 'b' }),
  });
  const put = (seq: number, id: string, v: number, hlc: number, node = 'b'): RemoteWrite => ({
    seq,
    table: 'kv',
    key: id,
    hlc,
    node,
    op: 'put',
    value: encode({ id, v }),
  });
  const del = (seq: number, id: string, hlc: number, node = 'b'): RemoteWrite => ({
    seq,
    table: 'kv',
    key: id,
    hlc,
    node,
    op: 'delete',
    value: null,
  });
  const batch = (changes: RemoteWrite[], defs: TableDefinition[] = [definition('kv')]): RemoteBatch => ({
    from: 'b',
    to: changes.reduce((max, change) => Math.max(max, change.seq), 0),
    changes,
    defs: new Map(defs.map((item) => [item.name, item])),
    checkpoint: (seq) => {
      // Runs inside the applying transaction: prove it by writing in it.
      assert.ok(db.inTransaction, 'the checkpoint is written in the transaction that applies the changes');
      checkpoints.push(seq);
    },
  });
  const value = (id: string) => {
    const raw = store.get('kv', id);
    return raw === null ? null : (decode(raw.bytes) as StoredRecord)['v'];
  };

  beforeEach(() => {
    db?.close();
    dir.remove();
    db = openDatabase(`${dir.path}/${Math.random().toString(36).slice(2)}`, 'normal', { node: 'n' });
    wall = 1_000_000;
    store = new Store(db, 'a', () => wall, 5_000);
    checkpoints = [];
  });
  after(() => {
    db?.close();
    dir.remove();
  });

  it('creates the table from the definition that travels with the records, and keeps the newer version', async () => {
    const result = await store.replica.apply(batch([put(1, 'k', 1, wall * HLC_PER_MS), put(2, 'k', 0, 5)]));
    assert.equal(result.applied, 1);
    assert.equal(value('k'), 1, 'an older version never overwrites a newer one');
    assert.deepEqual(store.catalog.handle('kv').info.replicate, 'mesh');
    assert.deepEqual(checkpoints, [2]);
  });

  it('breaks ties on equal timestamps by node name, whatever the order they arrive in', async () => {
    const hlc = wall * HLC_PER_MS;
    await store.replica.apply(batch([put(1, 'x', 1, hlc, 'b'), put(2, 'x', 2, hlc, 'c')]));
    await store.replica.apply(batch([put(3, 'y', 2, hlc, 'c'), put(4, 'y', 1, hlc, 'b')]));
    assert.equal(value('x'), 2);
    assert.equal(value('y'), 2, 'the same winner either way: node c > node b');
    // Concurrent deletes of one key with one timestamp converge too.
    await store.replica.apply(batch([del(5, 'x', hlc + 10, 'b'), del(6, 'x', hlc + 10, 'c')]));
    assert.equal(store.replica.rowState('kv', 'x')?.node, 'c');
  });

  it('moves the local clock past every merged timestamp, so a later local write wins', async () => {
    const remote = (wall + 4_000) * HLC_PER_MS;
    await store.replica.apply(batch([put(1, 'k', 1, remote)]));
    await store.put('kv', { id: 'k', v: 2 });
    const local = store.replica.rowState('kv', 'k')!;
    assert.ok(local.hlc > remote, 'the local write is stamped after what this node has seen');
    assert.equal(value('k'), 2);
  });

  it('defers a change stamped too far ahead, applying what came before it', async () => {
    const result = await store.replica.apply(
      batch([put(1, 'ok', 1, wall * HLC_PER_MS), put(7, 'late', 1, (wall + 9_000) * HLC_PER_MS)]),
    );
    assert.deepEqual(result.deferred, { seq: 7, aheadMs: 9_000 });
    assert.equal(result.checkpoint, 6, 'the checkpoint stops just before the deferred change');
    assert.equal(value('ok'), 1);
    assert.equal(value('late'), null);
    assert.ok(store.clock.current < (wall + 9_000) * HLC_PER_MS, 'the clock did not jump ahead');
    wall += 5_000;
    const retry = await store.replica.apply(batch([put(7, 'late', 1, (wall + 4_000) * HLC_PER_MS)]));
    assert.equal(retry.deferred, undefined);
    assert.equal(value('late'), 1);
  });

  it('keeps tombstones, which beat older puts arriving later', async () => {
    const hlc = wall * HLC_PER_MS;
    await store.replica.apply(batch([put(1, 'k', 1, hlc), del(2, 'k', hlc + 5)]));
    assert.equal(value('k'), null);
    assert.equal(store.replica.rowState('kv', 'k')?.del, 1);
    await store.replica.apply(batch([put(3, 'k', 9, hlc + 1, 'c')]));
    assert.equal(value('k'), null, 'a put older than the delete does not bring the record back');
  });

  it('refuses records of tables whose policy excludes this node, that are local here, or another table of the name', async () => {
    const result = await store.replica.apply(
      batch([put(1, 'k', 1, wall * HLC_PER_MS)], [definition('kv', 'peers:b,c')]),
    );
    assert.equal(store.catalog.has('kv'), false);
    assert.match(result.refused.get('kv')!.reason, /does not include a/);
    assert.deepEqual(checkpoints, [1], 'a refused change is still passed: it never will be wanted');

    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'me' });
    const other = await store.replica.apply(batch([put(2, 'k', 1, wall * HLC_PER_MS)]));
    assert.match(other.refused.get('kv')!.reason, /another table of that name/);
    assert.equal(other.refused.get('kv')!.clash?.there.incarnation, definition('kv').incarnation);
    // Even a peer naming the local table's own incarnation gets nothing into it.
    const forged = { ...store.replica.definition('kv')!, replicate: 'mesh' as const };
    const local = await store.replica.apply(batch([put(3, 'k', 1, wall * HLC_PER_MS)], [forged]));
    assert.match(local.refused.get('kv')!.reason, /policy here \(local\)/);
    assert.equal(value('k'), null);
  });

  it('applies a remote drop only to the same incarnation, never to a local table or from outside its policy', async () => {
    const drop = (seq: number, table: string, incarnation: string, from = 'b', node = from): RemoteBatch => ({
      ...batch([]),
      from,
      to: seq,
      changes: [
        { seq, table, hlc: wall * HLC_PER_MS + seq, node, op: 'drop', incarnation, replicate: 'mesh', by: 'eve' },
      ],
    });
    // Another table of the name: the drop is kept (and relayed), the table here stays.
    const mine = store.createTable({ name: 'kv', attributes: ['id', 'v'], replicate: 'mesh', owner: 'me' });
    await store.put('kv', { id: 'k', v: 1 });
    assert.deepEqual((await store.replica.apply(drop(1, 'kv', definition('kv').incarnation))).dropped, []);
    assert.equal(value('k'), 1);
    assert.ok(store.replica.dropOf('kv', definition('kv').incarnation));
    // A local table's incarnation never left this node: a drop naming it is forged.
    const secret = store.createTable({ name: 'secret', attributes: ['id'], owner: 'me' });
    const forged = await store.replica.apply(drop(2, 'secret', secret.incarnation));
    assert.match(forged.refused.get('secret')!.reason, /policy \(local\) leaves out/);
    assert.ok(store.catalog.has('secret'));
    // A peers:a,b table ignores a drop sent, or made, by c.
    const pair = store.createTable({ name: 'pair', attributes: ['id'], replicate: 'peers:a,b', owner: 'me' });
    for (const [from, node] of [
      ['c', 'c'],
      ['b', 'c'],
    ] as const) {
      const result = await store.replica.apply(drop(3, 'pair', pair.incarnation, from, node));
      assert.match(result.refused.get('pair')!.reason, new RegExp(`made on ${node} and sent by ${from}`));
      assert.ok(store.catalog.has('pair'));
    }
    // The same incarnation, from a node its policy names: dropped.
    const result = await store.replica.apply(drop(4, 'kv', mine.incarnation));
    assert.deepEqual(
      result.dropped.map((dropped) => [dropped.table, dropped.incarnation, dropped.by]),
      [['kv', mine.incarnation, 'eve']],
    );
    assert.equal(store.catalog.has('kv'), false);
  });

  /** Collects every tombstone now, as the mesh does once all peers acknowledged them: raises the horizons. */
  const collectAll = () =>
    store.replica.collect(store.replica.changesAfter(0, 1000), Number.MAX_SAFE_INTEGER, () => false);

  it('in a resync, refuses a put for a key it held once and has no row for (its delete was collected)', async () => {
    // Nothing collected yet: whatever it once held, a missing key cannot be a collected delete.
    const early = await store.replica.apply({ ...batch([put(1, 'early', 1, 100)]), hadIt: () => true });
    assert.equal(early.stale, 0);
    assert.equal(value('early'), 1);
    await store.replica.apply(batch([put(2, 'h', 1, 649), del(3, 'h', 650)]));
    assert.equal((await collectAll()).collected, 1);
    assert.deepEqual(store.replica.horizonsFor('b'), [['kv', definition('kv').incarnation, 650, 'b']]);
    const result = await store.replica.apply({
      ...batch([put(4, 'gone', 1, 400), put(9, 'new', 1, 600), put(10, 'mine', 1, 640, 'a')]),
      // This node had read the peer's log up to seq 5, and wrote "mine" itself.
      hadIt: (write) => write.seq <= 5 || write.node === 'a',
    });
    assert.equal(result.stale, 2);
    assert.equal(value('gone'), null);
    assert.equal(value('mine'), null);
    assert.equal(value('new'), 1, 'a record it never saw is new to it, however old');
    // Outside a resync an old record it never had is simply taken, even below the horizon.
    await store.replica.apply(batch([put(11, 'old', 1, 1)]));
    assert.equal(value('old'), 1);
  });

  it('restores a backup by version, so records deleted since stay deleted', async () => {
    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'me' });
    await store.put('kv', { id: 'k', v: 1 });
    const backup = store.replica.rowState('kv', 'k')!;
    await store.delete('kv', 'k');
    await store.put('kv', { id: 'other', v: 2 });
    const restored = await store.putVersioned(
      'kv',
      [
        { id: 'k', v: 1 },
        { id: 'fresh', v: 3 },
      ],
      [
        { hlc: backup.hlc, node: backup.node },
        { hlc: backup.hlc, node: backup.node },
      ],
    );
    assert.equal(restored, 1);
    assert.equal(value('k'), null);
    assert.equal(value('fresh'), 3);
    // Once tombstones up to a version were collected, a restored record missing here at or
    // below it is taken for deleted: the horizon.
    assert.equal((await collectAll()).collected, 1, "k's tombstone, newer than the backup");
    const late = await store.putVersioned('kv', [{ id: 'lost', v: 4 }], [{ hlc: backup.hlc, node: backup.node }]);
    assert.equal(late, 0);
    assert.equal(value('lost'), null);
  });
});
