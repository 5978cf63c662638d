import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { CortexError } from '../../src/protocol/errors.js';
import { tempDir } from '../helpers/daemon.js';
import { gitIn, writeFiles } from '../helpers/git-repo.js';
import { eventually, type MeshNode, type TestMesh } from '../mesh/mesh-helpers.js';
import { finishedFakeSession } from '../helpers/session-watch.js';

/**
 * Every node maps the test user of every other node onto root, its own user
 * (`cortex acl map user:root@a root`): calls forwarded between the nodes of a
 * test mesh act as the same person. Mappings are kept across restarts.
 */
export async function mapRoots(nodes: readonly MeshNode[]): Promise<void> {
  for (const node of nodes) {
    for (const other of nodes) {
      if (other === node) continue;
      await node.client.call('acl_map', { identity: `user:root@${other.name}`, user: 'root' });
    }
  }
}

/**
 * Three real daemons in a line over mutual TLS, a — b — c, with no a–c link:
 * whatever a does on c goes through b.
 */
export async function lineOfThree(
  mesh: TestMesh,
  extra: (name: string) => { config?: Record<string, unknown>; env?: Record<string, string> } = () => ({}),
): Promise<[MeshNode, MeshNode, MeshNode]> {
  await mesh.init();
  const names = ['a', 'b', 'c'];
  const start = (name: string) => {
    const more = extra(name);
    return mesh.start(name, {
      ...(more.config ? { config: more.config } : {}),
      ...(more.env ? { env: more.env } : {}),
    });
  };
  const [a, b, c] = await Promise.all(names.map(start));
  await mapRoots([a!, b!, c!]);
  await a!.connect(b!);
  await b!.connect(c!);
  await reaches(a!, 'c');
  await reaches(c!, 'a');
  return [a!, b!, c!];
}

/** Waits until `from` lists `node` online (news of it came through the links). */
export async function reaches(from: MeshNode, node: string, online = true): Promise<void> {
  await eventually(`${from.name} to see ${node} ${online ? 'online' : 'offline'}`, async () => {
    const { nodes } = await from.client.call('node_list', {});
    const view = nodes.find((info) => info.node === node);
    return view !== undefined && (view.state === 'online') === online ? true : undefined;
  });
}

/** A git repository with one commit, in a temporary directory. */
export function gitRepo(prefix: string, files: Record<string, string> = { 'README.md': 'hello\n' }) {
  const dir = tempDir(prefix);
  gitIn(dir.path, 'init', '-q', '-b', 'main');
  writeFiles(dir.path, files);
  gitIn(dir.path, 'add', '-A');
  gitIn(dir.path, 'commit', '-q', '-m', 'first');
  return { path: realpathSync(dir.path), remove: dir.remove };
}

/** The call fails with this error code (and a message matching `message`). */
export async function rejectsWith(call: Promise<unknown>, code: string, message?: RegExp): Promise<CortexError> {
  let caught: CortexError | undefined;
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof CortexError, String(error));
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    caught = error;
    return true;
  });
  return caught!;
}

/** A workspace at `path` on `node` with a fake-provider session whose first turn (`prompt`) has completed; its id. */
export const finishedSessionOn = (node: MeshNode, path: string, prompt: string): Promise<string> =>
  finishedFakeSession(node.client, path, prompt);
