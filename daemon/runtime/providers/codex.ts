import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CortexError } from '../../../src/protocol/errors.js';
import { CodexEventMapper } from './codex-events.js';
import { spawnGroup, stopGroup, type StopTimeouts } from './process-group.js';
import type { Provider, RunningTurn, TurnOutcome, TurnRequest, TurnSink } from './provider.js';

export interface CodexSettings {
  /** The codex binary (config `codex_bin`, then CORTEX_CODEX_BIN, PATH, this package's node_modules). */
  binary: string | undefined;
  /** Extra arguments before the prompt (config `codex_args`, then CORTEX_CODEX_ARGS, a JSON array). */
  extraArgs: string[];
  env: NodeJS.ProcessEnv;
  stop: StopTimeouts;
}

/** Codex allows one writer per thread; these are the ways it says another client holds it. */
const THREAD_BUSY =
  /already (in use|running|active|open)|another (process|client|session|instance)|is locked|locked by/i;

/** Finds the codex binary: explicit setting, then PATH, then the copy this package depends on. */
export function findCodexBinary(explicit: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (explicit) return explicit;
  for (const directory of (env['PATH'] ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(directory, 'codex');
    if (isExecutable(candidate)) return candidate;
  }
  const bundled = fileURLToPath(new URL('../../../../node_modules/.bin/codex', import.meta.url));
  return isExecutable(bundled) ? bundled : undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function parseCodexArgs(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new CortexError(
      'EINVAL',
      'CORTEX_CODEX_ARGS must be a JSON array of strings, such as ["-c","model=\\"o3\\""].',
    );
  }
  return parsed;
}

/**
 * The real Codex CLI, one process per turn. First turn:
 * `codex exec --json [options] -C <workspace> -- <prompt>`; later turns:
 * `codex exec --json [options] resume <thread_id> -- <prompt>` from the
 * workspace directory (resume takes its directory from the process, and its
 * options must come before the word `resume`). A failed resume is reported,
 * never replaced by a fresh thread, which would silently lose the conversation.
 */
export class CodexProvider implements Provider {
  readonly name = 'codex';

  constructor(private readonly settings: CodexSettings) {}

  startTurn(request: TurnRequest, sink: TurnSink): RunningTurn {
    const binary = this.settings.binary;
    if (binary === undefined) {
      return settled({
        status: 'failed',
        error: 'The Codex CLI was not found: install @openai/codex, put codex on PATH, or set CORTEX_CODEX_BIN.',
      });
    }
    const group = spawnGroup(
      binary,
      this.argsFor(request),
      { cwd: request.cwd, env: this.settings.env, stdio: ['ignore', 'pipe', 'pipe'] },
      request.runAs,
    );
    const mapper = new CodexEventMapper(sink);
    let interrupted: string | null = null;
    let malformed: string | null = null;
    let stderrTail = '';

    createInterface({ input: group.child.stdout! }).on('line', (line) => {
      if (line.trim() === '' || malformed !== null) return;
      let event: unknown;
      try {
        event = JSON.parse(line);
      } catch {
        event = undefined;
      }
      if (event === null || typeof event !== 'object' || Array.isArray(event)) {
        malformed = line.slice(0, 200);
        void stopGroup(group, this.settings.stop);
        return;
      }
      mapper.handle(event as Record<string, unknown>);
    });
    createInterface({ input: group.child.stderr! }).on('line', (line) => {
      if (line.trim() === '') return;
      stderrTail = line;
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
        mapper.failure ??
        mapper.lastError ??
        (stderrTail || `Codex exited with ${signal ? `signal ${signal}` : `code ${code}`} before finishing the turn.`);
      if (THREAD_BUSY.test(why) || THREAD_BUSY.test(stderrTail)) {
        sink.event('notice', {
          message:
            'Another Codex client (the Codex TUI or desktop app) holds this thread; close it there and send the message again.',
        });
      }
      return { status: 'failed', error: why };
    });

    return {
      done,
      interrupt: (reason) => {
        interrupted ??= reason;
        void stopGroup(group, this.settings.stop);
      },
    };
  }

  private argsFor(request: TurnRequest): string[] {
    const options: string[] = [...this.settings.extraArgs];
    if (request.model) options.push('--model', request.model);
    const sandbox = request.options['sandbox'];
    if (typeof sandbox === 'string') options.push('--sandbox', sandbox);
    if (request.resumeRef === null) {
      return ['exec', '--json', ...options, '-C', request.cwd, '--', request.prompt];
    }
    return ['exec', '--json', ...options, 'resume', request.resumeRef, '--', request.prompt];
  }
}

function settled(outcome: TurnOutcome): RunningTurn {
  return { done: Promise.resolve(outcome), interrupt: () => undefined };
}
