import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { format, resolveConfig } from 'prettier';
import { EVENT_DOCS, EVENT_TYPES, renderEventDocs } from '../../src/protocol/session-events.js';

/** From dist/test/runtime/ up to the package root. */
const DOCS = fileURLToPath(new URL('../../../docs/events.md', import.meta.url));

const REGENERATE = [
  'docs/events.md is out of date with src/protocol/session-events.ts. Regenerate it with:',
  '  npx tsc -p . && node -e "import(\'./dist/src/protocol/session-events.js\').then(m => process.stdout.write(m.renderEventDocs()))" > docs/events.md && npx prettier --write docs/events.md',
].join('\n');

describe('docs/events.md', () => {
  it('is renderEventDocs() as generated (and as prettier, which lints every file, lays it out)', async () => {
    // `npm run lint` runs `prettier --check .`, which aligns the Markdown tables; the check
    // compares with that layout so the file can be both generated and lint-clean.
    const expected = await format(renderEventDocs(), { ...(await resolveConfig(DOCS)), filepath: DOCS });
    assert.equal(readFileSync(DOCS, 'utf8'), expected, REGENERATE);
  });

  it('documents every event type and every payload field', () => {
    const text = readFileSync(DOCS, 'utf8');
    const sections = [...text.matchAll(/^## `([a-z_]+)`$/gm)].map((match) => match[1]);
    assert.deepEqual(sections, EVENT_TYPES, REGENERATE);
    for (const type of EVENT_TYPES) {
      const doc = EVENT_DOCS[type];
      assert.ok(doc.summary.length > 0, `${type} has no summary`);
      const section = text.slice(text.indexOf(`## \`${type}\``)).split('\n## ')[0]!;
      assert.ok(section.includes(doc.summary), `${type}: summary missing from the docs`);
      for (const [field, meaning] of Object.entries(doc.fields as Record<string, string>)) {
        assert.ok(meaning.length > 0, `${type}.${field} has no meaning`);
        assert.match(section, new RegExp(`^\\| \`${field}\` +\\| `, 'm'), `${type}.${field} missing from the docs`);
      }
    }
  });
});
