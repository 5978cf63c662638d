import type { Client } from '../../src/client/client.js';
import type { ConnectAttempt } from '../../src/client/reconnector.js';
import { CortexError } from '../../src/protocol/errors.js';
import { traceStep } from '../../src/startup-trace.js';
import type { Opened } from '../../tui/options.js';
import { TreeAhead } from '../../tui/state/tree-ahead.js';
import type { CliContext, Command } from '../context.js';

export const tuiCommand: Command = {
  name: 'tui',
  maxArgs: 0,
  usage: 'tui [--ssh HOST | --host HOST:PORT ...]',
  summary: 'The workbench: the tree of nodes, projects, workspaces and sessions, with live events and chat.',
  async run(context) {
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw new CortexError('EINVAL', 'cortex tui needs a terminal (standard input and output must be a TTY).');
    }
    traceStep('cli');
    const connect = connectingAhead(context);
    try {
      // React and Ink load here only, so other commands start fast.
      const { runTui, tuiCacheDir } = await import('../../tui/index.js');
      const cacheDir = tuiCacheDir(context.global.home ?? context.env['CORTEX_HOME'], context.env);
      await runTui({ connect: connect.next, opened: connect.opened, cwd: process.cwd() }, cacheDir);
    } finally {
      connect.abandon();
    }
  },
};

/**
 * The first connection, begun before the TUI's code is loaded: its round trips
 * (and a TLS or ssh handshake) then overlap the loading instead of following
 * the first frame, and so do the tree's first lists, asked for on it as soon
 * as it is open (tui/state/tree-ahead.ts). The TUI's first attempt takes it,
 * with its failure if it failed; every later attempt connects anew.
 */
function connectingAhead(context: CliContext): {
  next: (attempt: ConnectAttempt) => Promise<Client>;
  opened: () => Opened | undefined;
  abandon: () => void;
} {
  let first: Promise<Client> | undefined = context.connect({ reconnect: false });
  let opened: Opened | undefined;
  // Settled by whoever takes it; until then a failure must not count as unhandled.
  first.then((client) => (opened = { client, tree: new TreeAhead(client) })).catch(() => undefined);
  return {
    next: (attempt) => {
      const taken = first;
      first = undefined;
      return taken ?? context.connect(attempt);
    },
    // Only while open: a connection that has already gone must not start the TUI as connected.
    opened: () => (opened?.client.state === 'open' ? opened : undefined),
    // The TUI never took it (its code failed to load): the connection must not keep the process alive.
    abandon: () => void first?.then((client) => client.close()).catch(() => undefined),
  };
}
