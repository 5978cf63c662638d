import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { TreeSource } from '../../tui/state/tree.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { renderWatched } from './helpers/frames.js';
import { tui } from './helpers/shipped.js';

const { App, ConnectionProvider, TreeAhead } = tui;

/** Until the lists are in (settled() gives up after its time, so the peek says whether they came). */
async function listed(ahead: InstanceType<typeof TreeAhead>, client: Client): Promise<void> {
  await ahead.settled(10_000);
  if (ahead.peek(client) === undefined) throw new Error('the lists never came');
}

const paths = (tree: TreeSource | undefined) => (tree?.workspaces ?? []).map((workspace) => workspace.path).sort();

/**
 * The tree's first lists asked for on the connection `cortex tui` opens while
 * its code loads (tui/state/tree-ahead.ts), against a real daemon: what the
 * tree's hook takes once, with the changes told meanwhile, and for no other
 * connection.
 */
describe('TreeAhead: the tree asked for ahead, handed over once', () => {
  const work = tempDir('cortex-tree-ahead-');
  let daemon: DaemonHandle;
  let control: Client;
  const dir = (name: string) => {
    const path = join(work.path, name);
    mkdirSync(path);
    return path;
  };

  before(async () => {
    daemon = await startDaemon();
    control = await daemon.connect();
    await control.call('workspace_add', { path: dir('first') });
  });

  after(async () => {
    control.close();
    await cleanup(daemon);
    work.remove();
  });

  /** Resolves once `client` has been told of a workspace at `path` (after the ahead's own listener, registered first). */
  const told = (client: Client, path: string) =>
    new Promise<void>((resolve) => {
      const stop = client.onNotification('workspace_update', ({ workspace }) => {
        if (workspace.path !== path) return;
        stop();
        resolve();
      });
    });

  it('gives the lists with the changes told before it was taken, once, and only for its own connection', async () => {
    const client = await daemon.connect();
    const other = await daemon.connect();
    try {
      const ahead = new TreeAhead(client);
      assert.equal(ahead.peek(client), undefined, 'nothing to show before the lists are in');
      const second = dir('second');
      const heard = told(client, second);
      await listed(ahead, client);
      assert.deepEqual(paths(ahead.peek(client)), [join(work.path, 'first')]);
      await control.call('workspace_add', { path: second });
      await heard;
      assert.deepEqual(paths(ahead.peek(client)), [join(work.path, 'first'), second], 'the change told is shown');
      assert.equal(ahead.peek(other), undefined, 'another connection sees nothing of it');
      assert.equal(ahead.take(other), undefined, 'another connection cannot take it');

      const taken = ahead.take(client);
      assert.ok(taken, 'its own connection takes it');
      assert.deepEqual(paths(await taken), [join(work.path, 'first'), second]);
      assert.equal(ahead.take(client), undefined, 'taken only once');
      assert.equal(ahead.peek(client), undefined, 'nothing left to show once taken');
    } finally {
      client.close();
      other.close();
    }
  });

  it('waits for the lists when taken before they are in, with what was told meanwhile', async () => {
    const client = await daemon.connect();
    try {
      const ahead = new TreeAhead(client);
      const taken = ahead.take(client);
      assert.ok(taken);
      const tree = await taken;
      assert.ok(tree?.status !== undefined, 'the status came with the lists');
      assert.ok(paths(tree).includes(join(work.path, 'first')));
    } finally {
      client.close();
    }
  });

  it('lets the App draw the tree, connected, in its very first frame when the lists are in', async () => {
    const client = await daemon.connect();
    const ahead = new TreeAhead(client);
    await listed(ahead, client);
    // As cortex tui does: the first attempt takes the connection opened ahead.
    let first: Client | undefined = client;
    const connect = () => {
      const taken = first;
      first = undefined;
      return taken ? Promise.resolve(taken) : daemon.connect();
    };
    const app = renderWatched(
      <ConnectionProvider connect={connect} opened={{ client, tree: ahead }}>
        <App cwd={work.path} colour={true} />
      </ConnectionProvider>,
      { columns: 100, rows: 24 },
    );
    try {
      await app.waitFor(() => app.frames.length > 0, 'the first frame');
      const frame = app.frames[0]!;
      assert.match(frame, /● connected/, frame);
      assert.match(frame, /│ +first +│/, `the workspace's project in the tree:\n${frame}`);
      assert.doesNotMatch(frame, /connecting/, frame);
      assert.equal(ahead.take(client), undefined, 'the tree took the lists');
    } finally {
      app.unmount();
    }
  });

  it('settles without the lists when the daemon does not answer in time, and they come later', async () => {
    const client = await daemon.connect();
    daemon.process.kill('SIGSTOP');
    try {
      const ahead = new TreeAhead(client);
      await ahead.settled(50);
      assert.equal(ahead.peek(client), undefined, 'settled with no lists: the daemon is stopped');
      daemon.process.kill('SIGCONT');
      await listed(ahead, client);
      assert.ok(paths(ahead.peek(client)).includes(join(work.path, 'first')));
    } finally {
      daemon.process.kill('SIGCONT');
      client.close();
    }
  });

  it('is dropped with its connection: nothing to peek or take once it closed', async () => {
    const client = await daemon.connect();
    const ahead = new TreeAhead(client);
    await listed(ahead, client);
    const closed = new Promise<void>((resolve) => client.onClose(resolve));
    client.close();
    await closed;
    assert.equal(ahead.peek(client), undefined);
    assert.equal(ahead.take(client), undefined);
  });
});
