import { CortexError } from '../../src/protocol/errors.js';
import type { AccessControl } from '../access/access-control.js';
import type { Identity } from '../identity/identity.js';
import type { Store } from '../store/store.js';
import type { PeerSession } from './peer-session.js';
import { type NodeAnswer, parseAnswers, type QueryRequest } from './wire.js';

export interface FanOutContext {
  me: string;
  store: Store;
  access: AccessControl;
  /** The open links. */
  sessions(): PeerSession[];
}

/**
 * query_mesh: this node answers from its own store, and every linked node not yet
 * asked is asked in parallel, each with the time left; they ask their own links
 * in turn (with less time, so their answer still arrives in time), which reaches
 * nodes this one has no link to. Each node checks the asking identity against its
 * own ACLs. A node that does not answer in time is reported with ETIMEDOUT.
 */
export async function fanOut(ctx: FanOutContext, request: QueryRequest, identity: Identity): Promise<NodeAnswer[]> {
  const local = answerLocally(ctx, request, identity);
  const links = ctx.sessions().filter((session) => !request.exclude.includes(session.peer));
  const forwardMs = Math.floor(request.timeout_ms * 0.75);
  if (links.length === 0 || forwardMs < 10) return [local];
  const exclude = [...new Set([...request.exclude, ctx.me, ...links.map((session) => session.peer)])];
  const remote = await Promise.all(
    links.map((session) =>
      session.channel.request('query', { ...request, exclude, timeout_ms: forwardMs }, request.timeout_ms).then(
        (result) => parseAnswers(result),
        (error: unknown): NodeAnswer[] => [
          {
            node: session.peer,
            code: error instanceof CortexError ? error.code : 'EINTERNAL',
            message:
              error instanceof CortexError && error.code === 'ETIMEDOUT'
                ? `${session.peer} did not answer within ${request.timeout_ms} ms.`
                : error instanceof Error
                  ? error.message
                  : String(error),
          },
        ],
      ),
    ),
  );
  // A node reached by two paths answers once: keep its first answer, preferring a real one.
  const answers = new Map<string, NodeAnswer>([[local.node, local]]);
  for (const answer of remote.flat()) {
    const known = answers.get(answer.node);
    if (known === undefined || (known.records === undefined && answer.records !== undefined)) {
      answers.set(answer.node, answer);
    }
  }
  return [...answers.values()];
}

function answerLocally(ctx: FanOutContext, request: QueryRequest, identity: Identity): NodeAnswer {
  try {
    if (request.table.startsWith('_')) {
      throw new CortexError('EACCES', `${request.table} is a system table; query_mesh reads user tables only.`);
    }
    if (!ctx.store.catalog.has(request.table)) {
      throw new CortexError('ENOTFOUND', `There is no table named ${JSON.stringify(request.table)} on ${ctx.me}.`);
    }
    ctx.access.require(identity, request.table, 'read');
    const { records, truncated } = ctx.store.match(request.table, request.pattern, request.limit);
    return { node: ctx.me, records: records.map((record) => record.bytes), truncated };
  } catch (error) {
    if (error instanceof CortexError) return { node: ctx.me, code: error.code, message: error.message };
    const message = error instanceof Error ? error.message : String(error);
    return { node: ctx.me, code: 'EINTERNAL', message };
  }
}
