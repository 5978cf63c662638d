import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { EMPTY_USAGE } from '../../../src/protocol/runtime-types.js';
import type { SystemUser } from '../../identity/system-user.js';
import { spawnGroup, stopGroup } from './process-group.js';
import type { Provider, RunningTurn, TurnOutcome, TurnRequest, TurnSink } from './provider.js';

/**
 * A deterministic, offline agent for tests and demos. Each line of the prompt
 * that starts with `/` is a step; any other text is echoed back:
 *   /write PATH TEXT   write TEXT to PATH in the workspace (a file_change event)
 *   /run COMMAND       run a shell command in the workspace (command events with its exit code)
 *   /stream N          send N agent messages as fast as possible
 *   /sleep MS          wait
 *   /fail MESSAGE      end the turn as failed
 *   /hang              wait until interrupted
 * Steps run in order with a small delay between events, so a turn streams.
 */
export class FakeProvider implements Provider {
  readonly name = 'fake';

  constructor(private readonly stepDelayMs = 5) {}

  startTurn(request: TurnRequest, sink: TurnSink): RunningTurn {
    let interruptedBy: string | null = null;
    let wake: (() => void) | undefined;
    let stopChild: (() => Promise<void>) | undefined;
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });

    const run = async (): Promise<TurnOutcome> => {
      const thread = request.resumeRef ?? `fake-${randomBytes(6).toString('hex')}`;
      sink.resumeRef(thread);
      let item = 0;
      const nextId = () => `item_${item++}`;
      for (const line of request.prompt.split('\n')) {
        if (interruptedBy !== null) break;
        const [word, ...rest] = line.trim().split(' ');
        const argument = rest.join(' ');
        switch (word) {
          case '/write': {
            const [path = 'fake.txt', ...text] = rest;
            const target = resolve(request.cwd, path);
            if (!target.startsWith(request.cwd + sep))
              return { status: 'failed', error: `${path} is outside the workspace.` };
            const id = nextId();
            sink.event('file_change', {
              item_id: id,
              phase: 'started',
              changes: [{ path, kind: 'update' }],
              status: 'in_progress',
            });
            const failure = await writeFile(target, `${text.join(' ')}\n`, request.runAs);
            if (failure !== undefined) return { status: 'failed', error: `${path} could not be written: ${failure}` };
            sink.event('file_change', {
              item_id: id,
              phase: 'completed',
              changes: [{ path, kind: 'update' }],
              status: 'completed',
            });
            break;
          }
          case '/run': {
            const id = nextId();
            sink.event('command', {
              item_id: id,
              phase: 'started',
              command: argument,
              exit_code: null,
              output: '',
              status: 'in_progress',
            });
            const group = spawnGroup(
              '/bin/sh',
              ['-c', argument],
              { cwd: request.cwd, stdio: ['ignore', 'pipe', 'pipe'] },
              request.runAs,
            );
            stopChild = () => stopGroup(group, { sigintMs: 500, sigtermMs: 500 });
            let output = '';
            createInterface({ input: group.child.stdout! }).on('line', (text) => (output += `${text}\n`));
            createInterface({ input: group.child.stderr! }).on('line', (text) => (output += `${text}\n`));
            const { code } = await group.exited;
            await new Promise((resolve) => setImmediate(resolve));
            stopChild = undefined;
            sink.event('command', {
              item_id: id,
              phase: 'completed',
              command: argument,
              exit_code: code,
              output,
              status: code === 0 ? 'completed' : 'failed',
            });
            break;
          }
          case '/stream': {
            const count = Number(argument) || 0;
            for (let i = 1; i <= count && interruptedBy === null; i++) {
              sink.event('agent_message', { item_id: nextId(), text: `message ${i} of ${count}` });
            }
            break;
          }
          case '/sleep':
            await pause(Number(argument) || 0);
            break;
          case '/fail':
            return { status: 'failed', error: argument || 'The fake provider was told to fail.' };
          case '/hang':
            await new Promise<void>((resolve) => (wake = resolve));
            break;
          default:
            if (line.trim() !== '')
              sink.event('agent_message', { item_id: nextId(), text: `You said: ${line.trim()}` });
        }
        await pause(this.stepDelayMs);
      }
      if (interruptedBy !== null) return { status: 'interrupted', reason: interruptedBy };
      return {
        status: 'completed',
        usage: { ...EMPTY_USAGE, input_tokens: request.prompt.length, output_tokens: item },
      };
    };

    return {
      done: run().catch((error: unknown) => ({
        status: 'failed',
        error: `The fake provider crashed: ${String(error)}`,
      })),
      interrupt: (reason) => {
        interruptedBy ??= reason;
        void stopChild?.();
        wake?.();
      },
    };
  }
}

/**
 * Writes a file the way the turn's user would: by a child running as them when
 * there is one (so their permissions apply, and a symlink cannot lead the
 * daemon's rights elsewhere), else directly. Returns why it failed, if it did.
 */
async function writeFile(target: string, text: string, runAs: SystemUser | undefined): Promise<string | undefined> {
  if (runAs === undefined) {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
    return undefined;
  }
  const script = 'mkdir -p -- "$(dirname -- "$1")" && printf %s "$2" > "$1"';
  const group = spawnGroup(
    '/bin/sh',
    ['-c', script, 'sh', target, text],
    { stdio: ['ignore', 'ignore', 'pipe'] },
    runAs,
  );
  let stderr = '';
  group.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const { code, error } = await group.exited;
  if (error) return error.message;
  return code === 0 ? undefined : stderr.trim() || `exit code ${code}`;
}
