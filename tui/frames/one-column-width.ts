/** What string-width takes: the text, and whether ambiguous characters are narrow (the default) or wide. */
export type StringWidth = (
  text: string,
  options?: { ambiguousIsNarrow?: boolean; countAnsiEscapeCodes?: boolean },
) => number;

/**
 * Characters that string-width counts one column each and that never join
 * their neighbours into one grapheme: printable ASCII and Latin, punctuation,
 * arrows and mathematical operators, box drawing and geometric shapes, and the
 * few symbols the TUI draws (⏎, ☐, ✓, ✗). test/tui/one-column-width.test.ts
 * checks every one of them against string-width itself.
 */
const ONE_COLUMN =
  /^[\u0020-\u007E\u00A0-\u00AC\u00AE-\u02FF\u2010-\u2027\u2030-\u205E\u2190-\u22FF\u23CE\u2500-\u25FC\u2610-\u2613\u270C-\u2727]*$/;

/** A control sequence (colours and styles are `ESC [ ... m`): no columns of its own. */
// eslint-disable-next-line no-control-regex -- the escape sequences in Ink's text are what is taken out here
const CONTROL_SEQUENCE = /\u001B\[[0-?]*[ -/]*[@-~]/g;

/**
 * string-width with an answer at once for text made only of ONE_COLUMN
 * characters: its length. Ink measures every string it lays out with
 * string-width, which for any character outside ASCII segments the text into
 * graphemes and tests each against Unicode property regexes; compiling those
 * (the RGI emoji set above all) cost some 75 ms of CPU on the TUI's first
 * frame, whose borders and marks are all outside ASCII. Colours are taken out
 * first, as string-width does (Ink measures text with its nested colours in
 * it). Anything else (CJK, emoji, combining marks, other escapes) still goes
 * to string-width.
 */
export function withOneColumnFastPath(stringWidth: StringWidth): StringWidth {
  return (text, options) => {
    if (typeof text !== 'string' || options?.ambiguousIsNarrow === false || options?.countAnsiEscapeCodes) {
      return stringWidth(text, options);
    }
    const visible = text.includes('\u001B') ? text.replace(CONTROL_SEQUENCE, '') : text;
    return ONE_COLUMN.test(visible) ? visible.length : stringWidth(text, options);
  };
}

/** What slice-ansi takes: the text, and the columns from `begin` to before `end`. */
export type SliceAnsi = (text: string, begin: number, end?: number) => string;

/**
 * slice-ansi with an answer at once for text without escapes made only of
 * ONE_COLUMN characters: the characters themselves, one per column. Ink cuts
 * every line wider than its box through slice-ansi (cli-truncate), which
 * finds each character's grapheme with Intl.Segmenter: cutting the status
 * bar and a pane's title cost 15-20 ms of CPU of the TUI's first frame.
 */
export function withOneColumnSlice(sliceAnsi: SliceAnsi): SliceAnsi {
  return (text, begin, end) =>
    typeof text === 'string' && !text.includes('\u001B') && ONE_COLUMN.test(text)
      ? text.slice(begin, end)
      : sliceAnsi(text, begin, end);
}

/** A grapheme as Intl.Segmenter gives it: its text and where it starts. */
export interface Grapheme {
  segment: string;
  index: number;
}

/**
 * The graphemes of text made of ONE_COLUMN characters and colour escapes, as
 * Intl.Segmenter would find them (each of its characters is a grapheme of its
 * own, and so is each character of an escape, which is ASCII after a
 * control); undefined for any other text. Ink's tokenizer segments every line
 * it draws; with this, and the fast paths above, a frame of such text needs
 * no Intl.Segmenter, whose first creation in a process costs ~15 ms of CPU
 * (lazySegmenter below puts it off until some text needs it).
 */
export function oneColumnGraphemes(text: string): Grapheme[] | undefined {
  const visible = text.includes('\u001B') ? text.replace(CONTROL_SEQUENCE, '') : text;
  if (!ONE_COLUMN.test(visible)) return undefined;
  const graphemes: Grapheme[] = [];
  for (let index = 0; index < text.length; index++) graphemes.push({ segment: text[index]!, index });
  return graphemes;
}

/** What the bundle's modules use of an Intl.Segmenter. */
export interface Segmenting {
  segment: (text: string) => Intl.Segments;
}

/** An Intl.Segmenter made the first time it segments: the bundle's modules each make one as they load. */
export function lazySegmenter(locales?: string, options?: Intl.SegmenterOptions): Segmenting {
  let segmenter: Intl.Segmenter | undefined;
  return { segment: (text) => (segmenter ??= new Intl.Segmenter(locales, options)).segment(text) };
}
