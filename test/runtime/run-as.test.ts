import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { asNobody, NOBODY } from '../helpers/as-nobody.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { processesMatching } from '../helpers/processes.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { MockModelServer } from '../fixtures/mock-model-server.js';

const CODEX = fileURLToPath(new URL('../../../node_modules/.bin/codex', import.meta.url));

/** The uid a process runs as, from /proc. */
function uidOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
}

/**
 * A root daemon runs a user's session as that user: the fake's commands, and Codex's app-server with its
 * commands. Another user can neither answer the session's approvals nor resume or steer it.
 */
describe('sessions run as the local user who started them', () => {
  const root = tempDir('cortex-run-as-');
  const mine = join(root.path, 'nobody-ws');
  const codexHome = join(root.path, 'nobody-codex-home');
  let mock: MockModelServer;
  let daemon: DaemonHandle;
  let client: Client;
  const nobody = (...args: string[]) => asNobody(['--home', daemon.home, ...args]);

  before(async () => {
    chmodSync(root.path, 0o711);
    for (const path of [mine, codexHome]) {
      mkdirSync(path);
      chownSync(path, NOBODY, NOBODY);
    }
    // The daemon gives another user's Codex that user's home (nobody's does not exist): this stand-in for the
    // codex binary gives it a CODEX_HOME it can write, and runs the real Codex.
    const wrapper = join(root.path, 'codex-as-nobody');
    writeFileSync(wrapper, `#!/bin/sh\nCODEX_HOME=${codexHome} exec ${CODEX} "$@"\n`);
    chmodSync(wrapper, 0o755);
    mock = await MockModelServer.start();
    daemon = await startDaemon({
      args: ['--group', 'nogroup'],
      env: { CORTEX_CODEX_BIN: wrapper, CORTEX_CODEX_ARGS: JSON.stringify(mock.codexArgs()) },
    });
    client = await daemon.connect();
  });
  after(async () => {
    client.close();
    await cleanup(daemon);
    await mock.close();
    root.remove();
  });

  const startedPayload = async (id: string) => {
    const [event] = (await client.call('session_events', { session: id, limit: 1 })).events;
    assert.ok(event?.type === 'session_started');
    return event.payload;
  };

  it("the fake provider's commands run as the user, in the user's files", async () => {
    const started = await nobody(
      'session',
      'start',
      '--cwd',
      mine,
      '--provider',
      'fake',
      '--wait',
      '/run id -u > fake-uid.txt; echo "$HOME" > fake-home.txt',
    );
    assert.equal(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    assert.deepEqual((await startedPayload(id)).run_as, { uid: NOBODY, gid: NOBODY, name: 'nobody' });
    assert.equal(readFileSync(join(mine, 'fake-uid.txt'), 'utf8'), `${NOBODY}\n`);
    assert.equal(readFileSync(join(mine, 'fake-home.txt'), 'utf8'), '/nonexistent\n');
    assert.equal(statSync(join(mine, 'fake-uid.txt')).uid, NOBODY, 'the file is the user’s');
  });

  it("Codex's app-server and its commands run as the user", async () => {
    mock.enqueue({ kind: 'exec', cmd: 'id -u > codex-uid.txt' }, { kind: 'message', text: 'Done as you.' });
    const started = await nobody(
      'session',
      'start',
      '--cwd',
      mine,
      '--provider',
      'codex',
      '--sandbox',
      'danger-full-access',
      '--wait',
      'who am i?',
    );
    assert.equal(started.code, 0, started.stderr);
    assert.equal(readFileSync(join(mine, 'codex-uid.txt'), 'utf8'), `${NOBODY}\n`);
    // The app-server stays for the next turn: every process of it is nobody's.
    const codex = processesMatching(`127.0.0.1:${mock.port}`);
    assert.ok(codex.length > 0, 'the app-server is running');
    assert.deepEqual(
      codex.map((found) => uidOf(found.pid)),
      codex.map(() => NOBODY),
    );
    const id = started.stdout.trim();
    assert.equal((await startedPayload(id)).run_as?.name, 'nobody');
    assert.deepEqual(await nobody('session', 'stop', id), { code: 0, stdout: 'stopped\n', stderr: '' });
  });

  it("another user cannot answer a session's approval, resume, steer or stop it", async () => {
    const { workspace } = await client.call('workspace_add', { path: root.path });
    const { session } = await client.call('session_start', {
      workspace: workspace.id,
      provider: 'fake',
      approval: 'untrusted',
      prompt: '/ask touch root-only.txt',
    });
    const watch = await SessionWatch.start(client, session.id, 0);
    const asked = await watch.waitFor((event) => event.type === 'approval_requested', 'the approval request');
    const request = asked.type === 'approval_requested' ? asked.payload.request : '';
    const denied = new RegExp(
      `^cortex session: user:nobody@\\S+ may not use session ${session.id} \\(it belongs to user:root@\\S+\\)`,
    );
    for (const args of [
      ['session', 'approve', session.id],
      ['session', 'approve', session.id, request, '--always'],
      ['session', 'deny', session.id, request],
      ['session', 'send', session.id, '--steer', 'rm -rf /'],
      ['session', 'resume', session.id],
      ['session', 'stop', session.id],
    ]) {
      const attempt = await nobody(...args);
      assert.equal(attempt.code, 5, `${args.join(' ')}: ${attempt.stderr}`);
      assert.match(attempt.stderr, denied);
    }
    const { session: still } = await client.call('session_get', { session: session.id });
    assert.deepEqual(
      still.pending_approvals.map((pending) => pending.request),
      [request],
      'the request still waits for root',
    );
    assert.equal(watch.events.filter((event: SessionEvent) => event.type === 'turn_steered').length, 0);
    await client.call('session_deny', { session: session.id });
    await watch.turnEnd(1);

    // Who a session runs as is the daemon's to decide: a client cannot slip it in.
    await assert.rejects(
      client.request('session_start', { workspace: workspace.id, provider: 'fake', options: { run_as: { uid: 0 } } }),
      { code: 'EINVAL', message: /unknown field "run_as"/ },
    );
  });
});
