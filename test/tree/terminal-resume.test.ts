import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node-pty';
import type { Client } from '../../src/client/client.js';
import type { NodeReachable, NodeUnreachable } from '../../src/protocol/tree-types.js';
import { CORTEX_BIN } from '../helpers/daemon.js';
import { TermOutput } from '../helpers/term-output.js';
import { eventually, type MeshNode, TestMesh } from '../mesh/mesh-helpers.js';
import { gitRepo, lineOfThree, reaches } from './tree-helpers.js';

/** Resolves with the first notification `name` about `topic` that `client` receives. */
function notice<T extends { topic: string | null }>(client: Client, name: string, topic: string): Promise<T> {
  return new Promise((resolve) => {
    const off = client.onNotification((method, params) => {
      if (method !== name || (params as T).topic !== topic) return;
      off();
      resolve(params as T);
    });
  });
}

/** Cursor saved, top row erased, cursor restored: how the attach takes its paused bar away. */
const CLEAR_TOP_ROW = '\x1b7\x1b[1;1H\x1b[2K\x1b8';

/** How many times `needle` is in `text`. */
const count = (text: string, needle: string) => text.split(needle).length - 1;

/**
 * A viewer on a of a terminal on c, on a line a — b — c, while the a–b link is
 * cut and healed: the attach pauses and takes itself up again after the last
 * byte it delivered, with what c's program wrote meanwhile, every byte once.
 * No attaching again, from the RPC and from `cortex term attach --node c`,
 * which shows a bar on its top row while c is out of reach.
 */
describe('a terminal of another node across a cut and healed link', () => {
  const mesh = new TestMesh();
  const repo = gitRepo('cortex-tree-term-resume-');
  let a: MeshNode;
  let b: MeshNode;
  let c: MeshNode;
  let workspace: string;

  before(async () => {
    [a, b, c] = await lineOfThree(mesh);
    workspace = (await c.client.call('workspace_add', { path: repo.path })).workspace.id;
  });
  after(async () => {
    for (const { id } of (await c.client.call('term_list', {})).terminals) await c.client.call('term_close', { id });
    await mesh.cleanup();
    repo.remove();
  });

  /** Cuts the a–b link, runs `meanwhile` while c is out of a's reach, and heals it. */
  async function cutAndHeal(meanwhile: () => Promise<void>): Promise<void> {
    await a.client.call('cluster_disconnect', { node: 'b' });
    await reaches(a, 'c', false);
    await meanwhile();
    await a.connect(b);
  }

  it('resumes an attach from the last byte delivered, every byte of c once', async () => {
    const { id } = await c.client.call('term_open', { workspace, command: ['/bin/cat'] });
    const viewer = await a.daemon.connect();
    try {
      const output = new TermOutput(viewer, id);
      const attached = await viewer.call('term_attach', { id, node: 'c' });
      assert.equal(attached.offset, attached.scrollback.length, 'nothing held back from the scrollback');
      await viewer.call('term_write', { id, data: 'before the cut\n', node: 'c' });
      await output.waitFor('before the cut\r\nbefore the cut');

      const paused = notice<NodeUnreachable>(viewer, 'node_unreachable', `term:${id}`);
      const resumed = notice<NodeReachable>(viewer, 'node_reachable', `term:${id}`);
      await cutAndHeal(async () => {
        assert.equal((await paused).node, 'c');
        await c.client.call('term_write', { id, data: 'while a was away\n' });
        await scrollbackShows(c, id, 'while a was away\r\nwhile a was away');
      });
      assert.deepEqual(await resumed, { node: 'c', topic: `term:${id}` });
      await output.waitFor('while a was away\r\nwhile a was away');
      await viewer.call('term_write', { id, data: 'after the heal\n', node: 'c' });
      await output.waitFor('after the heal\r\nafter the heal');

      const onC = (await c.client.call('term_attach', { id })).scrollback;
      await c.client.call('term_detach', { id });
      const seen = Buffer.concat([attached.scrollback, Buffer.from(output.text, 'latin1')]);
      assert.equal(seen.toString('latin1'), Buffer.from(onC).toString('latin1'), "a has c's output, each byte once");
      assert.deepEqual(output.dropped, [], 'the attach was never dropped');
    } finally {
      viewer.close();
    }
  });

  it('cortex term attach --node c says it is paused, and goes on by itself after the link heals', async () => {
    const { id } = await c.client.call('term_open', { workspace, command: ['/bin/cat'] });
    let screen = '';
    const cli = spawn(process.execPath, [CORTEX_BIN, '--home', a.daemon.home, 'term', 'attach', id, '--node', 'c'], {
      name: 'xterm-256color',
      cols: 100,
      rows: 30,
      env: { ...process.env, CORTEX_HOME: '', CORTEX_SOCKET: '' },
    });
    const exited = new Promise<number>((resolve) => cli.onExit(({ exitCode }) => resolve(exitCode)));
    cli.onData((data) => (screen += data));
    // Twice: the terminal's echo, and cat's answer.
    const showsTwice = (text: string) =>
      eventually(`${JSON.stringify(text)} twice on the screen`, () => count(screen, text) >= 2 || undefined);
    try {
      await eventually('the CLI attached', async () => {
        const { terminals } = await c.client.call('term_list', {});
        return terminals.find((terminal) => terminal.id === id)?.viewers === 1 || undefined;
      });
      cli.write('typed before\r');
      await showsTwice('typed before');
      await cutAndHeal(async () => {
        await eventually('the paused bar', () => screen.includes('[cortex: paused: c unreachable (') || undefined);
        await c.client.call('term_write', { id, data: 'written while cut\n' });
      });
      await showsTwice('written while cut');
      const afterBar = () => screen.slice(screen.indexOf('[cortex: paused: c unreachable ('));
      await eventually('the bar erased once c is back', () => afterBar().includes(CLEAR_TOP_ROW) || undefined);
      cli.write('typed after\r');
      await showsTwice('typed after');
      assert.equal(count(screen, 'written while cut'), 2, 'the echo and cat, each once');
      cli.write('\x1d');
      assert.equal(await exited, 0);
    } finally {
      cli.kill('SIGKILL');
    }
  });
});

/** Waits until the scrollback of terminal `id` on `node` holds `needle`. */
async function scrollbackShows(node: MeshNode, id: string, needle: string): Promise<void> {
  await eventually(`${JSON.stringify(needle)} in ${id} on ${node.name}`, async () => {
    const { scrollback } = await node.client.call('term_attach', { id, scrollback: 4096 });
    await node.client.call('term_detach', { id });
    return Buffer.from(scrollback).includes(needle) || undefined;
  });
}
