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
}

/** What a subcommand gets: where to write, the environment, and a way to reach the daemon. */
export interface CliContext {
  stdout: Writable;
  stderr: Writable;
  stdin: NodeJS.ReadableStream;
  env: Env;
  global: GlobalOptions;
  /** Connects to the daemon, starting one when none answers. */
  connect(): Promise<Client>;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  name: string;
  aliases?: readonly string[];
  usage: string;
  summary: string;
  options?: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
  run(context: CliContext, args: string[], options: OptionValues): Promise<number | void>;
}

export function line(stream: Writable, text: string): void {
  stream.write(`${text}\n`);
}

/** Connects, runs `work`, and always closes the connection. */
export async function withClient<T>(context: CliContext, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await context.connect();
  try {
    return await work(client);
  } finally {
    client.close();
  }
}
