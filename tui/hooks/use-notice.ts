import { useCallback, useEffect, useState } from 'react';

/** How long a notice stays in the status bar. */
const NOTICE_MS = 6000;

/**
 * A short message for the status bar. A notice is news, not state: it goes
 * after a while, so stale ones do not pile up before the hints.
 */
export function useNotice(): { notice: string | undefined; notify: (text: string | undefined) => void } {
  const [notice, setNotice] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (notice === undefined) return;
    const timer = setTimeout(() => setNotice(undefined), NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice]);
  const notify = useCallback((text: string | undefined) => setNotice(text), []);
  return { notice, notify };
}
