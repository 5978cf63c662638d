import { createInterface } from 'node:readline';
import { CortexError } from '../../../../src/protocol/errors.js';
import { VERSION } from '../../../../src/version.js';
import type { Logger } from '../../../logger.js';
import type { SystemUser } from '../../../identity/system-user.js';
import { codexEnv } from '../codex-binary.js';
import { crashReason } from '../error-sentence.js';
import type { Ended, StopTimeouts } from '../process-group.js';
import type { ProcessGroups, RecordedGroup } from '../process-groups.js';
import { JsonRpcLines } from './json-rpc-lines.js';

export interface AppServerOptions {
  binary: string;
  /** `-c key=value` overrides and other options of `codex app-server`. */
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  runAs: SystemUser | undefined;
  session: string;
  groups: ProcessGroups;
  stop: StopTimeouts;
  log: Logger;
}

const STDERR_KEPT = 50;

/** Notifications Cortex never reads, so Codex need not send them. */
const NOT_WANTED = [
  'thread/started',
  'thread/status/changed',
  'account/rateLimits/updated',
  'remoteControl/status/changed',
  'configWarning',
  'item/reasoning/summaryTextDelta',
  'item/reasoning/summaryPartAdded',
  'item/reasoning/textDelta',
  'turn/diff/updated',
];

/**
 * One `codex app-server` process, serving one session: started in a recorded process group as the session's
 * user, initialized, and watched. Its stderr (Codex's own logs) goes to the daemon log; the last lines are
 * kept to say why it died.
 */
export class AppServer {
  /** The thread this process has loaded (started or resumed), if any. */
  thread: string | null = null;
  private readonly stderr: string[] = [];
  private exit: Ended | undefined;

  private constructor(
    readonly rpc: JsonRpcLines,
    readonly group: RecordedGroup,
    readonly exited: Promise<Ended>,
    private readonly options: AppServerOptions,
  ) {}

  /** Starts and initializes an app-server; rejects with a sentence when it cannot. */
  static async start(options: AppServerOptions): Promise<AppServer> {
    const group = options.groups.spawn(
      options.binary,
      ['app-server', ...options.args],
      { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'], env: codexEnv(options.runAs, options.env) },
      options.session,
      options.runAs,
    );
    const { child } = group;
    const rpc = new JsonRpcLines(child.stdout!, child.stdin!);
    const exited = group.exited.then((exit) => {
      server.exit = exit;
      rpc.close(new CortexError('ECLOSED', server.exitReason()));
      return exit;
    });
    const server = new AppServer(rpc, group, exited, options);
    createInterface({ input: child.stderr! }).on('line', (line) => server.keepStderr(line));
    rpc.onMalformed((line) =>
      options.log.warn(`session ${options.session}: Codex wrote a line that is not JSON-RPC: ${line.slice(0, 200)}`),
    );
    try {
      await rpc.request('initialize', {
        clientInfo: { name: 'cortex', title: 'Cortex', version: VERSION },
        capabilities: { experimentalApi: true, requestAttestation: false, optOutNotificationMethods: NOT_WANTED },
      });
    } catch (error) {
      await server.kill();
      throw new CortexError('EINTERNAL', `The Codex app-server did not start: ${(error as Error).message}`);
    }
    rpc.notify('initialized');
    return server;
  }

  /** Whether it runs as `user` (undefined: the daemon's own), so a turn of that user may use it. */
  runsAs(user: SystemUser | undefined): boolean {
    return this.options.runAs?.uid === user?.uid && this.options.runAs?.gid === user?.gid;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Why the process ended, in a sentence: its own last words when it left any. */
  exitReason(): string {
    const exit = this.exit;
    if (exit?.error) return `Could not run the Codex CLI (${this.options.binary}): ${exit.error.message}.`;
    const how = exit?.signal ? `signal ${exit.signal}` : `code ${exit?.code ?? '?'}`;
    const why = crashReason(this.stderr);
    return `The Codex app-server exited with ${how}${why ? `: ${why}` : '.'}`;
  }

  /** Ends it gently (its input closed, as when a client quits), then with signals if it lingers. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.group.child.stdin?.end();
    const gone = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), this.options.stop.sigintMs).unref()),
    ]);
    if (!gone) await this.kill();
  }

  /** Ends it with signals (the process group, then what left the group). */
  async kill(): Promise<void> {
    await this.options.groups.stop(this.group, this.options.stop);
  }

  private keepStderr(line: string): void {
    if (line.trim() === '') return;
    this.stderr.push(line);
    if (this.stderr.length > STDERR_KEPT) this.stderr.shift();
    this.options.log.debug(`session ${this.options.session}: codex: ${line}`);
  }
}
