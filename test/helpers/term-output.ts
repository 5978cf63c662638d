import type { Client } from '../../src/client/client.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { Wakeups } from './wakeups.js';

/**
 * Everything one client receives of one terminal (term_output, term_exit,
 * term_dropped), with waits that wake on each notification.
 */
export class TermOutput {
  bytes = 0;
  exits: MsgValue[] = [];
  dropped: MsgValue[] = [];
  private readonly chunks: Buffer[] = [];
  private readonly wakeups = new Wakeups();

  constructor(
    client: Client,
    readonly id: string,
  ) {
    client.onNotification((method, params) => {
      const note = params as { id?: unknown; data?: unknown };
      if (note.id !== id) return;
      if (method === 'term_output' && note.data instanceof Uint8Array) {
        const chunk = Buffer.from(note.data);
        this.bytes += chunk.length;
        this.chunks.push(chunk);
      } else if (method === 'term_exit') {
        this.exits.push(params);
      } else if (method === 'term_dropped') {
        this.dropped.push(params);
      } else {
        return;
      }
      this.wakeups.wake();
    });
  }

  /** All the output so far, as text (each byte one character). */
  get text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }

  /**
   * Resolves once the output holds `needle`: a string (searched only in what
   * arrived since the last look, so waiting through megabytes stays linear) or
   * a pattern (tested against everything, for short outputs).
   */
  waitFor(needle: string | RegExp, timeoutMs = 20_000): Promise<void> {
    let chunk = 0;
    return this.until(
      () => {
        if (typeof needle !== 'string') return needle.test(this.text);
        // The chunks that arrived since the last look, and the one before in case the needle straddles them.
        const from = Math.max(0, chunk - 1);
        chunk = this.chunks.length;
        return Buffer.concat(this.chunks.slice(from)).includes(needle, 0, 'latin1');
      },
      `${String(needle)} in the output of ${this.id}`,
      timeoutMs,
    );
  }

  private tailText(length: number): string {
    return Buffer.concat(this.chunks.slice(-8)).toString('latin1').slice(-length);
  }

  until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    return this.wakeups.untilTrue(
      check,
      () => `timed out waiting for ${what}; got ${this.bytes} bytes ending ${JSON.stringify(this.tailText(200))}`,
      timeoutMs,
    );
  }
}
