import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type IPty, spawn } from 'node-pty';
import { CortexError } from '../../src/protocol/errors.js';
import type { Workspace } from '../../src/protocol/runtime-types.js';
import type { TerminalInfo } from '../../src/protocol/terminal-types.js';
import type { Authority } from '../access/authority.js';
import type { Identity } from '../identity/identity.js';
import { qualifyLegacyName } from '../identity/legacy-names.js';
import { launchAs } from '../identity/run-as.js';
import { daemonUser, type SystemUser } from '../identity/system-user.js';
import type { Logger } from '../logger.js';
import type { Subscriber } from '../pubsub/subscriber.js';
import type { Subscriptions, TopicFamily } from '../pubsub/subscriptions.js';
import { WatchTopic } from '../pubsub/watch-topic.js';
import { RingBuffer } from './ring-buffer.js';
import { ScrollbackFile, type TerminalMeta } from './scrollback-file.js';
import { ViewerLag } from './viewer-lag.js';

export interface TerminalOptions {
  /** Where terminals are saved: DIRECTORY/ID/{meta.json,scrollback}. */
  directory: string;
  /** The ring buffer of each terminal. */
  scrollbackBytes: number;
  /**
   * A viewer with more output than this unread for longer than `viewerGraceMs`
   * (or four times this much at any moment) is dropped from the stream.
   */
  viewerMaxPendingBytes: number;
  viewerGraceMs: number;
  /** The daemon's socket, so `cortex` run in a terminal finds this daemon. */
  socket: string;
  /** How long a closed terminal's program gets after SIGHUP before SIGKILL. */
  closeGraceMs: number;
}

interface LiveTerminal {
  meta: TerminalMeta;
  directory: string;
  ring: RingBuffer;
  file: ScrollbackFile | undefined;
  pty: IPty | undefined;
  exited: Promise<void> | undefined;
  viewers: Set<Subscriber>;
  lagging: ViewerLag;
  /** Bytes of output since the daemon took the terminal up: the offset of the next byte. */
  written: number;
  /** Output read since the last delivery: sent to viewers once per turn of the event loop. */
  queued: Buffer[];
  queuedBytes: number;
  flushScheduled: boolean;
}

/**
 * PTY terminals owned by the daemon, like tmux windows: they outlive their
 * viewers, any number of clients attach at once, and their output is kept in
 * a ring buffer (and on disk) to replay on attach. The PTY is read as fast as
 * it writes and output is never held back for a viewer: a viewer whose
 * connection has more than `viewerMaxPendingBytes` unread is dropped from the
 * stream (it gets `term_dropped` and may attach again), so one slow client
 * can stall neither the terminal, nor other viewers, nor the daemon.
 */
export class TerminalManager {
  private readonly terminals = new Map<string, LiveTerminal>();
  /** `terminals:*`: terminals as they open, end, start again and close, to whoever may use them. */
  readonly topic = new WatchTopic('terminals:');

  constructor(
    private readonly options: TerminalOptions,
    private readonly subscriptions: Subscriptions,
    private readonly authority: Authority,
    private readonly onExit: (workspace: string, info: TerminalInfo) => void,
    private readonly log: Logger,
  ) {}

  /** Loads the terminals saved by an earlier daemon: ended, with their scrollback. */
  load(): void {
    let names: string[] = [];
    try {
      names = readdirSync(this.options.directory);
    } catch {
      return;
    }
    for (const name of names) {
      const directory = join(this.options.directory, name);
      const meta = ScrollbackFile.readMeta(directory);
      if (meta === undefined) continue;
      // Saved before identities named their node.
      meta.owner = qualifyLegacyName(meta.owner, this.authority.node, () => false);
      if (meta.status === 'running') {
        meta.status = 'ended';
        meta.end_reason = 'the daemon stopped while it ran';
        meta.ended = Date.now();
        ScrollbackFile.writeMeta(directory, meta);
      }
      const ring = new RingBuffer(this.options.scrollbackBytes);
      ring.push(ScrollbackFile.readTail(directory, this.options.scrollbackBytes));
      this.terminals.set(meta.id, this.live(meta, directory, ring));
    }
  }

  /** `term:ID`: a terminal's output, as term_output notifications. term_attach subscribes through it. */
  family(): TopicFamily<'term:'> {
    return {
      prefix: 'term:',
      subscribe: (topic, subscriber, call) => {
        const terminal = this.get(topic.slice('term:'.length), call.identity);
        terminal.viewers.add(subscriber);
        return {};
      },
      unsubscribe: (topic, subscriber) => {
        const terminal = this.terminals.get(topic.slice('term:'.length));
        terminal?.viewers.delete(subscriber);
        terminal?.lagging.forget(subscriber);
      },
    };
  }

  open(workspace: Workspace, command: string[] | undefined, cols: number, rows: number, identity: Identity) {
    const runAs = this.authority.runAs(identity);
    const user = runAs ?? daemonUser();
    const id = `t_${randomBytes(6).toString('hex')}`;
    const meta: TerminalMeta = {
      id,
      workspace: workspace.id,
      cwd: workspace.path,
      command: command ?? [user.shell],
      cols,
      rows,
      owner: identity.name,
      uid: user.uid,
      gid: user.gid,
      created: Date.now(),
      status: 'running',
      exit_code: null,
      signal: null,
      end_reason: null,
      ended: null,
    };
    const terminal = this.live(meta, join(this.options.directory, id), new RingBuffer(this.options.scrollbackBytes));
    this.start(terminal, runAs);
    this.terminals.set(id, terminal);
    this.announce(terminal, false);
    return this.info(terminal);
  }

  /** Whether a terminal of this id is here (whoever's it is). */
  has(id: string): boolean {
    return this.terminals.has(id);
  }

  get size(): number {
    return this.terminals.size;
  }

  list(identity: Identity, workspace?: string): TerminalInfo[] {
    return [...this.terminals.values()]
      .filter((terminal) => this.authority.mayUse(identity, terminal.meta.owner))
      .filter((terminal) => workspace === undefined || terminal.meta.workspace === workspace)
      .sort((a, b) => a.meta.created - b.meta.created)
      .map((terminal) => this.info(terminal));
  }

  /**
   * Attaches the caller (through the `term:` topic) and returns the scrollback to replay first: its
   * last `limit` bytes, or those held after the offset `after` (a viewer taking its stream up again),
   * and the offset its end is at. Output read but not yet delivered is left to the delivery, which
   * the new viewer gets too, so no byte reaches it twice.
   */
  attach(id: string, identity: Identity, limit: number | undefined, after: number | undefined) {
    const terminal = this.get(id, identity);
    const offset = terminal.written - terminal.queuedBytes;
    if (after !== undefined && after > offset) {
      throw new CortexError('EINVAL', `after ${after} is past the output of ${id} (${offset} bytes so far).`);
    }
    const wanted = after === undefined ? limit : Math.min(limit ?? Infinity, offset - after);
    return {
      terminal: this.info(terminal),
      scrollback: terminal.ring.snapshot(wanted, terminal.queuedBytes),
      offset,
    };
  }

  write(id: string, data: string | Uint8Array, identity: Identity): void {
    const terminal = this.running(id, identity);
    terminal.pty.write(typeof data === 'string' ? data : Buffer.from(data));
  }

  resize(id: string, cols: number, rows: number, identity: Identity): void {
    const terminal = this.running(id, identity);
    terminal.pty.resize(cols, rows);
    terminal.meta.cols = cols;
    terminal.meta.rows = rows;
    this.save(terminal);
  }

  /** Ends the program (SIGHUP, then SIGKILL) and forgets the terminal, scrollback and all. */
  async close(id: string, identity: Identity): Promise<void> {
    const terminal = this.get(id, identity);
    await this.stop(terminal, 'closed by term_close');
    for (const viewer of [...terminal.viewers]) this.subscriptions.unsubscribe(`term:${id}`, viewer);
    this.terminals.delete(id);
    rmSync(terminal.directory, { recursive: true, force: true });
    this.announce(terminal, true);
  }

  /** Runs an ended terminal's command again in the same terminal; the old scrollback stays above it. */
  restart(id: string, identity: Identity, cols?: number, rows?: number): TerminalInfo {
    const terminal = this.get(id, identity);
    if (terminal.pty !== undefined) throw new CortexError('EINVAL', `Terminal ${id} is still running.`);
    const { meta } = terminal;
    meta.cols = cols ?? meta.cols;
    meta.rows = rows ?? meta.rows;
    // It runs as its owner's local user again, which must still exist.
    const runAs = this.authority.runAsOwner(meta.owner);
    Object.assign(meta, { status: 'running', exit_code: null, signal: null, end_reason: null, ended: null });
    const notice = Buffer.from(`\r\n[cortex: started again: ${meta.command.join(' ')}]\r\n`);
    this.start(terminal, runAs);
    this.output(terminal, notice);
    this.announce(terminal, false);
    return this.info(terminal);
  }

  /** On daemon shutdown: every program is hung up on; terminals are saved as ended. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.terminals.values()].map((terminal) => this.stop(terminal, 'the daemon stopped')));
  }

  /** Tells the subscribers of `terminals:*` who may use the terminal what it is now. */
  private announce(terminal: LiveTerminal, removed: boolean): void {
    const owner = terminal.meta.owner;
    this.topic.publish('terminal_update', { terminal: this.info(terminal), removed }, (identity) =>
      this.authority.mayUse(identity, owner),
    );
  }

  /** Starts the terminal's command, as `runAs` when given (through setpriv: node-pty would keep root's groups). */
  private start(terminal: LiveTerminal, runAs: SystemUser | undefined): void {
    const { meta } = terminal;
    const user = runAs ?? daemonUser();
    Object.assign(meta, { uid: user.uid, gid: user.gid });
    const [file = user.shell, ...args] = meta.command;
    let pty: IPty;
    try {
      const launch = launchAs(runAs, file, args, this.environment(meta, user));
      pty = spawn(launch.command, launch.args, {
        name: 'xterm-256color',
        cols: meta.cols,
        rows: meta.rows,
        cwd: meta.cwd,
        env: launch.env,
        encoding: null,
      });
    } catch (error) {
      throw new CortexError('EINVAL', `${file} could not be started: ${(error as Error).message}.`);
    }
    terminal.pty = pty;
    terminal.file = new ScrollbackFile(terminal.directory, this.options.scrollbackBytes, () =>
      terminal.ring.snapshot(),
    );
    this.save(terminal);
    // Opened with `encoding: null`, node-pty hands over Buffers, but its types only know strings.
    pty.onData((data) => this.output(terminal, data as unknown as Buffer));
    terminal.exited = new Promise((resolve) =>
      pty.onExit(({ exitCode, signal }) => {
        this.ended(terminal, pty, exitCode, signal ?? 0);
        resolve();
      }),
    );
    this.log.info(`terminal ${meta.id}: ${meta.command.join(' ')} (pid ${pty.pid}, uid ${meta.uid}) in ${meta.cwd}`);
  }

  private output(terminal: LiveTerminal, data: Buffer): void {
    terminal.ring.push(data);
    terminal.written += data.length;
    terminal.file?.append(data);
    if (terminal.viewers.size === 0) return;
    terminal.queued.push(data);
    terminal.queuedBytes += data.length;
    if (terminal.flushScheduled) return;
    terminal.flushScheduled = true;
    setImmediate(() => this.deliver(terminal));
  }

  private deliver(terminal: LiveTerminal): void {
    terminal.flushScheduled = false;
    if (terminal.queued.length === 0) return;
    const data = terminal.queued.length === 1 ? terminal.queued[0]! : Buffer.concat(terminal.queued);
    const offset = terminal.written - terminal.queuedBytes;
    terminal.queued = [];
    terminal.queuedBytes = 0;
    const { id } = terminal.meta;
    for (const viewer of [...terminal.viewers]) {
      if (!viewer.isOpen) continue;
      const reason = terminal.lagging.reason(viewer);
      if (reason !== undefined) {
        this.subscriptions.unsubscribe(`term:${id}`, viewer);
        viewer.notify('term_dropped', { id, reason }, `term:${id}`);
        this.log.info(`terminal ${id}: viewer ${viewer.id} dropped from the stream: ${reason}`);
        continue;
      }
      viewer.notify('term_output', { id, data, offset }, `term:${id}`);
    }
  }

  private ended(terminal: LiveTerminal, pty: IPty, exitCode: number, signal: number): void {
    if (terminal.pty !== pty) return;
    this.deliver(terminal);
    terminal.pty = undefined;
    const { meta } = terminal;
    meta.exit_code = signal ? null : exitCode;
    meta.signal = signal || null;
    if (meta.status === 'running') {
      meta.status = 'ended';
      meta.end_reason = signal ? `killed by signal ${signal}` : `exited with code ${exitCode}`;
      meta.ended = Date.now();
    }
    this.save(terminal);
    void terminal.file?.close();
    terminal.file = undefined;
    const info = this.info(terminal);
    const exit = { id: meta.id, workspace: meta.workspace, exit_code: meta.exit_code, signal: meta.signal };
    for (const viewer of terminal.viewers) if (viewer.isOpen) viewer.notify('term_exit', exit, `term:${meta.id}`);
    this.onExit(meta.workspace, info);
    this.announce(terminal, false);
    this.log.info(`terminal ${meta.id}: ${meta.end_reason}`);
  }

  private async stop(terminal: LiveTerminal, reason: string): Promise<void> {
    const { pty, meta } = terminal;
    if (pty === undefined) return;
    Object.assign(meta, { status: 'ended', end_reason: reason, ended: Date.now() });
    this.save(terminal);
    try {
      pty.kill('SIGHUP');
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => {
      try {
        process.kill(pty.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, this.options.closeGraceMs);
    await terminal.exited;
    clearTimeout(timer);
    await terminal.file?.close();
  }

  private environment(meta: TerminalMeta, user: SystemUser): Record<string, string> {
    const daemonsOwn = user.uid === process.getuid?.();
    const inherited: Record<string, string | undefined> = daemonsOwn
      ? { ...process.env }
      : { PATH: process.env['PATH'], LANG: process.env['LANG'] ?? 'C.UTF-8' };
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(inherited)) if (value !== undefined) env[name] = value;
    return {
      ...env,
      TERM: 'xterm-256color',
      COLORTERM: 'truecolor',
      // The daemon's own user keeps the daemon's HOME with the rest of its environment, as a tmux
      // pane does: a daemon started on a temporary home (the tests') starts shells that read no rc
      // file of the machine's user. Another user gets the home of its account.
      HOME: daemonsOwn ? (process.env['HOME'] ?? user.home) : user.home,
      USER: user.name,
      LOGNAME: user.name,
      SHELL: user.shell,
      CORTEX_TERMINAL: meta.id,
      CORTEX_SOCKET: this.options.socket,
      CORTEX_HOME: '',
    };
  }

  private running(id: string, identity: Identity): LiveTerminal & { pty: IPty } {
    const terminal = this.get(id, identity);
    if (terminal.pty === undefined) {
      throw new CortexError(
        'EINVAL',
        `Terminal ${id} has ended (${terminal.meta.end_reason}); term_restart runs it again.`,
      );
    }
    return terminal as LiveTerminal & { pty: IPty };
  }

  private get(id: string, identity: Identity): LiveTerminal {
    const terminal = this.terminals.get(id);
    if (terminal === undefined) throw new CortexError('ENOTFOUND', `There is no terminal ${id}.`);
    this.authority.requireUseAs(identity, terminal.meta.owner, terminal.meta.uid, `terminal ${id}`);
    return terminal;
  }

  private live(meta: TerminalMeta, directory: string, ring: RingBuffer): LiveTerminal {
    return {
      meta,
      directory,
      ring,
      file: undefined,
      pty: undefined,
      exited: undefined,
      viewers: new Set(),
      lagging: new ViewerLag(this.options.viewerMaxPendingBytes, this.options.viewerGraceMs),
      written: ring.size,
      queued: [],
      queuedBytes: 0,
      flushScheduled: false,
    };
  }

  private save(terminal: LiveTerminal): void {
    try {
      ScrollbackFile.writeMeta(terminal.directory, terminal.meta);
    } catch (error) {
      this.log.warn(`terminal ${terminal.meta.id}: not saved: ${(error as Error).message}`);
    }
  }

  private info(terminal: LiveTerminal): TerminalInfo {
    const { id, workspace, cwd, command, cols, rows, owner, uid, created, status } = terminal.meta;
    const { exit_code, signal, end_reason, ended } = terminal.meta;
    return {
      id,
      workspace,
      cwd,
      command,
      cols,
      rows,
      owner,
      uid,
      created,
      status,
      exit_code,
      signal,
      end_reason,
      ended,
      pid: terminal.pty?.pid ?? null,
      viewers: terminal.viewers.size,
      scrollback_bytes: terminal.ring.size,
    };
  }
}
