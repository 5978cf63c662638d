import type { Binding, CommandOf, HelpSection } from '../../keys/types.js';

/**
 * Where the keyboard is in the Data tab: the list of tables, a table's
 * records, one record, the query box, or the administrators' view.
 */
export type DataFocus = 'data-tables' | 'data-records' | 'data-record' | 'data-query' | 'data-admin';

export type DataAction =
  | 'up'
  | 'down'
  | 'open'
  | 'back'
  | 'next-page'
  | 'previous-page'
  | 'first-page'
  | 'last-page'
  | 'query'
  | 'query-run'
  | 'query-erase'
  | 'admin'
  | 'reload';

export type DataCommand = CommandOf<'data', DataAction>;

const data = (action: DataAction): DataCommand => ({ owner: 'data', action });

const LISTS = ['data-tables', 'data-records', 'data-record', 'data-admin'] as const;

/** j/k, Esc and r mean the same in every view of the tab that shows a list. */
const everyList = (
  keys: readonly string[],
  action: DataAction,
  description: (where: (typeof LISTS)[number]) => string,
): Binding<DataCommand, DataFocus>[] =>
  LISTS.map((where) => ({ keys, command: data(action), where, description: description(where) }));

const UP: Record<(typeof LISTS)[number], string> = {
  'data-tables': 'previous table',
  'data-records': 'previous record',
  'data-record': 'scroll up',
  'data-admin': 'scroll up',
};

export const DATA_BINDINGS: readonly Binding<DataCommand, DataFocus>[] = [
  ...everyList(['up', 'k'], 'up', (where) => UP[where]),
  ...everyList(['down', 'j'], 'down', (where) => UP[where].replace('previous', 'next').replace('up', 'down')),
  { keys: ['enter'], command: data('open'), where: 'data-tables', description: "open the table's records" },
  { keys: ['a'], command: data('admin'), where: 'data-tables', description: 'tokens and mesh peers (administrators)' },
  { keys: ['enter'], command: data('open'), where: 'data-records', description: 'open the record as JSON' },
  { keys: ['n', 'pagedown'], command: data('next-page'), where: 'data-records', description: 'next page' },
  { keys: ['p', 'pageup'], command: data('previous-page'), where: 'data-records', description: 'previous page' },
  { keys: ['g', 'home'], command: data('first-page'), where: 'data-records', description: 'first page' },
  { keys: ['G', 'end'], command: data('last-page'), where: 'data-records', description: 'last page' },
  {
    keys: ['/'],
    command: data('query'),
    where: 'data-records',
    description: 'query: a JSON pattern, as `cortex query` takes',
  },
  ...everyList(['escape'], 'back', (where) =>
    where === 'data-records' ? 'clear the query, or back to the tables' : 'back',
  ).filter((binding) => binding.where !== 'data-tables'),
  ...everyList(['r'], 'reload', () => 'reload'),
  { keys: ['enter'], command: data('query-run'), where: 'data-query', description: 'run the query' },
  { keys: ['escape'], command: data('back'), where: 'data-query', description: 'close the query box' },
  { keys: ['backspace'], command: data('query-erase'), where: 'data-query', description: 'delete the last character' },
];

export const DATA_SECTIONS: readonly HelpSection<DataFocus>[] = [
  { where: 'data-tables', title: 'Data: tables' },
  { where: 'data-records', title: 'Data: records' },
  { where: 'data-record', title: 'Data: a record' },
  { where: 'data-query', title: 'Data: query box' },
  { where: 'data-admin', title: 'Data: tokens and peers' },
];
