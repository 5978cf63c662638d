import { useEffect, useRef } from 'react';
import type { Client } from '../../../src/client/client.js';
import type { FsChange } from '../../../src/protocol/workspace-types.js';

export interface FsChangeHandlers {
  /** Files that changed on disk, as one debounced batch from the daemon. */
  onChanges: (changes: readonly FsChange[]) => void;
  /**
   * The subscription is in place (or was refused): the daemon watches only
   * the root and the folders listed after it, so the tab lists its open
   * folders now, which also catches what changed while it was not listening.
   */
  onSubscribed: () => void;
}

/**
 * Listens to `fs:WORKSPACE` while the tab is shown, and again after every
 * reconnection (a new `generation`); unsubscribes when the tab is hidden or
 * the workspace changes.
 */
export function useFsChanges(
  client: Client | undefined,
  generation: number,
  workspace: string | undefined,
  active: boolean,
  handlers: FsChangeHandlers,
): void {
  // The newest handlers, so that a notification sees the state of the latest render.
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    if (!client || workspace === undefined || !active) return;
    let live = true;
    const topic = `fs:${workspace}`;
    const stop = client.onNotification('fs_change', (change) => {
      if (live && change.workspace === workspace) latest.current.onChanges(change.changes);
    });
    client.call('subscribe', { topic }).then(
      () => live && latest.current.onSubscribed(),
      // Without live changes the tree still works; it is only not kept up to date.
      () => live && latest.current.onSubscribed(),
    );
    return () => {
      live = false;
      stop();
      client.call('unsubscribe', { topic }).catch(() => undefined);
    };
  }, [client, generation, workspace, active]);
}
