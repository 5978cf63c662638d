import type { Client } from '../../src/client/client.js';
import type { TreeSource } from './tree.js';
import { type Change, followTopics, loadLists, withChanges } from './tree-source.js';

/**
 * The tree's first lists, asked for by `cortex tui` on the connection it
 * opens while the TUI's code loads (bin/commands/tui.ts), so that the first
 * frame can already show the tree. A hand-off, not a data path of its own:
 * the tree's hook takes it once for the same connection (use-tree-data.ts),
 * and from then on follows the topics itself. Until then the changes the
 * topics tell are kept, to be applied after the lists; never taken (another
 * connection replaced this one), it is dropped with its connection.
 */
export class TreeAhead {
  private readonly loading: Promise<TreeSource | undefined>;
  private loaded: TreeSource | undefined;
  /** What the topics told since they were subscribed; undefined once taken or the connection closed. */
  private told: Change[] | undefined = [];
  private readonly stops: (() => void)[];

  constructor(private readonly client: Client) {
    this.stops = followTopics(client, (change) => this.told?.push(change));
    this.stops.push(client.onClose(() => this.stop()));
    this.loading = loadLists(client).then((tree) => (this.loaded = tree));
  }

  /** The tree as it stands, if its lists are in and it was not taken: what the first frame shows. */
  peek(client: Client | undefined): TreeSource | undefined {
    if (client !== this.client || this.told === undefined || this.loaded === undefined) return undefined;
    return withChanges(this.loaded, this.told);
  }

  /**
   * Resolves once the lists are in (or could not be had), or after
   * `withinMs`, whichever is first: what the first frame waits for, so that
   * it is the tree rather than a frame without it, then another with it.
   */
  async settled(withinMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)));
    try {
      await Promise.race([this.loading, waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The lists with every change told until now, once, for the connection
   * they were asked on (undefined for any other, or a second time): whoever
   * takes it follows the topics from here.
   */
  take(client: Client): Promise<TreeSource | undefined> | undefined {
    const told = this.told;
    if (client !== this.client || told === undefined) return undefined;
    this.stop();
    return this.loading.then((tree) => tree && withChanges(tree, told));
  }

  private stop(): void {
    this.told = undefined;
    for (const stop of this.stops) stop();
  }
}
