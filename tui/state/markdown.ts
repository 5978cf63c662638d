import type { Line, Span } from './event-lines.js';

/** How a reply's inline Markdown looks: `code` in yellow, **strong** in bold. */
const CODE_COLOR = 'yellow';

/**
 * An agent reply as lines at a width: headings, bullet and numbered lists
 * (wrapped under their text), block quotes, rules, fenced code (kept as
 * written, cut rather than wrapped) and inline code and bold. A small
 * renderer of the Markdown agents write, not CommonMark: anything it does
 * not know is shown as the text it is.
 */
export function markdownLines(text: string, width: number): Line[] {
  const max = Math.max(10, width);
  const out: Line[] = [];
  let fence: string | undefined;
  for (const raw of text.split('\n')) {
    const opening = /^\s*(```|~~~)/.exec(raw);
    if (fence !== undefined) {
      if (opening?.[1] === fence) fence = undefined;
      else out.push({ text: `│ ${raw}`.slice(0, max), color: 'green' });
      continue;
    }
    if (opening) {
      fence = opening[1];
      continue;
    }
    out.push(...blockLines(raw, max));
  }
  return out;
}

/** One source line outside code: a heading, a list item, a quote, a rule or a paragraph's line. */
function blockLines(raw: string, width: number): Line[] {
  const heading = /^(#{1,6})\s+(.*)$/.exec(raw);
  if (heading) return wrapSpans(inlineSpans(heading[2]!, true), width, '', '', 'cyan');
  if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(raw)) return [{ text: '─'.repeat(width), color: 'gray' }];
  const item = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/.exec(raw);
  if (item) {
    const [, indent = '', marker = '', rest = ''] = item;
    const bullet = /\d/.test(marker) ? `${marker} ` : '• ';
    return wrapSpans(inlineSpans(rest, false), width, indent + bullet, ' '.repeat(indent.length + bullet.length));
  }
  const quote = /^\s*>\s?(.*)$/.exec(raw);
  if (quote) return wrapSpans(inlineSpans(quote[1]!, false), width, '│ ', '│ ', 'gray');
  if (raw.trim() === '') return [{ text: '' }];
  return wrapSpans(inlineSpans(raw, false), width, '', '');
}

/** Inline code and bold as spans; the backticks and asterisks go. */
export function inlineSpans(text: string, bold: boolean): Span[] {
  const spans: Span[] = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|__([^_]+)__/g;
  let at = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match.index > at) spans.push({ text: text.slice(at, match.index), bold });
    if (match[1] !== undefined) spans.push({ text: match[1], color: CODE_COLOR, bold });
    else spans.push({ text: match[2] ?? match[3] ?? '', bold: true });
    at = match.index + match[0].length;
  }
  if (at < text.length) spans.push({ text: text.slice(at), bold });
  return spans;
}

/**
 * Word-wraps styled spans to a width, the first line after `first` and the
 * rest after `rest` (a list item's text lines up under itself). A word longer
 * than a line is cut.
 */
function wrapSpans(spans: Span[], width: number, first: string, rest: string, color?: Span['color']): Line[] {
  const lines: Span[][] = [[{ text: first }]];
  let used = first.length;
  const room = () => width - used;
  for (const span of spans) {
    // Most spans fit whole: only one that does not is cut into words.
    if (span.text.length <= room()) {
      lines.at(-1)!.push(span.color === undefined && color !== undefined ? { ...span, color } : span);
      used += span.text.length;
      continue;
    }
    for (const word of span.text.split(/(?<= )/)) {
      let piece = word;
      if (piece.length > room() && used > rest.length && piece.trimEnd().length <= width - rest.length) {
        lines.push([{ text: rest }]);
        used = rest.length;
        piece = piece.trimStart();
      }
      while (piece.length > 0) {
        const take = piece.slice(0, Math.max(1, room()));
        lines.at(-1)!.push({ ...span, color: span.color ?? color, text: take });
        used += take.length;
        piece = piece.slice(take.length);
        if (piece.length > 0) {
          lines.push([{ text: rest }]);
          used = rest.length;
        }
      }
    }
  }
  return lines.map((line) => {
    const kept = joinAlike(line.filter((span) => span.text !== ''));
    return {
      text: kept
        .map((span) => span.text)
        .join('')
        .trimEnd(),
      spans: kept,
    };
  });
}

/** Neighbouring spans of one style as one span (a line is words, each wrapped on its own). */
function joinAlike(spans: Span[]): Span[] {
  const joined: Span[] = [];
  for (const span of spans) {
    const last = joined.at(-1);
    if (last && last.color === span.color && last.bold === span.bold)
      joined[joined.length - 1] = { ...last, text: last.text + span.text };
    else joined.push(span);
  }
  return joined;
}
