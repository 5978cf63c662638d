import type { SessionEventsView } from '../../../tui/hooks/use-session-events.js';

/** The events of no open session: what a tab tested alone is given. */
export const noEvents: SessionEventsView = {
  events: [],
  hasOlder: false,
  hasNewer: false,
  loadOlder: () => undefined,
  loadNewer: () => undefined,
  toHead: () => undefined,
  toTail: () => undefined,
};
