/**
 * The tabs of the right pane, in the order of their number keys. A new tab is
 * a folder under tui/tabs/ (its keys and its hook), an entry here, its keys in
 * keymap.ts and its hook in registry.ts; the App does not change.
 */
export const TABS = [
  { name: 'events', label: 'Events', description: 'Events tab' },
  { name: 'chat', label: 'Chat', description: 'Chat tab (type a message)' },
  { name: 'files', label: 'Files', description: 'Files tab' },
  { name: 'diff', label: 'Diff', description: 'Diff tab' },
  { name: 'checks', label: 'Checks', description: 'Checks tab' },
  { name: 'terminal', label: 'Terminal', description: 'Terminal tab' },
  { name: 'data', label: 'Data', description: 'Data tab: tables, records, grants, tokens, peers' },
] as const;

export type TabName = (typeof TABS)[number]['name'];
