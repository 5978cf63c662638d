/** PTY terminals owned by the daemon, as clients see them. */

export type TerminalStatus = 'running' | 'ended';

export interface TerminalInfo {
  id: string;
  workspace: string;
  /** The directory it started in. */
  cwd: string;
  /** The program and its arguments. */
  command: string[];
  cols: number;
  rows: number;
  /** The process id while it runs. */
  pid: number | null;
  owner: string;
  /** The uid it runs as. */
  uid: number;
  created: number;
  status: TerminalStatus;
  /** Set once it ended by exiting. */
  exit_code: number | null;
  signal: number | null;
  /** Why it ended: its exit, term_close, or a daemon restart while it ran. */
  end_reason: string | null;
  ended: number | null;
  /** Clients attached now. */
  viewers: number;
  /** Bytes of scrollback held (at most the configured ring size). */
  scrollback_bytes: number;
}

/** Output of a terminal, to its attached viewers. */
export interface TermOutput {
  id: string;
  data: Uint8Array;
  /** Where `data` starts in the terminal's output (bytes before it): a viewer resumes after the last byte it has. */
  offset: number;
}

/** A terminal's program ended; to its viewers and to `workspace:ID` subscribers. */
export interface TermExit {
  id: string;
  workspace: string;
  exit_code: number | null;
  signal: number | null;
}

/** The daemon stopped streaming a terminal to this client (it fell too far behind); attach again to resume. */
export interface TermDropped {
  id: string;
  reason: string;
}
