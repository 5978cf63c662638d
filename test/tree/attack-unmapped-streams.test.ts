import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Lagged } from '../../src/protocol/notifications.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { TermOutput } from '../helpers/term-output.js';
import { type MeshNode, TestMesh } from '../mesh/mesh-helpers.js';
import { gitRepo, mapRoots, reaches, rejectsWith } from './tree-helpers.js';

/** Resolves with the first `lagged` on the node's client for `topic`. */
function laggedOn(node: MeshNode, topic: string): Promise<Lagged> {
  return new Promise((resolve) => {
    const off = node.client.onNotification('lagged', (note) => {
      if (note.topic !== topic) return;
      off();
      resolve(note);
    });
  });
}

/**
 * The attack: c's administrator takes back what a's user may do on c (`acl
 * unmap user:root@a`), but the streams a's user opened before keep flowing: the
 * terminal's output and the session's events of c go on reaching a, although
 * every call a makes on c is refused from then on. A forwarded identity needs a
 * local user on c for everything it does there (design.md, "A forwarded
 * identity needs a local user"), reading streams included: when the mapping
 * goes, its streams end, and a hears why.
 */
describe('attack: streams of an identity unmapped while it watches', () => {
  const mesh = new TestMesh();
  const repo = gitRepo('cortex-attack-unmap-');
  let a: MeshNode;
  let c: MeshNode;
  let workspace: string;

  before(async () => {
    await mesh.init();
    [a, c] = await Promise.all([mesh.start('a'), mesh.start('c')]);
    await mapRoots([a, c]);
    await a.connect(c);
    await reaches(a, 'c');
    workspace = (await c.client.call('workspace_add', { path: repo.path })).workspace.id;
  });
  after(async () => {
    await mesh.cleanup();
    repo.remove();
  });

  it('ends a’s terminal attach and session stream on c when c unmaps a’s user, and sends a nothing after', async () => {
    const { id } = await a.client.call('term_open', { workspace, command: ['/bin/cat'], node: 'c' });
    const seenOnA = new TermOutput(a.client, id);
    await a.client.call('term_attach', { id });
    await a.client.call('term_write', { id, data: 'before unmap\n' });
    await seenOnA.waitFor('before unmap');

    const { session } = await a.client.call('session_start', { workspace, provider: 'fake', node: 'c' });
    const events = await SessionWatch.start(a.client, session.id, 0);
    await a.client.call('session_send', { session: session.id, prompt: 'first' });
    await events.turnEnd(1);
    const sessionEnded = laggedOn(a, `session:${session.id}`);

    await c.client.call('acl_unmap', { identity: 'user:root@a' });
    // c's own administrator goes on using both; what they make is c's, not a's.
    const seenOnC = new TermOutput(c.client, id);
    await c.client.call('term_attach', { id });
    await c.client.call('term_write', { id, data: 'after unmap\n' });
    await seenOnC.waitFor('after unmap');
    const lastSeen = events.events.at(-1)!.seq;
    const onC = await SessionWatch.start(c.client, session.id, lastSeen);
    await c.client.call('session_stop', { session: session.id });
    await onC.waitFor((event) => event.seq > lastSeen, 'an event of the session after the unmap, on c');
    // A round trip over the same link: whatever c sent a before its answer has arrived.
    await rejectsWith(a.client.call('term_list', { node: 'c' }), 'EACCES', /has no local user on c/);
    assert.ok(!seenOnA.text.includes('after unmap'), 'a read the terminal after it was unmapped');
    assert.deepEqual(
      events.events.filter((event) => event.seq > lastSeen).map((event) => event.type),
      [],
      'a read the session after it was unmapped',
    );

    // And a heard that both ended, and why.
    assert.match(JSON.stringify(seenOnA.dropped), /user:root@a has no local user on c/);
    const lagged = await sessionEnded;
    assert.match(lagged.reason, /user:root@a has no local user on c/);
    assert.equal(lagged.node, 'c');
    assert.equal((await c.client.call('term_list', {})).terminals[0]!.viewers, 1, 'c’s own viewer alone');
    await c.client.call('term_close', { id });
  });
});
