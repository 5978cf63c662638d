import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The repository, from dist/test/style/ where the compiled test runs. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Product code: what `cortex` and `cortexd` run (tests and benches may cast to reach inside). */
const FOLDERS = ['src', 'daemon', 'tui', 'bin'];
/** Issue 17's bound on `as unknown as` in product code. */
const MOST_CASTS = 5;
const CAST = 'as unknown as';

interface Cast {
  file: string;
  line: number;
  explained: boolean;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** A cast is explained by a comment on its own line or on the line just above it. */
function castsIn(file: string): Cast[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const found: Cast[] = [];
  lines.forEach((text, index) => {
    if (!text.includes(CAST)) return;
    const above = lines[index - 1]?.trim() ?? '';
    const explained = text.includes('//') || above.startsWith('//') || above.endsWith('*/');
    found.push({ file: relative(ROOT, file), line: index + 1, explained });
  });
  return found;
}

describe('double casts in product code', () => {
  const casts = FOLDERS.flatMap(sourceFiles).flatMap(castsIn);

  it(`has at most ${MOST_CASTS} \`${CAST}\``, () => {
    const where = casts.map((cast) => `${cast.file}:${cast.line}`).join(', ');
    assert.ok(casts.length <= MOST_CASTS, `${casts.length} casts: ${where}`);
  });

  it('says why at each one, in a comment beside or above it', () => {
    const bare = casts.filter((cast) => !cast.explained).map((cast) => `${cast.file}:${cast.line}`);
    assert.deepEqual(bare, []);
  });

  it('finds the casts it counts (the scan reaches the files)', () => {
    assert.ok(
      casts.some((cast) => cast.file === join('src', 'client', 'socket-descriptor.ts')),
      'the socket descriptor cast was not found',
    );
  });
});
