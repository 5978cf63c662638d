import { useCallback, useRef, useState } from 'react';
import type { Client } from '../../../src/client/client.js';
import { CortexError, errorCode, errorData, errorMessage } from '../../../src/protocol/errors.js';
import type { FsReadResult } from '../../../src/protocol/workspace-types.js';
import { type Doc, failedDoc, isModified, loadedDoc, loadingDoc } from './document.js';
import { joinLines } from './text-buffer.js';

interface DocsState {
  workspace: string | undefined;
  /** The open file, and every other file that holds unsaved edits. */
  docs: ReadonlyMap<string, Doc>;
  open: string | undefined;
}

/** How a save ended, for the tab to say so and change mode. */
export type SaveOutcome =
  { kind: 'saved'; path: string } | { kind: 'conflict' | 'skipped' } | { kind: 'failed'; message: string };

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
export function useDocuments(client: Client | undefined, workspace: string | undefined): Documents {
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
      return client.call('fs_read', { workspace, path });
    },
    [client, workspace],
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

  const save = async (overwrite: boolean): Promise<SaveOutcome> => {
    if (!client || workspace === undefined || !doc || doc.state !== 'ready' || doc.binary || doc.saving) {
      return { kind: 'skipped' };
    }
    const { path } = doc;
    const sent = doc.edits;
    changeDoc(path, (held) => ({ ...held, saving: true }));
    try {
      const expected = overwrite ? await hashOnDisk(doc) : doc.hash;
      const content = joinLines(doc.buffer.lines, doc.endings);
      const written = await client.call('fs_write', { workspace, path, content, expected_hash: expected });
      changeDoc(path, (held) => ({
        ...held,
        saving: false,
        hash: written.hash,
        saved: sent,
        disk: 'same',
        conflict: undefined,
      }));
      return { kind: 'saved', path };
    } catch (error) {
      const conflict = errorCode(error) === 'ECONFLICT';
      changeDoc(path, (held) => ({
        ...held,
        saving: false,
        conflict: conflict ? { message: errorMessage(error), hash: hashOf(errorData(error)) } : held.conflict,
      }));
      return conflict ? { kind: 'conflict' } : { kind: 'failed', message: errorMessage(error) };
    }
  };

  /** The hash to overwrite: the one the conflict reported, else what is on disk now (none if it is gone). */
  const hashOnDisk = async (held: Doc): Promise<string | undefined> => {
    if (held.conflict?.hash !== undefined) return held.conflict.hash;
    try {
      return (await read(held.path)).hash;
    } catch (error) {
      if (errorCode(error) === 'ENOTFOUND') return undefined;
      throw error;
    }
  };

  const diskChanged = async (path: string, deleted: boolean): Promise<boolean> => {
    if (!latest.current.docs.has(path)) return false;
    if (deleted) {
      changeDoc(path, (current) => ({ ...current, disk: 'deleted' }));
      return true;
    }
    let result: FsReadResult;
    try {
      result = await read(path);
    } catch {
      return false;
    }
    const now = latest.current.docs.get(path);
    // The echo of this tab's own save (or a touch that changed nothing) is not a change.
    if (!now || (now.state === 'ready' && now.hash === result.hash)) {
      if (now?.disk === 'deleted') changeDoc(path, (current) => ({ ...current, disk: 'same' }));
      return false;
    }
    changeDoc(path, (current) => (isModified(current) ? onDisk(current, result) : loadedDoc(current, result)));
    return true;
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
    save,
    reload: () => {
      if (doc) void load(doc.path, true);
    },
    diskChanged,
    paths: () => [...state.docs.keys()],
  };
}

/** A doc with edits, told what is on disk now: it changed there unless the hash is still the one it was loaded with. */
function onDisk(doc: Doc, read: FsReadResult): Doc {
  return read.hash === doc.hash ? doc : { ...doc, disk: 'changed' };
}

function hashOf(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const hash = (data as { hash?: unknown }).hash;
  return typeof hash === 'string' ? hash : undefined;
}
