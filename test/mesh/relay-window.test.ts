import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gitRepo, reaches } from '../tree/tree-helpers.js';
import { type MeshNode, TestMesh } from './mesh-helpers.js';

/**
 * A relayed call's signature is judged by its time within max_clock_drift_ms, but never in
 * less than a few seconds: a relay takes time, so a node set to take nothing from ahead of its
 * clock (0) refused every honest call relayed to it, the moment it was signed being already past.
 */
describe('a relayed call to a node with max_clock_drift_ms 0', () => {
  const mesh = new TestMesh();
  const repo = gitRepo('cortex-relay-window-');
  let a: MeshNode;
  let b: MeshNode;
  let c: MeshNode;

  before(async () => {
    await mesh.init();
    [a, b, c] = await Promise.all([
      mesh.start('a'),
      mesh.start('b'),
      mesh.start('c', { config: { max_clock_drift_ms: 0 } }),
    ]);
    await c.client.call('acl_map', { identity: 'user:root@a', user: 'root' });
    await a.connect(b);
    await b.connect(c);
    await reaches(a, 'c');
    await c.client.call('workspace_add', { path: repo.path });
  });
  after(async () => {
    await mesh.cleanup();
    repo.remove();
  });

  it('is run, signed by a and relayed by b', async () => {
    const { workspaces } = await a.client.call('workspace_list', { node: 'c' });
    assert.deepEqual(
      workspaces.map((workspace) => workspace.path),
      [repo.path],
    );
  });
});
