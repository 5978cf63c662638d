import { useEffect, useState } from 'react';
import { errorCode, errorMessage } from '../../../src/protocol/errors.js';
import type { ClusterStatus } from '../../../src/protocol/mesh-types.js';
import type { TokenInfo } from '../../../src/protocol/methods.js';
import type { TabContext } from '../tab.js';

export type AdminView =
  | { state: 'loading' }
  | { state: 'refused'; sentence: string }
  | { state: 'failed'; sentence: string }
  | { state: 'shown'; tokens: readonly TokenInfo[]; cluster: ClusterStatus };

export const NOT_ADMIN = "Tokens and mesh peers are shown to this node's administrators only.";

/** The tokens and the mesh peers, read while the view is open; a caller who is no administrator gets a sentence. */
export function useAdminView({ client, generation }: TabContext, open: boolean, reloads: number): AdminView {
  const [view, setView] = useState<AdminView>({ state: 'loading' });
  useEffect(() => {
    if (!client || !open) return;
    let live = true;
    setView({ state: 'loading' });
    Promise.all([client.call('token_list', {}), client.call('cluster_status', {})]).then(
      ([{ tokens }, cluster]) => live && setView({ state: 'shown', tokens, cluster }),
      (error: unknown) =>
        live &&
        setView(
          errorCode(error) === 'EACCES'
            ? { state: 'refused', sentence: NOT_ADMIN }
            : { state: 'failed', sentence: errorMessage(error) },
        ),
    );
    return () => {
      live = false;
    };
  }, [client, generation, open, reloads]);
  return view;
}
