import { useState } from 'react';
import { errorMessage } from '../src/protocol/errors.js';
import { onNode } from './state/on-node.js';
import type { Workbench } from './state/workbench.js';

/** A question waiting for y: what it asks, and what yes does. */
interface Question {
  text: string;
  yes: () => void;
}

export interface SessionActions {
  /** The question shown in the status bar while the keyboard waits for y (or any other key, no). */
  question: string | undefined;
  /** x in the tree: asks before stopping the selected session, since a stopped session takes no more turns. */
  askStop: () => void;
  /** r in the tree: starts the selected stopped session again on its conversation. */
  resume: () => void;
  answer: (yes: boolean) => void;
}

/** Stopping (after a question) and resuming the session selected in the tree, on its node. */
export function useSessionActions(bench: Workbench): SessionActions {
  const [asking, setAsking] = useState<Question | undefined>(undefined);
  const { picked, notify, setArea } = bench;
  const { client } = bench.connection;
  const row = picked.row;
  const node = picked.selection.node;

  const report = (promise: Promise<unknown>, done: string) =>
    promise.then(
      () => notify(done),
      (error: unknown) => notify(errorMessage(error)),
    );

  const askStop = () => {
    if (!client || row?.kind !== 'session') return;
    const id = row.id;
    setAsking({
      text: `Stop ${id}? It takes no more turns until resumed (r). y stops it · any other key keeps it`,
      yes: () => void report(client.call('session_stop', { session: id, ...onNode(node) }), `stopped ${id}`),
    });
    setArea('confirm');
  };

  const resume = () => {
    if (!client || row?.kind !== 'session') return;
    void report(client.call('session_resume', { session: row.id, ...onNode(node) }), `resumed ${row.id}`);
  };

  const answer = (yes: boolean) => {
    const question = asking;
    setAsking(undefined);
    setArea('tree');
    if (yes) question?.yes();
    else if (question) notify('Not stopped.');
  };

  return { question: asking?.text, askStop, resume, answer };
}
