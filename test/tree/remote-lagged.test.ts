import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import type { FsChange } from '../../src/protocol/workspace-types.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { bounded, RawClient } from '../protocol/raw-client.js';
import { type MeshNode, TestMesh } from '../mesh/mesh-helpers.js';
import { gitRepo, mapRoots, reaches } from './tree-helpers.js';

/** A field of a notification's params, as they came off the wire. */
function field(params: MsgValue | undefined, name: string): MsgValue | undefined {
  return (params as Record<string, MsgValue | undefined>)[name];
}

/**
 * Streams of another node keep the local rules: a subscriber on a that stops
 * reading a session stream of c is ended with `lagged` (its cursor and c's
 * name), as a local one would be, and resumes from the cursor exactly once; a
 * workspace's file changes on c reach a subscriber on a.
 */
describe('bounded streams from another node', () => {
  const mesh = new TestMesh();
  const repo = gitRepo('cortex-tree-lag-');
  let a: MeshNode;
  let c: MeshNode;
  let workspace: string;
  const opened: { close(): void }[] = [];

  before(async () => {
    await mesh.init();
    const small = { subscription_hard_bytes: 64 * 1024, subscription_soft_bytes: 64 * 1024, stall_timeout_ms: 600_000 };
    [a, c] = await Promise.all([mesh.start('a', { config: small }), mesh.start('c')]);
    await mapRoots([a, c]);
    await a.connect(c);
    await reaches(a, 'c');
    workspace = (await c.client.call('workspace_add', { path: repo.path })).workspace.id;
  });
  after(async () => {
    for (const client of opened) client.close();
    await mesh.cleanup();
    repo.remove();
  });

  it('ends a subscriber on a that does not read with lagged naming c, and resumes it exactly once', async () => {
    const { session } = await c.client.call('session_start', { workspace, provider: 'fake' });
    const watch = await SessionWatch.start(c.client, session.id, 0);
    const raw = await RawClient.open(a.daemon.socket);
    opened.push({ close: () => raw.destroy() });
    await raw.ok(1, 'subscribe', { topic: `session:${session.id}`, after: 0 });
    raw.socket.pause();
    // Far more than the paused socket's kernel buffers hold, which hold more when a writes in bigger batches
    // (a loaded machine): with 10,000 events a CI run's queue on a never passed the limit, and no lagged came.
    await c.client.call('session_send', { session: session.id, prompt: '/stream 30000' });
    const end = await watch.turnEnd(1);

    raw.socket.resume();
    while ((await raw.notification()).method !== 'lagged');
    const seqs: number[] = [];
    let lagged: MsgValue | undefined;
    for (const message of raw.received) {
      const [kind, method, params] = message as MsgValue[];
      if (kind !== 2) continue;
      if (method === 'lagged') {
        lagged = params;
        break;
      }
      seqs.push(Number(field(params, 'seq')));
    }
    assert.ok(seqs.length > 0 && seqs.length < end.seq, `${seqs.length} events before lagging`);
    assert.deepEqual(
      seqs,
      Array.from({ length: seqs.length }, (_, index) => index + 1),
    );
    assert.equal(field(lagged, 'node'), 'c');
    assert.equal(field(lagged, 'cursor'), seqs.at(-1), 'the cursor is the last event it was sent');

    const resumer = await a.daemon.connect();
    opened.push(resumer);
    const events: SessionEvent[] = [];
    const last = new Promise<void>((resolve) =>
      resumer.onNotification('event', (event) => {
        events.push(event);
        if (event.seq === end.seq) resolve();
      }),
    );
    const cursor = Number(field(lagged, 'cursor'));
    await resumer.call('subscribe', { topic: `session:${session.id}`, after: cursor, node: 'c' });
    await bounded(last, 'the last event', 120_000);
    assert.deepEqual(
      events.map((event) => event.seq),
      Array.from({ length: end.seq - cursor }, (_, index) => cursor + 1 + index),
      'every later event once, in order',
    );
  });

  it('sends the file changes of a workspace on c to a subscriber on a', async () => {
    const workspaces: string[] = [];
    const seen = new Promise<FsChange>((resolve) =>
      a.client.onNotification('fs_change', (note) => {
        workspaces.push(note.workspace);
        const change = note.changes.find((one) => one.path === 'from-a.txt');
        if (change !== undefined) resolve(change);
      }),
    );
    await a.client.call('subscribe', { topic: `fs:${workspace}` });
    // Listing the directory waits until c watches it, as it does locally.
    await a.client.call('fs_list', { workspace, path: '.' });
    await a.client.call('fs_write', { workspace, path: 'from-a.txt', content: 'hello\n' });
    const change = await bounded(seen, 'the file change from c', 30_000);
    assert.equal(change.kind, 'add');
    assert.deepEqual([...new Set(workspaces)], [workspace]);
  });
});
