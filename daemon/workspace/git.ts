import { spawn } from 'node:child_process';
import { CortexError } from '../../src/protocol/errors.js';
import { launchAs } from '../identity/run-as.js';
import type { SystemUser } from '../identity/system-user.js';

export interface GitOptions {
  cwd?: string;
  /** Added to the isolated environment (GIT_DIR, GIT_INDEX_FILE...). */
  env?: Record<string, string>;
  input?: string | Buffer;
  /** Exit codes that are answers rather than failures (check-ignore exits 1 when nothing is ignored). */
  okCodes?: readonly number[];
  /** Stop reading past this many bytes of output; the result says `truncated`. */
  maxBytes?: number;
  runAs?: SystemUser | undefined;
  timeoutMs?: number;
}

export interface GitResult {
  stdout: Buffer;
  code: number;
  truncated: boolean;
}

/** Options every git command gets (see `git`). */
const ISOLATION = [
  '-c',
  'safe.directory=*',
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'core.quotePath=false',
];

/**
 * Git runs with no system or global configuration, never prompts, never takes
 * optional locks (so `status` does not rewrite anybody's index), and in the C
 * locale so its output parses the same everywhere. Repositories a daemon
 * running as root does not own are allowed explicitly (`safe.directory`): the
 * commands run here are read-only or confined to Cortex's own files, and they
 * never run what a repository configures (hooks, filters, external diffs).
 */
export function git(args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  return run('git', [...ISOLATION, ...args], args[0] ?? 'git', options);
}

/** Git commands in one `sh -c`, which runs each as `git "$@" COMMAND`: `$@` holds the isolation's options. */
export interface GitScript {
  /** What errors call it (`git NAME failed`). */
  name: string;
  text: string;
}

/**
 * Several git commands for the price of one process started by the daemon:
 * each start costs the daemon a fork of itself, about 2 ms of its CPU, while
 * the shell's own forks are cheap. Isolated as `git` is; the output is the
 * script's.
 */
export function gitScript(script: GitScript, options: GitOptions = {}): Promise<GitResult> {
  return run('sh', ['-c', script.text, 'sh', ...ISOLATION], script.name, options);
}

function run(program: string, args: string[], name: string, options: GitOptions): Promise<GitResult> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: options.runAs?.home ?? process.env['HOME'] ?? '/',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_OPTIONAL_LOCKS: '0',
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const launch = launchAs(options.runAs, program, args, env);
    const child = spawn(launch.command, launch.args, {
      cwd: options.cwd,
      env: launch.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (truncated) return;
      const limit = options.maxBytes;
      if (limit !== undefined && size + chunk.length > limit) {
        chunks.push(chunk.subarray(0, limit - size));
        size = limit;
        truncated = true;
        child.kill('SIGTERM');
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      if (stderr.length < 8192) stderr += text;
    });
    child.stdin.on('error', () => undefined);
    child.once('error', (error) => reject(new CortexError('EINTERNAL', `git could not be started: ${error.message}.`)));
    child.once('close', (code) => {
      const stdout = Buffer.concat(chunks, size);
      if (truncated) return resolve({ stdout, code: code ?? 0, truncated });
      if (code === 0 || (code !== null && options.okCodes?.includes(code))) {
        return resolve({ stdout, code, truncated: false });
      }
      const reason = stderr.trim().split('\n').pop() ?? '';
      reject(new GitError(name, code, reason));
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A git command that failed; `reason` is the last line git wrote to stderr. */
export class GitError extends CortexError {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly reason: string,
  ) {
    super(
      'EINTERNAL',
      `git ${command} failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${reason || 'no message'}.`,
    );
  }
}

/** Where a directory's repository keeps its files, or undefined when it is not in a git work tree. */
export async function gitDirs(
  path: string,
): Promise<{ gitDir: string; commonDir: string; topLevel: string } | undefined> {
  try {
    const { stdout } = await git(
      ['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir', '--show-toplevel'],
      { cwd: path },
    );
    const [gitDir, commonDir, topLevel] = stdout.toString('utf8').trim().split('\n');
    if (gitDir === undefined || commonDir === undefined || topLevel === undefined) return undefined;
    return { gitDir, commonDir, topLevel };
  } catch {
    return undefined;
  }
}

/** The empty tree's id: the base for a repository without commits. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
