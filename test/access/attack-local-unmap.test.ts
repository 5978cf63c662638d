import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client, Resubscribed } from '../../src/client/client.js';
import type { WireError } from '../../src/protocol/errors.js';
import type { Lagged, TableChange } from '../../src/protocol/notifications.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { TermOutput } from '../helpers/term-output.js';
import { TokenNode } from '../helpers/token-node.js';

/** Every `lagged` the client gets, by topic (read after a round trip: a missing one fails, never hangs). */
function laggedOn(client: Client): Map<string, Lagged> {
  const seen = new Map<string, Lagged>();
  client.onNotification('lagged', (note) => seen.set(note.topic, note));
  return seen;
}

/** Resolves with what the client's own resubscription after `lagged` on `topic` got. */
function resubscribed(client: Client, topic: string): Promise<Resubscribed> {
  return new Promise((resolve) => {
    const off = client.onResubscribe((event) => {
      if (event.topic !== topic) return;
      off();
      resolve(event);
    });
  });
}

/**
 * The attack: a token client over TLS is mapped onto root (`acl map token:ci root`), so it
 * administers the node, and opens streams as root's: a table only root may read, root's
 * session's events, root's terminal. The administrator takes the mapping back (`acl unmap`,
 * or a mapping onto another user), but the streams go on: every later call is judged again,
 * the streams were judged once. A connection's streams follow its identity's user as a
 * forwarded identity's do (design.md, "A local connection's streams follow its user"): they
 * end at once, told why, each with its cursor; the client's own resubscription is refused.
 */
describe('attack: streams of a local token connection whose user is taken away', () => {
  let node: TokenNode;
  let admin: Client;
  let workspace: string;
  const changesOn = (client: Client): string[] => {
    const keys: string[] = [];
    client.onNotification('table_change', (change: TableChange) => keys.push(String(change.key)));
    return keys;
  };

  before(async () => {
    node = await TokenNode.start('cortex-attack-local-unmap-');
    ({ admin, workspace } = node);
    await admin.call('create_table', { name: 'secrets', attributes: ['k'] });
  });
  after(() => node.stop());

  it('acl unmap ends its table, session and terminal streams, told why, and sends it nothing after', async () => {
    const ci = await node.mappedToken('ci', 'root');

    const seenKeys = changesOn(ci);
    const lagged = laggedOn(ci);
    const tableAgain = resubscribed(ci, 'table:secrets');
    await ci.call('subscribe', { topic: 'table:secrets' });
    await admin.call('put', { table: 'secrets', record: { k: 'before' } });

    const { id } = await admin.call('term_open', { workspace, command: ['/bin/cat'] });
    const seenOnCi = new TermOutput(ci, id);
    await ci.call('term_attach', { id });
    await admin.call('term_write', { id, data: 'before unmap\n' });
    await seenOnCi.waitFor('before unmap');

    const { session } = await admin.call('session_start', { workspace, provider: 'fake' });
    const events = await SessionWatch.start(ci, session.id, 0);
    const sessionAgain = resubscribed(ci, `session:${session.id}`);
    await admin.call('session_send', { session: session.id, prompt: 'first' });
    await events.turnEnd(1);
    const lastSeen = events.events.at(-1)!.seq;
    // The put went out before the turn's events: a round trip on ci's connection shows it arrived.
    await ci.call('ping', {});
    assert.deepEqual(seenKeys, ['before']);

    await admin.call('acl_unmap', { identity: 'token:ci' });
    // The administrator goes on writing all three; ci sees none of it.
    await admin.call('put', { table: 'secrets', record: { k: 'after' } });
    const seenOnAdmin = new TermOutput(admin, id);
    await admin.call('term_attach', { id });
    await admin.call('term_write', { id, data: 'after unmap\n' });
    await seenOnAdmin.waitFor('after unmap');
    const onAdmin = await SessionWatch.start(admin, session.id, lastSeen);
    await admin.call('session_send', { session: session.id, prompt: 'second' });
    await onAdmin.turnEnd(2);
    // Whatever the daemon sent ci before this answer has arrived.
    await ci.call('ping', {});
    assert.deepEqual(seenKeys, ['before'], 'ci read the table after it was unmapped');
    assert.ok(!seenOnCi.text.includes('after unmap'), 'ci read the terminal after it was unmapped');
    assert.deepEqual(events.ofTurn(2), [], 'ci read the session after it was unmapped');

    // And ci heard each end, and why, with where it would resume.
    const why = /token:ci@a has no local user on a any more/;
    assert.match(JSON.stringify(seenOnCi.dropped), why);
    const table = lagged.get('table:secrets');
    assert.match(table?.reason ?? 'no lagged', why);
    assert.equal(typeof table?.cursor, 'number');
    const ended = lagged.get(`session:${session.id}`);
    assert.match(ended?.reason ?? 'no lagged', why);
    assert.equal(ended?.cursor, lastSeen);
    // Its client subscribed again from there at once, and was refused: it may read neither now.
    for (const again of [await tableAgain, await sessionAgain]) {
      assert.ok('error' in again, `${again.topic} was subscribed again`);
      assert.equal(again.error.code, 'EACCES');
    }
    await assert.rejects(ci.call('term_write', { id, data: 'x' }), { code: 'EACCES' });
    assert.equal((await admin.call('term_list', {})).terminals[0]!.viewers, 1, 'the administrator’s viewer alone');
  });

  it('a mapping onto another user ends the streams it opened as the one before', async () => {
    const ops = await node.mappedToken('ops', 'root');
    const seenKeys = changesOn(ops);
    const lagged = laggedOn(ops);
    await ops.call('subscribe', { topic: 'table:secrets' });

    await admin.call('acl_map', { identity: 'token:ops', user: 'nobody' });
    await admin.call('put', { table: 'secrets', record: { k: 'remapped' } });
    await ops.call('ping', {});
    assert.deepEqual(seenKeys, [], 'ops read the table as root after it became nobody');
    assert.match(lagged.get('table:secrets')?.reason ?? 'no lagged', /token:ops@a acts as another local user on a now/);
  });

  it('a revoked token’s connection is closed at once, and its client told why', async () => {
    const temp = await node.mappedToken('temp', 'root');
    const seenKeys = changesOn(temp);
    await temp.call('subscribe', { topic: 'table:secrets' });
    const told: WireError[] = [];
    temp.onNotification('error', (error) => told.push(error));
    const closed = new Promise<void>((resolve) => temp.onClose(resolve));

    await admin.call('token_revoke', { name: 'temp' });
    await admin.call('put', { table: 'secrets', record: { k: 'revoked' } });
    await closed;
    assert.deepEqual(seenKeys, []);
    assert.deepEqual(
      told.map((error) => error.code),
      ['EACCES'],
    );
    assert.match(told[0]!.message, /The token temp was revoked/);
    await assert.rejects(temp.call('ping', {}), { code: 'ECLOSED' });
  });
});
