/**
 * How a call names the object it is about, so that it goes to the node that
 * holds it without the caller saying where: a session id (`s_…`), a workspace
 * id (`ws_…`) or a terminal id (`t_…`), in the field of that name (`session`,
 * `workspace`, `id`) or in a topic (`session:s_…`, `term:t_…`, `fs:ws_…`). A
 * workspace named by its path is on this node unless the call names a node.
 */
const OBJECT_ID = /^(s|ws|t)_[a-z0-9]{6,32}$/;
const FIELDS = ['session', 'workspace', 'id'] as const;

/** The id of the node-owned object a call's params name, if any. */
export function addressOf(params: Readonly<Record<string, unknown>>): string | undefined {
  for (const field of FIELDS) {
    const value = params[field];
    if (typeof value === 'string' && OBJECT_ID.test(value)) return value;
  }
  return undefined;
}

/** The id of the node-owned object a topic is about, if any. */
export function topicAddress(topic: string): string | undefined {
  const id = topic.slice(topic.indexOf(':') + 1);
  return OBJECT_ID.test(id) ? id : undefined;
}

/** A node method's own params, without where it runs (`node`, `nodes`). */
export function withoutAddress<P extends object>(params: P): Omit<P, 'node' | 'nodes'> {
  const rest: Record<string, unknown> = { ...(params as Record<string, unknown>) };
  delete rest['node'];
  delete rest['nodes'];
  return rest as Omit<P, 'node' | 'nodes'>;
}
