import { CortexError } from './errors.js';
import type { MsgValue } from './msgpack-types.js';
import { describe, isPlainMap } from './validate.js';

/**
 * A request's params as the map its method's parser takes. Accepted: a map; nil
 * or an empty array (no params); an array holding one map, which is that map
 * (generic msgpack-rpc clients wrap a map so); or the params by position, in the
 * order the method declares its fields (`get("users", "u1")` is
 * `get {table: "users", key: "u1"}`), where a nil leaves that param out, as most
 * clients pass an omitted argument. No method's first param is a map, so an
 * array starting with a map can only be the wrapped form.
 */
export function namedParams(
  method: string,
  fields: readonly string[],
  params: MsgValue | undefined,
): Record<string, MsgValue> {
  if (params === null || params === undefined) return {};
  if (isPlainMap(params)) return params;
  if (!Array.isArray(params)) throw refused(method, fields, describe(params));
  if (isPlainMap(params[0])) {
    if (params.length === 1) return params[0];
    throw refused(method, fields, 'an array starting with a map');
  }
  if (params.length > fields.length) {
    throw refused(method, fields, `an array of ${params.length} item${params.length === 1 ? '' : 's'}`);
  }
  const named: Record<string, MsgValue> = {};
  for (let index = 0; index < params.length; index++) {
    const value = params[index]!;
    if (value !== null) named[fields[index]!] = value;
  }
  return named;
}

function refused(method: string, fields: readonly string[], got: string): CortexError {
  const positional = fields.length === 0 ? 'it takes no params' : `or its params in order: ${fields.join(', ')}`;
  return new CortexError('EINVAL', `The params of ${method} must be a map (${positional}), not ${got}.`);
}
