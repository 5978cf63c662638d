import { randomBytes } from 'node:crypto';
import { CortexError } from '../../src/protocol/errors.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import {
  EMPTY_USAGE,
  type ProviderName,
  type Session,
  type SessionStatus,
  type TokenUsage,
} from '../../src/protocol/runtime-types.js';
import type { Authority } from '../access/authority.js';
import type { Identity } from '../identity/identity.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { EventLog } from './event-log.js';
import type { Provider, RunningTurn, TurnOutcome } from './providers/provider.js';
import type { RuntimeStore, StoredSession } from './runtime-store.js';
import type { WorkspaceRegistry } from './workspace-registry.js';

interface LiveSession {
  stored: StoredSession;
  /** Prompts waiting for the running turn to end. */
  queue: string[];
  running: RunningTurn | undefined;
  /**
   * Set while stop() waits for the running turn to end. From then on the session
   * takes no message and a second stop waits for the first: without it, a message
   * sent during the wait was queued and ran after the stop, and a second stop
   * wrote a second session_stopped.
   */
  stopping?: Promise<void>;
}

/** Why a turn that was running when the daemon died is marked interrupted after the restart. */
export const CUT_BY_RESTART = 'the daemon stopped while the turn was running';

/** Where a turn runs, for the work done around it. */
export interface TurnContext {
  session: string;
  /** The session's owner (full identity): work around the turn runs as its local user. */
  owner: string;
  workspace: string;
  /** The workspace directory. */
  cwd: string;
  turn: number;
}

/**
 * Work around every turn (the workspace inspector's snapshots and checks):
 * `beforeTurn` runs before the provider starts, `afterTurn` after it ended and
 * before the event that ends the turn, so that event comes after everything
 * the turn produced. A hook that fails is logged; the turn goes on. `signal`
 * aborts when the turn is interrupted.
 */
export interface TurnHooks {
  beforeTurn(turn: TurnContext): Promise<void>;
  afterTurn(turn: TurnContext, outcome: TurnOutcome, signal: AbortSignal): Promise<void>;
}

export interface StartRequest {
  workspace: string;
  provider?: ProviderName | undefined;
  prompt?: string | undefined;
  model?: string | undefined;
  options?: Record<string, MsgValue> | undefined;
}

/**
 * Owns every session: their turns, queues and providers. Turns of one session
 * never overlap; a message that arrives during a turn waits in the queue (a
 * `turn_queued` event says so) and runs next. Clients only look: a session
 * lives on when they detach, and across daemon restarts (a turn cut short by
 * the restart is marked interrupted; the next message resumes the conversation).
 */
export class SessionManager {
  private readonly sessions = new Map<string, LiveSession>();
  private readonly changeListeners = new Set<(session: Session) => void>();
  private hooks: TurnHooks | undefined;

  constructor(
    private readonly tables: RuntimeStore,
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly workspaces: WorkspaceRegistry,
    private readonly providers: Record<ProviderName, Provider>,
    private readonly authority: Authority,
    private readonly log: Logger,
  ) {
    for (const stored of tables.loadSessions()) this.sessions.set(stored.id, { stored, queue: [], running: undefined });
  }

  useTurnHooks(hooks: TurnHooks): void {
    this.hooks = hooks;
  }

  /** After a restart: turns that were running when the daemon died are marked interrupted. */
  recover(): void {
    for (const session of this.sessions.values()) {
      const { stored } = session;
      if (stored.status === 'running' || stored.status === 'starting') {
        this.events.append(stored.id, stored.turns, 'turn_interrupted', {
          reason: CUT_BY_RESTART,
        });
        this.setStatus(session, 'interrupted');
        this.log.info(`session ${stored.id}: turn ${stored.turns} marked interrupted after a restart`);
      }
    }
  }

  async start(request: StartRequest, identity: Identity): Promise<Session> {
    const workspace = this.workspaces.resolve(request.workspace, identity);
    // A session is its provider's programs: a caller with no local user here may not start one.
    this.authority.runAs(identity);
    const now = Date.now();
    const stored: StoredSession = {
      id: `s_${randomBytes(8)
        .toString('base64url')
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '0')}`,
      workspace: workspace.id,
      provider: request.provider ?? 'codex',
      model: request.model ?? null,
      options: request.options ?? {},
      status: 'starting',
      resume_ref: null,
      created: now,
      updated: now,
      turns: 0,
      usage: { ...EMPTY_USAGE },
      owner: identity.name,
    };
    const session: LiveSession = { stored, queue: [], running: undefined };
    this.sessions.set(stored.id, session);
    await this.persist(session);
    this.events.append(stored.id, 0, 'session_started', {
      provider: stored.provider,
      workspace: workspace.id,
      path: workspace.path,
      model: stored.model,
    });
    if (request.prompt !== undefined) this.send(stored.id, request.prompt, identity);
    else this.setStatus(session, 'idle');
    return this.view(session);
  }

  /** Runs the prompt now, or queues it behind the running turn. Returns the turn number it will have. */
  send(id: string, prompt: string, identity: Identity): { turn: number; queued: boolean } {
    const session = this.get(id, identity);
    if (session.stored.status === 'stopped' || session.stopping !== undefined) {
      throw new CortexError('EINVAL', `Session ${id} is stopped and takes no more messages; start a new session.`);
    }
    // Its turns run as its owner's local user: refused now, not when the turn starts, if there is none.
    this.authority.runAsOwner(session.stored.owner);
    if (session.running !== undefined) {
      session.queue.push(prompt);
      this.announce(session);
      const turn = session.stored.turns + session.queue.length;
      this.events.append(id, turn, 'turn_queued', { prompt, position: session.queue.length });
      return { turn, queued: true };
    }
    return { turn: this.runTurn(session, prompt), queued: false };
  }

  /** Interrupts the running turn; queued messages then run in order. */
  interrupt(id: string, identity: Identity, reason = 'interrupted by the user'): boolean {
    const session = this.get(id, identity);
    if (session.running === undefined) return false;
    session.running.interrupt(reason);
    return true;
  }

  /** Ends the session: the running turn is interrupted, queued messages dropped, no more turns. */
  async stop(id: string, identity: Identity, reason = 'stopped by the user'): Promise<void> {
    const session = this.get(id, identity);
    if (session.stored.status === 'stopped') return;
    session.stopping ??= this.stopNow(session, reason);
    return session.stopping;
  }

  private async stopNow(session: LiveSession, reason: string): Promise<void> {
    const { id } = session.stored;
    session.queue = [];
    const running = session.running;
    if (running) {
      running.interrupt(reason);
      await running.done;
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.events.append(id, session.stored.turns, 'session_stopped', { reason });
    this.setStatus(session, 'stopped');
  }

  /** On daemon shutdown: interrupt every running turn and wait for their processes. */
  async shutdown(): Promise<void> {
    const running = [...this.sessions.values()].filter((session) => session.running !== undefined);
    for (const session of running) {
      session.queue = [];
      session.running!.interrupt('the daemon stopped');
    }
    await Promise.all(running.map((session) => session.running!.done));
  }

  list(identity: Identity, filter: { workspace?: string | undefined; status?: SessionStatus | undefined }): Session[] {
    const workspace =
      filter.workspace === undefined ? undefined : this.workspaces.resolve(filter.workspace, identity).id;
    return [...this.sessions.values()]
      .filter((session) => this.authority.mayUse(identity, session.stored.owner))
      .filter((session) => workspace === undefined || session.stored.workspace === workspace)
      .filter((session) => filter.status === undefined || session.stored.status === filter.status)
      .map((session) => this.view(session));
  }

  /** Whether a session of this id is here (whoever's it is). */
  has(id: string): boolean {
    return this.sessions.has(id);
  }

  /** How many sessions there are, and how many run a turn now: for the node's summary in heartbeats. */
  counts(): { sessions: number; running: number } {
    let running = 0;
    for (const session of this.sessions.values()) if (session.running !== undefined) running++;
    return { sessions: this.sessions.size, running };
  }

  /** Every session in a workspace, whoever owns it (for the daemon's own bookkeeping). */
  sessionsIn(workspace: string): Session[] {
    return [...this.sessions.values()]
      .filter((session) => session.stored.workspace === workspace)
      .map((session) => this.view(session));
  }

  describe(id: string, identity: Identity): Session {
    return this.view(this.get(id, identity));
  }

  /** Throws unless the caller may see the session (its owner or an administrator). */
  authorize(identity: Identity, id: string): void {
    this.get(id, identity);
  }

  private get(id: string, identity: Identity): LiveSession {
    const session = this.sessions.get(id);
    if (session === undefined) throw new CortexError('ENOTFOUND', `There is no session ${id}.`);
    this.authority.requireUse(identity, session.stored.owner, `session ${id}`);
    return session;
  }

  private runTurn(session: LiveSession, prompt: string): number {
    const { stored } = session;
    const turn = ++stored.turns;
    const resumed = stored.resume_ref !== null;
    const path = this.workspaces.pathOf(stored.workspace);
    this.events.append(stored.id, turn, 'turn_started', { prompt, resumed });
    this.setStatus(session, 'running');
    const provider = this.providers[stored.provider];
    const start = (): RunningTurn => {
      try {
        const runAs = this.authority.runAsOwner(stored.owner);
        return provider.startTurn(
          { cwd: path, prompt, resumeRef: stored.resume_ref, model: stored.model, options: stored.options, runAs },
          {
            event: (type, payload) => this.events.append(stored.id, turn, type, payload),
            resumeRef: (ref) => {
              if (stored.resume_ref === ref) return;
              stored.resume_ref = ref;
              void this.persist(session);
            },
          },
        );
      } catch (error) {
        // The owner lost its local user since the turn was queued, or its programs cannot be started as it.
        const message = error instanceof Error ? error.message : String(error);
        return { done: Promise.resolve({ status: 'failed', error: message }), interrupt: () => {} };
      }
    };
    session.running = this.hooks
      ? withHooks(
          this.hooks,
          { session: stored.id, owner: stored.owner, workspace: stored.workspace, cwd: path, turn },
          start,
          this.log,
        )
      : start();
    void session.running.done.then((outcome) => this.finishTurn(session, turn, outcome));
    return turn;
  }

  private finishTurn(session: LiveSession, turn: number, outcome: TurnOutcome): void {
    const { stored } = session;
    session.running = undefined;
    if (outcome.status === 'completed') {
      stored.usage = addUsage(stored.usage, outcome.usage);
      this.events.append(stored.id, turn, 'turn_completed', { usage: outcome.usage });
    } else if (outcome.status === 'failed') {
      this.events.append(stored.id, turn, 'turn_failed', { error: outcome.error });
    } else {
      this.events.append(stored.id, turn, 'turn_interrupted', { reason: outcome.reason });
    }
    // Stopping: stopNow() writes the end and the status.
    if (stored.status === 'stopped' || session.stopping !== undefined) return;
    const next = session.queue.shift();
    if (next !== undefined) {
      this.runTurn(session, next);
      return;
    }
    this.setStatus(session, outcome.status === 'completed' ? 'idle' : outcome.status);
  }

  private setStatus(session: LiveSession, status: SessionStatus): void {
    session.stored.status = status;
    void this.persist(session);
  }

  /** Called with the session's new state after every change (status, turns, queue), for `sessions:*` watchers. */
  onChange(listener: (session: Session) => void): void {
    this.changeListeners.add(listener);
  }

  private announce(session: LiveSession): void {
    if (this.changeListeners.size === 0) return;
    const view = this.view(session);
    for (const listener of this.changeListeners) listener(view);
  }

  private persist(session: LiveSession): Promise<void> {
    session.stored.updated = Date.now();
    this.announce(session);
    return this.store
      .transact(() => this.tables.saveSession(session.stored))
      .catch((error: unknown) => this.log.error(`session ${session.stored.id} was not saved: ${String(error)}`));
  }

  private view(session: LiveSession): Session {
    const { id, workspace, provider, model, status, resume_ref, created, updated, turns, usage, owner } =
      session.stored;
    return {
      id,
      workspace,
      provider,
      model,
      status,
      resume_ref,
      created,
      updated,
      turns,
      usage: { ...usage },
      owner,
      queued: session.queue.length,
    };
  }
}

/** A turn with the hooks around it: interrupting it aborts the hooks too, and before the provider starts, stops it from starting. */
function withHooks(hooks: TurnHooks, context: TurnContext, start: () => RunningTurn, log: Logger): RunningTurn {
  const abort = new AbortController();
  let inner: RunningTurn | undefined;
  const failed = (what: string) => (error: unknown) =>
    log.error(`session ${context.session} turn ${context.turn}: ${what} failed: ${String(error)}`);
  const done = (async (): Promise<TurnOutcome> => {
    await hooks.beforeTurn(context).catch(failed('the work before the turn'));
    if (abort.signal.aborted) return { status: 'interrupted', reason: String(abort.signal.reason) };
    inner = start();
    const outcome = await inner.done;
    await hooks.afterTurn(context, outcome, abort.signal).catch(failed('the work after the turn'));
    return outcome;
  })();
  return {
    done,
    interrupt: (reason) => {
      if (!abort.signal.aborted) abort.abort(reason);
      inner?.interrupt(reason);
    },
  };
}

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    input_tokens: a.input_tokens + b.input_tokens,
    cached_input_tokens: a.cached_input_tokens + b.cached_input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    reasoning_output_tokens: a.reasoning_output_tokens + b.reasoning_output_tokens,
  };
}
