import type { EventPayloads, EventType } from '../../src/protocol/session-events.js';
import { DeltaCoalescer } from './delta-coalescer.js';
import type { ApprovalAnswer, ApprovalAsk, RunningTurn, TurnSink } from './providers/provider.js';
import { TurnWatchdog, type WatchdogSettings } from './turn-watchdog.js';

/** What a running turn needs from its session. */
export interface TurnHost {
  /** Writes an event of this turn to the session's log. */
  append<T extends EventType>(type: T, payload: EventPayloads[T]): void;
  resumeRef(ref: string): void;
  ask(ask: ApprovalAsk, withdrawn: AbortSignal): Promise<ApprovalAnswer>;
  interrupt(reason: string): void;
}

/**
 * A turn while it runs: its provider's handle, the sink the provider reports to (streamed text coalesced,
 * every event keeping the watchdog quiet), and the watchdog that says when it stalls or runs too long.
 */
export class ActiveTurn {
  handle!: RunningTurn;
  readonly watchdog: TurnWatchdog;
  readonly sink: TurnSink;
  private readonly coalescer: DeltaCoalescer;

  constructor(
    readonly number: number,
    host: TurnHost,
    watch: WatchdogSettings,
    provider: string,
  ) {
    this.coalescer = new DeltaCoalescer((type, payload) => host.append(type, payload));
    this.watchdog = new TurnWatchdog(
      watch,
      (silentMs) =>
        this.append('stalled', {
          silent_ms: silentMs,
          message: `No word from ${provider} for ${seconds(silentMs)}; the turn is still running (session interrupt stops it).`,
        }),
      (afterMs) =>
        host.interrupt(`The turn ran longer than turn_timeout_ms (${seconds(afterMs)}) and was interrupted.`),
    );
    this.sink = {
      event: (type, payload) => {
        this.watchdog.touch();
        this.coalescer.event(type, payload);
      },
      resumeRef: (ref) => host.resumeRef(ref),
      approval: (ask, withdrawn) => host.ask(ask, withdrawn),
    };
  }

  /** An event of the daemon's own in this turn, after everything the provider sent before it. */
  append<T extends EventType>(type: T, payload: EventPayloads[T]): void {
    this.coalescer.event(type, payload);
  }

  /** The turn is over: gathered text goes out, the watchdog stops. */
  close(): void {
    this.watchdog.stop();
    this.coalescer.close();
  }
}

function seconds(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`;
}
