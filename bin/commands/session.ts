import { resolve } from 'node:path';
import type { Client } from '../../src/client/client.js';
import { CortexError } from '../../src/protocol/errors.js';
import { endsTurn, EventText } from '../../src/format-event.js';
import { toJson } from '../../src/json-values.js';
import {
  APPROVAL_POLICIES,
  type ApprovalPolicy,
  PROVIDERS,
  type ProviderName,
  SANDBOX_MODES,
  type SandboxMode,
  type Session,
} from '../../src/protocol/runtime-types.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { type CliContext, type Command, line, type OptionValues, withClient } from '../context.js';
import { allNodes, atNode, NODE_OPTIONS, nodeCell, nodeOption, reportNodes } from '../node-option.js';
import { printTable } from '../table-output.js';
import { positiveInteger, required } from '../parse-input.js';

const VERBS = 'start, send, ls, show, events, approve, deny, interrupt, stop or resume';

export const sessionCommand: Command = {
  name: 'session',
  maxArgs: {
    start: Infinity,
    send: Infinity,
    ls: 1,
    list: 1,
    show: 2,
    events: 2,
    approve: 3,
    deny: 3,
    interrupt: 2,
    stop: 2,
    resume: Infinity,
  },
  usage: 'session start|send|ls|show|events|approve|deny|interrupt|stop|resume ... [--node NAME] [--all-nodes]',
  summary:
    'Agent sessions: `session start [--cwd P] [--provider codex|codex-exec|fake] [--model M] [--approval untrusted|on-request|on-failure|never] [--sandbox MODE] [--worktree] [--wait] "prompt"`, `session send ID "prompt" [--steer] [--wait]`, `session events ID [--after N] [--follow]`, `session approve ID [REQUEST] [--always]`, `session deny ID [REQUEST]`, `session resume ID ["prompt"]`. --node NAME runs it on another node (`--node auto [--clone]` picks one for `start`); `ls --all-nodes` lists every node\'s.',
  options: {
    cwd: { type: 'string' },
    provider: { type: 'string' },
    model: { type: 'string' },
    sandbox: { type: 'string' },
    approval: { type: 'string' },
    wait: { type: 'boolean' },
    steer: { type: 'boolean' },
    always: { type: 'boolean' },
    worktree: { type: 'boolean' },
    after: { type: 'string' },
    follow: { type: 'boolean', short: 'f' },
    clone: { type: 'boolean' },
    ...NODE_OPTIONS,
  },
  async run(context, args, options) {
    const verb = required(args, 0, VERBS);
    await withClient(context, async (daemon) => {
      const client = atNode(daemon, options);
      switch (verb) {
        case 'start':
          return start(context, client, args, options);
        case 'send':
          return send(context, client, args, options);
        case 'ls':
        case 'list':
          return list(context, client, allNodes(options));
        case 'show': {
          const { session } = await client.call('session_get', { session: required(args, 1, 'the session id') });
          line(context.stdout, context.global.json ? toJson(session) : describe(session));
          return;
        }
        case 'events':
          return events(context, client, required(args, 1, 'the session id'), options);
        case 'approve':
        case 'deny':
          return answer(context, client, verb, args, options);
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
        case 'resume':
          return resume(context, client, args, options);
        default:
          throw new CortexError('EINVAL', `session takes ${VERBS}, not ${JSON.stringify(verb)}.`);
      }
    });
  },
};

/** An option that must be one of a few words. */
function choice<T extends string>(options: OptionValues, name: string, choices: readonly T[]): T | undefined {
  const value = options[name] as string | undefined;
  if (value === undefined || (choices as readonly string[]).includes(value)) return value as T | undefined;
  throw new CortexError('EINVAL', `--${name} must be one of ${choices.join(', ')}, not ${JSON.stringify(value)}.`);
}

async function start(context: CliContext, client: Client, args: string[], options: OptionValues): Promise<void> {
  const provider: ProviderName = choice(options, 'provider', PROVIDERS) ?? 'codex';
  const approval: ApprovalPolicy | undefined = choice(options, 'approval', APPROVAL_POLICIES);
  const sandbox: SandboxMode | undefined = choice(options, 'sandbox', SANDBOX_MODES);
  const prompt = args.slice(1).join(' ') || undefined;
  const { session, placed } = await client.call('session_start', {
    workspace: await startWorkspace(client, options),
    provider,
    model: options['model'] as string | undefined,
    prompt,
    approval,
    options: sandbox ? { sandbox } : undefined,
    worktree: options['worktree'] === true ? true : undefined,
    clone: options['clone'] === true ? true : undefined,
  });
  if (placed !== undefined && !context.global.json) line(context.stderr, `on ${placed.node}: ${placed.reason}`);
  line(
    context.stdout,
    context.global.json ? toJson(placed === undefined ? session : { ...session, placed }) : session.id,
  );
  if (options['wait'] && prompt !== undefined) await waitForTurn(client, session.id, 1, 0);
}

/**
 * The workspace a new session runs in: --cwd (or this directory) registered on
 * the node it runs on; with --node NAME, --cwd is a path on that node and must
 * be given. With --node auto it is this node's directory, which the chosen node
 * finds its own workspace of by the project's git remote.
 */
async function startWorkspace(client: Client, options: OptionValues): Promise<string> {
  const node = nodeOption(options);
  const cwd = options['cwd'] as string | undefined;
  if (node === 'auto') return resolve(cwd ?? process.cwd());
  if (options['clone'] === true) throw new CortexError('EINVAL', '--clone goes with --node auto.');
  if (node !== undefined && (cwd === undefined || !cwd.startsWith('/'))) {
    throw new CortexError('EINVAL', `With --node ${node}, --cwd is an absolute path on ${node}.`);
  }
  return (await client.call('workspace_add', { path: resolve(cwd ?? process.cwd()) })).workspace.id;
}

async function send(context: CliContext, client: Client, args: string[], options: OptionValues): Promise<void> {
  const session = required(args, 1, 'the session id');
  const prompt = args.slice(2).join(' ');
  if (prompt === '') throw new CortexError('EINVAL', 'Argument 3 (the prompt) is missing.');
  const wait = options['wait'] === true;
  const ended = wait ? subscribeForTurnEnd(client, session) : undefined;
  await ended?.ready;
  const result = await client.call('session_send', { session, prompt, steer: options['steer'] === true || undefined });
  if (context.global.json) line(context.stdout, toJson(result));
  else if (result.steered) line(context.stdout, `added to turn ${result.turn}`);
  else line(context.stdout, result.queued ? `queued as turn ${result.turn}` : `turn ${result.turn}`);
  if (ended) await ended.forTurn(result.turn);
}

async function answer(
  context: CliContext,
  client: Client,
  verb: 'approve' | 'deny',
  args: string[],
  options: OptionValues,
): Promise<void> {
  const session = required(args, 1, 'the session id');
  const request = args[2];
  const result =
    verb === 'approve'
      ? await client.call('session_approve', { session, request, always: options['always'] === true || undefined })
      : await client.call('session_deny', { session, request });
  line(
    context.stdout,
    context.global.json ? toJson(result) : `${result.request} ${result.decision.replace(/_/g, ' ')}`,
  );
}

async function resume(context: CliContext, client: Client, args: string[], options: OptionValues): Promise<void> {
  const session = required(args, 1, 'the session id');
  const prompt = args.slice(2).join(' ') || undefined;
  const ended = options['wait'] === true && prompt !== undefined ? subscribeForTurnEnd(client, session) : undefined;
  await ended?.ready;
  const result = await client.call('session_resume', { session, prompt });
  if (context.global.json) line(context.stdout, toJson(result));
  else line(context.stdout, result.turn === null ? 'resumed' : `resumed: turn ${result.turn}`);
  if (ended && result.turn !== null) await ended.forTurn(result.turn);
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

function statusOf(session: Session): string {
  const waiting = session.pending_approvals.length;
  return (
    session.status +
    (waiting ? `, waiting for ${waiting === 1 ? 'an approval' : `${waiting} approvals`}` : '') +
    (session.queued ? ` (+${session.queued} queued)` : '')
  );
}

async function list(context: CliContext, client: Client, all: boolean): Promise<void> {
  const { sessions, nodes } = await client.call('session_list', all ? { nodes: 'all' } : {});
  reportNodes(context.stderr, nodes);
  if (context.global.json) {
    for (const session of sessions) line(context.stdout, toJson(session));
    return;
  }
  if (sessions.length === 0) {
    line(context.stderr, 'No sessions: cortex session start "prompt" starts one in this directory.');
    return;
  }
  const rows = [
    [...(all ? ['NODE'] : []), 'ID', 'STATUS', 'PROVIDER', 'TURNS', 'WORKSPACE', 'UPDATED'],
    ...sessions.map((session) => [
      ...(all ? [nodeCell(session)] : []),
      session.id,
      statusOf(session),
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
    `status      ${statusOf(session)}`,
    `provider    ${session.provider}${session.model ? ` (${session.model})` : ''}`,
    `approval    ${session.approval}`,
    `sandbox     ${session.sandbox ?? 'default'}`,
    `workspace   ${session.workspace}`,
    `turns       ${session.turns}`,
    `resume      ${session.resume_ref ?? '-'}`,
    `tokens      ${session.usage.input_tokens} in (${session.usage.cached_input_tokens} cached), ${session.usage.output_tokens} out`,
    `owner       ${session.owner}`,
    `created     ${new Date(session.created).toISOString()}`,
    ...session.pending_approvals.map(
      (pending) =>
        `waiting     ${pending.request}: ${pending.kind === 'command' ? `run ${pending.command ?? '?'}` : `change ${pending.paths.join(', ')}`}${pending.reason ? ` (${pending.reason})` : ''}`,
    ),
  ].join('\n');
}

/** Prints events after --after; with --follow keeps printing new ones, like `tail -f`, until interrupted. */
async function events(context: CliContext, client: Client, session: string, options: OptionValues): Promise<void> {
  let after = positiveIntegerOrZero(options['after'] as string | undefined);
  const text = new EventText();
  const print = (event: SessionEvent) => {
    if (context.global.json) line(context.stdout, toJson(event));
    else context.stdout.write(text.next(event));
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
    if (page.next === null) {
      if (!context.global.json) context.stdout.write(text.end());
      return;
    }
    after = page.next;
  }
}

function positiveIntegerOrZero(text: string | undefined): number {
  return text === '0' ? 0 : (positiveInteger(text, '--after') ?? 0);
}
