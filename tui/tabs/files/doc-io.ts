import { errorCode, errorData, errorMessage } from '../../../src/protocol/errors.js';
import type { FsReadResult, FsWriteResult } from '../../../src/protocol/workspace-types.js';
import { type Doc, isModified, loadedDoc } from './document.js';
import { joinLines } from './text-buffer.js';

/** How a save ended, for the tab to say so and change mode. */
export type SaveOutcome =
  { kind: 'saved'; path: string } | { kind: 'conflict' | 'skipped' } | { kind: 'failed'; message: string };

/** What saving and checking a held file need: the daemon's reads and writes, and the docs the tab holds. */
export interface DocIo {
  read: (path: string) => Promise<FsReadResult>;
  /** Writes `content` if the file still has `expected` as its hash (none: it must not exist). */
  write: (path: string, content: string, expected: string | undefined) => Promise<FsWriteResult>;
  change: (path: string, change: (doc: Doc) => Doc) => void;
  /** The doc as the tab holds it now, for answers that come after later renders. */
  held: (path: string) => Doc | undefined;
}

/** A doc with edits, told what is on disk now: it changed there unless the hash is still the one it was loaded with. */
export function onDisk(doc: Doc, read: FsReadResult): Doc {
  return read.hash === doc.hash ? doc : { ...doc, disk: 'changed' };
}

function hashOf(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const hash = (data as { hash?: unknown }).hash;
  return typeof hash === 'string' ? hash : undefined;
}

/** The hash to overwrite: the one the conflict reported, else what is on disk now (none if it is gone). */
async function hashOnDisk(io: DocIo, doc: Doc): Promise<string | undefined> {
  if (doc.conflict?.hash !== undefined) return doc.conflict.hash;
  try {
    return (await io.read(doc.path)).hash;
  } catch (error) {
    if (errorCode(error) === 'ENOTFOUND') return undefined;
    throw error;
  }
}

/**
 * Saves a doc against the hash it was loaded with, or (overwrite) against the
 * hash on disk now. A file changed on disk meanwhile is a conflict (the
 * daemon's ECONFLICT, recognised by its code), never overwritten unasked.
 */
export async function saveDoc(io: DocIo, doc: Doc | undefined, overwrite: boolean): Promise<SaveOutcome> {
  if (!doc || doc.state !== 'ready' || doc.binary || doc.saving) return { kind: 'skipped' };
  const { path } = doc;
  const sent = doc.edits;
  io.change(path, (held) => ({ ...held, saving: true }));
  try {
    const expected = overwrite ? await hashOnDisk(io, doc) : doc.hash;
    const written = await io.write(path, joinLines(doc.buffer.lines, doc.endings), expected);
    io.change(path, (held) => ({
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
    io.change(path, (held) => ({
      ...held,
      saving: false,
      conflict: conflict ? { message: errorMessage(error), hash: hashOf(errorData(error)) } : held.conflict,
    }));
    return conflict ? { kind: 'conflict' } : { kind: 'failed', message: errorMessage(error) };
  }
}

/**
 * A held file changed on disk: one without edits is read again, one with
 * edits is flagged. Resolves true when its content really differs from what
 * the tab holds (not just the echo of its own save).
 */
export async function diskChanged(io: DocIo, path: string, deleted: boolean): Promise<boolean> {
  if (!io.held(path)) return false;
  if (deleted) {
    io.change(path, (current) => ({ ...current, disk: 'deleted' }));
    return true;
  }
  let result: FsReadResult;
  try {
    result = await io.read(path);
  } catch {
    return false;
  }
  const now = io.held(path);
  // The echo of this tab's own save (or a touch that changed nothing) is not a change.
  if (!now || (now.state === 'ready' && now.hash === result.hash)) {
    if (now?.disk === 'deleted') io.change(path, (current) => ({ ...current, disk: 'same' }));
    return false;
  }
  io.change(path, (current) => (isModified(current) ? onDisk(current, result) : loadedDoc(current, result)));
  return true;
}
