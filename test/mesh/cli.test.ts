import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClusterStatus } from '../../src/protocol/mesh-types.js';
import { runCortex } from '../helpers/cli.js';
import { eventually, type MeshNode, TestMesh } from './mesh-helpers.js';

/** The mesh from the command line: cortex cluster, cluster connect, cluster disconnect, status. */
describe('cortex cluster', () => {
  const mesh = new TestMesh();
  let a: MeshNode;
  let b: MeshNode;
  const cli = (node: MeshNode, ...args: string[]) => runCortex(['--home', node.daemon.home, ...args]);

  before(async () => {
    await mesh.init();
    [a, b] = await Promise.all([mesh.start('a'), mesh.start('b')]);
  });
  after(() => mesh.cleanup());

  it('links, lists and unlinks peers', async () => {
    const none = await cli(a, 'cluster');
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, new RegExp(`^node a, mesh listener ${a.address}`));
    assert.match(none.stderr, /No peers yet/);

    const linked = await cli(a, 'cluster', 'connect', b.address);
    assert.equal(linked.code, 0, linked.stderr);
    assert.equal(linked.stdout, `linked with b (${b.address})\n`);

    await eventually('a heartbeat from b', async () => {
      const table = await cli(a, 'cluster');
      return /\n\s*b\s+connected \(outbound\)\s+127\.0\.0\.1:\d+\s+\d+s ago\s+\d+s ago\s+0\/0/.test(table.stdout)
        ? true
        : undefined;
    });
    const json = JSON.parse((await cli(a, 'cluster', '--json')).stdout) as ClusterStatus;
    assert.equal(json.peers[0]!.node, 'b');
    assert.match((await cli(b, 'status')).stdout, new RegExp(`mesh\\s+${b.address.replace(/\./g, '\\.')}`));

    const unlinked = await cli(a, 'cluster', 'disconnect', 'b');
    assert.equal(unlinked.code, 0, unlinked.stderr);
    assert.match((await cli(a, 'cluster')).stdout, /\n\s*b\s+disconnected/);
    const unknown = await cli(a, 'cluster', 'disconnect', 'zed');
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /never been linked with a node named zed/);
    const wrong = await cli(a, 'cluster', 'connect', 'not-an-address');
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /params\.node must be HOST:PORT/);
  });
});
