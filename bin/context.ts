import type { Writable } from 'node:stream';
import type { Client } from '../src/client/client.js';
import type { Env } from '../src/paths.js';

export interface GlobalOptions {
  socket?: string | undefined;
  home?: string | undefined;
  host?: string | undefined;
  token?: string | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  ssh?: string | undefined;
  json: boolean;
  /** Each call's deadline in ms (`--timeout`, CORTEX_TIMEOUT); 0 waits as long as the daemon lives. */
  timeoutMs: number;
}

/** What a subcommand gets: where to write, the environment, and a way to reach the daemon. */
export interface CliContext {
  stdout: Writable;
  stderr: Writable;
  stdin: NodeJS.ReadableStream;
  env: Env;
  global: GlobalOptions;
  /**
   * Connects to the daemon, starting one when none answers on a first connection.
   * A reconnect (`reconnect: true`) never starts one: it waits for the daemon to come
   * back. `start: false` starts none either.
   */
  connect(options?: { reconnect?: boolean; start?: boolean }): Promise<Client>;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  name: string;
  aliases?: readonly string[];
  usage: string;
  summary: string;
  /**
   * How many arguments it takes at most: a number, or per verb (its first argument,
   * counted too) for commands such as `session`; more is an error. Unknown verbs are the
   * command's to refuse.
   */
  maxArgs: number | Readonly<Record<string, number>>;
  options?: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
  run(context: CliContext, args: string[], options: OptionValues): Promise<number | void>;
}

export function line(stream: Writable, text: string): void {
  stream.write(`${text}\n`);
}

/**
 * Connects, runs `work`, and always closes the connection. A connection given up
 * as dead (no heartbeat) while `work` only waited for notifications is an error too.
 */
export async function withClient<T>(context: CliContext, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await context.connect();
  try {
    const result = await work(client);
    if (client.failure !== undefined) throw client.failure;
    return result;
  } finally {
    client.close();
  }
}
