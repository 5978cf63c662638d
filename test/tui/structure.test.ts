import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { tui } from './helpers/shipped.js';

/** The TUI's sources, from dist/test/tui up to the package root. */
const TUI = fileURLToPath(new URL('../../../tui/', import.meta.url));
const MAX_FUNCTION_LINES = 80;
const MAX_APP_LINES = 150;
/** A conditional inside a conditional inside a conditional is as far as a reader should follow. */
const MAX_TERNARY_DEPTH = 2;

function sources(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

interface Found {
  where: string;
  size: number;
}

/** Every function of a file (declarations, expressions, arrows, methods) with its length in lines, and its deepest conditional. */
function measure(path: string): { functions: Found[]; ternaries: Found[] } {
  const text = readFileSync(path, 'utf8');
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const functions: Found[] = [];
  const ternaries: Found[] = [];
  const lineOf = (position: number) => file.getLineAndCharacterOfPosition(position).line + 1;
  const visit = (node: ts.Node, depth: number) => {
    const where = `${path.slice(TUI.length)}:${lineOf(node.getStart())}`;
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      functions.push({ where, size: lineOf(node.getEnd()) - lineOf(node.getStart()) + 1 });
    }
    const nested = ts.isConditionalExpression(node) ? depth + 1 : depth;
    if (nested > depth) ternaries.push({ where, size: nested });
    ts.forEachChild(node, (child) => visit(child, ts.isFunctionLike(node) ? 0 : nested));
  };
  visit(file, 0);
  return { functions, ternaries };
}

/**
 * The shape the TUI keeps (issue 16): the App is layout and routing, no
 * function is too long to read at once, keys are looked up rather than
 * chained through conditionals, and every tab is a folder of its own.
 */
describe('the TUI as code', () => {
  const measured = sources(TUI).map(measure);

  it(`keeps app.tsx under ${MAX_APP_LINES} lines`, () => {
    const lines = readFileSync(join(TUI, 'app.tsx'), 'utf8').split('\n').length;
    assert.ok(lines < MAX_APP_LINES, `app.tsx has ${lines} lines`);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = measured.flatMap((file) => file.functions).filter((found) => found.size > MAX_FUNCTION_LINES);
    assert.deepEqual(long, []);
  });

  it(`nests no conditional expression more than ${MAX_TERNARY_DEPTH} deep`, () => {
    const deep = measured.flatMap((file) => file.ternaries).filter((found) => found.size > MAX_TERNARY_DEPTH);
    assert.deepEqual(deep, []);
  });

  it('has a folder with its keys and its hook for every tab', () => {
    for (const { name } of tui.TABS) {
      const folder = join(TUI, 'tabs', name);
      assert.ok(existsSync(join(folder, 'keys.ts')), `tui/tabs/${name}/keys.ts`);
      assert.ok(existsSync(join(folder, `use-${name}-tab.tsx`)), `tui/tabs/${name}/use-${name}-tab.tsx`);
    }
  });
});
