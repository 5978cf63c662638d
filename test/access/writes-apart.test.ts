import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { IdentityMap } from '../../daemon/access/identity-map.js';
import { TokenStore } from '../../daemon/access/token-store.js';
import { openDatabase } from '../../daemon/store/open-database.js';
import { Store } from '../../daemon/store/store.js';
import { tempDir } from '../helpers/daemon.js';

/**
 * Tokens and identity mappings are written by their own modules, not through the
 * store's group commit, and answered as soon as the statement returns. The group
 * commit holds a transaction open (the reads' transaction, held until the next
 * write, or a batch until the end of its turn): a direct write run inside it was
 * acknowledged before it was committed, lost to a kill -9 in that window, and
 * rolled back with a batch that failed later in the same turn. Each test looks
 * from a second connection, as another process (or the daemon after a restart)
 * would.
 */
describe('writes made apart from the group commit', () => {
  const dir = tempDir();
  let db: Database;
  let other: Database;
  let store: Store;
  let tokens: TokenStore;

  const tokenNamesSeenElsewhere = () =>
    (other.prepare('SELECT name FROM _tokens ORDER BY name').all() as { name: string }[]).map((row) => row.name);

  before(async () => {
    db = openDatabase(dir.path, 'normal', { node: 'a' });
    store = new Store(db, 'a');
    tokens = new TokenStore(db, store.writeApart);
    store.createTable({ name: 'users', attributes: ['id'], owner: 'user:root@a' });
    await store.put('users', { id: 'u1' });
    await store.put('users', { id: 'u2' });
    other = new BetterSqlite3(join(dir.path, 'cortex.db'), { readonly: true });
  });

  after(() => {
    other.close();
    db.close();
    dir.remove();
  });

  it('a token made in a turn whose reads share a transaction is committed when create returns', () => {
    // The first read opens the reads' transaction, which later reads share.
    assert.ok(store.get('users', 'u1'));
    assert.ok(store.get('users', 'u2'));
    assert.ok(db.inTransaction, 'the reads share a transaction, as they do for a burst of gets');
    tokens.create('after-reads', 'user:root@a');
    assert.deepEqual(tokenNamesSeenElsewhere(), ['after-reads']);
  });

  it('a token made while a batch is open survives that batch failing later in the same turn', async () => {
    const committed = store.transact(() => undefined);
    assert.ok(db.inTransaction, 'the batch holds its transaction until the end of the turn');
    tokens.create('beside-a-batch', 'user:root@a');
    const failed = store.transact(() => {
      throw new Error('a write of this batch fails');
    });
    await committed;
    await assert.rejects(failed, /a write of this batch fails/);
    assert.deepEqual(tokenNamesSeenElsewhere(), ['after-reads', 'beside-a-batch']);
    assert.equal(tokens.verify(tokens.create('still-usable', 'user:root@a')), 'still-usable');
  });

  it('an identity mapping is committed when set returns, and its removal when delete returns', () => {
    const map = new IdentityMap(db, 'a', store.writeApart);
    const mapped = () => other.prepare('SELECT count(*) AS n FROM _identity_map').get() as { n: number };
    assert.ok(store.get('users', 'u1'));
    assert.ok(store.get('users', 'u2'));
    map.set({ identity: 'user:alice@b', user: 'root', mapped_by: 'user:root@a', mapped: Date.now() });
    assert.equal(mapped().n, 1);
    assert.ok(store.get('users', 'u1'));
    assert.ok(store.get('users', 'u2'));
    map.delete('user:alice@b');
    assert.equal(mapped().n, 0);
  });
});
