/** Terminal colour and cursor sequences (ESC [ ... letter). */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
/** A frame of a Rust or Node backtrace, and the lines around one: never a reason a person can act on. */
const BACKTRACE = /^(\s*\d+:\s|\s+at\s|stack backtrace:|note: run with `RUST_BACKTRACE|note: Some details are omitted)/;
/** `2026-01-01T00:00:00.000000Z ERROR codex_core::client: message` → `message`. */
const TRACING_PREFIX = /^\d{4}-\d\d-\d\dT[\d:.]+Z\s+[A-Z]+\s+[\w:]+:\s*/;
const MAX = 300;

/** The first meaningful line of a provider's error message, without colours or log prefixes, at most 300 characters. */
export function oneSentence(text: string): string {
  const line =
    text
      .replace(ANSI, '')
      .split('\n')
      .map((part) => part.replace(TRACING_PREFIX, '').trim())
      .find((part) => part !== '' && !BACKTRACE.test(part)) ?? '';
  return line.length > MAX ? `${line.slice(0, MAX - 1)}…` : line;
}

/**
 * Why a process died, from the last lines it wrote to stderr: a Rust panic's message when there is one
 * (`thread 'main' panicked at src/x.rs:1:2:` is followed by it), else the last line that is not part of a
 * backtrace. Undefined when nothing fits.
 */
export function crashReason(stderrLines: readonly string[]): string | undefined {
  const lines = stderrLines.map((line) => line.replace(ANSI, '').trim());
  const meaningful = (line: string) => line !== '' && !BACKTRACE.test(line);
  const panic = lines.map((line) => /panicked at/.test(line)).lastIndexOf(true);
  if (panic >= 0) {
    const inline = /panicked at '(.*)',/.exec(lines[panic]!)?.[1];
    const message = inline ?? lines.slice(panic + 1).find(meaningful);
    if (message) return oneSentence(`Codex crashed: ${message}`);
  }
  const last = lines.filter(meaningful).pop();
  return last === undefined ? undefined : oneSentence(last);
}
