import type { AppCommand } from '../../keys/app-keys.js';
import type { Binding, CommandOf, HelpSection } from '../../keys/types.js';

/** The message box: a typing focus (keymap.ts lists it in TYPING), so letters are text, not commands. */
export type ChatFocus = 'chat';

export type ChatAction = 'send' | 'newline';

export type ChatCommand = CommandOf<'chat', ChatAction>;

export const CHAT_BINDINGS: readonly Binding<ChatCommand | AppCommand, ChatFocus>[] = [
  {
    keys: ['enter'],
    command: { owner: 'chat', action: 'send' },
    where: 'chat',
    description: 'send the message (queued if a turn is running)',
  },
  {
    keys: ['ctrl+j', 'meta+enter'],
    command: { owner: 'chat', action: 'newline' },
    where: 'chat',
    description: 'new line in the message',
  },
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

export const CHAT_SECTIONS: readonly HelpSection<ChatFocus>[] = [{ where: 'chat', title: 'Chat' }];
