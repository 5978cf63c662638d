import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { type CliResult, runCortex } from '../helpers/cli.js';
import { CORTEX_BIN, cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { SessionWatch } from '../helpers/session-watch.js';

/** Runs the CLI, and fails rather than waits when it has not ended within `limitMs`. */
async function runWithin(limitMs: number, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const child = spawn(process.execPath, [CORTEX_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CORTEX_HOME: '', CORTEX_SOCKET: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  try {
    return await new Promise<CliResult>((resolve, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`cortex ${args.join(' ')} was still waiting after ${limitMs} ms: ${stderr}`));
      }, limitMs);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  } finally {
    clearTimeout(timer);
  }
}

describe('deadlines: a paused daemon (kill -STOP)', () => {
  let daemon: DaemonHandle;

  before(async () => {
    daemon = await startDaemon();
    assert.equal((await runCortex(['--home', daemon.home, 'create_table', 't', 'k'])).code, 0);
  });
  after(async () => {
    daemon.process.kill('SIGCONT');
    await cleanup(daemon);
  });

  it('makes a request time out with exit 7 and a sentence naming the socket', async () => {
    daemon.process.kill('SIGSTOP');
    try {
      const started = Date.now();
      const result = await runWithin(15_000, ['--home', daemon.home, 'get', 't', 'x', '--timeout', '1s']);
      assert.equal(result.code, 7);
      assert.equal(result.stderr, `cortex get: No answer from the daemon on ${daemon.socket} to get within 1 s.\n`);
      assert.ok(Date.now() - started < 10_000);
      const fromEnv = await runWithin(15_000, ['--home', daemon.home, 'tables'], { CORTEX_TIMEOUT: '700ms' });
      assert.equal(fromEnv.code, 7);
      assert.equal(
        fromEnv.stderr,
        `cortex tables: No answer from the daemon on ${daemon.socket} to tables within 700 ms.\n`,
      );
    } finally {
      daemon.process.kill('SIGCONT');
    }
  });

  it('refuses a duration it cannot read', async () => {
    const result = await runCortex(['--home', daemon.home, 'get', 't', 'x', '--timeout', 'soon']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'cortex get: --timeout must be a duration such as 500ms, 5s or 2m, not "soon".\n');
  });
});

describe('deadlines: a streaming command (session events --follow)', () => {
  let daemon: DaemonHandle;
  let control: Client;
  const work = tempDir('cortex-follow-');

  before(async () => {
    daemon = await startDaemon();
    control = await daemon.connect();
  });
  after(async () => {
    daemon.process.kill('SIGCONT');
    control.close();
    await cleanup(daemon);
    work.remove();
  });

  it('waits as long as heartbeats are answered, and says so with exit 7 when the daemon stops answering', async () => {
    const { workspace } = await control.call('workspace_add', { path: work.path });
    const { session } = await control.call('session_start', {
      workspace: workspace.id,
      provider: 'fake',
      prompt: 'one',
    });
    const watch = await SessionWatch.start(control, session.id);
    await watch.turnEnd(1);
    const follower = spawn(
      process.execPath,
      [CORTEX_BIN, '--home', daemon.home, 'session', 'events', session.id, '--follow', '--timeout', '2s'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CORTEX_HOME: '', CORTEX_SOCKET: '' } },
    );
    let stdout = '';
    let stderr = '';
    let printedTwo: () => void = () => undefined;
    const secondTurnPrinted = new Promise<void>((resolve) => (printedTwo = resolve));
    follower.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (stdout.includes('> two')) printedTwo();
    });
    follower.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const exited = new Promise<number | null>((resolve) => follower.once('close', resolve));
    const gaveUp = exited.then((code) => {
      throw new Error(`it gave up on a live daemon (exit ${code}): ${stderr}`);
    });
    gaveUp.catch(() => undefined);
    try {
      // Quiet for over twice its deadline: a live daemon answers the heartbeats, so it keeps following.
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 5000)), gaveUp]);
      await control.call('session_send', { session: session.id, prompt: 'two' });
      await watch.turnEnd(2);
      await Promise.race([secondTurnPrinted, gaveUp]);
      daemon.process.kill('SIGSTOP');
      const code = await Promise.race([
        exited,
        new Promise<string>((resolve) => setTimeout(() => resolve('still following'), 15_000)),
      ]);
      assert.equal(code, 7, stderr);
      assert.match(
        stderr,
        new RegExp(
          `^cortex session: The daemon on ${daemon.socket.replace(/[.]/g, '\\.')} stopped answering: nothing came for [\\d.]+ m?s, not even a heartbeat\\.\\n$`,
        ),
      );
    } finally {
      daemon.process.kill('SIGCONT');
      follower.kill('SIGKILL');
    }
  });
});
