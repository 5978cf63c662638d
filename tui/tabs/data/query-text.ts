import { fromJson } from '../../../src/json-values.js';
import type { MsgValue } from '../../../src/protocol/msgpack-types.js';
import { isPlainMap } from '../../../src/protocol/validate.js';

export type ParsedQuery = { pattern: Record<string, MsgValue> } | { error: string };

/**
 * The query box's text as a `match` pattern: the JSON object `cortex query`
 * takes (`{"status":"open","n":{"$gt":3}}`); empty is every record. A mistake
 * is one sentence.
 */
export function parseQuery(text: string): ParsedQuery {
  const trimmed = text.trim();
  if (trimmed === '') return { pattern: {} };
  let value: MsgValue;
  try {
    value = fromJson(trimmed);
  } catch (error) {
    return { error: `The query is not valid JSON (${(error as Error).message}).` };
  }
  if (!isPlainMap(value)) return { error: 'The query must be a JSON object, such as {"status":"open"}.' };
  return { pattern: value };
}
