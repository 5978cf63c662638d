import { approvalBindings } from '../../keys/approval-keys.js';
import type { Binding, CommandOf, HelpSection } from '../../keys/types.js';

export type EventsFocus = 'events';

export type EventsAction =
  | 'up'
  | 'down'
  | 'page-up'
  | 'page-down'
  | 'top'
  | 'bottom'
  | 'toggle-output'
  | 'open-diff'
  | 'approve'
  | 'deny'
  | 'always';

export type EventsCommand = CommandOf<'events', EventsAction>;

const events = (action: EventsAction): EventsCommand => ({ owner: 'events', action });

export const EVENTS_BINDINGS: readonly Binding<EventsCommand, EventsFocus>[] = [
  { keys: ['up', 'k'], command: events('up'), where: 'events', description: 'scroll up (stops following the tail)' },
  { keys: ['down', 'j'], command: events('down'), where: 'events', description: 'scroll down' },
  { keys: ['pageup'], command: events('page-up'), where: 'events', description: 'page up' },
  { keys: ['pagedown', 'space'], command: events('page-down'), where: 'events', description: 'page down' },
  { keys: ['g', 'home'], command: events('top'), where: 'events', description: 'oldest event' },
  {
    keys: ['G', 'end'],
    command: events('bottom'),
    where: 'events',
    description: 'newest event, and follow the tail',
  },
  {
    keys: ['o'],
    command: events('toggle-output'),
    where: 'events',
    description: 'show all of every command output, or less',
  },
  {
    keys: ['enter'],
    command: events('open-diff'),
    where: 'events',
    description: 'diff of the file change marked ⏎ (the lowest on screen)',
  },
  ...approvalBindings(events, 'events'),
];

export const EVENTS_SECTIONS: readonly HelpSection<EventsFocus>[] = [{ where: 'events', title: 'Events' }];

export const EVENTS_HINTS = 'j/k scroll · G follow · o output · Enter diff · Tab tree · ? help';
