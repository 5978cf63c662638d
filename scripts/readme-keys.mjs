// Writes the key table generated from tui/keymap.ts (built into dist/) into README.md, between its markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { KEY_TABLE_END, KEY_TABLE_START, renderKeyTable } from '../dist/tui/keys/key-docs.js';

const readme = readFileSync('README.md', 'utf8');
const start = readme.indexOf(KEY_TABLE_START);
const end = readme.indexOf(KEY_TABLE_END);
if (start < 0 || end < start) throw new Error('README.md has no key table markers.');
writeFileSync('README.md', readme.slice(0, start) + renderKeyTable() + readme.slice(end + KEY_TABLE_END.length));
