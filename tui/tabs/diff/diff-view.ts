import type { DiffHunk } from '../../../src/protocol/workspace-types.js';
import { nextStart, withoutControls } from './diff-layout.js';
import { type DiffSource, hunkKey, type ReviewComment } from './review.js';

/** What to show: a session turn's diff (optionally scrolled to one file), or the workspace's diff. */
/** A turn's diff (of a session on `node`, when it is not this one), or the selected workspace's. */
export type DiffTarget =
  { kind: 'turn'; session: string; turn: number; path?: string; node?: string } | { kind: 'workspace' };

/** What a revert undoes: one file of a turn, or (without a path) the whole turn. */
export interface RevertRequest {
  session: string;
  turn: number;
  path?: string;
  /** The session's node, when it is not this one. */
  node?: string;
}

/** The hunk a comment being typed is about. */
export interface CommentAnchor {
  source: DiffSource;
  path: string;
  hunk: DiffHunk;
}

export type DiffMode =
  | { kind: 'read' }
  | { kind: 'comment'; anchor: CommentAnchor; draft: string }
  | { kind: 'confirm'; revert: RevertRequest };

export interface DiffViewState {
  /** Chosen by show() or the keys; undefined follows the selected session's latest turn (else the workspace). */
  target: DiffTarget | undefined;
  /** A file to scroll to once the target's diff has loaded. */
  seek: string | undefined;
  /** The body line at the top of the window. */
  offset: number;
  mode: DiffMode;
  comments: ReviewComment[];
  nextId: number;
  /** Grows on every reload request: the data hook fetches again when it changes. */
  reloads: number;
}

export type DiffViewAction =
  | { type: 'show'; target: DiffTarget | undefined }
  | { type: 'scroll'; by: number; max: number }
  | { type: 'jump'; line: number }
  | { type: 'top' }
  | { type: 'step'; starts: readonly number[]; direction: 1 | -1 }
  | { type: 'seek-done' }
  | { type: 'comment-start'; anchor: CommentAnchor }
  | { type: 'comment-type'; text: string }
  | { type: 'comment-erase' }
  | { type: 'comment-end'; keep: boolean }
  | { type: 'uncomment'; source: string; path: string; hunk: DiffHunk }
  | { type: 'comments-remove'; ids: readonly number[] }
  | { type: 'confirm'; revert: RevertRequest }
  | { type: 'read' }
  | { type: 'cancel-confirm' }
  | { type: 'drop-turn-of-other-session'; session: string | undefined }
  | { type: 'reload' };

export const INITIAL_VIEW: DiffViewState = {
  target: undefined,
  seek: undefined,
  offset: 0,
  mode: { kind: 'read' },
  comments: [],
  nextId: 1,
  reloads: 0,
};

/** Keeps a typed comment to what fits one line: newlines of a paste become spaces. */
function oneLine(text: string): string {
  return withoutControls(text.replace(/[\r\n]+/g, ' '));
}

function endComment(state: DiffViewState, keep: boolean): DiffViewState {
  if (state.mode.kind !== 'comment') return state;
  const text = state.mode.draft.trim();
  if (!keep || text === '') return { ...state, mode: { kind: 'read' } };
  const comment: ReviewComment = { id: state.nextId, ...state.mode.anchor, text };
  return { ...state, mode: { kind: 'read' }, comments: [...state.comments, comment], nextId: state.nextId + 1 };
}

/**
 * The Diff tab's view state: which diff, where it is scrolled, the mode the
 * keyboard is in and the review comments. Pure, so each step is testable
 * without a daemon.
 */
export function diffViewReducer(state: DiffViewState, action: DiffViewAction): DiffViewState {
  switch (action.type) {
    case 'show':
      return {
        ...state,
        target: action.target,
        seek: action.target?.kind === 'turn' ? action.target.path : undefined,
        offset: 0,
        mode: { kind: 'read' },
      };
    case 'scroll': {
      // A jump may have put the last hunk at the top, below where scrolling stops: j stays there rather than jumping back.
      const limit = Math.max(action.max, state.offset);
      return { ...state, offset: Math.max(0, Math.min(state.offset + action.by, limit)) };
    }
    case 'jump':
      return { ...state, offset: Math.max(0, action.line), seek: undefined };
    case 'top':
      // Unlike jump, keeps a pending seek: show() changes the diff and asks for a file at once.
      return state.offset === 0 ? state : { ...state, offset: 0 };
    case 'step': {
      // From the offset the reducer holds, not the one the key's render saw: two n's before a render move twice.
      const line = nextStart(action.starts, state.offset, action.direction);
      return line === undefined ? state : { ...state, offset: line, seek: undefined };
    }
    case 'seek-done':
      return { ...state, seek: undefined };
    case 'comment-start':
      return { ...state, mode: { kind: 'comment', anchor: action.anchor, draft: '' } };
    case 'comment-type':
      if (state.mode.kind !== 'comment') return state;
      return { ...state, mode: { ...state.mode, draft: state.mode.draft + oneLine(action.text) } };
    case 'comment-erase':
      if (state.mode.kind !== 'comment') return state;
      return { ...state, mode: { ...state.mode, draft: [...state.mode.draft].slice(0, -1).join('') } };
    case 'comment-end':
      return endComment(state, action.keep);
    case 'uncomment': {
      const key = hunkKey(action.path, action.hunk);
      const comments = state.comments.filter(
        (comment) => comment.source.key !== action.source || hunkKey(comment.path, comment.hunk) !== key,
      );
      return { ...state, comments };
    }
    case 'comments-remove':
      return { ...state, comments: state.comments.filter((comment) => !action.ids.includes(comment.id)) };
    case 'confirm':
      return { ...state, mode: { kind: 'confirm', revert: action.revert } };
    case 'read':
      return state.mode.kind === 'read' ? state : { ...state, mode: { kind: 'read' } };
    case 'cancel-confirm':
      return state.mode.kind === 'confirm' ? { ...state, mode: { kind: 'read' } } : state;
    case 'drop-turn-of-other-session':
      if (state.target?.kind !== 'turn' || state.target.session === action.session) return state;
      return diffViewReducer(state, { type: 'show', target: undefined });
    case 'reload':
      return { ...state, reloads: state.reloads + 1 };
  }
}
