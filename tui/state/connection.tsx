import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import type { Client } from '../../src/client/client.js';
import {
  type ConnectAttempt,
  type Link,
  LINK_AT_START,
  type LinkState,
  Reconnector,
} from '../../src/client/reconnector.js';
import { traceStep } from '../../src/startup-trace.js';
import type { Opened } from '../options.js';
import type { TreeAhead } from './tree-ahead.js';

export type ConnectionState = LinkState;
export type Connection = Link;

const ConnectionContext = createContext<Connection | undefined>(undefined);
const TreeAheadContext = createContext<TreeAhead | undefined>(undefined);

/** The link as the first frame shows it: open already when the connection begun ahead is (the Reconnector's first). */
function linkAtStart(opened: Opened | undefined): Link {
  return opened === undefined
    ? LINK_AT_START
    : { ...LINK_AT_START, state: 'open', client: opened.client, generation: 1 };
}

/** The same link told again (the connection the first frame already showed open): no new render. */
function sameLink(a: Link, b: Link): boolean {
  return a.state === b.state && a.client === b.client && a.generation === b.generation && a.error === b.error;
}

/**
 * Keeps one connection to the daemon (src/client/reconnector.ts: capped
 * exponential backoff). Everything that subscribes re-subscribes from the last
 * seq it saw when `generation` changes. `opened` is the connection `cortex
 * tui` opened while the TUI loaded, if it is open by the first frame; its
 * tree's lists are handed to the tree's hook (useTreeAhead).
 */
export function ConnectionProvider({
  connect,
  opened,
  children,
}: {
  connect: (attempt: ConnectAttempt) => Promise<Client>;
  opened?: Opened | undefined;
  children: ReactNode;
}) {
  const [connection, setConnection] = useState<Connection>(() => linkAtStart(opened));

  useEffect(() => {
    const keeper = new Reconnector(connect);
    const stop = keeper.onChange((link) => {
      if (link.state === 'open') traceStep('connected');
      setConnection((current) => (sameLink(current, link) ? current : link));
    });
    keeper.start();
    return () => {
      stop();
      keeper.stop();
    };
  }, [connect]);

  return (
    <ConnectionContext.Provider value={connection}>
      <TreeAheadContext.Provider value={opened?.tree}>{children}</TreeAheadContext.Provider>
    </ConnectionContext.Provider>
  );
}

export function useConnection(): Connection {
  const value = useContext(ConnectionContext);
  if (value === undefined) throw new Error('useConnection must be used inside a ConnectionProvider');
  return value;
}

/** The tree's first lists, asked for on the connection opened ahead: the tree's hook takes them once. */
export function useTreeAhead(): TreeAhead | undefined {
  return useContext(TreeAheadContext);
}
