import { CortexError, errorFromWire } from '../protocol/errors.js';
import { MAX_MSGID } from '../protocol/messages.js';
import type { MsgValue } from '../protocol/msgpack-types.js';

interface PendingCall {
  resolve: (value: MsgValue) => void;
  reject: (error: CortexError) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The calls sent and not answered yet, by msgid. Each settles exactly once: by
 * its answer, by its deadline (ETIMEDOUT), or when the connection closes (ECLOSED).
 * An answer that comes after its call's deadline finds nothing and is dropped.
 */
export class PendingCalls {
  private readonly calls = new Map<number, PendingCall>();
  private nextId = 1;

  /** `timedOut`: the error of a call that got no answer in time. */
  constructor(private readonly timedOut: (method: string, timeoutMs: number) => CortexError) {}

  get size(): number {
    return this.calls.size;
  }

  /** A fresh msgid, wrapping before 2^32. */
  allocate(): number {
    const id = this.nextId;
    this.nextId = id >= MAX_MSGID ? 1 : id + 1;
    return id;
  }

  /** Waits for the answer to call `id` of `method`; `timeoutMs` 0 waits as long as the connection lives. */
  wait(id: number, method: string, timeoutMs: number): Promise<MsgValue> {
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.calls.delete(id);
              reject(this.timedOut(method, timeoutMs));
            }, timeoutMs)
          : undefined;
      this.calls.set(id, { resolve, reject, timer });
    });
  }

  /** Settles the call `id` with an answer; false when no call waits for it (late, or never asked). */
  settle(id: number, error: MsgValue | undefined, result: MsgValue | undefined): boolean {
    const call = this.calls.get(id);
    if (call === undefined) return false;
    this.calls.delete(id);
    if (call.timer !== undefined) clearTimeout(call.timer);
    if (error === null || error === undefined) call.resolve(result ?? null);
    else call.reject(errorFromWire(error));
    return true;
  }

  /** Fails every waiting call with ECLOSED. */
  rejectAll(reason: string): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) {
      if (call.timer !== undefined) clearTimeout(call.timer);
      call.reject(new CortexError('ECLOSED', reason));
    }
  }
}
