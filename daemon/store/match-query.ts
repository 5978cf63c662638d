import { CortexError } from '../../src/protocol/errors.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import type { StoredRecord, TableInfo } from '../../src/protocol/store-types.js';
import { describe, isPlainMap } from '../../src/protocol/validate.js';
import { columnFor, indexValue } from './table-sql.js';
import { compareValues, prefixUpperBound, valuesEqual } from './value-compare.js';

/**
 * A pattern is a map of attribute to value: every attribute must be equal. A
 * value may instead be an operator map, whose keys all start with `$`:
 * `{$gt|$gte|$lt|$lte: v}` (numbers with numbers, strings with strings),
 * `{$prefix: "ab"}`, `{$in: [a, b]}`, `{$ne: v}`, `{$eq: v}` (to match a literal
 * map that itself looks like an operator). A missing attribute counts as null.
 */
export type Operator = '$eq' | '$ne' | '$gt' | '$gte' | '$lt' | '$lte' | '$prefix' | '$in';
const OPERATORS: readonly string[] = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$prefix', '$in'];

export interface Condition {
  attribute: string;
  op: Operator;
  value: MsgValue;
}

export function parsePattern(pattern: Record<string, MsgValue>): Condition[] {
  const conditions: Condition[] = [];
  for (const attribute of Object.keys(pattern)) {
    const value = pattern[attribute]!;
    if (isOperatorMap(value)) {
      for (const op of Object.keys(value) as Operator[]) {
        conditions.push(checkOperand({ attribute, op, value: value[op]! }));
      }
    } else {
      conditions.push({ attribute, op: '$eq', value });
    }
  }
  return conditions;
}

function isOperatorMap(value: MsgValue): value is Record<string, MsgValue> {
  if (!isPlainMap(value)) return false;
  const keys = Object.keys(value);
  if (keys.length === 0 || !keys.every((key) => key.startsWith('$'))) return false;
  const unknown = keys.find((key) => !OPERATORS.includes(key));
  if (unknown !== undefined) {
    throw new CortexError('EINVAL', `${unknown} is not a match operator; use ${OPERATORS.join(', ')}.`);
  }
  return true;
}

function checkOperand(condition: Condition): Condition {
  const { attribute, op, value } = condition;
  const where = `pattern.${attribute}.${op}`;
  if (op === '$prefix' && typeof value !== 'string') {
    throw new CortexError('EINVAL', `${where} must be a string, not ${describe(value)}.`);
  }
  if (op === '$in' && !Array.isArray(value)) {
    throw new CortexError('EINVAL', `${where} must be an array, not ${describe(value)}.`);
  }
  if ((op === '$gt' || op === '$gte' || op === '$lt' || op === '$lte') && compareValues(value, value) === undefined) {
    throw new CortexError('EINVAL', `${where} must be a number or a string, not ${describe(value)}.`);
  }
  return condition;
}

/** Whether a decoded record satisfies every condition: the final word on a match. */
export function recordMatches(record: StoredRecord, conditions: readonly Condition[]): boolean {
  for (const { attribute, op, value } of conditions) {
    const actual = Object.hasOwn(record, attribute) ? record[attribute] : undefined;
    if (!conditionHolds(actual, op, value)) return false;
  }
  return true;
}

function conditionHolds(actual: MsgValue | undefined, op: Operator, value: MsgValue): boolean {
  switch (op) {
    case '$eq':
      return valuesEqual(actual, value);
    case '$ne':
      return !valuesEqual(actual, value);
    case '$in':
      return (value as MsgValue[]).some((item) => valuesEqual(actual, item));
    case '$prefix':
      return typeof actual === 'string' && actual.startsWith(value as string);
    default: {
      const order = compareValues(actual, value);
      if (order === undefined) return false;
      if (op === '$gt') return order > 0;
      if (op === '$gte') return order >= 0;
      if (op === '$lt') return order < 0;
      return order <= 0;
    }
  }
}

export interface MatchQuery {
  sql: string;
  params: unknown[];
}

/**
 * The SQL that narrows a match to candidate rows. Conditions on the key or on an
 * indexed attribute become WHERE terms that SQLite answers from an index (no
 * scan); the rest are left to recordMatches. The SQL may return extra rows (a
 * boolean and the number 1 share an index value), never fewer.
 */
export function buildMatchQuery(table: TableInfo, conditions: readonly Condition[]): MatchQuery {
  const terms = ['del = 0'];
  const params: unknown[] = [];
  for (const condition of conditions) {
    const column = columnFor(table, condition.attribute);
    if (column === undefined) continue;
    const term = sqlTerm(column, condition, params);
    if (term !== undefined) terms.push(term);
  }
  return { sql: `SELECT v FROM "t_${table.name}" WHERE ${terms.join(' AND ')}`, params };
}

function sqlTerm(column: string, { op, value }: Condition, params: unknown[]): string | undefined {
  switch (op) {
    case '$eq': {
      if (value === null) return `${column} IS NULL`;
      const bound = indexValue(value);
      if (bound === null) return undefined;
      params.push(bound);
      return `${column} = ?`;
    }
    case '$in': {
      const bound = (value as MsgValue[]).map(indexValue);
      if (bound.length === 0) return '0';
      if (bound.some((item) => item === null)) return undefined;
      params.push(...bound);
      return `${column} IN (${bound.map(() => '?').join(', ')})`;
    }
    case '$prefix': {
      const prefix = value as string;
      const upper = prefixUpperBound(prefix);
      params.push(prefix);
      if (upper === undefined) return `${column} >= ?`;
      params.push(upper);
      return `${column} >= ? AND ${column} < ?`;
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      // Numbers sort before text and text before blobs in SQLite, so a second
      // bound keeps the range inside one storage class: still one index range.
      const bound = indexValue(value);
      if (bound === null) return undefined;
      const upward = op === '$gt' || op === '$gte';
      const sign = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op];
      params.push(bound);
      if (typeof value === 'string') {
        return upward ? `${column} ${sign} ? AND ${column} < x''` : `${column} ${sign} ? AND ${column} >= ''`;
      }
      params.push(upward ? '' : -Infinity);
      return upward ? `${column} ${sign} ? AND ${column} < ?` : `${column} ${sign} ? AND ${column} >= ?`;
    }
    default:
      return undefined;
  }
}
