import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { connectOrStart } from '../src/client/autostart.js';
import { CortexError, errorMessage } from '../src/protocol/errors.js';
import { clientSocket, type Env, homePaths, userPaths } from '../src/paths.js';
import { connectSsh, connectTls } from '../src/client/remote.js';
import { join } from 'node:path';
import { daemonCommandFor } from './daemon-command.js';
import { VERSION } from '../src/version.js';
import { commands } from './commands/index.js';
import { type CliContext, type Command, type GlobalOptions, line } from './context.js';
import { exitCodeFor } from './exit-codes.js';

const GLOBAL_OPTIONS = {
  socket: { type: 'string' },
  home: { type: 'string' },
  host: { type: 'string' },
  token: { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ssh: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const GLOBAL_WITH_VALUE = new Set(['--socket', '--home', '--host', '--token', '--ca', '--cert', '--key', '--ssh']);

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: NodeJS.ReadableStream;
  env: Env;
}

/** Runs one CLI invocation and returns its exit code; errors become one sentence on stderr. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const { name, rest } = splitCommand(argv);
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(helpText());
    return 0;
  }
  if (name === '--version' || name === 'version') {
    line(io.stdout, VERSION);
    return 0;
  }
  const command = commands.find((candidate) => candidate.name === name || candidate.aliases?.includes(name));
  if (command === undefined) {
    line(io.stderr, `cortex: there is no command "${name}"; run cortex help for the list.`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      line(io.stdout, `usage: cortex ${command.usage}\n\n${command.summary}`);
      return 0;
    }
    const global: GlobalOptions = {
      socket: values.socket,
      home: values.home,
      host: values.host,
      token: values.token,
      ca: values.ca,
      cert: values.cert,
      key: values.key,
      ssh: values.ssh,
      json: values.json === true,
    };
    const context = makeContext(io, global);
    return (await command.run(context, positionals, values)) ?? 0;
  } catch (error) {
    return reportError(io, command, error);
  }
}

function reportError(io: CliIo, command: Command, error: unknown): number {
  if (error instanceof CortexError) {
    line(io.stderr, `cortex ${command.name}: ${error.message}`);
    return exitCodeFor(error.code);
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    line(io.stderr, `cortex ${command.name}: ${errorMessage(error)} (usage: cortex ${command.usage})`);
    return 2;
  }
  line(io.stderr, `cortex ${command.name}: ${errorMessage(error)}`);
  return 1;
}

/** The first word that is neither an option nor an option's value names the command. */
function splitCommand(argv: string[]): { name: string | undefined; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (GLOBAL_WITH_VALUE.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-') && arg !== '--help' && arg !== '-h' && arg !== '--version') continue;
    return { name: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { name: argv.includes('--version') ? '--version' : undefined, rest: argv };
}

/**
 * How a command reaches the daemon: over ssh (`--ssh`), over TLS (`--host`,
 * with `--token` or `--cert/--key`, verified by `--ca`), or on the local socket,
 * starting a daemon there when none answers. Each option has a CORTEX_* twin.
 */
function makeContext(io: CliIo, global: GlobalOptions): CliContext {
  const env = io.env;
  return {
    ...io,
    global,
    connect: () => {
      const ssh = global.ssh ?? env['CORTEX_SSH_HOST'];
      if (ssh) return connectSsh(ssh, (env['CORTEX_SSH'] ?? 'ssh').split(' ').filter(Boolean));
      const host = global.host ?? env['CORTEX_HOST'];
      if (host) {
        const ca = global.ca ?? env['CORTEX_CA'] ?? defaultCa(env);
        return connectTls({
          address: host,
          ca,
          token: global.token ?? env['CORTEX_TOKEN'],
          cert: global.cert ?? env['CORTEX_CERT'],
          key: global.key ?? env['CORTEX_KEY'],
        });
      }
      const socket = clientSocket(global, env);
      return connectOrStart({ socket, daemonCommand: daemonCommandFor(socket, global, env) });
    },
  };
}

function defaultCa(env: Env): string {
  const home = env['CORTEX_HOME'];
  return join(home ? homePaths(home).configDir : userPaths().configDir, 'ca.crt');
}

function helpText(): string {
  const width = Math.max(...commands.map((command) => command.usage.length));
  const rows = commands.map((command) => `  cortex ${command.usage.padEnd(width)}  ${command.summary}`);
  return [
    `cortex ${VERSION}: an agent workbench for the terminal`,
    '',
    'usage: cortex [--socket PATH | --home DIR | --host HOST:PORT (--token T | --cert F --key F) [--ca F] | --ssh [USER@]HOST] [--json] COMMAND ...',
    '',
    ...rows,
    '',
    'The daemon is found by --socket, CORTEX_SOCKET, --home or CORTEX_HOME, then ~/.local/run/cortex.sock;',
    'when none answers, one is started in the background.',
    '',
  ].join('\n');
}
