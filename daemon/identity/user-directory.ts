import { getentLookup, type SystemUser, type UserLookup } from './user-lookup.js';

export interface UserDirectoryOptions {
  /** How long an answer is fresh: a change of groups or shell is seen within about this. */
  ttlMs?: number;
  now?: () => number;
  lookup?: UserLookup;
}

interface Entry {
  at: number;
  user: SystemUser | null;
}

/**
 * The user database's answers, kept so a check costs a map lookup. An answer
 * past its TTL is still given while one background refresh per account runs
 * (stale-while-revalidate): looking an account up spawns getent and id, and
 * waiting for them would stall every session, terminal and client of the
 * daemon for tens of milliseconds. Only an account never asked about is looked
 * up while the caller waits, since there is no answer to give and guessing
 * would not fail closed; that happens once per account in a daemon's life.
 * A refresh that fails replaces the answer with "no such account".
 */
export class UserDirectory {
  private readonly entries = new Map<string, Entry>();
  private readonly refreshes = new Map<string, Promise<void>>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly lookup: UserLookup;

  constructor(options: UserDirectoryOptions = {}) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.lookup = options.lookup ?? getentLookup;
  }

  byId(uid: number): SystemUser | undefined {
    return this.answer(`#${uid}`, String(uid), undefined);
  }

  byName(name: string): SystemUser | undefined {
    return this.answer(name, name, name);
  }

  /** Resolves once no refresh is running: what a test waits on instead of sleeping. */
  async settled(): Promise<void> {
    while (this.refreshes.size > 0) await Promise.all(this.refreshes.values());
  }

  private answer(key: string, query: string, expectedName: string | undefined): SystemUser | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      const user = this.lookup.now(query, expectedName);
      this.entries.set(key, { at: this.now(), user });
      return user ?? undefined;
    }
    if (this.now() - entry.at >= this.ttlMs) this.refresh(key, query, expectedName);
    return entry.user ?? undefined;
  }

  private refresh(key: string, query: string, expectedName: string | undefined): void {
    if (this.refreshes.has(key)) return;
    const done = this.lookup
      .later(query, expectedName)
      .catch(() => null)
      .then((user) => {
        this.entries.set(key, { at: this.now(), user });
        this.refreshes.delete(key);
      });
    this.refreshes.set(key, done);
  }
}
