import type { Client } from '../../src/client/client.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';

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
  private readonly waiters = new Set<() => void>();

  constructor(client: Client) {
    client.onNotification((method, params) => {
      this.received.push({ method, params });
      for (const wake of [...this.waiters]) wake();
    });
  }

  /** The first notification (already received or still to come) that passes `test`. */
  waitFor(test: (method: string, params: MsgValue) => boolean, what: string, timeoutMs = 20_000): Promise<Received> {
    return this.until(() => this.received.find((item) => test(item.method, item.params)), what, timeoutMs);
  }

  /** Resolves once `check` returns something other than undefined, re-checking after every notification. */
  until<T>(check: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const wake = () => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(
          new Error(`timed out waiting for ${what}; received ${this.received.map((item) => item.method).join(' ')}`),
        );
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }

  of(method: string): MsgValue[] {
    return this.received.filter((item) => item.method === method).map((item) => item.params);
  }
}
