import { VERSION } from '../src/version.js';
import type { Command } from './context.js';

/** Help fits an 80-column terminal. */
export const HELP_WIDTH = 80;

const USAGE = 'usage: cortex [OPTIONS] COMMAND [ARGUMENTS...]';

const GLOBAL_HELP: readonly [string, string][] = [
  ['--socket PATH', 'the daemon on this Unix socket (CORTEX_SOCKET)'],
  ['--home DIR', 'the daemon whose socket, data and config are under DIR (CORTEX_HOME)'],
  ['--host HOST:PORT', 'a remote daemon over TLS (CORTEX_HOST), with --token T or --cert F --key F'],
  ['--ca FILE', "the CA that signed the remote daemon's certificate (CORTEX_CA)"],
  ['--ssh [USER@]HOST', 'a remote daemon through ssh, no port opened (CORTEX_SSH_HOST)'],
  [
    '--timeout DURATION',
    'give up on an answer after 500ms, 5s, 2m... (CORTEX_TIMEOUT, default 30s, 0 for never); ' +
      'streaming commands wait as long as heartbeats come',
  ],
  ['--json', 'print JSON'],
];

/** `cortex` alone: the commands' names and where to read more, as a mistake (exit 2). */
export function shortHelp(commands: readonly Command[]): string {
  return [
    USAGE,
    '',
    ...wrap(`commands: ${commands.map((command) => command.name).join(' ')}`, '', '  '),
    '',
    ...wrap('Run cortex help for what each command does, or cortex COMMAND --help for one.', '', ''),
    '',
  ].join('\n');
}

/** `cortex help`: the options and every command with its usage and summary. */
export function fullHelp(commands: readonly Command[]): string {
  const width = Math.max(...GLOBAL_HELP.map(([option]) => option.length)) + 2;
  return [
    `cortex ${VERSION}: an agent workbench for the terminal`,
    '',
    USAGE,
    '',
    'options:',
    ...GLOBAL_HELP.flatMap(([option, text]) => wrap(text, `  ${option.padEnd(width)}`, ' '.repeat(width + 2))),
    '',
    'commands:',
    ...commands.flatMap((command) => [
      ...wrap(`cortex ${command.usage}`, '  ', '      '),
      ...wrap(command.summary, '      ', '      '),
    ]),
    '',
    ...wrap(
      'The daemon is found by --socket, CORTEX_SOCKET, --home or CORTEX_HOME, then ' +
        '~/.local/run/cortex.sock. When none answers, a client starts one in the background, ' +
        'but never a system daemon, never on a reconnect, and never after cortex stop.',
      '',
      '',
    ),
    '',
  ].join('\n');
}

/** `cortex COMMAND --help`. */
export function commandHelp(command: Command): string {
  return [...wrap(`usage: cortex ${command.usage}`, '', '    '), '', ...wrap(command.summary, '', ''), ''].join('\n');
}

/** Breaks `text` at spaces into lines of at most HELP_WIDTH; a word longer than a line stands alone. */
export function wrap(text: string, first: string, rest: string): string[] {
  const lines: string[] = [];
  let current = first;
  let empty = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!empty && current.length + 1 + word.length > HELP_WIDTH) {
      lines.push(current);
      current = rest;
      empty = true;
    }
    current += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(current);
  return lines;
}
