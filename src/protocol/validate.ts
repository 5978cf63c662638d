import { CortexError } from './errors.js';
import type { MsgValue } from './msgpack-types.js';

/**
 * Small, fast parsers for values that came off the wire. Each returns the value
 * typed, or throws EINVAL naming where the problem is (`params.limit`), so every
 * method checks its params at the daemon's edge with one line.
 */
export type Check<T> = (value: unknown, path: string) => T;
export type Out<C> = C extends Check<infer T> ? T : never;

export function fail(path: string, expected: string, value: unknown): never {
  throw new CortexError('EINVAL', `${path} must be ${expected}, not ${describe(value)}.`);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'binary data';
  if (typeof value === 'string') return value.length > 40 ? 'a long string' : JSON.stringify(value);
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${value}`;
  }
  return typeof value;
}

export const string =
  (options: { min?: number; max?: number; pattern?: RegExp; what?: string } = {}): Check<string> =>
  (value, path) => {
    const what = options.what ?? 'a string';
    if (typeof value !== 'string') return fail(path, what, value);
    if (options.min !== undefined && value.length < options.min) return fail(path, what, value);
    if (options.max !== undefined && value.length > options.max) return fail(path, what, value);
    if (options.pattern && !options.pattern.test(value)) return fail(path, what, value);
    return value;
  };

export const integer =
  (options: { min?: number; max?: number } = {}): Check<number> =>
  (value, path) => {
    const min = options.min ?? Number.MIN_SAFE_INTEGER;
    const max = options.max ?? Number.MAX_SAFE_INTEGER;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return fail(path, `an integer from ${min} to ${max}`, value);
    }
    return value;
  };

export const boolean = (): Check<boolean> => (value, path) =>
  typeof value === 'boolean' ? value : fail(path, 'true or false', value);

export const literal =
  <const T extends string>(...choices: T[]): Check<T> =>
  (value, path) =>
    typeof value === 'string' && (choices as string[]).includes(value)
      ? (value as T)
      : fail(path, `one of ${choices.join(', ')}`, value);

export const bytes =
  (options: { max?: number } = {}): Check<Uint8Array> =>
  (value, path) =>
    value instanceof Uint8Array && (options.max === undefined || value.byteLength <= options.max)
      ? value
      : fail(path, options.max === undefined ? 'binary data' : `binary data of at most ${options.max} bytes`, value);

export const any = (): Check<MsgValue> => (value) => value as MsgValue;

export const optional =
  <T>(check: Check<T>): Check<T | undefined> =>
  (value, path) =>
    value === undefined || value === null ? undefined : check(value, path);

export const arrayOf =
  <T>(check: Check<T>, options: { min?: number; max?: number } = {}): Check<T[]> =>
  (value, path) => {
    if (!Array.isArray(value)) return fail(path, 'an array', value);
    if (options.min !== undefined && value.length < options.min) {
      return fail(path, `an array of at least ${options.min} items`, value);
    }
    if (options.max !== undefined && value.length > options.max) {
      return fail(path, `an array of at most ${options.max} items`, value);
    }
    return value.map((item, index) => check(item, `${path}[${index}]`));
  };

export function isPlainMap(value: unknown): value is Record<string, MsgValue> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Date) &&
    !(value instanceof Map)
  );
}

export const map = (): Check<Record<string, MsgValue>> => (value, path) =>
  isPlainMap(value) ? value : fail(path, 'a map', value);

type Shape = Record<string, Check<unknown>>;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: undefined extends Out<S[K]> ? K : never;
}[keyof S];
export type ObjectOf<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Out<S[K]> } & {
  [K in OptionalKeys<S>]?: Out<S[K]>;
};

/** A map parser that also knows its fields, in the order they were declared. */
export interface FieldsCheck<T> extends Check<T> {
  readonly fields: readonly string[];
}

/** Keys that are array indices: JavaScript orders them first, whatever order they were declared in. */
const INDEX_KEY = /^(0|[1-9]\d*)$/;

/** A new map of the first `count` fields of `value`, which its checks left as they were. */
function fieldsBefore(
  value: Record<string, MsgValue>,
  keys: readonly string[],
  count: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let index = 0; index < count; index++) {
    const given = value[keys[index]!];
    if (given !== undefined) out[keys[index]!] = given;
  }
  return out;
}

/**
 * Where `key` is in `keys`; -1 if it is not. A shape has a few fields: comparing them costs a request's
 * params less than a Set's look-up of a decoded key (its hash, the table's probe).
 */
function indexOfKey(keys: readonly string[], key: string): number {
  for (let index = 0; index < keys.length; index++) if (keys[index] === key) return index;
  return -1;
}

/**
 * A map with exactly these fields; unknown fields are refused so typos do not pass silently.
 * `fields` keeps the declaration order (positional params follow it): object keys keep their
 * insertion order except array-index keys, which are refused here so the order is reliable.
 */
export function object<S extends Shape>(shape: S): FieldsCheck<ObjectOf<S>> {
  const keys = Object.keys(shape);
  const indexKey = keys.find((key) => INDEX_KEY.test(key));
  if (indexKey !== undefined) throw new Error(`The field name ${indexKey} would not keep its declared order.`);
  const checks = keys.map((key) => shape[key]!);
  // Every request's params are checked at `params`: their fields' paths are made once, not per request.
  const paramsPaths = keys.map((key) => `params.${key}`);
  const check: Check<ObjectOf<S>> = (value, path) => {
    if (!isPlainMap(value)) return fail(path, 'a map', value);
    // Each field's value is read as the map's keys are walked: a load by the key for-in gives is the
    // object's own, where a load by the shape's key, done for every method's params, was megamorphic.
    const givens = new Array<MsgValue | undefined>(keys.length);
    let fields = 0;
    for (const key in value) {
      const at = indexOfKey(keys, key);
      if (at === -1) throw new CortexError('EINVAL', `${path} has an unknown field ${JSON.stringify(key)}.`);
      givens[at] = value[key];
      fields++;
    }
    const paths = path === 'params' ? paramsPaths : undefined;
    // The map itself is the answer when every field is there and came through unchanged (the usual request):
    // a new map is made only once a field is missing or its check changed it.
    let out: Record<string, unknown> | undefined = fields === keys.length ? undefined : {};
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index]!;
      const given = givens[index];
      const parsed = checks[index]!(given, paths === undefined ? `${path}.${key}` : paths[index]!);
      if (out === undefined && parsed !== given) out = fieldsBefore(value, keys, index);
      if (out !== undefined && parsed !== undefined) out[key] = parsed;
    }
    return (out ?? value) as ObjectOf<S>;
  };
  return Object.assign(check, { fields: keys });
}
