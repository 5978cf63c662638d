import { CortexError } from '../../src/protocol/errors.js';
import type { Command } from '../context.js';

export const tuiCommand: Command = {
  name: 'tui',
  maxArgs: 0,
  usage: 'tui [--ssh HOST | --host HOST:PORT ...]',
  summary: 'The workbench: the tree of nodes, projects, workspaces and sessions, with live events and chat.',
  async run(context) {
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw new CortexError('EINVAL', 'cortex tui needs a terminal (standard input and output must be a TTY).');
    }
    // React and Ink load here only, so other commands start fast.
    const { runTui } = await import('../../tui/index.js');
    await runTui({ connect: (attempt) => context.connect(attempt), cwd: process.cwd() });
  },
};
