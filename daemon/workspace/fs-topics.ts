import { readdirSync } from 'node:fs';
import { relative, sep } from 'node:path';
import type { FsChange, FsChangeKind } from '../../src/protocol/workspace-types.js';
import type { Identity } from '../identity/identity.js';
import type { Logger } from '../logger.js';
import type { Subscriber } from '../pubsub/subscriber.js';
import type { Publisher, TopicFamily } from '../pubsub/subscriptions.js';
import { confine } from './confine.js';
import { type DirectoryWatch, isIgnoredName, watchDirectory } from './directory-watch.js';

export interface WatchOptions {
  /** Changes are gathered for this long, then sent as one fs_change. */
  debounceMs: number;
  /** inotify watches one workspace may hold; the directories listed longest ago are dropped first. */
  maxWatches: number;
  /** Directories with more entries are watched with one plain fs.watch instead of chokidar. */
  chokidarLimit: number;
}

interface WatchedDirectory {
  rel: string;
  real: string;
  watch: DirectoryWatch;
}

/** One workspace being watched for its subscribers. */
interface WorkspaceWatch {
  id: string;
  root: string;
  /** Each with the topic it subscribed under (the workspace's id or path). */
  subscribers: Map<Subscriber, `fs:${string}`>;
  /** By relative path, least recently listed first (the root is never dropped). */
  directories: Map<string, WatchedDirectory>;
  cost: number;
  pending: Map<string, FsChangeKind>;
  timer: NodeJS.Timeout | undefined;
}

/**
 * `fs:WORKSPACE`: file changes in a workspace, while anyone listens. Watching
 * is lazy, so that a tree of 100,000 files costs what a client looks at, not
 * its size: subscribing watches the root directory only (depth 0); each
 * directory a subscriber then lists with fs_list is watched too, again depth 0.
 * A workspace holds at most `maxWatches` inotify watches: past that the
 * directories listed longest ago stop being watched. `.git` and `node_modules`
 * are never watched. Changes are debounced into one `fs_change` per
 * `debounceMs`. When the last subscriber leaves, every watch is closed.
 */
export class FsTopics {
  private readonly watches = new Map<string, WorkspaceWatch>();
  /** A subscription's topic names the workspace by id or path; this maps each to its id. */
  private readonly topics = new Map<string, string>();

  constructor(
    private readonly resolve: (ref: string, identity: Identity) => { id: string; path: string },
    private readonly options: WatchOptions,
    private readonly log: Logger,
    private readonly publisher: Publisher,
  ) {}

  family(): TopicFamily<'fs:'> {
    return {
      prefix: 'fs:',
      subscribe: (topic, subscriber, call) => {
        const workspace = this.resolve(topic.slice('fs:'.length), call.identity);
        this.topics.set(topic, workspace.id);
        let state = this.watches.get(workspace.id);
        if (state === undefined) {
          state = {
            id: workspace.id,
            root: workspace.path,
            subscribers: new Map(),
            directories: new Map(),
            cost: 0,
            pending: new Map(),
            timer: undefined,
          };
          this.watches.set(workspace.id, state);
          void this.watch(state, '.');
        }
        state.subscribers.set(subscriber, topic);
        return {};
      },
      unsubscribe: (topic, subscriber) => {
        const id = this.topics.get(topic);
        const state = id === undefined ? undefined : this.watches.get(id);
        if (state === undefined) return;
        state.subscribers.delete(subscriber);
        if (state.subscribers.size === 0) this.stop(state);
      },
    };
  }

  /**
   * A subscriber listed a directory: watch it from now on. Resolves once its
   * changes are being reported, so a change made after the listing is seen.
   */
  async listed(workspace: string, rel: string, subscriber: Subscriber): Promise<void> {
    const state = this.watches.get(workspace);
    if (state === undefined || !state.subscribers.has(subscriber)) return;
    await this.watch(state, rel);
  }

  /** Directories watched now, for all workspaces (for status and tests). */
  get watchedDirectories(): number {
    let count = 0;
    for (const state of this.watches.values()) count += state.directories.size;
    return count;
  }

  private async watch(state: WorkspaceWatch, rel: string): Promise<void> {
    const existing = state.directories.get(rel);
    if (existing) {
      state.directories.delete(rel);
      state.directories.set(rel, existing);
      return existing.watch.ready;
    }
    if (rel.split('/').some((part) => isIgnoredName(part))) return;
    let real: string;
    let entries: number;
    try {
      real = confine(state.root, rel).real;
      entries = readdirSync(real).length;
    } catch {
      return;
    }
    const watch = watchDirectory(real, entries, this.options.chokidarLimit, (kind, path) =>
      this.changed(state, rel, real, kind, path),
    );
    state.directories.set(rel, { rel, real, watch });
    state.cost += watch.cost;
    this.evict(state);
    await watch.ready;
  }

  private evict(state: WorkspaceWatch): void {
    for (const [rel, directory] of state.directories) {
      if (state.cost <= this.options.maxWatches || state.directories.size <= 1) break;
      if (rel === '.') continue;
      state.directories.delete(rel);
      state.cost -= directory.watch.cost;
      void directory.watch.close();
      this.log.debug(`fs:${state.id}: stopped watching ${rel} (over ${this.options.maxWatches} watches)`);
    }
  }

  private changed(state: WorkspaceWatch, rel: string, real: string, kind: FsChangeKind, path: string): void {
    const name = relative(real, path).split(sep).join('/');
    const changed = rel === '.' ? name : `${rel}/${name}`;
    const merged = merge(state.pending.get(changed), kind);
    if (merged === undefined) state.pending.delete(changed);
    else state.pending.set(changed, merged);
    if (kind === 'unlinkDir') this.unwatch(state, changed);
    state.timer ??= setTimeout(() => this.flush(state), this.options.debounceMs);
  }

  private unwatch(state: WorkspaceWatch, rel: string): void {
    const directory = state.directories.get(rel);
    if (directory === undefined || rel === '.') return;
    state.directories.delete(rel);
    state.cost -= directory.watch.cost;
    void directory.watch.close();
  }

  private flush(state: WorkspaceWatch): void {
    state.timer = undefined;
    const changes: FsChange[] = [...state.pending].map(([path, kind]) => ({ path, kind }));
    state.pending.clear();
    if (changes.length === 0) return;
    for (const [subscriber, topic] of state.subscribers) {
      this.publisher.send(subscriber, topic, 'fs_change', { workspace: state.id, changes });
    }
  }

  private stop(state: WorkspaceWatch): void {
    if (state.timer !== undefined) clearTimeout(state.timer);
    for (const directory of state.directories.values()) void directory.watch.close();
    state.directories.clear();
    state.cost = 0;
    this.watches.delete(state.id);
    for (const [topic, id] of this.topics) if (id === state.id) this.topics.delete(topic);
  }

  /** On daemon shutdown. */
  async close(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const state of this.watches.values()) {
      if (state.timer !== undefined) clearTimeout(state.timer);
      for (const directory of state.directories.values()) closing.push(directory.watch.close());
    }
    this.watches.clear();
    await Promise.all(closing);
  }
}

/**
 * Two changes to one path within one debounce window, as one: a file created
 * then written is still new (`add`), one created then deleted never happened,
 * one deleted then created again was replaced (`change`).
 */
function merge(earlier: FsChangeKind | undefined, later: FsChangeKind): FsChangeKind | undefined {
  if (earlier === 'add' && later === 'change') return 'add';
  if ((earlier === 'add' && later === 'unlink') || (earlier === 'addDir' && later === 'unlinkDir')) return undefined;
  if (earlier === 'unlink' && later === 'add') return 'change';
  return later;
}
