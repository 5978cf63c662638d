import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { endOnExit } from '../../helpers/exit-guard.js';

const POLL_MS = 20;

/**
 * A real terminal: a tmux server of its own (`tmux -L NAME`, no user config)
 * running one program in one pane. Keys go in with `send-keys`, the screen
 * comes out with `capture-pane -p`. The pane stays after its program exits
 * (remain-on-exit), so a test can see that it exited and how.
 */
export class TmuxScreen {
  /** Where tmux put the server's socket; tmux leaves it behind when killed, so kill() removes it. */
  private socketPath: string | undefined;
  private readonly unguard: () => void;

  private constructor(readonly socket: string) {
    this.unguard = endOnExit(() => {
      execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
      if (this.socketPath) rmSync(this.socketPath, { force: true });
    });
  }

  /**
   * Starts `command` (argv) in a `width`×`height` pane, under a shell that
   * prints its exit status when it ends: tmux 3.3 sometimes leaves a pane's
   * exited program unreaped (a zombie, no #{pane_dead_status}), so the status
   * is read from the screen instead.
   */
  static async start(command: string[], options: { width: number; height: number }): Promise<TmuxScreen> {
    const screen = new TmuxScreen(`cortex-test-${process.pid}-${randomBytes(4).toString('hex')}`);
    await screen.tmux(
      ['-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', String(options.width), '-y', String(options.height)],
      ['/bin/sh', '-c', '"$@"; echo "[exited $?]"', 'sh', ...command],
      // In the same call, before the program can exit: keep its pane, pass Escape at once.
      [';', 'set-option', '-g', 'remain-on-exit', 'on', ';', 'set-option', '-s', 'escape-time', '0'],
    );
    try {
      screen.socketPath = (await screen.tmux(['display-message', '-p', '#{socket_path}'])).trim() || undefined;
    } catch (error) {
      await screen.kill();
      throw error;
    }
    return screen;
  }

  /** Presses one key, by tmux's name for it (`j`, `Enter`, `Escape`, `Up`, `Tab`...). */
  async press(key: string): Promise<void> {
    await this.tmux(['send-keys', '-t', 'main', key]);
  }

  /** Types text literally (no key names). */
  async type(text: string): Promise<void> {
    await this.tmux(['send-keys', '-t', 'main', '-l', text]);
  }

  async capture(): Promise<string> {
    return this.tmux(['capture-pane', '-p', '-t', 'main']);
  }

  /** The screen with the scrollback above it: the whole history of the pane. */
  async captureAll(): Promise<string> {
    return this.tmux(['capture-pane', '-p', '-S', '-', '-t', 'main']);
  }

  /**
   * Records every byte the pane's program writes from now on into `file`
   * (tmux's pipe-pane), as the terminal receives it.
   */
  async record(file: string): Promise<void> {
    await this.tmux(['pipe-pane', '-o', '-t', 'main', `cat >> '${file}'`]);
  }

  async resize(width: number, height: number): Promise<void> {
    await this.tmux(['resize-window', '-t', 'main', '-x', String(width), '-y', String(height)]);
  }

  /** The pid of the program in the pane (the child of the shell that runs it). */
  async pid(): Promise<number> {
    const shell = Number((await this.tmux(['display-message', '-p', '-t', 'main', '#{pane_pid}'])).trim());
    const children = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim().split(' ');
    if (children.length !== 1 || !children[0])
      throw new Error(`the shell in the pane runs ${children.length} programs`);
    return Number(children[0]);
  }

  /**
   * Polls the screen (with `scrollback`, the history above it too) until
   * `predicate` holds; the deadline only turns a hang into a failure that
   * shows the last screen.
   */
  async waitForScreen(
    predicate: (screen: string) => boolean,
    what: string,
    timeoutMs = 15_000,
    scrollback = false,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    for (;;) {
      screen = await (scrollback ? this.captureAll() : this.capture());
      if (predicate(screen)) return screen;
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the screen:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /**
   * Waits until the pane's program has exited; resolves with its exit status.
   * The status may have scrolled into the history: a program that drew on the
   * alternate screen leaves the shell's line at the top of an empty screen,
   * and tmux scrolls a line up to say the pane is dead.
   */
  async waitForExit(timeoutMs = 15_000): Promise<number> {
    const exited = (text: string) => /^\[exited \d+\]$/m.test(text);
    const screen = await this.waitForScreen(exited, 'the program to exit', timeoutMs, true);
    return Number(/^\[exited (\d+)\]$/m.exec(screen)![1]);
  }

  /**
   * Ends the tmux server and with it the program in the pane (SIGHUP), then
   * makes sure that program is gone (SIGKILL after a while). Safe to call twice.
   */
  async kill(): Promise<void> {
    const pid = await this.pid().catch(() => undefined);
    await this.tmux(['kill-server']).catch(() => undefined);
    this.unguard();
    if (this.socketPath) rmSync(this.socketPath, { force: true });
    if (pid === undefined) return;
    const deadline = Date.now() + 3_000;
    while (alive(pid)) {
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private tmux(...parts: string[][]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        'tmux',
        ['-L', this.socket, ...parts.flat()],
        // The pane inherits this environment: no CORTEX_* of the caller's may point it elsewhere.
        { env: { ...process.env, CORTEX_HOME: '', CORTEX_SOCKET: '', TMUX: '' } },
        (error, stdout, stderr) =>
          error ? reject(new Error(`tmux ${parts.flat().join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
      );
    });
  }
}

/** Whether the process still runs (a zombie waiting for its parent to reap it does not). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
