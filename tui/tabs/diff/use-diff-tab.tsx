import type { Key } from 'ink';
import { type Dispatch, useEffect, useLayoutEffect, useReducer, useRef } from 'react';
import type { Client } from '../../../src/client/client.js';
import { errorMessage } from '../../../src/protocol/errors.js';
import { onNode } from '../../state/on-node.js';
import type { Session, Workspace } from '../../../src/protocol/runtime-types.js';
import type { WorkspaceDiff } from '../../../src/protocol/workspace-types.js';
import type { ComposedPrompt, TabContext, TabController } from '../tab.js';
import { type DiffLayout, nextStart } from './diff-layout.js';
import { emptyBody, findFile, resolveRequest, sourceOf, titleOf } from './diff-screen.js';
import {
  type DiffTarget,
  type DiffViewAction,
  type DiffViewState,
  diffViewReducer,
  INITIAL_VIEW,
  type RevertRequest,
} from './diff-view.js';
import { DiffPane } from './DiffPane.js';
import { DIFF_HINTS, type DiffAction, type DiffFocus } from './keys.js';
import { type DiffSource, hunkKey, type ReviewComment, reviewPrompt } from './review.js';
import { type DiffRequest, requestKey, useDiffData } from './use-diff-data.js';
import { useDiffWindow } from './use-diff-window.js';

export type { DiffTarget } from './diff-view.js';

export interface DiffTab extends TabController<DiffAction> {
  /** Shows a diff (Enter on a file change in the Events tab lands here). */
  show: (target: DiffTarget) => void;
  /** Review comments gathered on hunks, waiting to go out with the next turn. */
  comments: number;
  /** The next turn's prompt: the gathered comments (quoting file and lines), then `message`. */
  composePrompt: (message: string) => ComposedPrompt;
}

/** What the keys act on: the shown diff, laid out, and where in it the window is. */
interface View {
  request: DiffRequest | undefined;
  source: DiffSource | undefined;
  diff: WorkspaceDiff | undefined;
  /** The diff asked for is not in yet (an earlier one of the same request may still be shown). */
  loading: boolean;
  layout: DiffLayout | undefined;
  top: number;
  bodyRows: number;
  maxOffset: number;
  file: number | undefined;
  hunk: number | undefined;
}

interface Deps {
  view: View;
  state: DiffViewState;
  dispatch: Dispatch<DiffViewAction>;
  client: Client | undefined;
  session: Session | undefined;
  workspace: Workspace | undefined;
  /** The selection's node, when it is not this one. */
  node: string | undefined;
  notify: (text: string) => void;
}

/** Moves the window to the next or previous file or hunk start, or says there is none. */
function jump(deps: Deps, starts: readonly number[], direction: 1 | -1, what: string): void {
  if (deps.view.loading && !deps.view.diff) return deps.notify('The diff is still loading.');
  if (nextStart(starts, deps.view.top, direction) === undefined) {
    return deps.notify(direction === 1 ? `No ${what} below.` : `No ${what} above.`);
  }
  deps.dispatch({ type: 'step', starts, direction });
}

/** ←/→: the session's previous or next turn; the newest one follows new turns as they come. */
function stepTurn({ view, session, dispatch, notify }: Deps, step: 1 | -1): void {
  const request = view.request;
  const sessionId = request?.kind === 'turn' ? request.session : session?.id;
  if (sessionId === undefined) return notify('Select a session to step through its turns.');
  const latest = session?.id === sessionId ? session.turns : undefined;
  if (request?.kind !== 'turn') {
    if (!latest) return notify('The session has no turns yet.');
    return dispatch({ type: 'show', target: undefined });
  }
  const turn = request.turn + step;
  if (turn < 1) return notify('This is the first turn.');
  if (latest !== undefined && turn > latest) return notify('This is the latest turn.');
  dispatch({ type: 'show', target: turn === latest ? undefined : { kind: 'turn', session: sessionId, turn } });
}

function toggleWorkspace({ view, session, workspace, dispatch, notify }: Deps): void {
  if (view.request?.kind !== 'workspace') {
    if (!workspace) return notify('Select a workspace first.');
    return dispatch({ type: 'show', target: { kind: 'workspace' } });
  }
  if (!session || session.turns === 0) return notify('No session turn to show: select a session that has run.');
  dispatch({ type: 'show', target: undefined });
}

/** x and X: ask before discarding what the turn did (to the current file, or to all of them). */
function askRevert({ view, dispatch, notify }: Deps, whole: boolean): void {
  const request = view.request;
  if (request?.kind !== 'turn') return notify('Revert undoes a turn: w switches to the turn diff.');
  if (!view.diff) return notify('The diff has not loaded yet.');
  if (view.diff.files.length === 0) return notify(`Turn ${request.turn} changed nothing to revert.`);
  const file = view.file === undefined ? undefined : view.diff.files[view.file];
  if (!whole && !file) return notify('No file here to revert.');
  const revert: RevertRequest = { session: request.session, turn: request.turn, ...onNode(request.node) };
  dispatch({ type: 'confirm', revert: whole ? revert : { ...revert, path: file!.path } });
}

function revert({ client, dispatch, notify }: Deps, request: RevertRequest): void {
  dispatch({ type: 'read' });
  if (!client) return notify('Not connected to the daemon.');
  client.call('ws_revert', request).then(
    ({ reverted }) => {
      notify(`Reverted ${reverted.join(', ')} to before turn ${request.turn} (w: the workspace diff)`);
      dispatch({ type: 'reload' });
    },
    (error: unknown) => notify(errorMessage(error)),
  );
}

/** The hunk at the top of the window, with its file's path. */
function currentHunk({ view }: Deps) {
  const file = view.file === undefined ? undefined : view.diff?.files[view.file];
  const hunk = view.hunk === undefined ? undefined : file?.hunks[view.hunk];
  return file && hunk && view.source ? { source: view.source, path: file.path, hunk } : undefined;
}

function startComment(deps: Deps): void {
  const anchor = currentHunk(deps);
  if (!anchor) return deps.notify('No hunk here to comment on.');
  deps.dispatch({ type: 'comment-start', anchor });
}

function uncomment(deps: Deps): void {
  const anchor = currentHunk(deps);
  const key = anchor && hunkKey(anchor.path, anchor.hunk);
  const on = deps.state.comments.filter(
    (comment) => comment.source.key === anchor?.source.key && hunkKey(comment.path, comment.hunk) === key,
  );
  if (!anchor || on.length === 0) return deps.notify('No comments on this hunk.');
  deps.dispatch({ type: 'uncomment', source: anchor.source.key, path: anchor.path, hunk: anchor.hunk });
  deps.notify(`Deleted ${on.length} comment${on.length === 1 ? '' : 's'}.`);
}

/** s: the gathered comments go out now as a turn of the selected session; kept if sending fails. */
function sendReview({ state, client, session, node, dispatch, notify }: Deps): void {
  const comments = state.comments;
  if (comments.length === 0) return notify('No review comments to send: c comments on a hunk.');
  if (!client || !session) return notify('Select a session to send the review to.');
  client.call('session_send', { session: session.id, prompt: reviewPrompt(comments, ''), ...onNode(node) }).then(
    ({ queued, turn }) => {
      dispatch({ type: 'comments-remove', ids: comments.map((comment) => comment.id) });
      notify(`Review sent: ${queued ? 'queued as' : 'started'} turn ${turn}`);
    },
    (error: unknown) => notify(errorMessage(error)),
  );
}

/** What each of the tab's actions does. */
function performAction(deps: Deps, action: DiffAction): void {
  const { view, dispatch, state } = deps;
  const scroll = (by: number) => dispatch({ type: 'scroll', by, max: view.maxOffset });
  const page = Math.max(1, view.bodyRows - 1);
  switch (action) {
    case 'down':
      return scroll(1);
    case 'up':
      return scroll(-1);
    case 'page-down':
      return scroll(page);
    case 'page-up':
      return scroll(-page);
    case 'top':
      return dispatch({ type: 'jump', line: 0 });
    case 'bottom':
      return dispatch({ type: 'jump', line: view.maxOffset });
    case 'next-hunk':
    case 'prev-hunk': {
      const starts = view.layout?.hunkStarts.map((start) => start.line) ?? [];
      return jump(deps, starts, action === 'next-hunk' ? 1 : -1, 'hunk');
    }
    case 'next-file':
    case 'prev-file':
      return jump(deps, view.layout?.fileStarts ?? [], action === 'next-file' ? 1 : -1, 'file');
    case 'prev-turn':
      return stepTurn(deps, -1);
    case 'next-turn':
      return stepTurn(deps, 1);
    case 'workspace':
      return toggleWorkspace(deps);
    case 'reload':
      return dispatch({ type: 'reload' });
    case 'revert-file':
      return askRevert(deps, false);
    case 'revert-turn':
      return askRevert(deps, true);
    case 'confirm-yes':
      return state.mode.kind === 'confirm' ? revert(deps, state.mode.revert) : undefined;
    case 'confirm-no':
      dispatch({ type: 'read' });
      return deps.notify('Kept the changes.');
    case 'comment':
      return startComment(deps);
    case 'uncomment':
      return uncomment(deps);
    case 'comment-save':
      return dispatch({ type: 'comment-end', keep: true });
    case 'comment-cancel':
      return dispatch({ type: 'comment-end', keep: false });
    case 'send':
      return sendReview(deps);
  }
}

/** A key no binding took: text of the comment being typed; while a revert asks, any key says no. */
function typeKey(deps: Deps, input: string, key: Key): boolean {
  const mode = deps.state.mode;
  if (mode.kind === 'confirm') {
    deps.dispatch({ type: 'read' });
    deps.notify('Kept the changes.');
    return true;
  }
  if (mode.kind !== 'comment') return false;
  if (key.backspace || key.delete) {
    deps.dispatch({ type: 'comment-erase' });
    return true;
  }
  if (key.ctrl || key.meta || key.tab || key.escape || input === '') return false;
  deps.dispatch({ type: 'comment-type', text: input });
  return true;
}

/**
 * What must not outlive a change of context: a turn chosen in one session
 * means nothing once another session is selected, and a revert question left
 * behind (the user switched tabs) must not be answered by a later y.
 */
/** The tab's composePrompt: see ComposedPrompt. */
function useComposePrompt(
  comments: readonly ReviewComment[],
  dispatch: Dispatch<DiffViewAction>,
): (message: string) => ComposedPrompt {
  // Comments quoted by a message on its way: a second message before its answer must not quote them too.
  const onTheirWay = useRef(new Set<number>());
  return (message) => {
    const quoted = comments.filter((comment) => !onTheirWay.current.has(comment.id));
    if (quoted.length === 0) return { prompt: message, sent: () => undefined, refused: () => undefined };
    const ids = quoted.map((comment) => comment.id);
    for (const id of ids) onTheirWay.current.add(id);
    const release = () => ids.forEach((id) => onTheirWay.current.delete(id));
    return {
      prompt: reviewPrompt(quoted, message),
      sent: () => {
        release();
        dispatch({ type: 'comments-remove', ids });
      },
      refused: release,
    };
  };
}

/**
 * A turn of another session is dropped when the selection moves, and a
 * confirmation when the tab loses focus. Only an action that changes the view
 * is dispatched: every dispatch costs a render, and Ink a whole frame, even
 * one that changes nothing (at every start, one more frame after the first).
 */
function useDroppedWhenStale(
  state: DiffViewState,
  dispatch: Dispatch<DiffViewAction>,
  session: string | undefined,
  focused: boolean,
): void {
  const shown = useRef(state);
  shown.current = state;
  useEffect(() => {
    const drop: DiffViewAction = { type: 'drop-turn-of-other-session', session };
    if (diffViewReducer(shown.current, drop) !== shown.current) dispatch(drop);
  }, [dispatch, session]);
  useEffect(() => {
    const cancel: DiffViewAction = { type: 'cancel-confirm' };
    if (!focused && diffViewReducer(shown.current, cancel) !== shown.current) dispatch(cancel);
  }, [dispatch, focused]);
}

/**
 * show({path}) scrolls to the file once its diff is here; in a layout effect,
 * so a key pressed just after sees the file, rather than its own move being
 * undone by a late scroll.
 */
function useSeek(
  seek: string | undefined,
  diff: WorkspaceDiff | undefined,
  layout: DiffLayout | undefined,
  notify: (text: string) => void,
  dispatch: Dispatch<DiffViewAction>,
): void {
  useLayoutEffect(() => {
    if (seek === undefined || !diff || !layout) return;
    const found = findFile(diff.files, seek);
    if (found === undefined) {
      notify(`${seek} is not in this diff.`);
      return dispatch({ type: 'seek-done' });
    }
    dispatch({ type: 'jump', line: layout.fileStarts[found] ?? 0 });
  }, [seek, diff, layout, notify, dispatch]);
}

function focusOf(state: DiffViewState): DiffFocus {
  return state.mode.kind === 'comment' ? 'comment' : state.mode.kind === 'confirm' ? 'diff-confirm' : 'diff';
}

/**
 * The Diff tab: a turn's diff (the selected session's latest unless chosen)
 * or the workspace's, as a file list and coloured hunks drawn a window at a
 * time; keys jump between files and hunks, revert a file or a turn, and leave
 * review comments on hunks that go out with the next message (or at once).
 */
export function useDiffTab(context: TabContext): DiffTab {
  const { client, generation, selection, active, focused, width, height, notify } = context;
  const { session, workspace } = selection;
  const [state, dispatch] = useReducer(diffViewReducer, INITIAL_VIEW);
  useDroppedWhenStale(state, dispatch, session?.id, focused);

  const request = resolveRequest(state.target, session, workspace, selection.node);
  const latestTurn = request?.kind === 'turn' && session?.id === request.session && request.turn === session.turns;
  // The latest turn's diff is refused while it runs and complete once it ends: load it again when its status changes.
  const version = `${state.reloads}:${latestTurn ? session.status : ''}`;
  const data = useDiffData(client, generation, active, request, version);
  // Following the latest turn moves to a new diff without show(): start it from its top, not at
  // the line the previous turn's diff was scrolled to.
  const shownKey = request ? requestKey(request) : undefined;
  const previousKey = useRef(shownKey);
  useLayoutEffect(() => {
    if (previousKey.current !== shownKey) dispatch({ type: 'top' });
    previousKey.current = shownKey;
  }, [shownKey]);
  const source = request ? sourceOf(request) : undefined;
  const screen = useDiffWindow({
    diff: data.diff,
    source,
    comments: state.comments,
    mode: state.mode,
    offset: state.offset,
    width,
    height,
  });
  const { layout, position } = screen;
  const view: View = {
    request,
    source,
    diff: data.diff,
    loading: data.loading,
    ...screen,
    file: position.file,
    hunk: position.hunk,
  };
  useSeek(state.seek, data.diff, layout, notify, dispatch);

  const composePrompt = useComposePrompt(state.comments, dispatch);

  const deps: Deps = { view, state, dispatch, client, session, workspace, node: selection.node, notify };

  return {
    focus: focusOf(state),
    perform: (action) => performAction(deps, action),
    type: (input, key) => typeKey(deps, input, key),
    hints: DIFF_HINTS[focusOf(state)],
    render: () => (
      <DiffPane
        title={titleOf({
          request,
          latest: request?.kind === 'turn' && session?.id === request.session ? session.turns : undefined,
          following: state.target === undefined && request?.kind === 'turn',
          diff: data.diff,
          loading: data.loading,
          comments: state.comments.length,
        })}
        focused={focused}
        width={width}
        height={height}
        files={screen.files}
        body={screen.lines ?? emptyBody(request, data.diff, data.error, screen.inner)}
        footer={screen.footer}
      />
    ),
    badge: state.comments.length > 0 ? ` (${state.comments.length})` : undefined,
    show: (target) => dispatch({ type: 'show', target }),
    comments: state.comments.length,
    composePrompt,
  };
}
