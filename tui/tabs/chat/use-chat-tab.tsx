import type { Key } from 'ink';
import { type Dispatch, type SetStateAction, useEffect, useMemo, useRef, useState } from 'react';
import { errorMessage } from '../../../src/protocol/errors.js';
import type { SessionEvent } from '../../../src/protocol/session-events.js';
import { answerActions, type Approvals, useApprovals, withPending } from '../../hooks/use-approvals.js';
import { onNode } from '../../state/on-node.js';
import type { ComposedPrompt, TabContext, TabController } from '../tab.js';
import { ChatPane } from './ChatPane.js';
import { conversation, type Streams } from './conversation.js';
import type { ChatAction } from './keys.js';
import { type ChatScroll, useChatScroll } from './use-chat-scroll.js';

/** The conversation of a hidden tab: nothing is drawn. */
const NOTHING_SHOWN: SessionEvent[] = [];

/** What the Chat tab needs of the others: the review comments waiting in Diff, and the Events tail. */
export interface ChatLinks {
  /** Review comments gathered on the diff, which go first in the next message. */
  comments: number;
  /** The next turn's prompt: the gathered comments, then `message`; they leave Diff once it is accepted. */
  composePrompt: (message: string) => ComposedPrompt;
  /** Shows the newest events again, following the tail. */
  followEvents: () => void;
}

/**
 * The Chat tab: the conversation with the open session above, the message
 * box below. Enter sends a turn (queued while one runs) with the Diff tab's
 * review comments first, Ctrl-S steers the running turn; a message that could
 * not be sent stays in the box with the reason, and its comments stay in Diff.
 */
export function useChatTab(context: TabContext, links: ChatLinks): TabController<ChatAction> {
  const session = context.open.session;
  const [draft, setDraft] = useState('');
  // How the last send went, shown under the message until the next one is typed.
  const [sent, setSent] = useState<string | undefined>(undefined);
  const [reading, setReading] = useState(false);
  // Each visit to the tab starts in the box.
  useEffect(() => setReading((now) => now && context.focused), [context.focused]);
  const streams = useRef<Streams>(new Map());
  const events = context.open.events;
  // Only while shown: a hidden tab walked the whole event window again for every batch streamed in.
  const talk = useMemo(
    () => (context.active ? conversation(events.events, streams.current) : NOTHING_SHOWN),
    [context.active, events.events],
  );
  const approvals = useApprovals(context);
  const scroll = useChatScroll(session?.id, events);
  const messages = useMessages(context, links, { draft, setDraft, setSent, follow: scroll.follow });

  const type = (input: string, key: Key): boolean => {
    if (reading) return false;
    if (key.backspace || key.delete) {
      setDraft((text) => text.slice(0, -1));
      return true;
    }
    if (key.ctrl || key.meta || key.tab || input.length === 0) return false;
    setSent(undefined);
    setDraft((text) => text + input);
    return true;
  };

  const comments = links.comments > 0 ? ` (+${links.comments} review comments)` : '';
  return {
    focus: reading ? 'chat-log' : 'chat',
    perform: (action) => chatActions(context, { messages, scroll, setReading, setDraft, approvals })[action](),
    type,
    hints: reading
      ? withPending(approvals, 'j/k scroll · r resume · Enter type')
      : withPending(approvals, `Enter send${comments} · Ctrl-S steer · ↑ read`),
    render: () => (
      <ChatPane
        session={session}
        events={talk}
        pending={approvals.pending}
        scroll={scroll.scroll}
        draft={draft}
        mode={reading && context.focused ? 'reading' : 'typing'}
        focused={context.focused}
        width={context.width}
        height={context.height}
        notice={sent}
        onShown={scroll.reportShown}
      />
    ),
  };
}

interface ActionDeps {
  messages: Messages;
  scroll: ChatScroll;
  setReading: (reading: boolean) => void;
  setDraft: (update: (text: string) => string) => void;
  approvals: Approvals;
}

/** What each of the tab's keys does. */
function chatActions(context: TabContext, deps: ActionDeps): Record<ChatAction, () => void> {
  const { messages, scroll, setReading } = deps;
  const page = Math.max(1, context.height - 4);
  return {
    send: () => messages.send(false),
    steer: () => messages.send(true),
    resume: messages.resume,
    newline: () => deps.setDraft((text) => `${text}\n`),
    read: () => setReading(true),
    type: () => setReading(false),
    up: () => scroll.by(1),
    down: () => scroll.by(-1),
    'page-up': () => scroll.by(page),
    'page-down': () => scroll.by(-page),
    top: scroll.top,
    bottom: scroll.follow,
    ...answerActions(deps.approvals),
  };
}

interface Messages {
  send: (steer: boolean) => void;
  resume: () => void;
}

interface Box {
  draft: string;
  setDraft: Dispatch<SetStateAction<string>>;
  setSent: (text: string | undefined) => void;
  follow: () => void;
}

/** Sending the box's message (as a turn or steering one) and resuming a stopped session, with the draft as its next turn. */
function useMessages(context: TabContext, links: ChatLinks, box: Box): Messages {
  const { client } = context;
  const { session, node } = context.open;
  const { draft, setDraft, setSent } = box;
  // The message stays in the box; a stopped session is offered a resume that sends it.
  const refused = (error: unknown) =>
    setSent(
      session?.status === 'stopped'
        ? `Not sent: ${session.id} is stopped. Ctrl-R resumes it with this message.`
        : `Not sent: ${errorMessage(error)}`,
    );
  const send = (steer: boolean) => {
    const message = draft.trim();
    if (!client || !session || (message === '' && links.comments === 0)) return;
    const composed = links.composePrompt(message);
    const params = { session: session.id, prompt: composed.prompt, ...(steer ? { steer } : {}), ...onNode(node) };
    client.call('session_send', params).then(
      ({ queued, turn, steered }) => {
        composed.sent();
        setDraft(without(draft));
        setSent(steered ? `steered turn ${turn}` : queued ? `queued as turn ${turn}` : `turn ${turn} started`);
        box.follow();
        links.followEvents();
      },
      (error: unknown) => {
        composed.refused();
        refused(error);
      },
    );
  };
  const resume = () => {
    if (!client || !session) return;
    const prompt = draft.trim();
    client.call('session_resume', { session: session.id, ...(prompt ? { prompt } : {}), ...onNode(node) }).then(
      ({ turn }) => {
        if (prompt) setDraft(without(draft));
        setSent(turn === null ? `${session.id} resumed` : `${session.id} resumed: turn ${turn} started`);
        box.follow();
      },
      (error: unknown) => setSent(`Not resumed: ${errorMessage(error)}`),
    );
  };
  return { send, resume };
}

/** Takes a message that went out off the box, keeping what was typed after it while it was on its way. */
function without(sent: string): (text: string) => string {
  return (text) => (text.startsWith(sent) ? text.slice(sent.length) : text);
}
