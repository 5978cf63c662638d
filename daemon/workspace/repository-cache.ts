import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gitDirs } from './git.js';

export type GitDirs = NonNullable<Awaited<ReturnType<typeof gitDirs>>>;

interface Known {
  marks: string;
  dirs: GitDirs | undefined;
}

/**
 * Where a directory's repository is, as `git rev-parse` says, remembered while
 * what git's discovery reads is unchanged: the directory's real path and the
 * `.git` entries of it and the directories above it, up to the first one
 * (its inode and whether it holds a HEAD; a `.git` file's text, which names
 * a linked work tree's git directory). Checking that is a few stat calls;
 * asking git again is a process, two per turn for the turn's snapshots.
 * `git init` or `rm -rf .git` anywhere on the way up changes the marks, so the
 * next snapshot asks git again.
 */
export class RepositoryCache {
  private readonly known = new Map<string, Known>();

  async find(path: string): Promise<GitDirs | undefined> {
    const marks = discoveryMarks(path);
    const known = this.known.get(path);
    if (marks !== undefined && known?.marks === marks.text) return known.dirs;
    const dirs = await gitDirs(path);
    // A failure next to a `.git` may not last (a timeout, a repository half made): git is asked again next time.
    if (marks !== undefined && (dirs !== undefined || !marks.sawGit)) this.known.set(path, { marks: marks.text, dirs });
    return dirs;
  }
}

/** Undefined when the directory cannot be resolved: then nothing is remembered. */
function discoveryMarks(path: string): { text: string; sawGit: boolean } | undefined {
  let dir: string;
  try {
    dir = realpathSync(path);
  } catch {
    return undefined;
  }
  const marks = [dir];
  for (;;) {
    const mark = gitEntryMark(join(dir, '.git'));
    if (mark !== undefined) return { text: [...marks, mark].join('\n'), sawGit: true };
    const parent = dirname(dir);
    if (parent === dir) return { text: marks.join('\n'), sawGit: false };
    dir = parent;
  }
}

function gitEntryMark(entry: string): string | undefined {
  try {
    const stat = statSync(entry);
    if (stat.isFile()) return `${entry} file ${readFileSync(entry, 'utf8')}`;
    return `${entry} ${stat.ino} ${statSync(join(entry, 'HEAD'), { throwIfNoEntry: false }) !== undefined}`;
  } catch {
    return undefined;
  }
}
