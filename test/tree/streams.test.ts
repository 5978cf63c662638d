import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NodeReachable, NodeUnreachable } from '../../src/protocol/tree-types.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { TermOutput } from '../helpers/term-output.js';
import { eventually, type MeshNode, TestMesh } from '../mesh/mesh-helpers.js';
import { gitRepo, lineOfThree, reaches } from './tree-helpers.js';

/** Resolves with the first notification `name` on the node's client that passes `match`. */
function next<T>(node: MeshNode, name: 'node_unreachable' | 'node_reachable', match: (note: T) => boolean) {
  return new Promise<T>((resolve) => {
    const off = node.client.onNotification((method, params) => {
      if (method !== name || !match(params as T)) return;
      off();
      resolve(params as T);
    });
  });
}

/**
 * Streams of another node across a line a — b — c: a session's events on c
 * followed from a while the a–b link is cut and healed (every event once), and
 * a terminal of c watched from a.
 */
describe('streams from another node', () => {
  const mesh = new TestMesh();
  const repo = gitRepo('cortex-tree-streams-');
  let a: MeshNode;
  let b: MeshNode;
  let c: MeshNode;
  let workspace: string;

  before(async () => {
    [a, b, c] = await lineOfThree(mesh);
    workspace = (await a.client.call('workspace_add', { path: repo.path, node: 'c' })).workspace.id;
  });
  after(async () => {
    await mesh.cleanup();
    repo.remove();
  });

  it('delivers 5,000 events of a session on c to a exactly once across a cut and healed a–b link', async () => {
    // 50 bursts of 100 events with pauses between: the cut falls in the middle of the stream.
    const prompt = Array.from({ length: 50 }, () => '/stream 100\n/sleep 40').join('\n');
    const { session } = await a.client.call('session_start', { workspace, provider: 'fake', node: 'c' });
    const watch = await SessionWatch.start(a.client, session.id, 0);
    await a.client.call('session_send', { session: session.id, prompt });
    await watch.waitFor((event) => event.seq > 1000, 'the first thousand events');

    const paused = next<NodeUnreachable>(a, 'node_unreachable', (note) => note.topic === `session:${session.id}`);
    await a.client.call('cluster_disconnect', { node: 'b' });
    const notice = await paused;
    assert.equal(notice.node, 'c');
    assert.ok(['link_down', 'refused', 'timed_out'].includes(notice.reason), notice.reason);
    const seenAtCut = watch.events.length;

    const resumed = next<NodeReachable>(a, 'node_reachable', (note) => note.topic === `session:${session.id}`);
    await a.connect(b);
    assert.deepEqual(await resumed, { node: 'c', topic: `session:${session.id}` });
    await watch.turnEnd(1);

    const onC: number[] = [];
    for (let after = 0; ;) {
      const page = await c.client.call('session_events', { session: session.id, after, limit: 1000 });
      onC.push(...page.events.map((event) => event.seq));
      if (page.next === null) break;
      after = page.next;
    }
    const seen = watch.events.map((event) => event.seq);
    assert.ok(seenAtCut < seen.length, 'the stream went on after the cut');
    assert.equal(new Set(seen).size, seen.length, 'no event twice');
    assert.deepEqual(seen, onC, 'every event of c, once, in order');
    assert.equal(watch.events.filter((event) => event.type === 'agent_message').length, 5000);
  });

  it('streams a terminal of c to a and to b at once, and stops streaming to a connection that closed', async () => {
    const { id } = await a.client.call('term_open', { workspace, command: ['/bin/cat'] });
    const fromA = new TermOutput(a.client, id);
    const fromB = new TermOutput(b.client, id);
    await a.client.call('term_attach', { id });
    await b.client.call('term_attach', { id });
    await a.client.call('term_write', { id, data: 'both see this\n' });
    await Promise.all([fromA.waitFor('both see this'), fromB.waitFor('both see this')]);
    assert.equal((await c.client.call('term_list', {})).terminals[0]!.viewers, 2);

    const other = await a.daemon.connect();
    await other.call('term_attach', { id });
    other.close();
    await eventually('c to drop the closed connection’s viewer', async () =>
      (await c.client.call('term_list', {})).terminals[0]!.viewers === 2 ? true : undefined,
    );
    await a.client.call('term_close', { id });
  });

  it('tells a subscriber of nodes:* when a node goes and comes back', async () => {
    await a.client.call('subscribe', { topic: 'nodes:*' });
    const gone = next<NodeUnreachable>(a, 'node_unreachable', (note) => note.topic === null);
    await b.client.call('cluster_disconnect', { node: 'c' });
    assert.equal((await gone).node, 'c');
    await reaches(a, 'c', false);
    const back = next<NodeReachable>(a, 'node_reachable', (note) => note.topic === null);
    await b.connect(c);
    assert.deepEqual(await back, { node: 'c', topic: null });
  });
});
