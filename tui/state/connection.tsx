import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import type { Client } from '../../src/client/client.js';
import { type Link, LINK_AT_START, type LinkState, Reconnector } from '../../src/client/reconnector.js';

export type ConnectionState = LinkState;
export type Connection = Link;

const ConnectionContext = createContext<Connection | undefined>(undefined);

/**
 * Keeps one connection to the daemon (src/client/reconnector.ts: capped
 * exponential backoff). Everything that subscribes re-subscribes from the last
 * seq it saw when `generation` changes.
 */
export function ConnectionProvider({ connect, children }: { connect: () => Promise<Client>; children: ReactNode }) {
  const [connection, setConnection] = useState<Connection>(LINK_AT_START);

  useEffect(() => {
    const keeper = new Reconnector(connect);
    const stop = keeper.onChange(setConnection);
    keeper.start();
    return () => {
      stop();
      keeper.stop();
    };
  }, [connect]);

  return <ConnectionContext.Provider value={connection}>{children}</ConnectionContext.Provider>;
}

export function useConnection(): Connection {
  const value = useContext(ConnectionContext);
  if (value === undefined) throw new Error('useConnection must be used inside a ConnectionProvider');
  return value;
}
