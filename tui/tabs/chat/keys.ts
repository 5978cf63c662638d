import type { AppCommand } from '../../keys/app-keys.js';
import { approvalBindings } from '../../keys/approval-keys.js';
import type { Binding, CommandOf, HelpSection } from '../../keys/types.js';

/**
 * The Chat tab's two modes: typing in the message box (a typing focus,
 * keymap.ts lists it in TYPING, so letters are text), and reading the
 * conversation above it, where letters scroll and answer approvals.
 */
export type ChatFocus = 'chat' | 'chat-log';

export type ChatAction =
  | 'send'
  | 'steer'
  | 'newline'
  | 'resume'
  | 'read'
  | 'type'
  | 'up'
  | 'down'
  | 'page-up'
  | 'page-down'
  | 'top'
  | 'bottom'
  | 'approve'
  | 'deny'
  | 'always';

export type ChatCommand = CommandOf<'chat', ChatAction>;

const chat = (action: ChatAction): ChatCommand => ({ owner: 'chat', action });

const TYPING_BINDINGS: readonly Binding<ChatCommand | AppCommand, ChatFocus>[] = [
  {
    keys: ['enter'],
    command: chat('send'),
    where: 'chat',
    description: 'send the message (queued if a turn is running)',
  },
  {
    keys: ['ctrl+s'],
    command: chat('steer'),
    where: 'chat',
    description: 'send the message into the running turn (steer) instead of queueing it',
  },
  { keys: ['ctrl+j', 'meta+enter'], command: chat('newline'), where: 'chat', description: 'new line in the message' },
  {
    keys: ['up', 'pageup'],
    command: chat('read'),
    where: 'chat',
    description: 'read the conversation (scroll, answer approvals)',
  },
  { keys: ['ctrl+r'], command: chat('resume'), where: 'chat', description: 'resume the session, when it is stopped' },
  {
    keys: ['ctrl+c'],
    command: { owner: 'app', action: 'interrupt' },
    where: 'chat',
    description: 'interrupt the running turn',
  },
  {
    keys: ['escape'],
    command: { owner: 'app', action: 'focus-tree' },
    where: 'chat',
    description: 'leave the message box',
  },
];

const READING_BINDINGS: readonly Binding<ChatCommand | AppCommand, ChatFocus>[] = [
  {
    keys: ['up', 'k'],
    command: chat('up'),
    where: 'chat-log',
    description: 'scroll up (stops following the conversation)',
  },
  { keys: ['down', 'j'], command: chat('down'), where: 'chat-log', description: 'scroll down' },
  { keys: ['pageup'], command: chat('page-up'), where: 'chat-log', description: 'page up' },
  { keys: ['pagedown', 'space'], command: chat('page-down'), where: 'chat-log', description: 'page down' },
  { keys: ['g', 'home'], command: chat('top'), where: 'chat-log', description: 'start of the conversation' },
  { keys: ['G', 'end'], command: chat('bottom'), where: 'chat-log', description: 'newest, and follow' },
  ...approvalBindings(chat, 'chat-log'),
  { keys: ['r'], command: chat('resume'), where: 'chat-log', description: 'resume the session, when it is stopped' },
  { keys: ['enter'], command: chat('type'), where: 'chat-log', description: 'back to the message box' },
  {
    keys: ['escape'],
    command: { owner: 'app', action: 'focus-tree' },
    where: 'chat-log',
    description: 'back to the tree',
  },
];

export const CHAT_BINDINGS: readonly Binding<ChatCommand | AppCommand, ChatFocus>[] = [
  ...TYPING_BINDINGS,
  ...READING_BINDINGS,
];

export const CHAT_SECTIONS: readonly HelpSection<ChatFocus>[] = [
  { where: 'chat', title: 'Chat: the message box' },
  { where: 'chat-log', title: 'Chat: the conversation (↑ from the box)' },
];
