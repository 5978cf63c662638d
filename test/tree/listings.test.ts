import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NodeInfo } from '../../src/protocol/tree-types.js';
import { runCortex } from '../helpers/cli.js';
import { eventually, type MeshNode, TestMesh } from '../mesh/mesh-helpers.js';
import { gitRepo, lineOfThree, reaches } from './tree-helpers.js';

/**
 * One tree: listings across a line a — b — c answer with every node's objects,
 * each with its node; `cortex nodes` shows each node's figures; a node killed
 * is shown offline with why and how long ago, its objects kept and marked
 * stale, and back when it is.
 */
describe('listings across nodes', () => {
  const mesh = new TestMesh();
  const repos = ['a', 'b', 'c'].map((name) => gitRepo(`cortex-tree-${name}-`));
  let a: MeshNode;
  let c: MeshNode;
  const sessions = new Map<string, string>();
  const cli = (node: MeshNode, ...args: string[]) => runCortex(['--home', node.daemon.home, ...args]);

  before(async () => {
    const nodes = await lineOfThree(mesh);
    [a, , c] = nodes;
    for (const [index, node] of nodes.entries()) {
      const { workspace } = await node.client.call('workspace_add', { path: repos[index]!.path });
      const { session } = await node.client.call('session_start', { workspace: workspace.id, provider: 'fake' });
      sessions.set(node.name, session.id);
    }
  });
  after(async () => {
    await mesh.cleanup();
    for (const repo of repos) repo.remove();
  });

  it('lists every node’s sessions with their node, and how each node answered', async () => {
    const listing = await a.client.call('session_list', { nodes: 'all' });
    assert.deepEqual(
      listing.sessions.map((session) => [session.node, session.id]).sort(),
      [...sessions.entries()].sort(),
    );
    assert.deepEqual(
      listing.nodes?.map((node) => [node.node, node.answered]),
      [
        ['a', true],
        ['b', true],
        ['c', true],
      ],
    );
    const workspaces = await a.client.call('workspace_list', { nodes: 'all' });
    assert.deepEqual(workspaces.workspaces.map((ws) => ws.node).sort(), ['a', 'b', 'c']);

    const table = await cli(a, 'session', 'ls', '--all-nodes');
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^NODE\s+ID\s+STATUS/);
    for (const [node, id] of sessions)
      assert.ok(
        lines.some((row) => row.startsWith(node) && row.includes(id)),
        node,
      );
  });

  it('shows each node with its figures in cortex nodes, c two hops away through b', async () => {
    // A node's figures travel in its heartbeats, two hops from c to a: wait for the news of c's session.
    await eventually('a to hear of the session on c', async () => {
      const { nodes } = await a.client.call('node_list', {});
      return nodes.find((info) => info.node === 'c')?.summary?.objects.sessions === 1 ? true : undefined;
    });
    const json = await cli(a, 'nodes', '--json');
    assert.equal(json.code, 0, json.stderr);
    const nodes = json.stdout
      .trim()
      .split('\n')
      .map((row) => JSON.parse(row) as NodeInfo);
    assert.deepEqual(
      nodes.map((node) => [node.node, node.state, node.hops, node.via]),
      [
        ['a', 'online', 0, null],
        ['b', 'online', 1, 'b'],
        ['c', 'online', 2, 'b'],
      ],
    );
    const ofC = nodes[2]!.summary!;
    assert.ok(ofC.mem_total > 0 && ofC.objects.sessions === 1, JSON.stringify(ofC));
    const table = await cli(a, 'nodes');
    assert.match(table.stdout, /^NODE\s+STATE\s+ROUTE\s+LOAD/);
    assert.match(table.stdout, /\nc\s+online\s+via b \(2 hops\)/);
  });

  it('shows c offline with why and how long ago when it is killed, its sessions kept as stale, then back', async () => {
    await c.kill();
    await reaches(a, 'c', false);
    const listing = await a.client.call('session_list', { nodes: 'all' });
    const ofC = listing.nodes!.find((node) => node.node === 'c')!;
    assert.equal(ofC.answered, false);
    assert.ok(['link_down', 'refused', 'timed_out'].includes(ofC.reason!), ofC.reason!);
    assert.match(ofC.message!, /c/);
    assert.ok(ofC.last_heard !== null && ofC.stale_ms !== null && ofC.stale_ms >= 0);
    const stale = listing.sessions.find((session) => session.id === sessions.get('c'));
    assert.deepEqual([stale?.node, stale?.stale], ['c', true], 'c’s session is kept, marked stale');
    assert.equal(listing.sessions.find((session) => session.id === sessions.get('a'))?.stale, undefined);

    const table = await cli(a, 'session', 'ls', '--all-nodes');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stderr, /^c: offline \((link_down|refused|timed_out): .*last heard \d+s ago/m);
    assert.match(table.stdout, /\nc \(stale\)\s+s_/);
    const nodes = await cli(a, 'nodes');
    assert.match(nodes.stdout, /\nc\s+offline \d+s\s/);
    // A call for c itself says it cannot be reached, and why.
    const direct = await cli(a, 'session', 'show', sessions.get('c')!, '--node', 'c');
    assert.equal(direct.code, 7, direct.stderr);
    assert.match(direct.stderr, /c cannot be reached \((link_down|refused|timed_out): .*last heard \d+ s ago\)/);

    c = await mesh.start('c');
    await reaches(a, 'c');
    const back = await eventually('c to answer listings again', async () => {
      const again = await a.client.call('session_list', { nodes: 'all' });
      return again.nodes!.every((node) => node.answered) ? again : undefined;
    });
    assert.equal(back.sessions.find((session) => session.id === sessions.get('c'))?.stale, undefined);
  });
});
