import { resolve } from 'node:path';
import type { Client } from '../../src/client/client.js';
import { CortexError } from '../../src/protocol/errors.js';
import { endsTurn, formatEvent } from '../../src/format-event.js';
import { toJson } from '../../src/json-values.js';
import { PROVIDERS, type ProviderName, type Session } from '../../src/protocol/runtime-types.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { type CliContext, type Command, line, type OptionValues, withClient } from '../context.js';
import { printTable } from '../table-output.js';
import { positiveInteger, required } from '../parse-input.js';

const VERBS = 'start, send, ls, show, events, interrupt or stop';

export const sessionCommand: Command = {
  name: 'session',
  usage: 'session start|send|ls|show|events|interrupt|stop ...',
  summary:
    'Agent sessions: `session start [--cwd P] [--provider codex|fake] [--model M] [--worktree] [--wait] "prompt"`, `session send ID "prompt" [--wait]`, `session events ID [--after N] [--follow]`.',
  options: {
    cwd: { type: 'string' },
    provider: { type: 'string' },
    model: { type: 'string' },
    sandbox: { type: 'string' },
    wait: { type: 'boolean' },
    worktree: { type: 'boolean' },
    after: { type: 'string' },
    follow: { type: 'boolean', short: 'f' },
  },
  async run(context, args, options) {
    const verb = required(args, 0, VERBS);
    await withClient(context, async (client) => {
      switch (verb) {
        case 'start':
          return start(context, client, args, options);
        case 'send':
          return send(context, client, args, options);
        case 'ls':
        case 'list':
          return list(context, client);
        case 'show': {
          const { session } = await client.call('session_get', { session: required(args, 1, 'the session id') });
          line(context.stdout, context.global.json ? toJson(session) : describe(session));
          return;
        }
        case 'events':
          return events(context, client, required(args, 1, 'the session id'), options);
        case 'interrupt': {
          const { interrupted } = await client.call('session_interrupt', {
            session: required(args, 1, 'the session id'),
          });
          line(
            context.stdout,
            context.global.json
              ? toJson({ ok: true, interrupted })
              : interrupted
                ? 'interrupted'
                : 'no turn was running',
          );
          return;
        }
        case 'stop':
          await client.call('session_stop', { session: required(args, 1, 'the session id') });
          line(context.stdout, context.global.json ? toJson({ ok: true }) : 'stopped');
          return;
        default:
          throw new CortexError('EINVAL', `session takes ${VERBS}, not ${JSON.stringify(verb)}.`);
      }
    });
  },
};

async function start(context: CliContext, client: Client, args: string[], options: OptionValues): Promise<void> {
  const provider = (options['provider'] as string | undefined) ?? 'codex';
  if (!(PROVIDERS as readonly string[]).includes(provider)) {
    throw new CortexError(
      'EINVAL',
      `--provider must be one of ${PROVIDERS.join(', ')}, not ${JSON.stringify(provider)}.`,
    );
  }
  const path = resolve((options['cwd'] as string | undefined) ?? process.cwd());
  const { workspace } = await client.call('workspace_add', { path });
  const prompt = args.slice(1).join(' ') || undefined;
  const sandbox = options['sandbox'] as string | undefined;
  const { session } = await client.call('session_start', {
    workspace: workspace.id,
    provider: provider as ProviderName,
    model: options['model'] as string | undefined,
    prompt,
    options: sandbox ? { sandbox } : undefined,
    worktree: options['worktree'] === true ? true : undefined,
  });
  line(context.stdout, context.global.json ? toJson(session) : session.id);
  if (options['wait'] && prompt !== undefined) await waitForTurn(client, session.id, 1, 0);
}

async function send(context: CliContext, client: Client, args: string[], options: OptionValues): Promise<void> {
  const session = required(args, 1, 'the session id');
  const prompt = args.slice(2).join(' ');
  if (prompt === '') throw new CortexError('EINVAL', 'Argument 3 (the prompt) is missing.');
  const wait = options['wait'] === true;
  const ended = wait ? subscribeForTurnEnd(client, session) : undefined;
  await ended?.ready;
  const result = await client.call('session_send', { session, prompt });
  if (context.global.json) line(context.stdout, toJson(result));
  else line(context.stdout, result.queued ? `queued as turn ${result.turn}` : `turn ${result.turn}`);
  if (ended) await ended.forTurn(result.turn);
}

/** Waits until `turn` ends; a failed or interrupted turn becomes an error (exit code 1). */
async function waitForTurn(client: Client, session: string, turn: number, after: number): Promise<void> {
  const ended = subscribeForTurnEnd(client, session, after);
  await ended.ready;
  await ended.forTurn(turn);
}

function subscribeForTurnEnd(client: Client, session: string, after?: number) {
  const ends = new Map<number, SessionEvent>();
  let wake: (() => void) | undefined;
  client.onNotification('event', (event) => {
    if (event.session !== session || !endsTurn(event)) return;
    ends.set(event.turn, event);
    wake?.();
  });
  const closed = new Promise<never>((_, reject) =>
    client.onClose(() => reject(new CortexError('ECLOSED', 'The daemon closed the connection before the turn ended.'))),
  );
  // Closing after the turn ended is normal; only a wait in progress cares.
  closed.catch(() => undefined);
  return {
    ready: client.call('subscribe', { topic: `session:${session}`, after }),
    async forTurn(turn: number): Promise<void> {
      while (!ends.has(turn)) await Promise.race([new Promise<void>((resolve) => (wake = resolve)), closed]);
      const event = ends.get(turn)!;
      if (event.type === 'turn_failed')
        throw new CortexError('EINTERNAL', `Turn ${turn} failed: ${event.payload.error}`);
      if (event.type === 'turn_interrupted')
        throw new CortexError('EINTERNAL', `Turn ${turn} was interrupted: ${event.payload.reason}`);
    },
  };
}

async function list(context: CliContext, client: Client): Promise<void> {
  const { sessions } = await client.call('session_list', {});
  if (context.global.json) {
    for (const session of sessions) line(context.stdout, toJson(session));
    return;
  }
  if (sessions.length === 0) {
    line(context.stderr, 'No sessions: cortex session start "prompt" starts one in this directory.');
    return;
  }
  const rows = [
    ['ID', 'STATUS', 'PROVIDER', 'TURNS', 'WORKSPACE', 'UPDATED'],
    ...sessions.map((session) => [
      session.id,
      session.status + (session.queued ? ` (+${session.queued} queued)` : ''),
      session.provider,
      String(session.turns),
      session.workspace,
      new Date(session.updated).toISOString().replace('T', ' ').slice(0, 19),
    ]),
  ];
  printTable(context.stdout, rows);
}

function describe(session: Session): string {
  return [
    `id          ${session.id}`,
    `status      ${session.status}${session.queued ? ` (${session.queued} queued)` : ''}`,
    `provider    ${session.provider}${session.model ? ` (${session.model})` : ''}`,
    `workspace   ${session.workspace}`,
    `turns       ${session.turns}`,
    `resume      ${session.resume_ref ?? '-'}`,
    `tokens      ${session.usage.input_tokens} in (${session.usage.cached_input_tokens} cached), ${session.usage.output_tokens} out`,
    `owner       ${session.owner}`,
    `created     ${new Date(session.created).toISOString()}`,
  ].join('\n');
}

/** Prints events after --after; with --follow keeps printing new ones, like `tail -f`, until interrupted. */
async function events(context: CliContext, client: Client, session: string, options: OptionValues): Promise<void> {
  let after = positiveIntegerOrZero(options['after'] as string | undefined);
  const print = (event: SessionEvent) => {
    if (context.global.json) return line(context.stdout, toJson(event));
    const text = formatEvent(event);
    if (text !== null) line(context.stdout, text);
  };
  if (options['follow']) {
    const closed = new Promise<void>((resolve) => client.onClose(resolve));
    client.onNotification('event', (event) => event.session === session && print(event));
    await client.call('subscribe', { topic: `session:${session}`, after });
    await closed;
    return;
  }
  for (;;) {
    const page = await client.call('session_events', { session, after, limit: 1000 });
    for (const event of page.events) print(event);
    if (page.next === null) return;
    after = page.next;
  }
}

function positiveIntegerOrZero(text: string | undefined): number {
  return text === '0' ? 0 : (positiveInteger(text, '--after') ?? 0);
}
