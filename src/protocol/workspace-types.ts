/** The workspace inspector's types: files, diffs, checks and worktrees, as they travel on the wire. */

export type FsEntryType = 'file' | 'directory' | 'symlink' | 'other';

/** One entry of a directory listing. */
export interface FsEntry {
  name: string;
  type: FsEntryType;
  /** Bytes (for a symlink: the length of its target). */
  size: number;
  /** Last modification, milliseconds since the epoch. */
  mtime: number;
  /** Whether git ignores it (`.gitignore`, `.git/info/exclude`); `.git` itself counts as ignored. */
  ignored: boolean;
}

export interface FsListResult {
  /** The directory, relative to the workspace (`.` for its root). */
  path: string;
  /** Directories first, then files, each by name; one page of them. */
  entries: FsEntry[];
  /** How many entries the directory holds in all. */
  total: number;
  /** Where the next page starts, or null when this was the last. */
  next: number | null;
}

export interface FsStat {
  path: string;
  type: FsEntryType;
  size: number;
  mtime: number;
  /** Permission bits, such as 0o644. */
  mode: number;
  ignored: boolean;
  /** Where a symlink points, as written in it; null for anything else. */
  target: string | null;
}

export interface FsReadResult {
  path: string;
  size: number;
  mtime: number;
  /** SHA-256 of the bytes, in hex: pass it back to fs_write as expected_hash. */
  hash: string;
  /** True when the file holds a NUL byte or is not valid UTF-8; content is then binary. */
  binary: boolean;
  /** Text for a text file, the bytes for a binary one. */
  content: string | Uint8Array;
}

export interface FsWriteResult {
  path: string;
  size: number;
  mtime: number;
  hash: string;
  created: boolean;
}

/** What changed on disk in a watched directory, as chokidar reports it. */
export type FsChangeKind = 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';

export interface FsChange {
  /** Relative to the workspace. */
  path: string;
  kind: FsChangeKind;
}

export type DiffStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'type_changed';

export interface DiffHunk {
  old_start: number;
  old_lines: number;
  new_start: number;
  new_lines: number;
  /** The text after the second `@@` (often the enclosing function). */
  header: string;
  /** Each line with its marker: `' '` context, `'+'` added, `'-'` removed, `'\\'` no newline at end of file. */
  lines: string[];
}

export interface DiffFile {
  /** The path after the change (for a deletion, the path that was deleted). */
  path: string;
  /** The path before a rename or copy; null otherwise. */
  old_path: string | null;
  status: DiffStatus;
  added: number;
  removed: number;
  binary: boolean;
  /** Empty for a binary file, and when the diff was too large to send whole (`truncated`). */
  hunks: DiffHunk[];
}

export interface WorkspaceDiff {
  workspace: string;
  /** The commit compared against (ws_diff), or null for an unborn branch or a turn diff. */
  base: string | null;
  files: DiffFile[];
  added: number;
  removed: number;
  /** True when the patch text was over the limit: later files come without hunks. */
  truncated: boolean;
}

/** A changed file as a `turn_diff` event lists it (no hunks: session_turn_diff has them). */
export interface TurnDiffFile {
  path: string;
  old_path: string | null;
  status: DiffStatus;
  added: number;
  removed: number;
  binary: boolean;
}

export interface TurnDiff extends WorkspaceDiff {
  session: string;
  turn: number;
  /** The trees the turn started and ended with (in Cortex's snapshot store); null when it changed nothing. */
  before: string | null;
  after: string | null;
  /** The seq of the turn's `turn_diff` event; null when it changed nothing (and so has none). */
  event_seq: number | null;
  /** For each path, the seqs of the turn's events that name it (file_change), oldest first. */
  events: Record<string, number[]>;
}

export interface CheckResult {
  command: string;
  /** Null when the check was killed (timeout, interrupted turn, daemon stopping). */
  exit_code: number | null;
  signal: string | null;
  ok: boolean;
  duration_ms: number;
  /** When it started, milliseconds since the epoch. */
  started: number;
  /** The last lines of its output (stdout and stderr as they interleaved), at most 8 KiB. */
  tail: string;
}

export interface WorktreeInfo {
  /** The worktree's own workspace (sessions in it run there). */
  workspace: string;
  path: string;
  branch: string | null;
  /** The workspace of the repository it was made from, when that is still registered. */
  parent: string | null;
  /** The repository's main directory. */
  repository: string;
  sessions: { id: string; status: string }[];
  /** Disk use, in bytes. */
  bytes: number;
  /** Files changed or untracked in it (`git status --porcelain`). */
  dirty: number;
}
