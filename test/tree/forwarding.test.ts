import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SessionWatch } from '../helpers/session-watch.js';
import { TermOutput } from '../helpers/term-output.js';
import { type MeshNode, TestMesh } from '../mesh/mesh-helpers.js';
import { gitRepo, lineOfThree, rejectsWith } from './tree-helpers.js';

/**
 * Driving another node: three real daemons in a line a — b — c over mutual TLS,
 * no a–c link. Calls from a for c go through b and come back unchanged, errors
 * and codes included; ids resolve to their node without naming it.
 */
describe('calls forwarded across a line of three nodes', () => {
  const mesh = new TestMesh();
  const repo = gitRepo('cortex-tree-c-');
  let a: MeshNode;
  let b: MeshNode;
  let c: MeshNode;
  let workspace: string;
  let session: string;

  before(async () => {
    [a, b, c] = await lineOfThree(mesh);
  });
  after(async () => {
    await mesh.cleanup();
    repo.remove();
  });

  it('registers a workspace on c from a: it belongs to c, and is not on a', async () => {
    const added = await a.client.call('workspace_add', { path: repo.path, node: 'c' });
    assert.equal(added.workspace.node, 'c');
    workspace = added.workspace.id;
    assert.deepEqual(
      (await c.client.call('workspace_list', {})).workspaces.map((ws) => ws.id),
      [workspace],
    );
    assert.deepEqual((await a.client.call('workspace_list', {})).workspaces, []);
  });

  it('starts a session on c from a, sends, interrupts and stops it; its id finds c by itself', async () => {
    const { session: started } = await a.client.call('session_start', {
      workspace,
      provider: 'fake',
      prompt: '/write notes.txt written on c',
      node: 'c',
    });
    session = started.id;
    assert.equal((await c.client.call('session_get', { session })).session.workspace, workspace, 'it runs on c');
    await rejectsWith(b.client.call('session_get', { session, node: 'b' }), 'ENOTFOUND');
    const watch = await SessionWatch.start(a.client, session, 0);
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed', watch.summary());
    assert.equal(readFileSync(join(repo.path, 'notes.txt'), 'utf8'), 'written on c\n');

    // No node named: the id is found on c (asked of the mesh once).
    const sent = await a.client.call('session_send', { session, prompt: '/hang' });
    assert.equal(sent.turn, 2);
    await watch.waitFor((event) => event.type === 'turn_started' && event.turn === 2, 'turn 2 to start');
    assert.equal((await a.client.call('session_interrupt', { session })).interrupted, true);
    assert.equal((await watch.turnEnd(2)).type, 'turn_interrupted');
    await a.client.call('session_stop', { session });
    assert.equal((await c.client.call('session_get', { session })).session.status, 'stopped');
    const seqs = watch.events.map((event) => event.seq);
    assert.deepEqual(
      seqs,
      [...new Set(seqs)].sort((x, y) => x - y),
      'each event once, in order',
    );
  });

  it('reads the session’s events and its turn diff from a and from b, the same as on c', async () => {
    const onC = await c.client.call('session_events', { session, after: 0 });
    for (const node of [a, b]) {
      const events = await node.client.call('session_events', { session, after: 0 });
      assert.deepEqual(events, onC, `events read from ${node.name}`);
      const { diff } = await node.client.call('session_turn_diff', { session, turn: 1 });
      assert.deepEqual(
        diff.files.map((file) => [file.path, file.status]),
        [['notes.txt', 'added']],
      );
    }
  });

  it('edits a file on c from a, with conflict detection', async () => {
    const read = await a.client.call('fs_read', { workspace, path: 'README.md' });
    const written = await a.client.call('fs_write', {
      workspace,
      path: 'README.md',
      content: 'edited from a\n',
      expected_hash: read.hash,
    });
    assert.equal(readFileSync(join(repo.path, 'README.md'), 'utf8'), 'edited from a\n');
    // The old hash no longer matches: c refuses, and a gets c's own error.
    await rejectsWith(
      a.client.call('fs_write', { workspace, path: 'README.md', content: 'stale\n', expected_hash: read.hash }),
      'ECONFLICT',
    );
    assert.equal(readFileSync(join(repo.path, 'README.md'), 'utf8'), 'edited from a\n');
    const { diff } = await b.client.call('ws_diff', { workspace });
    assert.ok(diff.files.some((file) => file.path === 'README.md'));
    assert.equal((await a.client.call('fs_read', { workspace, path: 'README.md' })).hash, written.hash);
  });

  it('opens a terminal on c from a, types into it and reads its output', async () => {
    const { id, terminal } = await a.client.call('term_open', { workspace, command: ['/bin/cat'] });
    assert.equal(terminal.workspace, workspace);
    const output = new TermOutput(a.client, id);
    await a.client.call('term_attach', { id });
    await a.client.call('term_write', { id, data: 'typed on a\n' });
    await output.waitFor('typed on a');
    assert.deepEqual(
      (await c.client.call('term_list', {})).terminals.map((info) => info.id),
      [id],
    );
    assert.equal((await a.client.call('term_detach', { id })).attached, true);
    await a.client.call('term_close', { id });
    assert.deepEqual((await c.client.call('term_list', {})).terminals, []);
  });

  it('keeps the remote error and its code; names an unknown node; refuses a node name that is not one', async () => {
    await rejectsWith(a.client.call('session_get', { session: 's_000000000000', node: 'c' }), 'ENOTFOUND');
    await rejectsWith(
      a.client.call('workspace_add', { path: '/nonexistent/dir', node: 'c' }),
      'ENOTFOUND',
      /nonexistent/,
    );
    await rejectsWith(a.client.call('session_list', { node: 'zed' }), 'ENOTFOUND', /no node named zed/);
    await rejectsWith(a.client.call('session_list', { node: '../c' }), 'EINVAL', /params\.node must be a node name/);
    await rejectsWith(a.client.call('session_list', { nodes: 'some' } as never), 'EINVAL', /params\.nodes/);
  });
});
