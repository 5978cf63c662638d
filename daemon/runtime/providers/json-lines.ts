import type { Readable } from 'node:stream';

/**
 * Hands on a stream's complete lines, all those of one read together (a line cut by the end of a read waits
 * for the rest). The lines keep a `\r` before their `\n`, which JSON reads as whitespace.
 */
export function onLinesOfEachRead(stream: Readable, handle: (lines: string[]) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const text = partial === '' ? chunk : partial + chunk;
    const end = text.lastIndexOf('\n');
    if (end === -1) {
      partial = text;
      return;
    }
    partial = text.slice(end + 1);
    handle(text.slice(0, end).split('\n'));
  });
  stream.on('end', () => {
    if (partial !== '') handle([partial]);
    partial = '';
  });
}

/**
 * The lines' JSON objects, parsed in one `JSON.parse` of the lines as one array (one call instead of one per
 * line), or undefined when that does not give exactly one object per line: a blank line, a line that is not
 * JSON, or a value that is not an object. The caller then parses line by line, to skip or report each line as
 * it would have alone.
 */
export function parseObjectLines(lines: readonly string[]): Record<string, unknown>[] | undefined {
  let values: unknown;
  try {
    values = JSON.parse(`[${lines.join(',')}]`);
  } catch {
    return undefined;
  }
  if (!Array.isArray(values) || values.length !== lines.length) return undefined;
  for (const value of values) if (!isObject(value)) return undefined;
  return values as Record<string, unknown>[];
}

/** One line's JSON object, or undefined when the line is not JSON or not an object. */
export function parseObjectLine(line: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return isObject(value) ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
