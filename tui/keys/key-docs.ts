import { BINDINGS, HELP_SECTIONS } from '../keymap.js';

/** Where README.md holds the key table, between these two lines. */
export const KEY_TABLE_START = '<!-- keys: generated from tui/keymap.ts by `npm run docs` -->';
export const KEY_TABLE_END = '<!-- keys: end -->';

/** A key's name as a person reads it: `ctrl+s` is Ctrl-S, `pagedown` PgDn. */
function readable(key: string): string {
  const named: Record<string, string> = {
    enter: 'Enter',
    escape: 'Esc',
    tab: 'Tab',
    'shift+tab': 'Shift-Tab',
    backspace: 'Backspace',
    space: 'Space',
    up: '↑',
    down: '↓',
    left: '←',
    right: '→',
    pageup: 'PgUp',
    pagedown: 'PgDn',
    home: 'Home',
    end: 'End',
    'meta+enter': 'Alt-Enter',
  };
  if (named[key]) return named[key];
  if (key.startsWith('ctrl+')) return `Ctrl-${key.slice(5).toUpperCase()}`;
  return key;
}

/** Markdown for a table cell: pipes escaped, so a `|` key does not split the row. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

/**
 * The key map as a Markdown table, drawn from the same table the dispatcher
 * routes by and the help screen shows, so the README cannot drift from the keys.
 */
export function renderKeyTable(): string {
  const rows = HELP_SECTIONS.flatMap(({ where, title }) =>
    BINDINGS.filter((binding) => binding.where === where).map(
      (binding) =>
        `| ${binding.keys.map((key) => `\`${cell(readable(key))}\``).join(' ')} | ${cell(title)} | ${cell(binding.description)} |`,
    ),
  );
  return [KEY_TABLE_START, '', '| keys | where | what |', '| --- | --- | --- |', ...rows, '', KEY_TABLE_END].join('\n');
}
