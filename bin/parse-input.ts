import { CortexError } from '../src/protocol/errors.js';
import { fromJson } from '../src/json-values.js';
import type { MsgValue } from '../src/protocol/msgpack-types.js';
import type { RecordKey } from '../src/protocol/store-types.js';
import { isPlainMap } from '../src/protocol/validate.js';

/** Parses a JSON argument; a mistake names the argument and where in it the JSON broke. */
export function jsonArgument(text: string | undefined, what: string, position: number): MsgValue {
  if (text === undefined) throw new CortexError('EINVAL', `Argument ${position} (${what}) is missing.`);
  try {
    return fromJson(text);
  } catch (error) {
    throw new CortexError('EINVAL', `Argument ${position} (${what}) is not valid JSON: ${(error as Error).message}.`);
  }
}

export function mapArgument(text: string | undefined, what: string, position: number): Record<string, MsgValue> {
  const value = jsonArgument(text, what, position);
  if (!isPlainMap(value)) throw new CortexError('EINVAL', `Argument ${position} (${what}) must be a JSON object.`);
  return value;
}

/**
 * A key on the command line: a JSON number or JSON string when it is one
 * (`42` is the integer, `'"42"'` the string), else the text as it is (`u1`).
 */
export function keyArgument(text: string | undefined, position: number): RecordKey {
  if (text === undefined) throw new CortexError('EINVAL', `Argument ${position} (the key) is missing.`);
  if (/^-?\d+$/.test(text)) {
    const number = Number(text);
    if (Number.isSafeInteger(number)) return number;
  }
  if (text.startsWith('"')) {
    const value = jsonArgument(text, 'the key', position);
    if (typeof value === 'string') return value;
  }
  return text;
}

export function required(args: string[], index: number, what: string): string {
  const value = args[index];
  if (value === undefined || value === '') {
    throw new CortexError('EINVAL', `Argument ${index + 1} (${what}) is missing.`);
  }
  return value;
}

export function positiveInteger(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new CortexError('EINVAL', `${what} must be a positive integer, not ${JSON.stringify(text)}.`);
  return value;
}
