import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Client } from '../../src/client/client.js';
import type { Notifications } from '../../src/protocol/notifications.js';
import { becomeUser, NOBODY } from '../helpers/as-nobody.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { NotificationLog, type Received } from '../helpers/notifications.js';
import { Wakeups } from '../helpers/wakeups.js';

const CLIENT = fileURLToPath(new URL('../../src/client/client.js', import.meta.url));

/**
 * A client running as uid 65534 (setpriv), so the daemon knows it as `nobody`
 * by SO_PEERCRED: it subscribes to the tree's topics, prints every
 * notification as a JSON line, and adds as a workspace each path it reads
 * from stdin.
 */
const NOBODY_CLIENT = `
const { connectUnix } = await import(${JSON.stringify(CLIENT)});
const client = await connectUnix(process.argv[1]);
client.onNotification((method, params) => process.stdout.write(JSON.stringify({ method, params }) + '\\n'));
await client.call('subscribe', { topic: 'workspaces:*' });
await client.call('subscribe', { topic: 'terminals:*' });
process.stdout.write(JSON.stringify({ method: 'ready' }) + '\\n');
process.stdin.setEncoding('utf8').on('data', (line) => void client.call('workspace_add', { path: line.trim() }));
process.stdin.on('end', () => client.close());
`;

class NobodyWatcher {
  readonly received: Received[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly wakeups = new Wakeups();

  constructor(socket: string) {
    this.child = spawn(
      'setpriv',
      [...becomeUser(), process.execPath, '--input-type=module', '-e', NOBODY_CLIENT, socket],
      { cwd: '/' },
    );
    let partial = '';
    this.child.stdout.setEncoding('utf8').on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) this.received.push(JSON.parse(line) as Received);
      this.wakeups.wake();
    });
  }

  waitFor(test: (item: Received) => boolean, what: string): Promise<Received> {
    return this.wakeups.until(
      () => this.received.find(test),
      () => `nobody never received ${what}: ${JSON.stringify(this.received)}`,
      20_000,
    );
  }

  addWorkspace(path: string): void {
    this.child.stdin.write(`${path}\n`);
  }

  async stop(): Promise<void> {
    this.child.stdin.end();
    if (this.child.exitCode === null) await new Promise((resolve) => this.child.once('close', resolve));
  }
}

/**
 * `workspaces:*` and `terminals:*`: a client keeps its tree current from
 * them, without polling. Each change goes to the subscribers who may see it:
 * projects to everyone, a workspace or a terminal to its owner and the
 * administrators only.
 */
describe('the tree topics', () => {
  const work = tempDir('cortex-tree-topics-');
  let daemon: DaemonHandle;
  let watcher: Client;
  let actor: Client;
  let log: NotificationLog;

  before(async () => {
    daemon = await startDaemon({ args: ['--group', 'nogroup'] });
    watcher = await daemon.connect();
    actor = await daemon.connect();
    log = new NotificationLog(watcher);
    await watcher.call('subscribe', { topic: 'workspaces:*' });
    await watcher.call('subscribe', { topic: 'terminals:*' });
  });

  after(async () => {
    watcher?.close();
    actor?.close();
    await cleanup(daemon);
    work.remove();
  });

  const params = <M extends keyof Notifications>(item: Received) => item.params as unknown as Notifications[M];

  it('tells of projects and workspaces added and removed by another client', async () => {
    const path = join(work.path, 'added');
    mkdirSync(path);
    const { workspace } = await actor.call('workspace_add', { path, project: 'watched' });
    const project = await log.waitFor(
      (method, value) =>
        method === 'project_update' && (value as { project: { name: string } }).project.name === 'watched',
      'the new project',
    );
    assert.equal(params<'project_update'>(project).removed, false);
    const added = await log.waitFor((method) => method === 'workspace_update', 'the new workspace');
    assert.deepEqual(params<'workspace_update'>(added), { workspace, removed: false });

    await actor.call('workspace_remove', { workspace: workspace.id });
    await actor.call('project_remove', { name: 'watched' });
    await log.until(
      () => log.received.find((item) => item.method === 'project_update' && params<'project_update'>(item).removed),
      'the project removed',
    );
    const removed = log.received.filter(
      (item) => item.method === 'workspace_update' && params<'workspace_update'>(item).removed,
    );
    assert.deepEqual(
      removed.map((item) => params<'workspace_update'>(item).workspace.id),
      [workspace.id],
    );
  });

  it('tells of terminals opened, ended and closed', async () => {
    const path = join(work.path, 'shell');
    mkdirSync(path);
    const { workspace } = await actor.call('workspace_add', { path });
    const { id } = await actor.call('term_open', { workspace: workspace.id, command: ['sh', '-c', 'exit 3'] });
    const states = () =>
      log.received
        .filter((item) => item.method === 'terminal_update' && params<'terminal_update'>(item).terminal.id === id)
        .map((item) => {
          const { terminal, removed } = params<'terminal_update'>(item);
          return removed ? 'removed' : terminal.status;
        });
    await log.until(() => (states().includes('ended') ? true : undefined), 'the terminal ended');
    await actor.call('term_close', { id });
    await log.until(() => (states().includes('removed') ? true : undefined), 'the terminal closed');
    assert.deepEqual(states(), ['running', 'ended', 'removed']);
  });

  it('refuses another topic of the families', async () => {
    await assert.rejects(watcher.call('subscribe', { topic: 'workspaces:ws_1' }), { code: 'EINVAL' });
    await assert.rejects(watcher.call('subscribe', { topic: 'terminals:t_1' }), { code: 'EINVAL' });
  });

  it("attack: another user subscribed to the topics learns nothing of root's workspaces and terminals", async () => {
    const spy = new NobodyWatcher(daemon.socket);
    try {
      await spy.waitFor((item) => item.method === 'ready', 'its subscriptions');
      const secret = join(work.path, 'secret-plans');
      mkdirSync(secret);
      const { workspace } = await actor.call('workspace_add', { path: secret, project: 'secret' });
      await actor.call('term_open', { workspace: workspace.id, command: ['sh'] });
      // Projects are public (project_list shows them to anyone): that one is told...
      await spy.waitFor(
        (item) => item.method === 'project_update' && JSON.stringify(item.params).includes('"secret"'),
        'the public project',
      );
      // ...then nobody's own workspace: the daemon notifies in order, so whatever of root's
      // it was going to be told would have come before this.
      const own = join(work.path, 'nobody-own');
      mkdirSync(own);
      chownSync(own, NOBODY, NOBODY);
      spy.addWorkspace(own);
      await spy.waitFor(
        (item) => item.method === 'workspace_update' && JSON.stringify(item.params).includes('nobody-own'),
        'its own workspace',
      );
      const leaked = spy.received.filter(
        (item) =>
          item.method === 'terminal_update' ||
          (item.method === 'workspace_update' && JSON.stringify(item.params).includes('secret-plans')),
      );
      assert.deepEqual(leaked, [], "root's workspace and terminal were told to nobody");
    } finally {
      await spy.stop();
    }
  });
});
