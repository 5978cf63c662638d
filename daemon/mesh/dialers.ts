import { CortexError } from '../../src/protocol/errors.js';
import type { PeerBook } from './peer-book.js';
import { Redialer } from './redialer.js';

/**
 * Whom this node dials. A peer saved with cluster_connect is kept linked for
 * good; a peer that used to dial this node is dialled back after a restart, at
 * the address its hello gave, until the two are linked again by either side
 * (its own redial may be far off after this node was away). A peer that refuses
 * a dial-back (it disconnected this node) is left alone.
 */
export class Dialers {
  private readonly dialers = new Map<string, Redialer>();

  constructor(
    private readonly book: PeerBook,
    private readonly dial: (address: string, node: string) => Promise<unknown>,
    private readonly linked: (node: string) => boolean,
    private readonly maxMs: number,
  ) {}

  /** Keeps `node` linked from this side (a saved peer). */
  keep(node: string): Redialer {
    let dialer = this.dialers.get(node);
    if (dialer === undefined) {
      dialer = this.make(node, () => this.dialSaved(node));
      this.dialers.set(node, dialer);
    }
    return dialer;
  }

  /** Dials `node` back until the two are linked. */
  dialBack(node: string): Redialer {
    const dialer = this.make(node, async () => {
      try {
        return await this.dialSaved(node);
      } catch (error) {
        if (error instanceof CortexError && error.code === 'EACCES') this.linkedBack(node);
        throw error;
      }
    });
    this.dialers.set(node, dialer);
    return dialer;
  }

  /** The two are linked: a dial-back is done (a saved peer stays kept). */
  linkedBack(node: string): void {
    if (this.book.get(node)?.dial !== true) this.stop(node);
  }

  /** A link that was up ended after `upMs`. */
  linkClosed(node: string, upMs: number): void {
    this.dialers.get(node)?.linkClosed(upMs);
  }

  has(node: string): boolean {
    return this.dialers.has(node);
  }

  lastError(node: string): string | null {
    return this.dialers.get(node)?.lastError ?? null;
  }

  stop(node: string): void {
    this.dialers.get(node)?.stop();
    this.dialers.delete(node);
  }

  stopAll(): void {
    for (const node of [...this.dialers.keys()]) this.stop(node);
  }

  private make(node: string, dial: () => Promise<unknown>): Redialer {
    return new Redialer(dial, () => this.linked(node), this.maxMs);
  }

  private dialSaved(node: string): Promise<unknown> {
    const address = this.book.get(node)?.address;
    if (address === null || address === undefined) {
      return Promise.reject(new CortexError('ENOTFOUND', `No address for ${node}.`));
    }
    return this.dial(address, node);
  }
}
