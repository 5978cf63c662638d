import { createInterface } from 'node:readline';
import { CortexError } from '../../../src/protocol/errors.js';
import type { ApprovalPolicy } from '../../../src/protocol/runtime-types.js';
import { CODEX_MISSING, type CodexSettings, codexEnv, THREAD_BUSY, THREAD_BUSY_NOTICE } from './codex-binary.js';
import { CodexEventMapper } from './codex-events.js';
import { crashReason, oneSentence } from './error-sentence.js';
import { onLinesOfEachRead, parseObjectLine, parseObjectLines } from './json-lines.js';
import type { Provider, RunningTurn, TurnOutcome, TurnRequest, TurnSink } from './provider.js';

const STDERR_KEPT = 50;

/**
 * The real Codex CLI, one process per turn, for machines where the app-server cannot run. First turn:
 * `codex exec --json [options] -C <workspace> -- <prompt>`; later turns:
 * `codex exec --json [options] resume <thread_id> -- <prompt>` from the
 * workspace directory (resume takes its directory from the process, and its
 * options must come before the word `resume`). A failed resume is reported,
 * never replaced by a fresh thread, which would silently lose the conversation.
 * `codex exec` cannot ask for approvals, nor take a message during a turn.
 */
export class CodexExecProvider implements Provider {
  readonly name = 'codex-exec';
  readonly steers = false;

  constructor(private readonly settings: CodexSettings) {}

  check({ approval }: { approval: ApprovalPolicy }): void {
    if (approval !== 'never') {
      throw new CortexError(
        'EINVAL',
        `codex exec cannot ask for approvals, so a codex-exec session runs with --approval never, not ${approval}; use the codex provider for approvals.`,
      );
    }
  }

  startTurn(request: TurnRequest, sink: TurnSink): RunningTurn {
    const binary = this.settings.binary;
    if (binary === undefined) return settled({ status: 'failed', error: CODEX_MISSING });
    const group = this.settings.groups.spawn(
      binary,
      this.argsFor(request),
      { cwd: request.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: codexEnv(request.runAs, this.settings.env) },
      request.session,
      request.runAs,
    );
    const mapper = new CodexEventMapper(sink);
    let interrupted: string | null = null;
    let malformed: string | null = null;
    const stderr: string[] = [];

    const handleLine = (line: string): void => {
      if (line.trim() === '' || malformed !== null) return;
      const event = parseObjectLine(line);
      if (event === undefined) {
        malformed = line.replace(/\r$/, '').slice(0, 200);
        void this.settings.groups.stop(group, this.settings.stop);
        return;
      }
      mapper.handle(event);
    };
    onLinesOfEachRead(group.child.stdout!, (lines) => {
      if (malformed !== null) return;
      const events = parseObjectLines(lines);
      if (events === undefined) for (const line of lines) handleLine(line);
      else for (const event of events) mapper.handle(event);
    });
    createInterface({ input: group.child.stderr! }).on('line', (line) => {
      if (line.trim() === '') return;
      stderr.push(line);
      if (stderr.length > STDERR_KEPT) stderr.shift();
      sink.event('stderr', { text: line });
    });

    const done = group.exited.then(async ({ code, signal, error }): Promise<TurnOutcome> => {
      // Let the line readers drain what the process wrote before it exited.
      await new Promise((resolve) => setImmediate(resolve));
      if (error) {
        return { status: 'failed', error: `Could not run the Codex CLI (${binary}): ${error.message}.` };
      }
      if (interrupted !== null) return { status: 'interrupted', reason: interrupted };
      if (malformed !== null) return { status: 'failed', error: `Codex printed a line that is not JSON: ${malformed}` };
      if (mapper.failure === null && mapper.usage !== null && code === 0)
        return { status: 'completed', usage: mapper.usage };
      const why =
        oneSentence(mapper.failure ?? mapper.lastError ?? '') ||
        crashReason(stderr) ||
        `Codex exited with ${signal ? `signal ${signal}` : `code ${code}`} before finishing the turn.`;
      if (THREAD_BUSY.test(why) || stderr.some((line) => THREAD_BUSY.test(line))) {
        sink.event('notice', { message: THREAD_BUSY_NOTICE });
      }
      return { status: 'failed', error: why };
    });

    return {
      done,
      interrupt: (reason) => {
        interrupted ??= reason;
        void this.settings.groups.stop(group, this.settings.stop);
      },
    };
  }

  private argsFor(request: TurnRequest): string[] {
    // The daemon made the directory a workspace already: Codex need not insist on a git repository.
    const options: string[] = [...this.settings.extraArgs, '--skip-git-repo-check'];
    if (request.model) options.push('--model', request.model);
    if (request.sandbox !== null) options.push('--sandbox', request.sandbox);
    if (request.resumeRef === null) {
      return ['exec', '--json', ...options, '-C', request.cwd, '--', request.prompt];
    }
    return ['exec', '--json', ...options, 'resume', request.resumeRef, '--', request.prompt];
  }
}

function settled(outcome: TurnOutcome): RunningTurn {
  return { done: Promise.resolve(outcome), interrupt: () => undefined };
}
