/**
 * The shapes of the key table. Each tab declares its own bindings next to its
 * code (tui/tabs/NAME/keys.ts); tui/keymap.ts gathers them into the one table
 * the dispatcher routes by and the help screen is drawn from.
 */

export interface Binding<A extends string = string, W extends string = string> {
  /** Canonical key names, as keyName() produces them. */
  keys: readonly string[];
  /** A tab's actions start with its name (`files-save`), so the app knows whose they are. */
  action: A;
  /** Where the binding applies; `global` applies everywhere except where the focus takes typed text. */
  where: W | 'global';
  description: string;
}

/** A titled group of bindings on the help screen, in the order they are shown. */
export interface HelpSection<W extends string = string> {
  where: W | 'global';
  title: string;
}
