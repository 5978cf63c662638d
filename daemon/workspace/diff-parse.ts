import type { DiffFile, DiffHunk, DiffStatus } from '../../src/protocol/workspace-types.js';

/** One changed path from `git diff-tree -z --raw`: modes and blob ids before and after. */
export interface RawChange {
  path: string;
  old_path: string | null;
  status: DiffStatus;
  old_mode: string;
  new_mode: string;
  old_blob: string;
  new_blob: string;
  added: number;
  removed: number;
  binary: boolean;
}

const STATUS: Record<string, DiffStatus> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  R: 'renamed',
  C: 'copied',
  T: 'type_changed',
};

/**
 * Parses `git diff-tree -r -M -z --raw --numstat`: the raw entries first (status,
 * modes, blobs), then the numstat entries in the same order (line counts, `-`
 * for binary files). NUL-separated, so any file name survives.
 */
export function parseRawNumstat(output: string): RawChange[] {
  const tokens = output.split('\0');
  const changes: RawChange[] = [];
  let i = 0;
  while (i < tokens.length && tokens[i]!.startsWith(':')) {
    const [oldMode = '', newMode = '', oldBlob = '', newBlob = '', code = 'M'] = tokens[i]!.slice(1).split(' ');
    const letter = code[0] ?? 'M';
    const twoPaths = letter === 'R' || letter === 'C';
    const first = tokens[i + 1] ?? '';
    const second = twoPaths ? (tokens[i + 2] ?? '') : undefined;
    changes.push({
      path: second ?? first,
      old_path: twoPaths ? first : null,
      status: STATUS[letter] ?? 'modified',
      old_mode: oldMode,
      new_mode: newMode,
      old_blob: oldBlob,
      new_blob: newBlob,
      added: 0,
      removed: 0,
      binary: false,
    });
    i += twoPaths ? 3 : 2;
  }
  for (const change of changes) {
    const stat = tokens[i] ?? '';
    const [added = '0', removed = '0', path = ''] = stat.split('\t');
    change.binary = added === '-';
    change.added = change.binary ? 0 : Number(added);
    change.removed = change.binary ? 0 : Number(removed);
    // A rename's numstat entry has an empty path followed by the old and new paths.
    i += path === '' ? 3 : 1;
  }
  return changes;
}

/**
 * Cuts a unified patch (`git diff-tree -p`) into hunks by file. Sections are
 * matched to files by path rather than position, because a type change (file
 * to symlink) is printed as a deletion and an addition of the same path.
 * A patch cut short by the size limit loses its last, partial section.
 */
export function parsePatch(patch: string, complete: boolean): Map<string, DiffHunk[]> {
  const byPath = new Map<string, DiffHunk[]>();
  const sections = patch.split(/^(?=diff --git )/m).filter((section) => section.startsWith('diff --git '));
  if (!complete) sections.pop();
  for (const section of sections) {
    const lines = section.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const path = sectionPath(lines);
    const hunks = byPath.get(path) ?? [];
    let hunk: DiffHunk | undefined;
    for (const line of lines) {
      const header = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/.exec(line);
      if (header) {
        hunk = {
          old_start: Number(header[1]),
          old_lines: header[2] === undefined ? 1 : Number(header[2]),
          new_start: Number(header[3]),
          new_lines: header[4] === undefined ? 1 : Number(header[4]),
          header: header[5] ?? '',
          lines: [],
        };
        hunks.push(hunk);
      } else if (hunk && /^[ +\-\\]/.test(line)) {
        hunk.lines.push(line);
      }
    }
    byPath.set(path, hunks);
  }
  return byPath;
}

export function toDiffFiles(changes: RawChange[], hunks: Map<string, DiffHunk[]>): DiffFile[] {
  return changes.map((change) => ({
    path: change.path,
    old_path: change.old_path,
    status: change.status,
    added: change.added,
    removed: change.removed,
    binary: change.binary,
    hunks: change.binary ? [] : (hunks.get(change.path) ?? []),
  }));
}

/** The path a patch section is about: after the change, or before it for a deletion. */
function sectionPath(lines: string[]): string {
  let minus: string | undefined;
  let plus: string | undefined;
  let renamedTo: string | undefined;
  for (const line of lines) {
    if (line.startsWith('@@')) break;
    if (line.startsWith('+++ ')) plus = stripPrefix(unquote(line.slice(4)));
    else if (line.startsWith('--- ')) minus = stripPrefix(unquote(line.slice(4)));
    else if (line.startsWith('rename to ') || line.startsWith('copy to ')) {
      renamedTo = unquote(line.slice(line.indexOf(' to ') + 4));
    }
  }
  if (plus !== undefined && plus !== '/dev/null') return plus;
  if (renamedTo !== undefined) return renamedTo;
  if (minus !== undefined && minus !== '/dev/null') return minus;
  return pathFromHeader(lines[0] ?? '');
}

/** `diff --git a/X b/X` with no other clue (binary or mode-only changes): both halves name the same path. */
function pathFromHeader(header: string): string {
  const rest = header.slice('diff --git '.length);
  if (rest.startsWith('"')) {
    const end = closingQuote(rest);
    const second = rest.slice(end + 2);
    return stripPrefix(unquote(second));
  }
  const half = (rest.length - 1) / 2;
  return stripPrefix(rest.slice(half + 1));
}

function stripPrefix(path: string): string {
  const trimmed = path.replace(/\t$/, '');
  return trimmed.startsWith('a/') || trimmed.startsWith('b/') ? trimmed.slice(2) : trimmed;
}

function closingQuote(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}

/** Git quotes names with unusual bytes C-style (`"a/tab\there"`, octal escapes for UTF-8 bytes). */
export function unquote(text: string): string {
  if (!text.startsWith('"')) return text;
  const end = closingQuote(text);
  const body = text.slice(1, end);
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '"': 34, '\\': 92 };
  for (let i = 0; i < body.length; i++) {
    const char = body[i]!;
    if (char !== '\\') {
      for (const byte of Buffer.from(char, 'utf8')) bytes.push(byte);
      continue;
    }
    const next = body[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
