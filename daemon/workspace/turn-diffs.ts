import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { isAbsolute, join, posix, relative, sep } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import type { DiffHunk, TurnDiff, TurnDiffFile } from '../../src/protocol/workspace-types.js';
import type { SystemUser } from '../identity/system-user.js';
import type { Logger } from '../logger.js';
import type { EventLog } from '../runtime/event-log.js';
import type { TurnOutcome } from '../runtime/providers/provider.js';
import { CUT_BY_RESTART, type TurnContext, type TurnHooks } from '../runtime/session-manager.js';
import { confine, type ConfinedPath, relativePath } from './confine.js';
import type { RawChange } from './diff-parse.js';
import { toDiffFiles } from './diff-parse.js';
import type { FileOps } from './file-ops.js';
import type { SnapshotStore } from './snapshots.js';

const ABSENT = '0000000000000000000000000000000000000000';
const NO_SNAPSHOT = 'No diff for this turn:';

/** What the turn diffs need to know about a session, after its caller was authorised. */
export interface SessionView {
  id: string;
  workspace: string;
  status: string;
  turns: number;
}

export interface TurnDiffOptions {
  /** Runs the project's checks after a turn (not after an interrupted one). */
  checksAfterTurn: (turn: TurnContext, signal: AbortSignal) => Promise<void>;
}

/**
 * Per-turn snapshots: the workspace's tree as each turn starts and as it ends,
 * so `session_turn_diff` shows exactly what that turn changed, whoever else
 * touched other files before or after. The end of each turn is recorded as a
 * `turn_diff` event (the two trees and the changed files), which is what
 * links the diff to the turn's other events and what keeps it across
 * restarts. `revert` puts back what a turn changed, file by file, unless a
 * file has changed again since.
 */
export class TurnDiffs implements TurnHooks {
  /** The tree each running turn started with, by `session#turn`. */
  private readonly before = new Map<string, string>();

  constructor(
    private readonly snapshots: SnapshotStore,
    private readonly events: EventLog,
    private readonly files: FileOps,
    private readonly options: TurnDiffOptions,
    private readonly log: Logger,
  ) {}

  async beforeTurn(turn: TurnContext): Promise<void> {
    try {
      this.before.set(key(turn.session, turn.turn), await this.snapshots.snapshot(turn.workspace, turn.cwd));
    } catch (error) {
      this.events.append(turn.session, turn.turn, 'notice', {
        message: `${NO_SNAPSHOT} the workspace could not be snapshotted (${errorText(error)}).`,
      });
    }
  }

  async afterTurn(turn: TurnContext, outcome: TurnOutcome, signal: AbortSignal): Promise<void> {
    const before = this.before.get(key(turn.session, turn.turn));
    this.before.delete(key(turn.session, turn.turn));
    if (before !== undefined) {
      try {
        const after = await this.snapshots.snapshot(turn.workspace, turn.cwd);
        // Equal trees are equal content: most turns change nothing, and the diff is two more git processes.
        const changes =
          after === before ? [] : (await this.snapshots.diff(turn.workspace, turn.cwd, before, after, false)).changes;
        const files: TurnDiffFile[] = changes.map(({ path, old_path, status, added, removed, binary }) => ({
          path,
          old_path,
          status,
          added,
          removed,
          binary,
        }));
        // A turn that changed nothing gets no turn_diff event; session_turn_diff answers it with an empty diff.
        if (files.length > 0) {
          this.events.append(turn.session, turn.turn, 'turn_diff', {
            before,
            after,
            files,
            added: sum(files, 'added'),
            removed: sum(files, 'removed'),
          });
        }
      } catch (error) {
        this.log.error(`session ${turn.session} turn ${turn.turn}: no turn diff: ${errorText(error)}`);
      }
    }
    if (outcome.status !== 'interrupted' && !signal.aborted) await this.options.checksAfterTurn(turn, signal);
  }

  /** The hunks of what one turn changed, with the events that name each file. */
  async turnDiff(session: SessionView, turn: number, root: string): Promise<TurnDiff> {
    const event = this.diffEvent(session, turn);
    const before = event?.payload.before ?? null;
    const after = event?.payload.after ?? null;
    const diff =
      before !== null && after !== null
        ? await this.snapshots.diff(session.workspace, root, before, after, true)
        : { changes: [], hunks: new Map<string, DiffHunk[]>(), truncated: false };
    const files = toDiffFiles(diff.changes, diff.hunks);
    return {
      workspace: session.workspace,
      base: null,
      files,
      added: sum(files, 'added'),
      removed: sum(files, 'removed'),
      truncated: diff.truncated,
      session: session.id,
      turn,
      before,
      after,
      event_seq: event?.seq ?? null,
      events: this.eventsByPath(session.id, turn, root, files),
    };
  }

  /**
   * Undoes what a turn did to one file, or to every file it changed. Each file
   * must still be as the turn left it; if any changed again since, nothing is
   * reverted and the answer is ECONFLICT naming it.
   */
  async revert(
    session: SessionView,
    turn: number,
    root: string,
    path: string | undefined,
    user: SystemUser | undefined,
  ): Promise<string[]> {
    if (session.status === 'running' && turn === session.turns) {
      throw new CortexError('EBUSY', `Turn ${turn} of session ${session.id} is still running; revert it once it ends.`);
    }
    const event = this.diffEvent(session, turn);
    let changes = event
      ? (await this.snapshots.diff(session.workspace, root, event.payload.before, event.payload.after, false)).changes
      : [];
    if (path !== undefined) {
      const rel = confine(root, path).rel;
      changes = changes.filter((change) => change.path === rel || change.old_path === rel);
      if (changes.length === 0) throw new CortexError('ENOTFOUND', `Turn ${turn} did not change ${rel}.`);
    }
    const conflicts = changes.flatMap((change) => this.conflictsOf(root, change));
    if (conflicts.length > 0) {
      throw new CortexError(
        'ECONFLICT',
        `${conflicts.slice(0, 3).join(', ')}${conflicts.length > 3 ? ` and ${conflicts.length - 3} more` : ''} changed again since turn ${turn}; nothing was reverted.`,
        { paths: conflicts },
      );
    }
    const reverted: string[] = [];
    for (const change of changes) {
      if (change.status === 'renamed' || change.status === 'copied' || change.old_blob === ABSENT) {
        this.remove(root, change.path, user);
      }
      const restore = change.status === 'renamed' || change.status === 'copied' ? change.old_path! : change.path;
      if (change.old_blob !== ABSENT && change.status !== 'copied') {
        await this.restore(session.workspace, root, restore, change.old_blob, change.old_mode, user);
      }
      reverted.push(change.path);
      if (change.old_path && change.status === 'renamed') reverted.push(change.old_path);
    }
    this.events.append(session.id, session.turns, 'notice', {
      message: `Reverted what turn ${turn} did to ${reverted.join(', ')}.`,
    });
    return reverted;
  }

  /** The turn's turn_diff event, or undefined when the turn ended having changed nothing. */
  private diffEvent(session: SessionView, turn: number): SessionEvent<'turn_diff'> | undefined {
    if (turn > session.turns) throw new CortexError('ENOTFOUND', `Session ${session.id} has no turn ${turn} yet.`);
    const found = this.events.ofTurn(session.id, turn, 'turn_diff').pop();
    if (found !== undefined) return found;
    if (session.status === 'running' && turn === session.turns) {
      throw new CortexError(
        'EBUSY',
        `Turn ${turn} of session ${session.id} is still running; its diff comes at its end.`,
      );
    }
    const failed = this.events
      .ofTurn(session.id, turn, 'notice')
      .find((notice) => notice.payload.message.startsWith(NO_SNAPSHOT));
    if (failed !== undefined) throw new CortexError('ENOTFOUND', failed.payload.message);
    // A turn the daemon died in (kill -9, a crash) never got its closing snapshot.
    const cut = this.events
      .ofTurn(session.id, turn, 'turn_interrupted')
      .find((event) => event.payload.reason === CUT_BY_RESTART);
    if (cut !== undefined) {
      throw new CortexError('ENOTFOUND', `Turn ${turn} was cut short when the daemon stopped; it has no diff.`);
    }
    return undefined;
  }

  /** The paths of a change that no longer are as the turn left them. */
  private conflictsOf(root: string, change: RawChange): string[] {
    const conflicts: string[] = [];
    const expected = change.status === 'deleted' ? ABSENT : change.new_blob;
    if (blobOnDisk(root, change.path) !== expected) conflicts.push(change.path);
    if (change.status === 'renamed' && blobOnDisk(root, change.old_path!) !== ABSENT) conflicts.push(change.old_path!);
    return conflicts;
  }

  private remove(root: string, path: string, user: SystemUser | undefined): void {
    const entry = entryOf(root, path);
    this.files.checkWrite(entry, user);
    rmSync(entry.real, { force: true });
  }

  /** Puts a blob back at `path` as a file (with its executable bit) or a symlink. */
  private async restore(
    workspace: string,
    root: string,
    path: string,
    blob: string,
    mode: string,
    user: SystemUser | undefined,
  ): Promise<void> {
    const bytes = await this.snapshots.blob(workspace, root, blob);
    const entry = entryOf(root, path);
    this.files.checkWrite(entry, user);
    let current: 'file' | 'other' | 'none' = 'none';
    try {
      current = lstatSync(entry.real).isFile() ? 'file' : 'other';
    } catch {
      // Not there: written as a new file.
    }
    if (mode === '120000' || current === 'other') {
      rmSync(entry.real, { force: true });
      current = 'none';
    }
    if (mode === '120000') {
      symlinkSync(bytes.toString('utf8'), entry.real);
      return;
    }
    const hash = current === 'file' ? this.files.hashOf(root, entry.rel) : undefined;
    this.files.write(root, entry.rel, bytes, hash, user);
    chmodSync(entry.real, mode === '100755' ? 0o755 : 0o644);
  }

  /** For each changed file, the seqs of the turn's file_change events that name it. */
  private eventsByPath(session: string, turn: number, root: string, files: { path: string }[]) {
    const wanted = new Set(files.map((file) => file.path));
    const events: Record<string, number[]> = {};
    for (const event of this.events.ofTurn(session, turn, 'file_change')) {
      for (const change of event.payload.changes) {
        const rel = isAbsolute(change.path) ? relative(root, change.path).split(sep).join('/') : change.path;
        const normal = rel.replace(/^\.\//, '');
        if (!wanted.has(normal)) continue;
        const seqs = (events[normal] ??= []);
        if (!seqs.includes(event.seq)) seqs.push(event.seq);
      }
    }
    return events;
  }
}

/** The git blob id of a file as it is on disk now (ABSENT when there is none), computed without git. */
function blobOnDisk(root: string, path: string): string {
  let bytes: Buffer;
  try {
    const entry = entryOf(root, path);
    const stats = lstatSync(entry.real);
    if (stats.isSymbolicLink()) bytes = Buffer.from(readlinkSync(entry.real), 'utf8');
    else if (stats.isFile()) bytes = readFileSync(entry.real);
    else return ABSENT;
  } catch {
    return ABSENT;
  }
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/**
 * A directory entry itself, not what it points to: its directory is confined
 * to the workspace, its name is kept, so a symlink the turn made (even one
 * leading outside) can be looked at and removed without being followed.
 */
function entryOf(root: string, path: string): ConfinedPath {
  const rel = relativePath(path);
  if (rel === '.') throw new CortexError('EINVAL', 'The workspace root is not a file.');
  const parent = confine(root, posix.dirname(rel));
  return { root, rel, real: join(parent.real, posix.basename(rel)) };
}

function key(session: string, turn: number): string {
  return `${session}#${turn}`;
}

function sum<K extends 'added' | 'removed'>(files: Record<K, number>[], field: K): number {
  return files.reduce((total, file) => total + file[field], 0);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
