import { CortexError, errorFromWire } from '../protocol/errors.js';
import { MAX_MSGID } from '../protocol/messages.js';
import type { MsgValue } from '../protocol/msgpack-types.js';

interface PendingCall {
  id: number;
  resolve: (value: MsgValue) => void;
  reject: (error: CortexError) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Slots to start with; the table doubles whenever it is half full. */
const INITIAL_SLOTS = 64;

/**
 * The calls sent and not answered yet, by msgid. Each settles exactly once: by
 * its answer, by its deadline (ETIMEDOUT), or when the connection closes (ECLOSED).
 * An answer that comes after its call's deadline finds nothing and is dropped.
 *
 * This side chooses the msgids, so it chooses them to fit a table indexed by the
 * msgid's low bits: a msgid whose slot is taken (a call still waiting from a lap
 * before) is skipped. Finding a call is then one array index, with no hashing and
 * nothing allocated or rehashed as calls come and go.
 */
export class PendingCalls {
  private slots: (PendingCall | undefined)[] = new Array<PendingCall | undefined>(INITIAL_SLOTS).fill(undefined);
  private mask = INITIAL_SLOTS - 1;
  private count = 0;
  private nextId = 1;

  /** `timedOut`: the error of a call that got no answer in time. */
  constructor(private readonly timedOut: (method: string, timeoutMs: number) => CortexError) {}

  get size(): number {
    return this.count;
  }

  /** A fresh msgid whose slot is free, wrapping before 2^32. */
  allocate(): number {
    if (this.count * 2 >= this.slots.length) this.grow();
    let id = this.nextId;
    while (this.slots[id & this.mask] !== undefined) id = id >= MAX_MSGID ? 1 : id + 1;
    this.nextId = id >= MAX_MSGID ? 1 : id + 1;
    return id;
  }

  /** Waits for the answer to call `id` (from allocate) of `method`; `timeoutMs` 0 waits as long as the connection lives. */
  wait(id: number, method: string, timeoutMs: number): Promise<MsgValue> {
    return new Promise((resolve, reject) => {
      const call: PendingCall = { id, resolve, reject, timer: undefined };
      if (timeoutMs > 0) {
        call.timer = setTimeout(() => {
          this.remove(call);
          reject(this.timedOut(method, timeoutMs));
        }, timeoutMs);
      }
      this.slots[id & this.mask] = call;
      this.count++;
    });
  }

  /** Settles the call `id` with an answer; false when no call waits for it (late, or never asked). */
  settle(id: number, error: MsgValue | undefined, result: MsgValue | undefined): boolean {
    const call = this.slots[id & this.mask];
    if (call === undefined || call.id !== id) return false;
    this.remove(call);
    if (call.timer !== undefined) clearTimeout(call.timer);
    if (error === null || error === undefined) call.resolve(result ?? null);
    else call.reject(errorFromWire(error));
    return true;
  }

  /** Fails every waiting call with `error`, or ECLOSED and `reason`. */
  rejectAll(reason: string, error?: CortexError): void {
    const calls = this.slots.filter((call): call is PendingCall => call !== undefined);
    this.slots.fill(undefined);
    this.count = 0;
    for (const call of calls) {
      if (call.timer !== undefined) clearTimeout(call.timer);
      call.reject(error ?? new CortexError('ECLOSED', reason));
    }
  }

  private remove(call: PendingCall): void {
    const slot = call.id & this.mask;
    if (this.slots[slot] !== call) return;
    this.slots[slot] = undefined;
    this.count--;
  }

  /** Doubles the table: calls whose low bits differ still differ with one bit more, so none collide. */
  private grow(): void {
    const slots = new Array<PendingCall | undefined>(this.slots.length * 2).fill(undefined);
    const mask = slots.length - 1;
    for (const call of this.slots) if (call !== undefined) slots[call.id & mask] = call;
    this.slots = slots;
    this.mask = mask;
  }
}
