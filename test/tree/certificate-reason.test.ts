import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCortex } from '../helpers/cli.js';
import { eventually, type MeshNode, TestMesh } from '../mesh/mesh-helpers.js';
import { gitRepo, lineOfThree, reaches } from './tree-helpers.js';

/**
 * A node whose certificate the mesh refuses, as listings tell it: on a line
 * a — b — c, the CA (on a) revokes c; b cuts its link with c and refuses it at
 * every handshake since, and a's listings show c offline with the reason
 * `certificate` (learnt from b, a's only way to c), its objects from its last
 * answer kept and marked stale.
 */
describe('a node whose certificate is revoked, in listings across nodes', () => {
  const mesh = new TestMesh({ caOn: 'a' });
  const repo = gitRepo('cortex-tree-cert-c-');
  let a: MeshNode;
  let c: MeshNode;
  let workspace: string;

  before(async () => {
    [a, , c] = await lineOfThree(mesh);
    workspace = (await c.client.call('workspace_add', { path: repo.path })).workspace.id;
    // A listing c answers: the one after its revocation keeps c's objects from it.
    const listed = await a.client.call('workspace_list', { nodes: 'all' });
    assert.ok(listed.workspaces.some((item) => item.id === workspace && item.node === 'c'));
  });
  after(async () => {
    await mesh.cleanup();
    repo.remove();
  });

  it('lists c offline with the reason certificate, its workspace stale, in the RPC and the CLI', async () => {
    const revoked = await runCortex(['--home', a.daemon.home, 'ca', 'revoke', 'c']);
    assert.equal(revoked.code, 0, revoked.stderr);
    await reaches(a, 'c', false);

    const listing = await eventually('a to list c with the reason certificate', async () => {
      const answer = await a.client.call('workspace_list', { nodes: 'all' });
      return answer.nodes?.find((node) => node.node === 'c')?.reason === 'certificate' ? answer : undefined;
    });
    const gone = listing.nodes!.find((node) => node.node === 'c')!;
    assert.equal(gone.answered, false);
    assert.match(gone.message ?? '', /certificate|revoked/i);
    assert.ok(gone.last_heard !== null && gone.last_heard <= Date.now(), 'when c was last heard from');
    const kept = listing.workspaces.find((item) => item.id === workspace);
    assert.equal(kept?.node, 'c');
    assert.equal(kept?.stale, true, "c's workspace from its last answer, marked stale");

    const cli = await runCortex(['--home', a.daemon.home, 'workspace', 'ls', '--all-nodes']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(
      cli.stderr,
      /^c: offline \(certificate: .*revoked by the CA.*\); last heard \d+s ago; its objects as of /m,
    );
    assert.match(cli.stdout, /^c \(stale\)\s/m);
  });
});
