import type { Doc, View } from './document.js';
import type { FilesFocus } from './keys.js';

export interface StatusLine {
  text: string;
  tone: 'info' | 'warning' | 'error';
}

/** What the pane says instead of the text, when it does not show it. */
export function messageOf(doc: Doc): string | undefined {
  if (doc.state === 'loading') return 'loading…';
  if (doc.state === 'failed') return doc.error;
  if (doc.binary) return `Binary file, ${doc.size} bytes: not shown.`;
  return undefined;
}

/** The line under the text: what needs attention first, else where the view or the cursor is. */
export function statusOf(doc: Doc, mode: FilesFocus, view: View): StatusLine {
  if (mode === 'conflict') return { text: 'Changed on disk! o overwrite · r reload · Esc', tone: 'error' };
  if (doc.conflict) return { text: 'Not saved: changed on disk (Ctrl-S to choose)', tone: 'warning' };
  if (doc.disk === 'changed') return { text: 'Changed on disk since loaded (you have edits)', tone: 'warning' };
  if (doc.disk === 'deleted') return { text: 'Deleted on disk (Ctrl-S writes it again)', tone: 'warning' };
  if (doc.saving) return { text: 'saving…', tone: 'info' };
  if (doc.state !== 'ready' || doc.binary) return { text: '', tone: 'info' };
  const lines = doc.buffer.lines.length;
  if (mode === 'editor') {
    const { line, col } = doc.buffer.cursor;
    return { text: `line ${line + 1}/${lines}, column ${col + 1}`, tone: 'info' };
  }
  const last = Math.min(lines, doc.top + view.rows);
  return {
    text: `lines ${doc.top + 1}–${last} of ${lines}${doc.left > 0 ? `, from column ${doc.left + 1}` : ''}`,
    tone: 'info',
  };
}
