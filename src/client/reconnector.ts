import { errorMessage } from '../protocol/errors.js';
import type { Client } from './client.js';

export type LinkState = 'connecting' | 'open' | 'reconnecting';

/** Where a kept connection stands, as a status line shows it. */
export interface Link {
  state: LinkState;
  /** Present while open. */
  client: Client | undefined;
  /** Grows by one on every (re)connection, so subscribers know to subscribe again. */
  generation: number;
  /** Why the last attempt failed. */
  error: string | undefined;
  /** Milliseconds until the next attempt while (re)connecting. */
  retryInMs: number;
}

/** Before the first attempt has an outcome. */
export const LINK_AT_START: Link = {
  state: 'connecting',
  client: undefined,
  generation: 0,
  error: undefined,
  retryInMs: 0,
};

export interface BackoffOptions {
  /** The wait after the connection goes away or the first attempt fails. */
  firstDelayMs?: number;
  /** The wait doubles after each failed attempt, up to this. */
  maxDelayMs?: number;
}

/**
 * Keeps one connection to the daemon: connects, and whenever the connection goes
 * away or an attempt fails, tries again after a delay that doubles with each
 * failure up to a cap (and starts small again once connected). Listeners see
 * every change of state; a new `generation` means a new client, on which
 * subscriptions must be made again (from the last seq seen).
 */
export class Reconnector {
  private link: Link = LINK_AT_START;
  private readonly listeners = new Set<(link: Link) => void>();
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;
  private delay: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly connect: () => Promise<Client>,
    options: BackoffOptions = {},
  ) {
    this.firstDelayMs = options.firstDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
    this.delay = this.firstDelayMs;
  }

  get current(): Link {
    return this.link;
  }

  onChange(listener: (link: Link) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.attempt();
  }

  /** Stops trying and closes the connection. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.link.client?.close();
  }

  private attempt(): void {
    this.timer = undefined;
    this.connect().then(
      (client) => this.connected(client),
      (error: unknown) => this.failed(error),
    );
  }

  private connected(client: Client): void {
    if (this.stopped) return client.close();
    this.delay = this.firstDelayMs;
    this.update({ state: 'open', client, generation: this.link.generation + 1, error: undefined, retryInMs: 0 });
    client.onClose(() => {
      if (this.stopped) return;
      this.update({ ...this.link, state: 'reconnecting', client: undefined, retryInMs: this.delay });
      this.timer = setTimeout(() => this.attempt(), this.delay);
    });
  }

  private failed(error: unknown): void {
    if (this.stopped) return;
    this.update({
      ...this.link,
      state: this.link.generation === 0 ? 'connecting' : 'reconnecting',
      error: errorMessage(error),
      retryInMs: this.delay,
    });
    this.timer = setTimeout(() => this.attempt(), this.delay);
    this.delay = Math.min(this.delay * 2, this.maxDelayMs);
  }

  private update(link: Link): void {
    this.link = link;
    for (const listener of [...this.listeners]) listener(link);
  }
}
