import { resolve } from 'node:path';
import type { WriteStream } from 'node:tty';
import { CortexError } from '../../src/protocol/errors.js';
import { toJson } from '../../src/json-values.js';
import type { TerminalInfo } from '../../src/protocol/terminal-types.js';
import { type Command, line, withClient } from '../context.js';
import { required } from '../parse-input.js';
import { attachTerminal } from '../term-attach.js';
import { allNodes, atNode, NODE_OPTIONS, nodeCell, nodeOption, reportNodes } from '../node-option.js';
import { printTable } from '../table-output.js';

const VERBS = 'open, ls, attach, close or restart';

export const termCommand: Command = {
  name: 'term',
  maxArgs: { open: Infinity, ls: 1, list: 1, attach: 2, close: 2, restart: 2 },
  usage:
    'term open [--cwd PATH] [--attach] [-- COMMAND...] | term ls [--all-nodes] | term attach ID | term close ID [--node NAME]',
  summary:
    'Terminals owned by the daemon: open one (your shell, or COMMAND) in a directory, list them, attach full-screen (Ctrl-] detaches and leaves it running), close one.',
  options: { cwd: { type: 'string' }, attach: { type: 'boolean' }, ...NODE_OPTIONS },
  async run(context, args, options) {
    const verb = required(args, 0, VERBS);
    return withClient(context, async (daemon) => {
      const client = atNode(daemon, options);
      switch (verb) {
        case 'open': {
          const cwd = options['cwd'] as string | undefined;
          const node = nodeOption(options);
          if (node !== undefined && (cwd === undefined || !cwd.startsWith('/'))) {
            throw new CortexError('EINVAL', `With --node ${node}, --cwd is an absolute path on ${node}.`);
          }
          const { workspace } = await client.call('workspace_add', { path: resolve(cwd ?? process.cwd()) });
          const out = context.stdout as WriteStream;
          const { id, terminal } = await client.call('term_open', {
            workspace: workspace.id,
            command: args.length > 1 ? args.slice(1) : undefined,
            cols: out.isTTY ? out.columns : 80,
            rows: out.isTTY ? out.rows : 24,
          });
          if (options['attach']) return attachTerminal(context, client, id);
          line(context.stdout, context.global.json ? toJson(terminal) : id);
          return 0;
        }
        case 'ls':
        case 'list': {
          const all = allNodes(options);
          const { terminals, nodes } = await client.call('term_list', all ? { nodes: 'all' } : {});
          reportNodes(context.stderr, nodes);
          if (context.global.json) {
            for (const terminal of terminals) line(context.stdout, toJson(terminal));
          } else if (terminals.length === 0) {
            line(context.stderr, 'No terminals: cortex term open starts one in this directory.');
          } else {
            printTable(context.stdout, [
              [...(all ? ['NODE'] : []), 'ID', 'STATUS', 'VIEWERS', 'COMMAND', 'CWD'],
              ...terminals.map((terminal) => [
                ...(all ? [nodeCell(terminal)] : []),
                terminal.id,
                statusOf(terminal),
                String(terminal.viewers),
                terminal.command.join(' '),
                terminal.cwd,
              ]),
            ]);
          }
          return 0;
        }
        case 'attach':
          return attachTerminal(context, client, required(args, 1, 'the terminal id'));
        case 'close':
          await client.call('term_close', { id: required(args, 1, 'the terminal id') });
          return 0;
        case 'restart': {
          const { terminal } = await client.call('term_restart', { id: required(args, 1, 'the terminal id') });
          line(context.stdout, context.global.json ? toJson(terminal) : terminal.id);
          return 0;
        }
        default:
          throw new CortexError('EINVAL', `term takes ${VERBS}, not ${JSON.stringify(verb)}.`);
      }
    });
  },
};

function statusOf(terminal: TerminalInfo): string {
  return terminal.status === 'running' ? `running (pid ${terminal.pid})` : `ended: ${terminal.end_reason}`;
}
