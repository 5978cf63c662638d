import { useEffect, useState } from 'react';
import { nextPlace, type PagePlace, previousPlace } from './pager.js';
import type { RecordPage } from './use-record-page.js';

/**
 * `n` and `p` as moves from the page shown: a move needs the cursor that page
 * returned, so moves pressed while a page is still being read wait and are
 * taken in order as each page arrives, and none is lost to a fast typist.
 */
export function usePageSteps(
  shown: RecordPage | undefined,
  place: PagePlace,
  moveTo: (place: PagePlace) => void,
  notify: (text: string) => void,
) {
  // Pending moves: positive forwards, negative backwards.
  const [steps, setSteps] = useState(0);
  useEffect(() => {
    if (steps === 0 || shown === undefined || shown.place !== place) return;
    const forward = steps > 0;
    const next = forward ? nextPlace(shown.place, shown.returned) : previousPlace(shown.place, shown.returned);
    if (next === undefined) {
      setSteps(0);
      notify(forward ? 'This is the last page.' : 'This is the first page.');
      return;
    }
    moveTo(next);
    // Keys pressed since this render count too.
    setSteps((count) => count - Math.sign(steps));
  }, [steps, shown, place]);
  return {
    step: (direction: 1 | -1) => setSteps((count) => count + direction),
    cancel: () => setSteps(0),
  };
}
