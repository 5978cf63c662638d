import type { Key } from 'ink';
import { useState } from 'react';
import { errorMessage } from '../../../src/protocol/errors.js';
import { onNode } from '../../state/on-node.js';
import type { TabContext, TabController } from '../tab.js';
import { ChatPane } from './ChatPane.js';
import type { ChatAction } from './keys.js';

/** What the Chat tab needs of the others: the review comments waiting in Diff, and the Events tail. */
export interface ChatLinks {
  /** Review comments gathered on the diff, which go first in the next message. */
  comments: number;
  /** The next turn's prompt: the gathered comments, then `message`; clears them. */
  takePrompt: (message: string) => string;
  /** Shows the newest events again, following the tail. */
  followEvents: () => void;
}

/**
 * The Chat tab: a message box for the open session. Enter sends a turn
 * (queued while one runs) with the Diff tab's review comments first.
 */
export function useChatTab(context: TabContext, links: ChatLinks): TabController<ChatAction> {
  const { client, notify } = context;
  const session = context.open.session;
  const [draft, setDraft] = useState('');
  // How the last send went, shown under the message until the next one is typed.
  const [sent, setSent] = useState<string | undefined>(undefined);

  const send = () => {
    const message = draft.trim();
    if (!client || !session || (message === '' && links.comments === 0)) return;
    const prompt = links.takePrompt(message);
    setDraft('');
    client.call('session_send', { session: session.id, prompt, ...onNode(context.open.node) }).then(
      ({ queued, turn }) => {
        setSent(queued ? `queued as turn ${turn}` : `turn ${turn} started`);
        links.followEvents();
      },
      (error: unknown) => notify(errorMessage(error)),
    );
  };

  const type = (input: string, key: Key): boolean => {
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
    focus: 'chat',
    perform: (action) => (action === 'send' ? send() : setDraft((text) => `${text}\n`)),
    type,
    hints: `Enter send${comments} · Ctrl-C interrupt · Esc tree`,
    render: () => (
      <ChatPane
        session={session}
        draft={draft}
        focused={context.focused}
        width={context.width}
        height={context.height}
        notice={sent}
      />
    ),
  };
}
