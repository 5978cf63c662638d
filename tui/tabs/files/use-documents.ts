import { useCallback, useRef, useState } from 'react';
import type { Client } from '../../../src/client/client.js';
import { CortexError, errorMessage } from '../../../src/protocol/errors.js';
import type { FsReadResult } from '../../../src/protocol/workspace-types.js';
import { type Doc, failedDoc, isModified, loadedDoc, loadingDoc } from './document.js';
import { type DocIo, diskChanged, onDisk, type SaveOutcome, saveDoc } from './doc-io.js';
import { onNode } from '../../state/on-node.js';

interface DocsState {
  workspace: string | undefined;
  /** The open file, and every other file that holds unsaved edits. */
  docs: ReadonlyMap<string, Doc>;
  open: string | undefined;
}

export type { SaveOutcome } from './doc-io.js';

export interface Documents {
  /** The open file. */
  doc: Doc | undefined;
  /** Files with unsaved edits, for the tree to mark. */
  modified: ReadonlySet<string>;
  has: (path: string) => boolean;
  /** Shows a file: a file with unsaved edits comes back as it was left; any other is read from disk. */
  open: (path: string) => void;
  close: () => void;
  /** Changes the open file (a scroll, an edit). */
  change: (change: (doc: Doc) => Doc) => void;
  /** Saves the open file against the hash it was loaded with, or (overwrite) against the hash on disk now. */
  save: (overwrite: boolean) => Promise<SaveOutcome>;
  /** Reads the open file from disk again, dropping its edits. */
  reload: () => void;
  /**
   * A file changed on disk: a file without edits is read again, one with
   * edits is flagged. Resolves true when its content really differs from
   * what the tab holds (not just the echo of its own save).
   */
  diskChanged: (path: string, deleted: boolean) => Promise<boolean>;
  /** Every file held, for checking them all again after a reconnection. */
  paths: () => string[];
}

function initial(workspace: string | undefined): DocsState {
  return { workspace, docs: new Map(), open: undefined };
}

/** The files the tab has open: reads, edits and saves with the daemon's conflict check. */
export function useDocuments(client: Client | undefined, workspace: string | undefined, node?: string): Documents {
  const [stored, setState] = useState(() => initial(workspace));
  const state = stored.workspace === workspace ? stored : initial(workspace);
  if (state !== stored) setState(state);
  // For answers that arrive after later renders: they compare with what the tab holds now.
  const latest = useRef(state);
  latest.current = state;
  const doc = state.open === undefined ? undefined : state.docs.get(state.open);

  const changeDoc = useCallback(
    (path: string, change: (doc: Doc) => Doc) =>
      setState((current) => {
        const held = current.docs.get(path);
        if (current.workspace !== workspace || !held) return current;
        return { ...current, docs: new Map(current.docs).set(path, change(held)) };
      }),
    [workspace],
  );

  const read = useCallback(
    (path: string): Promise<FsReadResult> => {
      if (!client || workspace === undefined) return Promise.reject(new CortexError('ECLOSED', 'Not connected.'));
      return client.call('fs_read', { workspace, path, ...onNode(node) });
    },
    [client, workspace, node],
  );

  /**
   * Reads a file into its doc. Edits typed while the read was on its way are
   * kept (a file open already stays editable while it is read again) unless
   * `discard` says to drop them.
   */
  const load = (path: string, discard: boolean) =>
    read(path).then(
      (result) =>
        changeDoc(path, (held) => (discard || !isModified(held) ? loadedDoc(held, result) : onDisk(held, result))),
      (error: unknown) =>
        changeDoc(path, (held) => (discard || !isModified(held) ? failedDoc(held, errorMessage(error)) : held)),
    );

  const open = (path: string) => {
    const held = state.docs.get(path);
    setState((current) => {
      // Files left without edits are dropped; those with edits wait to be saved.
      const docs = new Map([...current.docs].filter(([key, kept]) => key === path || isModified(kept)));
      if (!docs.has(path)) docs.set(path, loadingDoc(path));
      return { ...current, docs, open: path };
    });
    if (!held || !isModified(held)) void load(path, false);
  };

  const io: DocIo = {
    read,
    write: (path, content, expected) => {
      if (!client || workspace === undefined) return Promise.reject(new CortexError('ECLOSED', 'Not connected.'));
      return client.call('fs_write', { workspace, path, content, expected_hash: expected, ...onNode(node) });
    },
    change: changeDoc,
    held: (path) => latest.current.docs.get(path),
  };

  return {
    doc,
    modified: new Set([...state.docs.values()].filter(isModified).map((held) => held.path)),
    has: (path) => state.docs.has(path),
    open,
    close: () => setState((current) => ({ ...current, open: undefined })),
    change: (change) => {
      if (state.open !== undefined) changeDoc(state.open, change);
    },
    save: (overwrite) => saveDoc(io, doc, overwrite),
    reload: () => {
      if (doc) void load(doc.path, true);
    },
    diskChanged: (path, deleted) => diskChanged(io, path, deleted),
    paths: () => [...state.docs.keys()],
  };
}
