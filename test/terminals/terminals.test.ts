import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { TerminalInfo } from '../../src/protocol/terminal-types.js';
import { asNobody, NOBODY } from '../helpers/as-nobody.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { NotificationLog } from '../helpers/notifications.js';
import { TermOutput } from '../helpers/term-output.js';
import { RawClient } from '../protocol/raw-client.js';

const MiB = 1024 * 1024;

describe('terminals', () => {
  const root = tempDir('cortex-terms-');
  let daemon: DaemonHandle;
  let a: Client;
  let b: Client;
  let ws: string;

  before(async () => {
    chmodSync(root.path, 0o711);
    daemon = await startDaemon({ args: ['--group', 'nogroup', '--node-name', 'a'] });
    a = await daemon.connect();
    b = await daemon.connect();
    ws = (await a.call('workspace_add', { path: root.path })).workspace.id;
  });
  after(async () => {
    for (const { id } of (await a.call('term_list', {})).terminals) await a.call('term_close', { id });
    a.close();
    b.close();
    await cleanup(daemon);
    root.remove();
  });

  it('streams one terminal to two clients, and replays the scrollback to a client that attaches again', async () => {
    const { id, terminal } = await a.call('term_open', { workspace: ws, command: ['sh'], cols: 100, rows: 30 });
    assert.deepEqual([terminal.status, terminal.cols, terminal.cwd, terminal.uid], ['running', 100, root.path, 0]);
    const seenByA = new TermOutput(a, id);
    const seenByB = new TermOutput(b, id);
    await a.call('term_attach', { id });
    await b.call('term_attach', { id });
    assert.equal((await a.call('term_list', {})).terminals.find((t: TerminalInfo) => t.id === id)!.viewers, 2);
    await a.call('term_write', { id, data: 'echo shared-$((6*7))\n' });
    await Promise.all([seenByA.waitFor('shared-42'), seenByB.waitFor('shared-42')]);

    assert.deepEqual(await b.call('term_detach', { id }), { ok: true, attached: true });
    await a.call('term_write', { id, data: 'echo while-away-$((1+1))\n' });
    await seenByA.waitFor('while-away-2');
    await b.call('ping', {});
    assert.ok(!seenByB.text.includes('while-away-2'), 'a detached client gets no output');

    const again = await b.call('term_attach', { id });
    const scrollback = Buffer.from(again.scrollback).toString('utf8');
    assert.match(scrollback, /shared-42[\s\S]*while-away-2/);
    await a.call('term_resize', { id, cols: 120, rows: 40 });
    await b.call('term_write', { id, data: 'stty size\n' });
    await seenByA.waitFor('40 120');
    await seenByB.waitFor('40 120');
  });

  it('reports the exit code to its viewers and to the workspace topic; an ended terminal takes no input', async () => {
    const workspaceLog = new NotificationLog(b);
    await b.call('subscribe', { topic: `workspace:${ws}` });
    const { id } = await a.call('term_open', { workspace: ws, command: ['sh', '-c', 'read line; exit 7'] });
    const output = new TermOutput(a, id);
    await a.call('term_attach', { id });
    await a.call('term_write', { id, data: 'go\n' });
    await output.until(() => output.exits.length === 1, 'term_exit');
    const exit = { id, workspace: ws, exit_code: 7, signal: null };
    assert.deepEqual(output.exits, [exit]);
    assert.deepEqual((await workspaceLog.waitFor((method) => method === 'term_exit', 'term_exit')).params, exit);
    const listed = (await a.call('term_list', {})).terminals.find((t: TerminalInfo) => t.id === id)!;
    assert.deepEqual(
      [listed.status, listed.exit_code, listed.end_reason, listed.pid],
      ['ended', 7, 'exited with code 7', null],
    );
    await assert.rejects(a.call('term_write', { id, data: 'x' }), {
      code: 'EINVAL',
      message: `Terminal ${id} has ended (exited with code 7); term_restart runs it again.`,
    });
    await a.call('term_close', { id });
    assert.ok(!(await a.call('term_list', {})).terminals.some((t: TerminalInfo) => t.id === id));
    await assert.rejects(a.call('term_attach', { id }), { code: 'ENOTFOUND' });
  });

  /**
   * The regression this guards: output was once pushed to every viewer's
   * connection regardless of how much it had unread, so one client that stopped
   * reading made the daemon buffer the whole burst for it. Then it was dropped
   * the moment it was 2 MiB behind, which also dropped a healthy client that
   * lagged for an instant at the start of the burst. Now a viewer is dropped
   * when it stays more than term_viewer_max_pending_bytes behind for 2 s, or
   * falls four times that behind, while the PTY is read at full speed for
   * everyone else.
   */
  it('a 20 MB burst to a client that stops reading blocks neither another client typing nor the daemon', async () => {
    const file = join(root.path, 'burst.txt');
    writeFileSync(file, `${'x'.repeat(99)}\n`.repeat(200_000));
    const { id } = await a.call('term_open', { workspace: ws, command: ['sh'] });
    const slow = await RawClient.open(daemon.socket);
    await slow.ok(1, 'term_attach', { id });
    slow.socket.pause();
    const fast = new TermOutput(b, id);
    await b.call('term_attach', { id });

    await b.call('term_write', { id, data: `cat ${file}; echo burst-$((2*3))-done\n` });
    await fast.until(() => fast.bytes > 2 * MiB, '2 MiB of the burst');
    const typed = Date.now();
    await b.call('term_write', { id, data: 'typed-while-busy' });
    const ping = Date.now();
    await a.call('ping', {});
    const pingMs = Date.now() - ping;
    await fast.waitFor('typed-while-busy', 30_000);
    const echoMs = Date.now() - typed;
    await fast.waitFor('burst-6-done', 30_000);
    assert.ok(fast.bytes > 20_000_000, `the fast client got the whole burst (${fast.bytes} bytes)`);
    assert.deepEqual(fast.dropped, [], 'the fast client was never dropped');
    assert.ok(pingMs < 2000, `the daemon answered another client in ${pingMs} ms during the burst`);
    assert.ok(echoMs < 10_000, `typing echoed after ${echoMs} ms`);

    slow.socket.resume();
    for (;;) {
      const note = await slow.notification();
      if (note.method === 'term_dropped') {
        assert.match(String((note.params as { reason: string }).reason), /more than \d+ bytes of output unread/);
        break;
      }
    }
    assert.ok(
      slow.bytesReceived < fast.bytes - 2 * MiB,
      `the slow client was cut off (${slow.bytesReceived} bytes against ${fast.bytes})`,
    );
    await slow.ok(2, 'ping', {});
    slow.destroy();
    await a.call('term_close', { id });
  });

  // A shell in a terminal reads the rc files of its HOME. The daemon's own user used to get its
  // account's home (root's), whatever HOME the daemon had: the test daemons' shells ran the machine's
  // .bashrc, whose `pyenv rehash` hung every new shell for 60 s on a lock a killed shell had left.
  it("gives a terminal of the daemon's own user the daemon's HOME", async () => {
    const { id } = await a.call('term_open', {
      workspace: ws,
      command: ['sh', '-c', 'echo "home=$HOME."; exec sleep 600'],
    });
    const output = new TermOutput(a, id);
    const { scrollback } = await a.call('term_attach', { id });
    const expected = `home=${daemon.home}.`;
    // The line may have come before the attach (then it is in the scrollback) or after it.
    if (!Buffer.from(scrollback).toString('utf8').includes(expected)) await output.waitFor(expected);
    await a.call('term_close', { id });
  });

  it("runs a terminal as the caller's uid where the daemon is root, and keeps it the caller's", async () => {
    const home = join(root.path, 'nobody');
    mkdirSync(home);
    chownSync(home, NOBODY, NOBODY);
    const opened = await asNobody([
      '--home',
      daemon.home,
      'term',
      'open',
      '--cwd',
      home,
      '--',
      'sh',
      '-c',
      'echo "uid=$(id -u) gid=$(id -g) home=$HOME"; exec sleep 600',
    ]);
    assert.equal(opened.code, 0, opened.stderr);
    const id = opened.stdout.trim();
    const output = new TermOutput(a, id);
    const { terminal, scrollback } = await a.call('term_attach', { id });
    assert.deepEqual([terminal.owner, terminal.uid], ['user:nobody@a', NOBODY]);
    const expected = /uid=65534 gid=65534 home=\/nonexistent/;
    // The line may have come before the attach (then it is in the scrollback) or after it.
    if (!expected.test(Buffer.from(scrollback).toString('utf8'))) await output.waitFor(expected);

    const mine = await asNobody(['--home', daemon.home, 'term', 'ls', '--json']);
    const listed = mine.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TerminalInfo);
    assert.deepEqual(
      listed.map((item) => item.id),
      [id],
      "nobody sees its own terminal only, not root's",
    );
    const rootTerminal = (await a.call('term_open', { workspace: ws, command: ['sh'] })).id;
    const denied = await asNobody(['--home', daemon.home, 'term', 'attach', rootTerminal]);
    assert.equal(denied.code, 5);
    assert.match(denied.stderr, /user:nobody@a may not use terminal t_[0-9a-f]+ \(it belongs to user:root@a\)/);
  });
});

describe('terminal scrollback across a daemon restart', () => {
  const home = tempDir('cortex-term-restart-');
  const dir = tempDir('cortex-term-restart-ws-');
  let daemon: DaemonHandle | undefined;

  after(async () => {
    await cleanup(daemon);
    home.remove();
    dir.remove();
  });

  it('keeps the history of a terminal that was running, marks it ended, and starts its command again', async () => {
    daemon = await startDaemon({ home: home.path });
    let client = await daemon.connect();
    const ws = (await client.call('workspace_add', { path: dir.path })).workspace.id;
    const command = ['sh', '-c', 'echo before-restart-$((3*3)); exec sleep 600'];
    const { id, terminal } = await client.call('term_open', { workspace: ws, command });
    const output = new TermOutput(client, id);
    const first = await client.call('term_attach', { id });
    if (!Buffer.from(first.scrollback).includes('before-restart-9')) await output.waitFor('before-restart-9');
    client.close();
    assert.equal(await daemon.stop(), 0);

    daemon = await startDaemon({ home: home.path });
    client = await daemon.connect();
    const [saved] = (await client.call('term_list', {})).terminals;
    assert.deepEqual(
      [saved!.id, saved!.status, saved!.end_reason, saved!.command],
      [id, 'ended', 'the daemon stopped', command],
    );
    assert.throws(() => process.kill(terminal.pid!, 0), 'its program did not outlive the daemon');
    const restarted = new TermOutput(client, id);
    const attached = await client.call('term_attach', { id });
    assert.match(Buffer.from(attached.scrollback).toString('utf8'), /before-restart-9/);

    const { terminal: again } = await client.call('term_restart', { id });
    assert.equal(again.status, 'running');
    await restarted.waitFor(/\[cortex: started again: sh -c echo[^\]]*\][\s\S]*before-restart-9/);
    const replay = Buffer.from((await client.call('term_attach', { id })).scrollback).toString('utf8');
    assert.equal(replay.split('before-restart-9').length - 1, 2, 'the old history, then the new run');
    await client.call('term_close', { id });
    client.close();
  });
});
