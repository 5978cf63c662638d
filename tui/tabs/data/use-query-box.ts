import type { Key } from 'ink';
import { useState } from 'react';
import { parseQuery } from './query-text.js';
import type { ActiveQuery } from './use-record-page.js';

/**
 * The query box of a table's records: the text being typed (the box is open
 * while there is one), the query the page shows, and the sentence for a
 * pattern that is not a JSON object.
 */
export function useQueryBox(onRun: () => void) {
  const [query, setQuery] = useState<ActiveQuery | undefined>(undefined);
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  return {
    query,
    draft,
    error,
    /** Opens the box on the query shown, to change it. */
    open: () => setDraft(query?.text ?? ''),
    close: () => {
      setDraft(undefined);
      setError(undefined);
    },
    clear: () => setQuery(undefined),
    erase: () => setDraft((text) => (text ?? '').slice(0, -1)),
    run: () => {
      const parsed = parseQuery(draft ?? '');
      if ('error' in parsed) return setError(parsed.error);
      setQuery(Object.keys(parsed.pattern).length === 0 ? undefined : { text: draft ?? '', pattern: parsed.pattern });
      setDraft(undefined);
      setError(undefined);
      onRun();
    },
    type: (input: string, key: Key): boolean => {
      if (draft === undefined || key.ctrl || key.meta || key.tab || input.length === 0) return false;
      setError(undefined);
      setDraft(draft + input);
      return true;
    },
  };
}
