import type { Client } from '../../src/client/client.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { Wakeups } from './wakeups.js';

export interface Received {
  method: string;
  params: MsgValue;
}

/**
 * Collects every notification a client receives and waits for the ones a test
 * needs: waits are on notifications, never on time (the timeout only turns a
 * hang into a readable failure).
 */
export class NotificationLog {
  readonly received: Received[] = [];
  private readonly wakeups = new Wakeups();

  constructor(client: Client) {
    client.onNotification((method, params) => {
      this.received.push({ method, params });
      this.wakeups.wake();
    });
  }

  /** The first notification (already received or still to come) that passes `test`. */
  waitFor(test: (method: string, params: MsgValue) => boolean, what: string, timeoutMs = 20_000): Promise<Received> {
    return this.until(() => this.received.find((item) => test(item.method, item.params)), what, timeoutMs);
  }

  /** Resolves once `check` returns something other than undefined, re-checking after every notification. */
  until<T>(check: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
    return this.wakeups.until(
      check,
      () => `timed out waiting for ${what}; received ${this.received.map((item) => item.method).join(' ')}`,
      timeoutMs,
    );
  }

  of(method: string): MsgValue[] {
    return this.received.filter((item) => item.method === method).map((item) => item.params);
  }
}
