import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { Client } from '../../src/client/client.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { frameSize, writeFrame } from '../../daemon/store/journal-frames.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';
import { eventually } from '../mesh/mesh-helpers.js';

/** Long enough that no commit comes by the clock while a test runs: only other writes and stops commit. */
const HELD = { commit_interval_ms: 60_000 };

function journalOf(daemon: DaemonHandle): string {
  return join(daemon.dataDir, 'cortex.puts');
}

/** What another process reading cortex.db sees: only committed rows. */
function committedKeys(daemon: DaemonHandle, table: string): string[] {
  const db = new BetterSqlite3(join(daemon.dataDir, 'cortex.db'), { readonly: true });
  try {
    return db.prepare(`SELECT k FROM "t_${table}" WHERE del = 0 ORDER BY k`).pluck().all() as string[];
  } finally {
    db.close();
  }
}

function allWithVersions(client: Client, table: string) {
  return client.call('all', { table, versions: true, limit: 1000 });
}

async function restart(daemon: DaemonHandle): Promise<{ daemon: DaemonHandle; client: Client }> {
  const next = await startDaemon({ home: daemon.home });
  return { daemon: next, client: await next.connect() };
}

/**
 * A put is acknowledged once the put journal (`cortex.puts`) has it; SQLite commits
 * later. These tests hold the commit back (a long commit interval) so that what
 * they check can only have come from the journal.
 */
describe('the put journal', () => {
  it('brings back acknowledged puts that were never committed, with their versions, after kill -9', async () => {
    let daemon: DaemonHandle | undefined = await startDaemon({ config: HELD });
    try {
      let client = await daemon.connect();
      await client.call('create_table', { name: 'notes', attributes: ['id', 'n', 'tag'], indexes: ['tag'] });
      for (let i = 0; i < 40; i++) {
        await client.call('put', { table: 'notes', record: { id: `n${i}`, n: i, tag: i % 3 === 0 ? 'a' : 'b' } });
      }
      const many = Array.from({ length: 20 }, (_, i) => ({ id: `m${i}`, n: 100 + i, tag: 'a' }));
      await client.call('put_many', { table: 'notes', records: many });
      const before = await allWithVersions(client, 'notes');

      // Acknowledged, in the journal, and not committed: another process sees none of them.
      assert.ok(statSync(journalOf(daemon)).size > 0, 'the journal holds the puts');
      assert.deepEqual(committedKeys(daemon, 'notes'), []);

      await daemon.kill();
      client.close();
      ({ daemon, client } = await restart(daemon));
      assert.match(daemon.stderr(), /wrote 60 acknowledged puts again from the put journal/);
      assert.deepEqual(await allWithVersions(client, 'notes'), before);
      assert.equal(committedKeys(daemon, 'notes').length, 60, 'the start committed them');
      assert.equal(statSync(journalOf(daemon)).size, 0, 'and emptied the journal');
      const tagged = await client.call('match', { table: 'notes', pattern: { tag: 'a' } });
      assert.equal(tagged.records.length, 14 + 20, 'the indexed attribute came back too');

      // The clock resumes past the written-again puts: a new put is newer than all of them.
      await client.call('put', { table: 'notes', record: { id: 'after', n: -1, tag: 'b' } });
      const { records, versions = [] } = await allWithVersions(client, 'notes');
      const clocks = versions.map(([hlc]) => hlc);
      const after = records.findIndex((record) => record['id'] === 'after');
      assert.equal(clocks.filter((hlc) => hlc >= clocks[after]!).length, 1, 'the new put has the newest clock');
      client.close();
    } finally {
      await cleanup(daemon);
    }
  });

  it('keeps a record deleted after its journaled put deleted, and a later put of it, across kill -9', async () => {
    let daemon: DaemonHandle | undefined = await startDaemon({ config: HELD });
    try {
      let client = await daemon.connect();
      await client.call('create_table', { name: 'kv', attributes: ['id', 'v'] });
      await client.call('put', { table: 'kv', record: { id: 'gone', v: 1 } });
      await client.call('put', { table: 'kv', record: { id: 'kept', v: 1 } });
      // A delete is not journaled: it commits, and the journaled puts before it with it.
      await client.call('delete', { table: 'kv', key: 'gone' });
      assert.deepEqual(committedKeys(daemon, 'kv'), ['kept']);
      await client.call('put', { table: 'kv', record: { id: 'kept', v: 2 } });
      await client.call('put', { table: 'kv', record: { id: 'new', v: 1 } });
      assert.deepEqual(committedKeys(daemon, 'kv'), ['kept'], 'the later puts wait in the journal');

      await daemon.kill();
      client.close();
      ({ daemon, client } = await restart(daemon));
      assert.equal((await client.call('get', { table: 'kv', key: 'gone' })).record, null);
      assert.deepEqual((await client.call('get', { table: 'kv', key: 'kept' })).record, { id: 'kept', v: 2 });
      assert.deepEqual((await client.call('get', { table: 'kv', key: 'new' })).record, { id: 'new', v: 1 });
      client.close();
    } finally {
      await cleanup(daemon);
    }
  });

  it('ignores a frame cut short by a crash, and says so', async () => {
    let daemon: DaemonHandle | undefined = await startDaemon({ config: HELD });
    try {
      let client = await daemon.connect();
      await client.call('create_table', { name: 'kv', attributes: ['id', 'v'] });
      for (let i = 0; i < 5; i++) await client.call('put', { table: 'kv', record: { id: `k${i}`, v: i } });
      await daemon.kill();
      client.close();
      // The head of a frame of 1,000 bytes, and only 10 of them: a write the daemon died in.
      const head = Buffer.alloc(8);
      head.writeUInt32LE(1000, 0);
      appendFileSync(journalOf(daemon), Buffer.concat([head, Buffer.alloc(10, 0x91)]));

      ({ daemon, client } = await restart(daemon));
      assert.match(daemon.stderr(), /ignored the last 18 bytes of the put journal/);
      assert.match(daemon.stderr(), /wrote 5 acknowledged puts again/);
      assert.equal((await client.call('all', { table: 'kv' })).records.length, 5);
      client.close();
    } finally {
      await cleanup(daemon);
    }
  });

  it('refuses to start on a journal of puts for a table the database does not have, and keeps the file', async () => {
    const daemon = await startDaemon({ config: HELD });
    const home = daemon.home;
    try {
      await daemon.stop();
      // A well-formed frame (length, checksum) whose row names a table that was never created.
      const turn = [{ name: Buffer.from('ghost'), valuesPerRow: 4, values: ['k', encode({ k: 'k' }), 1, 10_000] }];
      const frame = Buffer.alloc(frameSize(turn));
      writeFrame(frame, turn);
      const journal = journalOf(daemon);
      writeFileSync(journal, frame);

      await assert.rejects(startDaemon({ home }), /put journal .*cortex\.puts holds puts this database cannot take/);
      assert.deepEqual(readFileSync(journal), frame, 'nothing was thrown away');
    } finally {
      await cleanup(daemon);
    }
  });

  it('commits within the interval, so another process soon reads the put', async () => {
    const daemon = await startDaemon();
    try {
      const client = await daemon.connect();
      await client.call('create_table', { name: 'kv', attributes: ['id', 'v'] });
      await client.call('put', { table: 'kv', record: { id: 'seen', v: 1 } });
      await eventually('the put committed', () => (committedKeys(daemon, 'kv').includes('seen') ? true : undefined));
      client.close();
    } finally {
      await cleanup(daemon);
    }
  });

  it('with commit_interval_ms 0 commits every put before its answer and keeps no journal', async () => {
    const daemon = await startDaemon({ config: { commit_interval_ms: 0 } });
    try {
      const client = await daemon.connect();
      await client.call('create_table', { name: 'kv', attributes: ['id', 'v'] });
      await client.call('put', { table: 'kv', record: { id: 'now', v: 1 } });
      assert.deepEqual(committedKeys(daemon, 'kv'), ['now']);
      assert.equal(existsSync(journalOf(daemon)), false);
      client.close();
    } finally {
      await cleanup(daemon);
    }
  });
});
