import type { Client } from '../../src/client/client.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';

/**
 * Collects a session's events from a subscription and waits for the ones a test
 * needs: every wait is on a notification, never on time (the timeout is only a
 * guard that turns a hang into a readable failure).
 */
export class SessionWatch {
  readonly events: SessionEvent[] = [];
  private readonly waiters: { test: (event: SessionEvent) => boolean; resolve: (event: SessionEvent) => void }[] = [];

  private constructor(readonly session: string) {}

  static async start(client: Client, session: string, after = 0): Promise<SessionWatch> {
    const watch = new SessionWatch(session);
    client.onNotification('event', (event) => {
      if (event.session !== session) return;
      watch.events.push(event);
      for (const waiter of [...watch.waiters]) {
        if (waiter.test(event)) {
          watch.waiters.splice(watch.waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
    });
    await client.call('subscribe', { topic: `session:${session}`, after });
    return watch;
  }

  /** The first event (already seen or still to come) that passes `test`. */
  waitFor(test: (event: SessionEvent) => boolean, what: string, timeoutMs = 60_000): Promise<SessionEvent> {
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; saw ${this.summary()}`)),
        timeoutMs,
      );
      this.waiters.push({
        test,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      });
    });
  }

  /** Waits for the event that ends `turn` (completed, failed or interrupted). */
  turnEnd(turn: number): Promise<SessionEvent> {
    return this.waitFor(
      (event) =>
        event.turn === turn &&
        (event.type === 'turn_completed' || event.type === 'turn_failed' || event.type === 'turn_interrupted'),
      `the end of turn ${turn}`,
    );
  }

  ofTurn(turn: number): SessionEvent[] {
    return this.events.filter((event) => event.turn === turn);
  }

  /** Each event's seq and type, with the sentence of those that carry one (errors, failures, notices). */
  summary(): string {
    return this.events.map((event) => `${event.seq}:${event.type}${sentenceOf(event)}`).join(' ');
  }
}

function sentenceOf(event: SessionEvent): string {
  const payload = event.payload as Record<string, unknown>;
  const sentence = payload['message'] ?? payload['error'] ?? payload['reason'];
  return typeof sentence === 'string' ? `(${sentence})` : '';
}

/**
 * Registers `path` as a workspace and runs one turn of a fake-provider session in it (`prompt`),
 * waiting until the turn completed: the usual set-up of a test that needs a session with events.
 */
export async function finishedFakeSession(client: Client, path: string, prompt: string): Promise<string> {
  const { workspace } = await client.call('workspace_add', { path });
  const { session } = await client.call('session_start', { workspace: workspace.id, provider: 'fake', prompt });
  const watch = await SessionWatch.start(client, session.id, 0);
  const end = await watch.turnEnd(1);
  if (end.type !== 'turn_completed') throw new Error(`the set-up turn ended ${end.type}: ${watch.summary()}`);
  return session.id;
}

/**
 * The `stalled` notice's message for a silence of `silentMs`: the silence measured, to a
 * tenth of a second, so a timer that fired late under load says 3.1 s, not the 3 s set.
 */
export function stalledMessage(provider: string, silentMs: number): string {
  return `No word from ${provider} for ${Math.round(silentMs / 100) / 10} s; the turn is still running (session interrupt stops it).`;
}
