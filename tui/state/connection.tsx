import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import type { Client } from '../../src/client/client.js';
import { errorMessage } from '../../src/protocol/errors.js';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting';

export interface Connection {
  state: ConnectionState;
  /** Present while open. */
  client: Client | undefined;
  /** Grows by one on every (re)connection, so subscriptions know to subscribe again. */
  generation: number;
  /** Why the last attempt failed, for the status bar. */
  error: string | undefined;
  /** Milliseconds until the next attempt while reconnecting. */
  retryInMs: number;
}

const ConnectionContext = createContext<Connection | undefined>(undefined);

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;

/**
 * Keeps one connection to the daemon, reconnecting with capped exponential
 * backoff when it goes away. Everything that subscribes re-subscribes from the
 * last seq it saw when `generation` changes.
 */
export function ConnectionProvider({
  connect,
  children,
}: {
  connect: (attempt: { reconnect: boolean }) => Promise<Client>;
  children: ReactNode;
}) {
  const [connection, setConnection] = useState<Connection>({
    state: 'connecting',
    client: undefined,
    generation: 0,
    error: undefined,
    retryInMs: 0,
  });

  useEffect(() => {
    let stopped = false;
    let current: Client | undefined;
    let timer: NodeJS.Timeout | undefined;
    let delay = FIRST_RETRY_MS;
    // Only the first attempt may start a daemon: one that went away may have been stopped on purpose.
    let reconnect = false;
    const attempt = () => {
      connect({ reconnect }).then(
        (client) => {
          if (stopped) return client.close();
          current = client;
          reconnect = true;
          delay = FIRST_RETRY_MS;
          setConnection((previous) => ({
            state: 'open',
            client,
            generation: previous.generation + 1,
            error: undefined,
            retryInMs: 0,
          }));
          client.onClose(() => {
            if (stopped) return;
            setConnection((previous) => ({
              ...previous,
              state: 'reconnecting',
              client: undefined,
              error: client.failure?.message,
              retryInMs: delay,
            }));
            timer = setTimeout(attempt, delay);
          });
        },
        (error: unknown) => {
          if (stopped) return;
          reconnect = true;
          setConnection((previous) => ({
            ...previous,
            state: previous.generation === 0 ? 'connecting' : 'reconnecting',
            error: errorMessage(error),
            retryInMs: delay,
          }));
          timer = setTimeout(attempt, delay);
          delay = Math.min(delay * 2, MAX_RETRY_MS);
        },
      );
    };
    attempt();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      current?.close();
    };
  }, [connect]);

  return <ConnectionContext.Provider value={connection}>{children}</ConnectionContext.Provider>;
}

export function useConnection(): Connection {
  const value = useContext(ConnectionContext);
  if (value === undefined) throw new Error('useConnection must be used inside a ConnectionProvider');
  return value;
}
