import { CortexError } from '../../../../src/protocol/errors.js';
import { EMPTY_USAGE, type TokenUsage } from '../../../../src/protocol/runtime-types.js';
import { oneSentence } from '../error-sentence.js';
import type { StopTimeouts } from '../process-group.js';
import type { ApprovalAnswer, ApprovalAsk, TurnOutcome, TurnRequest, TurnSink } from '../provider.js';
import type { AppServer } from './app-server.js';
import type {
  FileUpdateChange,
  RequestId,
  ServerNotification,
  ServerRequest,
  TokenUsageBreakdown,
} from './codex-protocol.js';
import { changeDetails, emitItem } from './item-events.js';

const CODEX_ANSWER = {
  approve: 'accept',
  approve_for_session: 'acceptForSession',
  deny: 'decline',
  cancelled: 'cancel',
} as const satisfies Record<ApprovalAnswer, string>;

/**
 * One turn on a session's app-server: `turn/start`, then the notifications of the thread become Cortex
 * events until `turn/completed` (or the process dies) settles `done`. Approval requests go to the sink and
 * their answers back to Codex. Interrupting asks Codex (`turn/interrupt`, then
 * `thread/backgroundTerminals/clean` so the command that was running stops too) and signals the process
 * group only if that fails.
 */
export class AppServerTurn {
  readonly done: Promise<TurnOutcome>;
  private finish!: (outcome: TurnOutcome) => void;
  private ended = false;
  private turnId: string | undefined;
  private readonly started: Promise<string>;
  private startedWith!: (id: string) => void;
  private interruptedBy: string | undefined;
  private usage: { baseline: TokenUsageBreakdown; latest: TokenUsageBreakdown } | undefined;
  /** Files of changes seen started: their approval request names only the item. */
  private readonly fileChanges = new Map<string, FileUpdateChange[]>();
  /** Approval requests Codex may withdraw (serverRequest/resolved) before anyone answers. */
  private readonly asking = new Map<RequestId, AbortController>();

  constructor(
    private readonly server: AppServer,
    private readonly thread: string,
    private readonly request: TurnRequest,
    private readonly sink: TurnSink,
    private readonly timeouts: StopTimeouts,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.started = new Promise((resolve) => (this.startedWith = resolve));
    void server.exited.then(() =>
      this.end(
        this.interruptedBy !== undefined
          ? { status: 'interrupted', reason: this.interruptedBy }
          : { status: 'failed', error: server.exitReason() },
      ),
    );
  }

  /** Sends turn/start; a refusal ends the turn as failed with Codex's sentence. */
  async start(): Promise<void> {
    try {
      const { turn } = await this.server.rpc.request('turn/start', {
        threadId: this.thread,
        input: [{ type: 'text', text: this.request.prompt, text_elements: [] }],
      });
      this.turnId = turn.id;
      this.startedWith(turn.id);
    } catch (error) {
      this.end({ status: 'failed', error: oneSentence((error as Error).message) });
    }
  }

  notification(message: ServerNotification): void {
    if (this.ended) return;
    switch (message.method) {
      case 'item/started':
        if (message.params.item.type === 'fileChange') {
          this.fileChanges.set(message.params.item.id, message.params.item.changes);
        }
        return emitItem(message.params.item, 'started', this.sink);
      case 'item/completed':
        return emitItem(message.params.item, 'completed', this.sink);
      case 'item/agentMessage/delta':
        return this.sink.event('agent_message_delta', { item_id: message.params.itemId, text: message.params.delta });
      case 'item/commandExecution/outputDelta':
        return this.sink.event('command_output_delta', { item_id: message.params.itemId, text: message.params.delta });
      case 'turn/plan/updated':
        return this.sink.event('todo_list', {
          item_id: `plan-${message.params.turnId}`,
          phase: 'updated',
          items: message.params.plan.map((step) => ({ text: step.step, completed: step.status === 'completed' })),
        });
      case 'thread/tokenUsage/updated': {
        const { total, last } = message.params.tokenUsage;
        this.usage ??= { baseline: minus(total, last), latest: total };
        this.usage.latest = total;
        return;
      }
      case 'error':
        return this.sink.event('error', {
          message:
            oneSentence(message.params.error.message) + (message.params.willRetry ? ' (Codex is trying again)' : ''),
        });
      case 'warning':
        return this.sink.event('notice', { message: oneSentence(message.params.message) });
      case 'serverRequest/resolved':
        this.asking.get(message.params.requestId)?.abort();
        return;
      case 'turn/started':
        return;
      case 'turn/completed':
        return this.completed(message.params.turn.status, message.params.turn.error?.message);
    }
  }

  /** An approval request of this turn: asks the sink, answers Codex. */
  serverRequest(message: ServerRequest): void {
    const withdrawn = new AbortController();
    this.asking.set(message.id, withdrawn);
    const ask: ApprovalAsk =
      message.method === 'item/commandExecution/requestApproval'
        ? {
            kind: 'command',
            item_id: message.params.itemId,
            cwd: message.params.cwd ?? this.request.cwd,
            command: message.params.command ?? null,
            changes: [],
            reason: message.params.reason ?? null,
          }
        : {
            kind: 'file_change',
            item_id: message.params.itemId,
            cwd: this.request.cwd,
            command: null,
            changes: changeDetails(this.fileChanges.get(message.params.itemId) ?? []),
            reason: message.params.reason ?? null,
          };
    void this.sink.approval(ask, withdrawn.signal).then((answer) => {
      this.asking.delete(message.id);
      if (!withdrawn.signal.aborted) this.server.rpc.respond(message.id, { decision: CODEX_ANSWER[answer] });
    });
  }

  /** Something the user should know that came up outside the turn's own messages. */
  notice(message: string): void {
    if (!this.ended) this.sink.event('notice', { message });
  }

  async steer(prompt: string): Promise<void> {
    if (this.ended) throw new CortexError('EINVAL', 'The turn has ended.');
    const turnId = await this.started;
    await this.server.rpc.request('turn/steer', {
      threadId: this.thread,
      expectedTurnId: turnId,
      input: [{ type: 'text', text: prompt, text_elements: [] }],
    });
  }

  interrupt(reason: string): void {
    if (this.ended || this.interruptedBy !== undefined) return;
    this.interruptedBy = reason;
    void this.interruptGently().catch(() => this.server.kill());
  }

  /** turn/interrupt, the end of the turn, then the commands it left: each within the grace, or the signals. */
  private async interruptGently(): Promise<void> {
    const grace = this.timeouts.sigintMs;
    const turnId = this.turnId ?? (await within(this.started, grace));
    await within(this.server.rpc.request('turn/interrupt', { threadId: this.thread, turnId }), grace);
    await within(this.done, grace);
    await within(this.server.rpc.request('thread/backgroundTerminals/clean', { threadId: this.thread }), grace);
  }

  private completed(status: string, error: string | undefined): void {
    if (status === 'completed') return this.end({ status: 'completed', usage: this.turnUsage() });
    if (status === 'interrupted') {
      return this.end({ status: 'interrupted', reason: this.interruptedBy ?? 'Codex interrupted the turn.' });
    }
    this.end({ status: 'failed', error: oneSentence(error ?? '') || 'Codex reported that the turn failed.' });
  }

  private turnUsage(): TokenUsage {
    if (this.usage === undefined) return { ...EMPTY_USAGE };
    const used = minus(this.usage.latest, this.usage.baseline);
    return {
      input_tokens: used.inputTokens,
      cached_input_tokens: used.cachedInputTokens,
      output_tokens: used.outputTokens,
      reasoning_output_tokens: used.reasoningOutputTokens,
    };
  }

  private end(outcome: TurnOutcome): void {
    if (this.ended) return;
    this.ended = true;
    for (const withdrawn of this.asking.values()) withdrawn.abort();
    this.finish(outcome);
  }
}

function minus(a: TokenUsageBreakdown, b: TokenUsageBreakdown): TokenUsageBreakdown {
  return {
    totalTokens: a.totalTokens - b.totalTokens,
    inputTokens: a.inputTokens - b.inputTokens,
    cachedInputTokens: a.cachedInputTokens - b.cachedInputTokens,
    cacheWriteInputTokens: a.cacheWriteInputTokens - b.cacheWriteInputTokens,
    outputTokens: a.outputTokens - b.outputTokens,
    reasoningOutputTokens: a.reasoningOutputTokens - b.reasoningOutputTokens,
  };
}

/** The promise's value, or a rejection once `ms` passed. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CortexError('ETIMEDOUT', `No answer within ${ms} ms.`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
