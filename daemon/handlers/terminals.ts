import type { DaemonServices, HandlerTable } from './types.js';

type TerminalMethods =
  | 'term_open'
  | 'term_list'
  | 'term_attach'
  | 'term_write'
  | 'term_resize'
  | 'term_detach'
  | 'term_close'
  | 'term_restart';

/** Terminals: a terminal is its opener's (and administrators'); attaching is a subscription to `term:ID`. */
export function terminalHandlers({
  terminals,
  inspector,
  subscriptions,
}: DaemonServices): Pick<HandlerTable, TerminalMethods> {
  return {
    term_open: ({ workspace, command, cols, rows }, call) => {
      const terminal = terminals.open(
        inspector.workspace(workspace, call.identity),
        command,
        cols ?? 80,
        rows ?? 24,
        call.identity,
      );
      return { id: terminal.id, terminal };
    },
    term_list: ({ workspace }, call) => ({
      terminals: terminals.list(
        call.identity,
        workspace === undefined ? undefined : inspector.workspace(workspace, call.identity).id,
      ),
    }),
    term_attach: ({ id, scrollback, after }, call) => {
      // Subscribing and taking the scrollback happen in one turn of the event loop, so no output falls between them.
      subscriptions.subscribe(`term:${id}`, call.caller, call);
      return terminals.attach(id, call.identity, scrollback, after);
    },
    term_write: ({ id, data }, call) => {
      terminals.write(id, data, call.identity);
      return { ok: true };
    },
    term_resize: ({ id, cols, rows }, call) => {
      terminals.resize(id, cols, rows, call.identity);
      return { ok: true };
    },
    term_detach: ({ id }, call) => ({ ok: true, attached: subscriptions.unsubscribe(`term:${id}`, call.caller) }),
    term_close: async ({ id }, call) => {
      await terminals.close(id, call.identity);
      return { ok: true };
    },
    term_restart: ({ id, cols, rows }, call) => ({ terminal: terminals.restart(id, call.identity, cols, rows) }),
  };
}
