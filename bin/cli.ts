import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { connectOrStart } from '../src/client/autostart.js';
import type { ClientOptions } from '../src/client/client.js';
import { CortexError, errorCode, errorMessage } from '../src/protocol/errors.js';
import { clientSocket, type Env, homePaths, userPaths } from '../src/paths.js';
import { VERSION } from '../src/version.js';
import { commands } from './commands/index.js';
import { type CliContext, type Command, type GlobalOptions, line, type OptionValues } from './context.js';
import { daemonStartFor } from './daemon-command.js';
import { parseDuration } from './duration.js';
import { exitCodeFor } from './exit-codes.js';
import { commandHelp, fullHelp, shortHelp } from './help-text.js';

const GLOBAL_OPTIONS = {
  socket: { type: 'string' },
  home: { type: 'string' },
  host: { type: 'string' },
  token: { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ssh: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const GLOBAL_WITH_VALUE = new Set([
  '--socket',
  '--home',
  '--host',
  '--token',
  '--ca',
  '--cert',
  '--key',
  '--ssh',
  '--timeout',
]);

/** How long a call may wait for its answer unless --timeout or CORTEX_TIMEOUT says otherwise. */
const DEFAULT_TIMEOUT = '30s';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: NodeJS.ReadableStream;
  env: Env;
}

/** Runs one CLI invocation and returns its exit code; errors become one sentence on stderr. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const { name, rest } = splitCommand(argv);
  if (name === undefined) {
    io.stderr.write(shortHelp(commands));
    return 2;
  }
  if (name === 'help' || name === '--help' || name === '-h') return help(io, rest);
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
      io.stdout.write(commandHelp(command));
      return 0;
    }
    checkArgumentCount(command, positionals);
    const timeout = values.timeout ?? io.env['CORTEX_TIMEOUT'] ?? DEFAULT_TIMEOUT;
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
      timeoutMs: parseDuration(timeout, values.timeout === undefined ? 'CORTEX_TIMEOUT' : '--timeout'),
    };
    const context = makeContext(io, global, isStreaming(command, positionals, values));
    return (await command.run(context, positionals, values)) ?? 0;
  } catch (error) {
    return reportError(io, command, error);
  }
}

function help(io: CliIo, rest: string[]): number {
  const about = splitCommand(rest).name;
  const command = commands.find((candidate) => candidate.name === about || candidate.aliases?.includes(about ?? ''));
  if (about !== undefined && command === undefined) {
    line(io.stderr, `cortex: there is no command "${about}"; run cortex help for the list.`);
    return 2;
  }
  io.stdout.write(command === undefined ? fullHelp(commands) : commandHelp(command));
  return 0;
}

/** A command given more arguments than it takes says so, rather than ignore them. */
function checkArgumentCount(command: Command, positionals: string[]): void {
  const max = typeof command.maxArgs === 'number' ? command.maxArgs : command.maxArgs[positionals[0] ?? ''];
  if (max === undefined || positionals.length <= max) return;
  throw new CortexError(
    'EINVAL',
    `There is one argument too many, ${JSON.stringify(positionals[max])} (usage: cortex ${command.usage}).`,
  );
}

/**
 * Commands that wait on notifications rather than answers: their calls have no
 * deadline, and a heartbeat tells a live daemon that is quiet from a dead one.
 */
function isStreaming(command: Command, positionals: string[], values: OptionValues): boolean {
  if (command.name === 'tui' || values['follow'] === true || values['wait'] === true) return true;
  return command.name === 'term' && (positionals[0] === 'attach' || values['attach'] === true);
}

function reportError(io: CliIo, command: Command, error: unknown): number {
  const code = errorCode(error);
  if (code !== undefined) {
    line(io.stderr, `cortex ${command.name}: ${errorMessage(error)}`);
    return exitCodeFor(code);
  }
  const nodeCode = (error as { code?: unknown }).code;
  if (typeof nodeCode === 'string' && nodeCode.startsWith('ERR_PARSE_ARGS')) {
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
 * starting a daemon there when none answers (see connectOrStart for when it may).
 * Each option has a CORTEX_* twin.
 */
function makeContext(io: CliIo, global: GlobalOptions, streaming: boolean): CliContext {
  const env = io.env;
  const timeoutMs = global.timeoutMs;
  const client: ClientOptions = streaming ? { silenceMs: timeoutMs } : { callTimeoutMs: timeoutMs };
  const waitMs = timeoutMs > 0 ? timeoutMs : parseDuration(DEFAULT_TIMEOUT, 'the default');
  return {
    ...io,
    global,
    connect: async ({ reconnect = false, start = true } = {}) => {
      const ssh = global.ssh ?? env['CORTEX_SSH_HOST'];
      // TLS and ssh are loaded only when used: they cost most local commands' start-up otherwise.
      if (ssh) {
        const { connectSsh } = await import('../src/client/remote.js');
        const sshCommand = (env['CORTEX_SSH'] ?? 'ssh').split(' ').filter(Boolean);
        return connectSsh(ssh, sshCommand, { bridgeArgs: reconnect || !start ? ['--no-start'] : [], client });
      }
      const host = global.host ?? env['CORTEX_HOST'];
      if (host) {
        const { connectTls } = await import('../src/client/remote.js');
        const ca = global.ca ?? env['CORTEX_CA'] ?? defaultCa(env);
        return connectTls({
          address: host,
          ca,
          token: global.token ?? env['CORTEX_TOKEN'],
          cert: global.cert ?? env['CORTEX_CERT'],
          key: global.key ?? env['CORTEX_KEY'],
          connectTimeoutMs: waitMs,
          client,
        });
      }
      const socket = clientSocket(global, env);
      return connectOrStart({
        socket,
        start: start ? daemonStartFor(socket, global, env) : { refused: '' },
        firstConnection: !reconnect,
        waitMs,
        client,
      });
    },
  };
}

function defaultCa(env: Env): string {
  const home = env['CORTEX_HOME'];
  return join(home ? homePaths(home).configDir : userPaths().configDir, 'ca.crt');
}
