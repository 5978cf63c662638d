import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OUT = 'callgrind.out';

/**
 * The command that runs the daemon's node under callgrind with counting off, so
 * start-up and prefill are not counted. V8 writes machine code it then runs,
 * which valgrind must be told to watch for (--smc-check).
 */
export function callgrindLauncher(dir: string, { mainThreadOnly = false } = {}): string[] {
  return [
    'valgrind',
    '--tool=callgrind',
    '--instr-atstart=no',
    '--smc-check=all-non-file',
    ...(mainThreadOnly ? ['--separate-threads=yes'] : []),
    `--callgrind-out-file=${join(dir, OUT)}`,
  ];
}

/**
 * Runs `script` (a module URL, the caller's own) again under callgrindLauncher, with
 * `childDirEnv` naming a temporary directory for its output in the child's
 * environment (the child knows by it that it is the counted run); resolves with
 * the child's exit code once the directory is removed.
 */
export function rerunUnderCallgrind(
  script: string,
  childDirEnv: string,
  { prefix = 'cortex-callgrind-', mainThreadOnly = false } = {},
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const [command, ...args] = [...callgrindLauncher(dir, { mainThreadOnly }), process.execPath, fileURLToPath(script)];
  const child = spawn(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, [childDirEnv]: dir },
  });
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      resolve(code ?? 1);
    });
  });
}

/**
 * Counts the instructions a process under callgrindLauncher runs between start()
 * and stop(), through callgrind_control. Instruction counts do not move with
 * the machine's load, so two versions of the daemon can be compared while
 * other work shares the CPU; the daemon runs ~50× slower meanwhile.
 */
export class InstructionCounter {
  constructor(
    private readonly pid: number,
    private readonly dir: string,
    /**
     * Count the main thread only (a process launched with `mainThreadOnly`): V8's
     * compiler and GC helper threads run when they will, and can move a small
     * count by a fifth between two runs of one build.
     */
    private readonly mainThreadOnly = false,
  ) {}

  async start(): Promise<void> {
    await this.control('-z');
    await this.control('-i', 'on');
  }

  /** Instructions since start(), from the dump it writes. */
  async stop(): Promise<number> {
    await this.control('-i', 'off');
    const before = this.dumps().length;
    await this.control('-d');
    const dumps = this.dumps();
    if (dumps.length <= before) throw new Error('callgrind wrote no dump');
    const text = readFileSync(join(this.dir, dumps[dumps.length - 1]!), 'utf8');
    const totals = /^totals:\s+(\d+)/m.exec(text);
    if (totals === null) throw new Error('the callgrind dump has no totals line');
    return Number(totals[1]);
  }

  private async control(...args: string[]): Promise<void> {
    await run('callgrind_control', [...args, String(this.pid)], { timeout: 120_000 });
  }

  /** The numbered dumps (callgrind.out.1, .2, ...; the main thread's callgrind.out.1-01, ...) in the order written. */
  private dumps(): string[] {
    const name = this.mainThreadOnly ? /^callgrind\.out\.(\d+)-01$/ : /^callgrind\.out\.(\d+)$/;
    const number = (file: string) => Number(name.exec(file)![1]);
    return readdirSync(this.dir)
      .filter((file) => name.test(file))
      .sort((a, b) => number(a) - number(b));
  }
}
