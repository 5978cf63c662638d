import { toJson } from '../../../src/json-values.js';
import type { StoredRecord } from '../../../src/protocol/store-types.js';

/**
 * A record as JSON, one field to a line (`"name": value`), each value in
 * the CLI's JSON (binary as `{"$bin":...}`, dates as `{"$date":...}`, big
 * integers exact): the same text `cortex get` prints, laid out to be read.
 */
export function recordLines(record: StoredRecord): string[] {
  const fields = Object.entries(record);
  if (fields.length === 0) return ['{}'];
  return [
    '{',
    ...fields.map(
      ([name, value], index) => `  ${JSON.stringify(name)}: ${toJson(value)}${index < fields.length - 1 ? ',' : ''}`,
    ),
    '}',
  ];
}
