import type { ApprovalPolicy } from '../../../../src/protocol/runtime-types.js';
import type { Logger } from '../../../logger.js';
import { CODEX_MISSING, type CodexSettings, THREAD_BUSY, THREAD_BUSY_NOTICE } from '../codex-binary.js';
import { oneSentence } from '../error-sentence.js';
import type { Provider, RunningTurn, TurnOutcome, TurnRequest, TurnSink } from '../provider.js';
import { AppServer } from './app-server.js';
import { AppServerTurn } from './app-server-turn.js';
import { KNOWN_NOTIFICATIONS, KNOWN_REQUESTS, type ServerNotification, type ServerRequest } from './codex-protocol.js';

export interface AppServerSettings extends CodexSettings {
  /** A session's app-server with no turn for this long is stopped. */
  idleMs: number;
  log: Logger;
}

/** The method refused when Codex asks something Cortex does not answer (user input, MCP elicitations, ...). */
const METHOD_NOT_FOUND = -32601;

/**
 * Codex through `codex app-server`, one process per session (docs/design.md says why): started on the
 * session's first turn, kept between turns so a turn starts at once, stopped after `idleMs` without one,
 * and started again (resuming the thread) when a turn needs it after it stopped or crashed.
 */
export class CodexAppServerProvider implements Provider {
  readonly name = 'codex';
  readonly steers = true;
  private readonly servers = new Map<string, Promise<AppServer>>();
  private readonly turns = new Map<string, AppServerTurn>();
  private readonly idle = new Map<string, NodeJS.Timeout>();

  constructor(private readonly settings: AppServerSettings) {}

  startTurn(request: TurnRequest, sink: TurnSink): RunningTurn {
    this.clearIdle(request.session);
    let turn: AppServerTurn | undefined;
    let interruptedBefore: string | undefined;
    const done = (async (): Promise<TurnOutcome> => {
      try {
        const server = await this.serverFor(request);
        const thread = await this.threadFor(server, request, sink);
        if (interruptedBefore !== undefined) return { status: 'interrupted', reason: interruptedBefore };
        turn = new AppServerTurn(server, thread, request, sink, this.settings.stop);
        this.turns.set(request.session, turn);
        await turn.start();
        return noticeIfBusy(await turn.done, sink);
      } catch (error) {
        return noticeIfBusy({ status: 'failed', error: oneSentence((error as Error).message) }, sink);
      } finally {
        this.turns.delete(request.session);
        this.armIdle(request.session);
      }
    })();
    return {
      done,
      interrupt: (reason) => {
        if (turn === undefined) interruptedBefore ??= reason;
        else turn.interrupt(reason);
      },
      steer: async (prompt) => {
        // Before turn/start went out there is no turn to steer: the caller queues the message instead.
        if (turn === undefined) throw new Error('The turn has not started yet.');
        await turn.steer(prompt);
      },
    };
  }

  async release(session: string): Promise<void> {
    this.clearIdle(session);
    const server = this.servers.get(session);
    this.servers.delete(session);
    await (await server?.catch(() => undefined))?.stop();
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((session) => this.release(session)));
  }

  /** The session's running app-server, started (or started again after it died) when there is none. */
  private async serverFor(request: TurnRequest): Promise<AppServer> {
    const existing = this.servers.get(request.session);
    const current = await existing?.catch(() => undefined);
    if (current?.alive && current.runsAs(request.runAs)) return current;
    // The owner's local user changed since it started (a new mapping): that user's turn gets its own process.
    await current?.stop();
    const binary = this.settings.binary;
    if (binary === undefined) throw new Error(CODEX_MISSING);
    const starting = AppServer.start({
      binary,
      args: this.settings.extraArgs,
      cwd: request.cwd,
      env: this.settings.env,
      runAs: request.runAs,
      session: request.session,
      groups: this.settings.groups,
      stop: this.settings.stop,
      log: this.settings.log,
    }).then((server) => this.route(server, request.session));
    this.servers.set(request.session, starting);
    starting.catch(() => this.servers.delete(request.session));
    return starting;
  }

  /** Hands the server's notifications and requests to the session's running turn. */
  private route(server: AppServer, session: string): AppServer {
    server.rpc.onNotification((method, params) => {
      if (KNOWN_NOTIFICATIONS.has(method)) {
        this.turns.get(session)?.notification({ method, params } as ServerNotification);
      }
    });
    server.rpc.onRequest((request) => {
      const turn = this.turns.get(session);
      if (turn !== undefined && KNOWN_REQUESTS.has(request.method)) return turn.serverRequest(request as ServerRequest);
      server.rpc.respondError(request.id, METHOD_NOT_FOUND, `Cortex does not answer ${request.method}.`);
      turn?.notice(`Codex asked for ${request.method}, which Cortex does not answer; it was refused.`);
    });
    void server.exited.then(() => {
      if (this.servers.get(session) !== undefined) this.settings.log.info(`session ${session}: ${server.exitReason()}`);
    });
    return server;
  }

  /** The thread of the session on this server: loaded already, resumed, or started. */
  private async threadFor(server: AppServer, request: TurnRequest, sink: TurnSink): Promise<string> {
    if (server.thread !== null && server.thread === request.resumeRef) return server.thread;
    const settings = {
      cwd: request.cwd,
      model: request.model,
      sandbox: request.sandbox,
      ...approvalParams(request.approval),
    };
    const { thread } =
      request.resumeRef === null
        ? await server.rpc.request('thread/start', settings)
        : await server.rpc.request('thread/resume', { ...settings, threadId: request.resumeRef, excludeTurns: true });
    server.thread = thread.id;
    sink.resumeRef(thread.id);
    return thread.id;
  }

  private armIdle(session: string): void {
    this.clearIdle(session);
    const timer = setTimeout(() => {
      this.idle.delete(session);
      if (!this.turns.has(session)) void this.release(session);
    }, this.settings.idleMs);
    timer.unref();
    this.idle.set(session, timer);
  }

  private clearIdle(session: string): void {
    clearTimeout(this.idle.get(session));
    this.idle.delete(session);
  }
}

/** A turn that failed because another Codex client holds the thread gets a notice saying what to do. */
function noticeIfBusy(outcome: TurnOutcome, sink: TurnSink): TurnOutcome {
  if (outcome.status === 'failed' && THREAD_BUSY.test(outcome.error)) {
    sink.event('notice', { message: THREAD_BUSY_NOTICE });
  }
  return outcome;
}

/**
 * The app-server's typed approvalPolicy no longer lists `on-failure`; Codex's configuration still takes it,
 * so that one policy goes in as a configuration override.
 */
function approvalParams(policy: ApprovalPolicy) {
  return policy === 'on-failure' ? { config: { approval_policy: policy } } : { approvalPolicy: policy };
}
