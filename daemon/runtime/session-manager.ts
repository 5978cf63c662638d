import { randomBytes } from 'node:crypto';
import { CortexError } from '../../src/protocol/errors.js';
import {
  type ApprovalDecision,
  type ApprovalPolicy,
  EMPTY_USAGE,
  type ProviderName,
  type SandboxMode,
  type Session,
  type SessionStatus,
  type TokenUsage,
} from '../../src/protocol/runtime-types.js';
import type { RunAs } from '../../src/protocol/session-events.js';
import type { Authority } from '../access/authority.js';
import type { Identity } from '../identity/identity.js';
import type { SystemUser } from '../identity/system-user.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import { ActiveTurn } from './active-turn.js';
import { DECISIONS, newRequestId, type PendingAsk, pendingView, pickPending } from './approvals.js';
import type { EventLog } from './event-log.js';
import type { SweptGroup } from './providers/process-groups.js';
import type { ApprovalAnswer, ApprovalAsk, Provider, RunningTurn, TurnOutcome } from './providers/provider.js';
import type { RuntimeStore, StoredSession } from './runtime-store.js';
import { recoverSession } from './session-recovery.js';
import type { WatchdogSettings } from './turn-watchdog.js';
import type { WorkspaceRegistry } from './workspace-registry.js';

interface LiveSession {
  stored: StoredSession;
  /** Prompts waiting for the running turn to end. */
  queue: string[];
  running: ActiveTurn | undefined;
  /** Approval requests of the running turn that wait for a person, oldest first. */
  waiting: PendingAsk[];
  /**
   * Set while stop() waits for the running turn to end. From then on the session
   * takes no message and a second stop waits for the first: without it, a message
   * sent during the wait was queued and ran after the stop, and a second stop
   * wrote a second session_stopped.
   */
  stopping?: Promise<void> | undefined;
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
  approval?: ApprovalPolicy | undefined;
  sandbox?: SandboxMode | undefined;
}

/** The daemon's settings for sessions. */
export interface SessionDefaults extends WatchdogSettings {
  /** The approval policy of a session started without one. */
  approval: ApprovalPolicy;
}

/**
 * Owns every session: their turns, queues, approvals and providers. Turns of one session
 * never overlap; a message that arrives during a turn waits in the queue (a
 * `turn_queued` event says so) and runs next, or joins the running turn when it steers. Clients only
 * look: a session lives on when they detach, and across daemon restarts (a turn cut short by the restart
 * is marked interrupted, its unanswered approvals denied, its queue kept; the next message resumes the
 * conversation).
 */
export class SessionManager {
  private readonly sessions = new Map<string, LiveSession>();
  private readonly changeListeners = new Set<(session: Session) => void>();
  private hooks: TurnHooks | undefined;
  private shuttingDown = false;

  constructor(
    private readonly tables: RuntimeStore,
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly workspaces: WorkspaceRegistry,
    private readonly providers: Record<ProviderName, Provider>,
    private readonly defaults: SessionDefaults,
    private readonly authority: Authority,
    private readonly log: Logger,
  ) {
    for (const stored of tables.loadSessions()) {
      this.sessions.set(stored.id, { stored, queue: [], running: undefined, waiting: [] });
    }
  }

  useTurnHooks(hooks: TurnHooks): void {
    this.hooks = hooks;
  }

  /**
   * After a restart: turns that were running when the daemon died are marked interrupted (their unanswered
   * approval requests denied first), queues come back from the log, and each session whose processes the
   * predecessor left running is told they were stopped. Queued messages wait for `runRecoveredQueues`.
   */
  recover(swept: readonly SweptGroup[]): void {
    for (const session of this.sessions.values()) {
      const { stored } = session;
      const recovered = recoverSession(this.events, stored);
      session.queue = recovered.queue;
      const killed = swept.filter((group) => group.session === stored.id).reduce((sum, g) => sum + g.killed, 0);
      if (killed > 0) {
        this.events.append(stored.id, stored.turns, 'notice', {
          message: `The daemon restarted: ${killed} process(es) its predecessor left running for this session (Codex and its commands) were stopped.`,
        });
      }
      if (stored.status === 'running' || stored.status === 'starting') {
        for (const request of recovered.unanswered) {
          this.events.append(stored.id, stored.turns, 'approval_resolved', {
            request,
            decision: 'denied',
            by: 'cortex',
            reason: 'the daemon restarted before anyone answered',
          });
        }
        this.events.append(stored.id, stored.turns, 'turn_interrupted', { reason: CUT_BY_RESTART });
        this.setStatus(session, 'interrupted');
        this.log.info(`session ${stored.id}: turn ${stored.turns} marked interrupted after a restart`);
      }
    }
  }

  /** After recover() and once the turn hooks are in place: queued messages kept across the restart run. */
  runRecoveredQueues(): void {
    for (const session of this.sessions.values()) {
      if (session.queue.length === 0 || session.running !== undefined) continue;
      this.events.append(session.stored.id, session.stored.turns, 'notice', {
        message: `${session.queue.length} queued message(s) outlived the daemon restart and run now.`,
      });
      this.runTurn(session, session.queue.shift()!);
    }
  }

  async start(request: StartRequest, identity: Identity): Promise<Session> {
    const workspace = this.workspaces.resolve(request.workspace, identity);
    const provider = request.provider ?? 'codex';
    const approval = request.approval ?? this.defaults.approval;
    this.providers[provider].check?.({ approval });
    // A session is its provider's programs: a caller with no local user here may not start one.
    const runAs = recordOf(this.authority.runAs(identity));
    const now = Date.now();
    const stored: StoredSession = {
      id: `s_${randomBytes(8)
        .toString('base64url')
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '0')}`,
      workspace: workspace.id,
      provider,
      model: request.model ?? null,
      approval,
      sandbox: request.sandbox ?? null,
      status: 'starting',
      resume_ref: null,
      created: now,
      updated: now,
      turns: 0,
      usage: { ...EMPTY_USAGE },
      owner: identity.name,
    };
    const session: LiveSession = { stored, queue: [], running: undefined, waiting: [] };
    this.sessions.set(stored.id, session);
    await this.persist(session);
    this.events.append(stored.id, 0, 'session_started', {
      provider: stored.provider,
      workspace: workspace.id,
      path: workspace.path,
      model: stored.model,
      approval,
      sandbox: stored.sandbox,
      run_as: runAs,
    });
    if (request.prompt !== undefined) await this.send(stored.id, request.prompt, identity);
    else this.setStatus(session, 'idle');
    return this.view(session);
  }

  /**
   * Runs the prompt now, or queues it behind the running turn; with `steer`, adds it to the running turn
   * (and queues it if the turn can no longer take it, saying so). Returns the turn it went to.
   */
  async send(
    id: string,
    prompt: string,
    identity: Identity,
    steer = false,
  ): Promise<{ turn: number; queued: boolean; steered: boolean }> {
    const session = this.get(id, identity);
    if (session.stored.status === 'stopped' || session.stopping !== undefined) {
      throw new CortexError(
        'EINVAL',
        `Session ${id} is stopped and takes no more messages; cortex session resume ${id} starts it again.`,
      );
    }
    // Its turns run as its owner's local user: refused now, not when the turn starts, if there is none.
    this.authority.runAsOwner(session.stored.owner);
    const running = session.running;
    if (running === undefined) return { turn: this.runTurn(session, prompt), queued: false, steered: false };
    if (steer) {
      if (!this.providers[session.stored.provider].steers) {
        throw new CortexError(
          'EINVAL',
          `The ${session.stored.provider} provider cannot add to a running turn; send the message without --steer to queue it.`,
        );
      }
      // Written first, so the agent's answer to it comes after it in the log.
      running.append('turn_steered', { prompt });
      try {
        if (running.handle.steer === undefined) throw new Error('the provider has no turn to add it to');
        await running.handle.steer(prompt);
        return { turn: running.number, queued: false, steered: true };
      } catch (error) {
        running.append('notice', {
          message: `The running turn could not take the message (${(error as Error).message}); it is queued instead.`,
        });
        if (session.running === undefined)
          return { turn: this.runTurn(session, prompt), queued: false, steered: false };
      }
    }
    session.queue.push(prompt);
    this.announce(session);
    const turn = session.stored.turns + session.queue.length;
    this.events.append(id, turn, 'turn_queued', { prompt, position: session.queue.length });
    return { turn, queued: true, steered: false };
  }

  /** Interrupts the running turn; queued messages then run in order. */
  interrupt(id: string, identity: Identity, reason = 'interrupted by the user'): boolean {
    const session = this.get(id, identity);
    if (session.running === undefined) return false;
    session.running.handle.interrupt(reason);
    return true;
  }

  /** Answers the request named (or the only one waiting) on behalf of `identity`. */
  answer(
    id: string,
    identity: Identity,
    request: string | undefined,
    answer: Exclude<ApprovalAnswer, 'cancelled'>,
  ): { request: string; decision: ApprovalDecision } {
    const session = this.get(id, identity);
    const pending = pickPending(session.waiting, id, request);
    this.settle(session, pending, answer, identity.name, null);
    return { request: pending.request, decision: DECISIONS[answer] };
  }

  /** Ends the session: the running turn is interrupted, queued messages dropped, no more turns. */
  async stop(id: string, identity: Identity, reason = 'stopped by the user'): Promise<void> {
    const session = this.get(id, identity);
    if (session.stored.status === 'stopped') return;
    session.stopping ??= this.stopNow(session, reason);
    return session.stopping;
  }

  /** Starts a stopped session again on its conversation; a prompt runs as its next turn. */
  async resume(id: string, identity: Identity, prompt?: string): Promise<{ session: Session; turn: number | null }> {
    const session = this.get(id, identity);
    await session.stopping;
    if (session.stored.status !== 'stopped') {
      throw new CortexError(
        'EINVAL',
        `Session ${id} is not stopped (it is ${session.stored.status}); send it a message instead.`,
      );
    }
    // Its turns run as its owner's local user: an owner that has none any more resumes nothing.
    this.authority.runAsOwner(session.stored.owner);
    session.stopping = undefined;
    this.events.append(id, session.stored.turns, 'session_resumed', { by: identity.name });
    this.setStatus(session, 'idle');
    const turn = prompt === undefined ? null : this.runTurn(session, prompt);
    return { session: this.view(session), turn };
  }

  private async stopNow(session: LiveSession, reason: string): Promise<void> {
    const { id } = session.stored;
    session.queue = [];
    const running = session.running;
    if (running) {
      running.handle.interrupt(reason);
      await running.handle.done;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await this.providers[session.stored.provider].release?.(id);
    this.events.append(id, session.stored.turns, 'session_stopped', { reason });
    this.setStatus(session, 'stopped');
  }

  /**
   * On daemon shutdown: deny what waits for an answer, interrupt every running turn and wait for their
   * processes. Queued messages stay in the log and run after the next start.
   */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const session of this.sessions.values()) {
      for (const pending of [...session.waiting]) {
        this.settle(session, pending, 'deny', 'cortex', 'the daemon stopped before anyone answered');
      }
    }
    const running = [...this.sessions.values()].flatMap((session) => session.running ?? []);
    for (const turn of running) turn.handle.interrupt('the daemon stopped');
    await Promise.all(running.map((turn) => turn.handle.done));
    await Promise.all(Object.values(this.providers).map(async (provider) => provider.shutdown?.()));
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
    const active: ActiveTurn = new ActiveTurn(
      turn,
      {
        append: (type, payload) => this.events.append(stored.id, turn, type, payload),
        resumeRef: (ref) => {
          if (stored.resume_ref === ref) return;
          stored.resume_ref = ref;
          void this.persist(session);
        },
        ask: (ask, withdrawn) => this.ask(session, active, ask, withdrawn),
        interrupt: (reason) => active.handle.interrupt(reason),
      },
      this.defaults,
      provider.name,
    );
    const start = (): RunningTurn => {
      try {
        // Asked each turn, not taken from session_started: an owner unmapped since then runs nothing more.
        const runAs = this.authority.runAsOwner(stored.owner);
        return provider.startTurn(
          {
            session: stored.id,
            cwd: path,
            prompt,
            resumeRef: stored.resume_ref,
            model: stored.model,
            approval: stored.approval,
            sandbox: stored.sandbox,
            runAs,
          },
          active.sink,
        );
      } catch (error) {
        // The owner lost its local user since the turn was queued, or its programs cannot be started as it.
        const message = error instanceof Error ? error.message : String(error);
        return { done: Promise.resolve({ status: 'failed', error: message }), interrupt: () => {} };
      }
    };
    active.handle = this.hooks
      ? withHooks(
          this.hooks,
          { session: stored.id, owner: stored.owner, workspace: stored.workspace, cwd: path, turn },
          start,
          this.log,
        )
      : start();
    session.running = active;
    void active.handle.done.then((outcome) => this.finishTurn(session, active, outcome));
    return turn;
  }

  /** A provider asks a person: the request is written, shown in the session, and waits for an answer. */
  private ask(
    session: LiveSession,
    turn: ActiveTurn,
    ask: ApprovalAsk,
    withdrawn: AbortSignal,
  ): Promise<ApprovalAnswer> {
    return new Promise((settle) => {
      const pending: PendingAsk = { request: newRequestId(), turn: turn.number, ask, settle };
      turn.append('approval_requested', { request: pending.request, ...ask });
      session.waiting.push(pending);
      turn.watchdog.pause();
      this.announce(session);
      const withdraw = () => this.settle(session, pending, 'cancelled', 'cortex', 'the agent withdrew the request');
      if (withdrawn.aborted) withdraw();
      else withdrawn.addEventListener('abort', withdraw, { once: true });
    });
  }

  /** Ends a request: the answer goes to the provider and into the log. A request ends once. */
  private settle(
    session: LiveSession,
    pending: PendingAsk,
    answer: ApprovalAnswer,
    by: string,
    reason: string | null,
  ): void {
    const index = session.waiting.indexOf(pending);
    if (index < 0) return;
    session.waiting.splice(index, 1);
    this.events.append(session.stored.id, pending.turn, 'approval_resolved', {
      request: pending.request,
      decision: DECISIONS[answer],
      by,
      reason,
    });
    if (session.waiting.length === 0) session.running?.watchdog.resume();
    pending.settle(answer);
    this.announce(session);
  }

  private finishTurn(session: LiveSession, active: ActiveTurn, outcome: TurnOutcome): void {
    const { stored } = session;
    for (const pending of [...session.waiting]) {
      this.settle(session, pending, 'cancelled', 'cortex', 'the turn ended before anyone answered');
    }
    active.close();
    session.running = undefined;
    const turn = active.number;
    if (outcome.status === 'completed') {
      stored.usage = addUsage(stored.usage, outcome.usage);
      this.events.append(stored.id, turn, 'turn_completed', { usage: outcome.usage });
    } else if (outcome.status === 'failed') {
      this.events.append(stored.id, turn, 'turn_failed', { error: outcome.error });
    } else {
      this.events.append(stored.id, turn, 'turn_interrupted', { reason: outcome.reason });
    }
    // Stopping: stopNow() writes the end and the status. Shutting down: the queue waits for the next start.
    if (stored.status === 'stopped' || session.stopping !== undefined) return;
    const next = this.shuttingDown ? undefined : session.queue.shift();
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

  /** Called with the session's new state after every change (status, turns, queue, approvals), for `sessions:*` watchers. */
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
    return {
      ...session.stored,
      usage: { ...session.stored.usage },
      queued: session.queue.length,
      pending_approvals: session.waiting.map(pendingView),
    };
  }
}

/**
 * A turn with the hooks around it: interrupting it aborts the hooks too, and before the provider starts,
 * stops it from starting. Steering reaches the provider once it started.
 */
function withHooks(hooks: TurnHooks, context: TurnContext, start: () => RunningTurn, log: Logger): RunningTurn {
  const abort = new AbortController();
  let inner: RunningTurn | undefined;
  const failed = (what: string) => (error: unknown) =>
    log.error(`session ${context.session} turn ${context.turn}: ${what} failed: ${String(error)}`);
  const done = (async (): Promise<TurnOutcome> => {
    // Once the turn_started just written is committed and sent (group commit runs on setImmediate): the
    // snapshot's git processes would otherwise hold up the turn's first event.
    await new Promise((resolve) => setImmediate(resolve));
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
    steer: async (prompt) => {
      if (inner?.steer === undefined) throw new CortexError('EINVAL', 'The turn has not started yet.');
      await inner.steer(prompt);
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

/** The user a session starts as, as session_started records it (null: the daemon's own). */
function recordOf(user: SystemUser | undefined): RunAs | null {
  return user === undefined ? null : { uid: user.uid, gid: user.gid, name: user.name };
}
