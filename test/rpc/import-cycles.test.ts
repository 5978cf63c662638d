import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The repository, from dist/test/rpc/ where the compiled test runs. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FOLDERS = ['src', 'daemon'];

/**
 * Cycles still allowed, each a sorted list of the files in it, with why. Empty:
 * a new cycle fails this test, and so does a listed one that is gone (take it out).
 */
const KNOWN_CYCLES: readonly (readonly string[])[] = [];

/** Every relative import and re-export of a source file, type-only ones included. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  const statement = /(?:^|\n)\s*(?:import|export)\b[^'"]*?['"](\.[^'"]+)['"]/g;
  const dynamic = /import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const match of text.matchAll(statement)) found.push(match[1]!);
  for (const match of text.matchAll(dynamic)) found.push(match[1]!);
  return found;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The import graph of the folders, by path relative to the repository. */
function importGraph(): Map<string, string[]> {
  const files = FOLDERS.flatMap((folder) => sourceFiles(join(ROOT, folder)));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = importsOf(file)
      .map((specifier) => resolve(dirname(file), specifier).replace(/\.js$/, ''))
      .map((base) => [`${base}.ts`, `${base}.tsx`].find((candidate) => known.has(candidate)))
      .filter((target): target is string => target !== undefined);
    graph.set(relative(ROOT, file), [...new Set(targets.map((target) => relative(ROOT, target)))]);
  }
  return graph;
}

/** The strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next++;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file)?.includes(file)) found.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

describe('the import graph of src/ and daemon/', () => {
  it('reads the imports it checks (a sanity check of the parser)', () => {
    const graph = importGraph();
    assert.ok(graph.size > 100, `only ${graph.size} files found under ${ROOT}`);
    assert.ok(graph.get(join('daemon', 'daemon.ts'))?.includes(join('daemon', 'server', 'connection.ts')));
    // A type-only import counts: a cycle of types is still two files that cannot be read apart.
    assert.ok(graph.get(join('daemon', 'server', 'caller.ts'))?.includes(join('daemon', 'identity', 'identity.ts')));
  });

  it('has no import cycles, type-only imports included', () => {
    const found = cycles(importGraph()).map((component) => component.join(' <-> '));
    const known = KNOWN_CYCLES.map((component) => [...component].sort().join(' <-> '));
    assert.deepEqual(
      found.filter((cycle) => !known.includes(cycle)),
      [],
      'import cycles: move what both sides need into a leaf module',
    );
    assert.deepEqual(
      known.filter((cycle) => !found.includes(cycle)),
      [],
      'cycles listed as known are gone: take them out of KNOWN_CYCLES',
    );
  });
});
