import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Folders that hold no documentation of the project's own. */
const SKIPPED = new Set(['node_modules', 'dist', '.git']);

/** Every Markdown file of the repository, relative to its root. */
export function markdownFiles(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : markdownFiles(root, join(dir, entry.name));
    return entry.name.endsWith('.md') ? [relative(root, join(dir, entry.name))] : [];
  });
}

const SEPARATOR = /^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*(:?-{3,}:?\s*)?$/;
const LINK = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;

/**
 * What is wrong with a Markdown file, one sentence each: a table with a second
 * header (two separator rows: two tables glued together, or one pasted twice),
 * and a link to a file outside the repository or to none at all. Code is skipped.
 */
export function markdownProblems(text: string, file: string, root: string): string[] {
  const problems: string[] = [];
  let fenced = false;
  let separators = 0;
  text.split('\n').forEach((line, index) => {
    const where = `${file}:${index + 1}`;
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) return;
    if (!line.trim().startsWith('|')) separators = 0;
    else if (SEPARATOR.test(line) && ++separators === 2)
      problems.push(`${where}: a second header separator in one table`);
    for (const match of line.replace(/`[^`]*`/g, '').matchAll(LINK)) {
      const problem = linkProblem(match[1]!, file, root);
      if (problem !== undefined) problems.push(`${where}: ${problem}`);
    }
  });
  return problems;
}

function linkProblem(target: string, file: string, root: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) return undefined;
  const path = decodeURIComponent(target.split('#')[0]!);
  const absolute = path.startsWith('/') ? join(root, path) : resolve(dirname(join(root, file)), path);
  const inside = relative(root, absolute);
  if (inside.startsWith('..') || resolve(inside) === inside) return `${target} leads outside the repository`;
  if (!existsSync(absolute)) return `${target} names no file`;
  return undefined;
}
