import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { CortexError } from '../../../src/protocol/errors.js';
import { EMPTY_USAGE } from '../../../src/protocol/runtime-types.js';
import type { FileChangeDetail } from '../../../src/protocol/session-events.js';
import type { ProcessGroups, RecordedGroup } from './process-groups.js';
import type { Provider, RunningTurn, TurnOutcome, TurnRequest, TurnSink } from './provider.js';

export const FAKE_STEPS = `  /write PATH TEXT   write TEXT to PATH in the workspace (file_change events)
  /run COMMAND       run a shell command in the workspace, its output streamed (command events)
  /ask COMMAND       ask for approval, then run COMMAND (approved) or not (denied)
  /ask-write PATH TEXT  ask for approval of the file change, then write it or not
  /say TEXT          reply TEXT word by word (agent_message_delta events, then agent_message)
  /deltas N          reply with N one-line pieces as fast as possible
  /stream N          send N agent messages as fast as possible
  /wait              wait until a message steers the turn (or it is interrupted)
  /sleep MS          wait
  /fail MESSAGE      end the turn as failed
  /hang              wait until interrupted`;

/** One turn of the fake: its steps, interruption and steering. */
class FakeTurn {
  interruptedBy: string | null = null;
  private finished = false;
  private readonly steered: string[] = [];
  private wake: (() => void) | undefined;
  private child: RecordedGroup | undefined;
  private item = 0;

  constructor(
    private readonly request: TurnRequest,
    private readonly sink: TurnSink,
    private readonly groups: ProcessGroups,
    private readonly env: NodeJS.ProcessEnv,
    private readonly stepDelayMs: number,
  ) {}

  interrupt(reason: string): void {
    this.interruptedBy ??= reason;
    if (this.child) void this.groups.stop(this.child, { sigintMs: 500, sigtermMs: 500 });
    this.wake?.();
  }

  steer(prompt: string): void {
    if (this.finished) throw new CortexError('EINVAL', 'The turn has ended.');
    this.steered.push(prompt);
    this.wake?.();
  }

  async run(): Promise<TurnOutcome> {
    this.sink.resumeRef(this.request.resumeRef ?? `fake-${randomBytes(6).toString('hex')}`);
    for (const line of this.request.prompt.split('\n')) {
      if (this.interruptedBy !== null) break;
      const [word = '', ...rest] = line.trim().split(' ');
      const failure = await this.step(word, rest, line);
      if (failure !== undefined) {
        this.finished = true;
        return { status: 'failed', error: failure };
      }
      this.answerSteering();
      await this.pause(this.stepDelayMs);
    }
    // Steering answered and the turn closed in one go: a message steering it later is refused, not lost.
    this.answerSteering();
    this.finished = true;
    if (this.interruptedBy !== null) return { status: 'interrupted', reason: this.interruptedBy };
    return {
      status: 'completed',
      usage: { ...EMPTY_USAGE, input_tokens: this.request.prompt.length, output_tokens: this.item },
    };
  }

  /** Runs one line of the prompt; returns a failure message to end the turn with. */
  private async step(word: string, rest: string[], line: string): Promise<string | undefined> {
    const argument = rest.join(' ');
    switch (word) {
      case '/write':
        return this.write(rest[0] ?? 'fake.txt', rest.slice(1).join(' '), false);
      case '/ask-write':
        return this.write(rest[0] ?? 'fake.txt', rest.slice(1).join(' '), true);
      case '/run':
        return this.runCommand(argument, false);
      case '/ask':
        return this.runCommand(argument, true);
      case '/say': {
        const id = this.nextId();
        const words = argument.split(' ');
        for (let i = 0; i < words.length && this.interruptedBy === null; i++) {
          this.sink.event('agent_message_delta', { item_id: id, text: (i > 0 ? ' ' : '') + words[i] });
          await this.pause(this.stepDelayMs);
        }
        this.sink.event('agent_message', { item_id: id, text: argument });
        return;
      }
      case '/deltas': {
        const id = this.nextId();
        const count = Number(argument) || 0;
        let text = '';
        for (let i = 1; i <= count && this.interruptedBy === null; i++) {
          const piece = `line ${i}\n`;
          text += piece;
          this.sink.event('agent_message_delta', { item_id: id, text: piece });
        }
        this.sink.event('agent_message', { item_id: id, text });
        return;
      }
      case '/stream': {
        const count = Number(argument) || 0;
        for (let i = 1; i <= count && this.interruptedBy === null; i++) {
          this.sink.event('agent_message', { item_id: this.nextId(), text: `message ${i} of ${count}` });
        }
        return;
      }
      case '/wait':
        while (this.steered.length === 0 && this.interruptedBy === null)
          await new Promise<void>((r) => (this.wake = r));
        return;
      case '/sleep':
        await this.pause(Number(argument) || 0);
        return;
      case '/fail':
        return argument || 'The fake provider was told to fail.';
      case '/hang':
        while (this.interruptedBy === null) await new Promise<void>((r) => (this.wake = r));
        return;
      default:
        if (line.trim() !== '')
          this.sink.event('agent_message', { item_id: this.nextId(), text: `You said: ${line.trim()}` });
    }
  }

  private async write(path: string, text: string, ask: boolean): Promise<string | undefined> {
    const target = resolve(this.request.cwd, path);
    if (!target.startsWith(this.request.cwd + sep)) return `${path} is outside the workspace.`;
    const id = this.nextId();
    const diff = `+${text}\n`;
    const changes = [{ path, kind: 'update', diff }];
    this.sink.event('file_change', { item_id: id, phase: 'started', changes, status: 'in_progress' });
    if (ask && !(await this.approved({ kind: 'file_change', item_id: id, command: null, changes }))) {
      this.sink.event('file_change', { item_id: id, phase: 'completed', changes, status: 'declined' });
      return;
    }
    const failure = await this.writeFile(target, `${text}\n`);
    if (failure !== undefined) return `${path} could not be written: ${failure}`;
    this.sink.event('file_change', { item_id: id, phase: 'completed', changes, status: 'completed' });
  }

  /**
   * Writes a file the way the turn's user would: by a child running as them when there is one (so their
   * permissions apply, and a symlink cannot lead the daemon's rights elsewhere), else directly. Returns why
   * it failed, if it did.
   */
  private async writeFile(target: string, text: string): Promise<string | undefined> {
    const { runAs, session } = this.request;
    if (runAs === undefined) {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text);
      return undefined;
    }
    const script = 'mkdir -p -- "$(dirname -- "$1")" && printf %s "$2" > "$1"';
    const child = this.groups.spawn(
      '/bin/sh',
      ['-c', script, 'sh', target, text],
      { stdio: ['ignore', 'ignore', 'pipe'], env: this.env },
      session,
      runAs,
    );
    let stderr = '';
    child.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const { code, error } = await child.exited;
    if (error) return error.message;
    return code === 0 ? undefined : stderr.trim() || `exit code ${code}`;
  }

  private async runCommand(command: string, ask: boolean): Promise<undefined> {
    const id = this.nextId();
    const event = { item_id: id, command, exit_code: null, output: '' };
    this.sink.event('command', { ...event, phase: 'started', status: 'in_progress' });
    if (ask && !(await this.approved({ kind: 'command', item_id: id, command, changes: [] }))) {
      this.sink.event('command', { ...event, phase: 'completed', status: 'declined' });
      return;
    }
    const child = this.groups.spawn(
      '/bin/sh',
      ['-c', command],
      { cwd: this.request.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: this.env },
      this.request.session,
      this.request.runAs,
    );
    this.child = child;
    let output = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      this.sink.event('command_output_delta', { item_id: id, text });
    };
    child.child.stdout!.on('data', take);
    child.child.stderr!.on('data', take);
    const { code } = await child.exited;
    await new Promise((resolve) => setImmediate(resolve));
    this.child = undefined;
    this.sink.event('command', {
      ...event,
      phase: 'completed',
      exit_code: code,
      output: output.slice(-64 * 1024),
      status: code === 0 ? 'completed' : 'failed',
    });
  }

  private async approved(ask: {
    kind: 'command' | 'file_change';
    item_id: string;
    command: string | null;
    changes: FileChangeDetail[];
  }): Promise<boolean> {
    if (this.request.approval === 'never') return true;
    const answer = await this.sink.approval(
      { ...ask, cwd: this.request.cwd, reason: 'the fake provider asks before acting' },
      new AbortController().signal,
    );
    return answer === 'approve' || answer === 'approve_for_session';
  }

  /** Messages that steered the turn are answered between steps. */
  private answerSteering(): void {
    for (const prompt of this.steered.splice(0)) {
      this.sink.event('agent_message', { item_id: this.nextId(), text: `Steered: ${prompt}` });
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private nextId(): string {
    return `item_${this.item++}`;
  }
}

/**
 * A deterministic, offline agent for tests and demos. Each line of the prompt that starts with `/` is a
 * step (FAKE_STEPS); any other text is echoed back. Steps run in order with a small delay between events,
 * so a turn streams. A message that steers the turn is answered (`Steered: ...`) after the running step.
 * With an approval policy other than `never`, /ask and /ask-write wait for a person.
 */
export class FakeProvider implements Provider {
  readonly name = 'fake';
  readonly steers = true;

  constructor(
    private readonly groups: ProcessGroups,
    private readonly env: NodeJS.ProcessEnv,
    private readonly stepDelayMs = 5,
  ) {}

  startTurn(request: TurnRequest, sink: TurnSink): RunningTurn {
    const turn = new FakeTurn(request, sink, this.groups, this.env, this.stepDelayMs);
    return {
      done: turn.run().catch((error: unknown) => ({
        status: 'failed',
        error: `The fake provider crashed: ${String(error)}`,
      })),
      interrupt: (reason) => turn.interrupt(reason),
      steer: (prompt) => new Promise<void>((resolve) => resolve(turn.steer(prompt))),
    };
  }
}
