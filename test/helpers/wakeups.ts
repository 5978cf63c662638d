/**
 * Waits that re-check their condition each time something arrives (a
 * notification, a PTY's output), never on time: the timeout only turns a hang
 * into a readable failure.
 */
export class Wakeups {
  private readonly waiters = new Set<() => void>();

  /** Something arrived: every waiting condition is checked again. */
  wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves with the first value `check` gives other than undefined; `failure` says what was seen instead. */
  until<T>(check: () => T | undefined, failure: () => string, timeoutMs: number): Promise<T> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const waiter = () => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(failure()));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Resolves once `check` holds. */
  async untilTrue(check: () => boolean, failure: () => string, timeoutMs: number): Promise<void> {
    await this.until(() => (check() ? true : undefined), failure, timeoutMs);
  }
}
