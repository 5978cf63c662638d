/**
 * The shapes of the key table. Each tab declares its own bindings next to its
 * code (tui/tabs/NAME/keys.ts); tui/keymap.ts gathers them into the one table
 * the dispatcher routes by and the help screen is drawn from.
 */

/**
 * What a key does, as a value: whose action it is (`app`, `show` for the tab
 * keys, or a tab's name) and which. The dispatcher hands it to its owner
 * through one table, so no action is routed by the spelling of its name.
 */
export interface CommandOf<O extends string, A extends string> {
  owner: O;
  action: A;
}

export interface Binding<C extends CommandOf<string, string>, W extends string = string> {
  /** Canonical key names, as keyName() produces them. */
  keys: readonly string[];
  command: C;
  /** Where the binding applies; `global` applies everywhere except where the focus takes typed text. */
  where: W | 'global';
  description: string;
}

/** A titled group of bindings on the help screen, in the order they are shown. */
export interface HelpSection<W extends string = string> {
  where: W | 'global';
  title: string;
}
