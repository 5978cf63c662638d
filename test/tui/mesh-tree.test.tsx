import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, type MeshNode, TestMesh } from '../mesh/mesh-helpers.js';
import { gitRepo, lineOfThree } from '../tree/tree-helpers.js';
import { lines, type Rendered } from './helpers/frames.js';
import { renderApp } from './helpers/app.js';

/** The tree's nodes with the mesh on: two real daemons linked over mutual TLS, the App attached to one. */
describe('mesh peers in the tree', () => {
  const mesh = new TestMesh();
  let a: MeshNode;
  let b: MeshNode;
  let app: Rendered | undefined;

  before(async () => {
    await mesh.init();
    [a, b] = await Promise.all([mesh.start('a'), mesh.start('b')]);
    await a.connect(b);
    await eventually('a heartbeat from b', async () => {
      const status = await a.client.call('cluster_status', {});
      return status.peers.some((peer) => peer.node === 'b' && peer.resources !== null) ? status : undefined;
    });
  });

  after(async () => {
    app?.unmount();
    await mesh.cleanup();
  });

  it('lists this node first, then the peer with its liveness and resource badges, and marks it offline with the reason when it goes', async () => {
    app = renderApp(a.daemon.socket, '/');
    // At 100 columns the tree is 30 wide: a badge drops its words when they do not fit (load 0.5 mem 12% → 0.5 12%).
    const badge = (name: string) => new RegExp(`│ ${name} (load )?[\\d.]+ (mem )?\\d+%`);
    const frame = await app.waitFor((text) => badge('b ●').test(text), 'the peer with its badges');
    const rows = lines(frame);
    const nodeRow = rows.findIndex((row) => badge('a').test(row));
    const peerRow = rows.findIndex((row) => /│ b ●/.test(row));
    assert.ok(nodeRow >= 0 && peerRow > nodeRow, `this node first, the peer after it:\n${frame}`);
    await b.stop();
    // The tree reads the node states again every few seconds: b greyed with why and when it was last heard from.
    await app.waitFor(
      (text) => /│ b ○ (link_down|refused|timed_out) <1m ago/.test(text),
      'the node marked offline',
      20_000,
    );
  });
});

/**
 * A node out of reach: a line a — b — c of real daemons, the App on a, c
 * killed. c stays in the tree with why and how long ago it was heard from, and
 * its session stays under it (from its last answer), never dropped.
 */
describe('a remote node killed, in the tree', () => {
  const mesh = new TestMesh();
  const repo = gitRepo('cortex-tui-offline-c-');
  let a: MeshNode;
  let c: MeshNode;
  let app: Rendered | undefined;

  before(async () => {
    [a, , c] = await lineOfThree(mesh);
    const { workspace } = await c.client.call('workspace_add', { path: repo.path });
    await c.client.call('session_start', { workspace: workspace.id, provider: 'fake' });
  });

  after(async () => {
    app?.unmount();
    await mesh.cleanup();
    repo.remove();
  });

  it('greys c with the reason and the age of its last news, and keeps its session under it', async () => {
    app = renderApp(a.daemon.socket, '/');
    const session = /│ {6}[ •]\S+ fake/;
    let frame = await app.waitFor((text) => /│ c ●/.test(text) && session.test(text), "c's session under c");
    await c.kill();
    frame = await app.waitFor(
      (text) => /│ c ○ (link_down|refused|timed_out|unknown_node) (<1m|\d+m) ago/.test(text),
      'c offline with its reason',
      20_000,
    );
    const rows = lines(frame);
    const nodeRow = rows.findIndex((row) => /│ c ○/.test(row));
    assert.ok(rows.findIndex((row) => session.test(row)) > nodeRow, `the session still under c:\n${frame}`);
  });
});
