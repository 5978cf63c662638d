import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { CORTEX_BIN, cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { SessionWatch } from '../helpers/session-watch.js';

/** What a shell reports for a program killed by SIGPIPE. */
const SIGPIPE_STATUS = 141;

interface Piped {
  /** cortex's exit status, as bash's PIPESTATUS saw it. */
  status: number;
  stdout: string;
  /** cortex's standard error (head's goes elsewhere). */
  stderr: string;
}

/** `cortex ARGS | head -1` in bash, with cortex's own status and standard error. */
function throughHead(args: string[]): Promise<Piped> {
  const quoted = [process.execPath, CORTEX_BIN, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `${quoted} 2>&3 | head -1; echo "\${PIPESTATUS[0]}" >&4`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      stdio: ['ignore', 'pipe', 'inherit', 'pipe', 'pipe'],
      env: { ...process.env, CORTEX_HOME: '', CORTEX_SOCKET: '' },
    });
    let stdout = '';
    let stderr = '';
    let status = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (text: string) => (stderr += text));
    (child.stdio[4] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (text: string) => (status += text));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cortex ${args.join(' ')} | head -1 did not end: ${stderr}`));
    }, 30_000);
    child.once('close', () => {
      clearTimeout(timer);
      resolve({ status: Number(status.trim()), stdout, stderr });
    });
  });
}

/**
 * Every command that prints a stream of lines, read by `head -1`: when head has
 * its line and goes, cortex ends quietly (no `write EPIPE` stack trace) with
 * the shell's SIGPIPE status, or 0 when everything fit in the pipe first.
 */
describe('a closed pipe ends the command quietly (cortex ... | head -1)', () => {
  let daemon: DaemonHandle;
  let session: string;
  let terminal: string | undefined;
  const work = tempDir('cortex-pipes-');

  before(async () => {
    daemon = await startDaemon();
    const client = await daemon.connect();
    try {
      await client.call('create_table', { name: 'rows', attributes: ['k', 'text'] });
      // Far more than a pipe holds (64 KiB), so that the command is still writing when head goes.
      const text = 'x'.repeat(200);
      for (let batch = 0; batch < 5; batch++) {
        const records = Array.from({ length: 1000 }, (_, i) => ({ k: batch * 1000 + i, text }));
        await client.call('put_many', { table: 'rows', records });
      }
      const { workspace } = await client.call('workspace_add', { path: work.path });
      ({
        session: { id: session },
      } = await client.call('session_start', { workspace: workspace.id, provider: 'fake', prompt: '/stream 3000' }));
      await (await SessionWatch.start(client, session)).turnEnd(1);
      // Something for the listings to list (an empty one says so on standard error).
      terminal = (await client.call('term_open', { workspace: workspace.id, command: ['/bin/cat'] })).id;
      await client.call('acl_grant', { identity: 'user:nobody', table: 'rows', permissions: ['read'] });
    } finally {
      client.close();
    }
  });
  after(async () => {
    if (terminal !== undefined) {
      const client = await daemon.connect();
      await client.call('term_close', { id: terminal });
      client.close();
    }
    await cleanup(daemon);
    work.remove();
  });

  const commands: [string, string[], boolean][] = [
    ['all', ['all', 'rows'], true],
    ['query', ['query', 'rows', '{}', '--limit', '5000'], true],
    ['query --mesh', ['query', 'rows', '{}', '--mesh', '--limit', '5000'], true],
    ['query_mesh', ['query_mesh', 'rows', '{}', '--limit', '5000'], true],
    ['export', ['export'], true],
    ['export --format msgpack', ['export', '--format', 'msgpack'], true],
    ['session events', ['session', 'events', 'SESSION'], true],
    ['session events --follow', ['session', 'events', 'SESSION', '--follow'], true],
    ['session events --json --follow', ['session', 'events', 'SESSION', '--json', '--follow'], true],
    ['status', ['status'], false],
    ['status --json', ['status', '--json'], false],
    ['tables', ['tables'], false],
    ['session ls', ['session', 'ls'], false],
    ['workspace ls', ['workspace', 'ls'], false],
    ['session ls --all-nodes', ['session', 'ls', '--all-nodes'], false],
    ['project ls', ['project', 'ls'], false],
    ['term ls', ['term', 'ls'], false],
    ['nodes', ['nodes'], false],
    ['acl list', ['acl', 'list'], false],
    ['help', ['help'], false],
  ];

  for (const [name, args, large] of commands) {
    it(`${name}${large ? ', writing far more than the pipe holds' : ''}`, async () => {
      const resolved = args.map((arg) => (arg === 'SESSION' ? session : arg));
      const result = await throughHead(['--home', daemon.home, ...resolved]);
      assert.equal(result.stderr, '', 'nothing on standard error');
      // MessagePack is bytes, not lines: head stops at the first byte 0x0a, wherever that falls.
      if (!args.includes('msgpack')) assert.equal(result.stdout.split('\n').length, 2, `one line: ${result.stdout}`);
      if (large) assert.equal(result.status, SIGPIPE_STATUS);
      else assert.ok([0, SIGPIPE_STATUS].includes(result.status), `status ${result.status}`);
    });
  }
});
