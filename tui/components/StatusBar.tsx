import { Box, Text } from 'ink';
import sliceAnsi from 'slice-ansi';
import stringWidth from 'string-width';
import type { ConnectionState } from '../state/connection.js';

interface Props {
  state: ConnectionState;
  retryInMs: number;
  error: string | undefined;
  node: string | undefined;
  identity: string | undefined;
  hints: string;
  width: number;
}

/** The bottom line: connection state, node, identity and the keys that matter here. */
export function StatusBar({ state, retryInMs, error, node, identity, hints, width }: Props) {
  const connection = connectionText(state, retryInMs, error);
  const where = ` ${node ?? '?'} · ${identity ?? '?'} · `;
  return (
    <Box width={width}>
      <Text wrap="truncate">
        <Text color={state === 'open' ? 'green' : 'yellow'}>{connection}</Text>
        {where}
        {cutAt(hints, width - stringWidth(connection + where))}
      </Text>
    </Box>
  );
}

/** The connection's state, and why the last attempt failed. */
function connectionText(state: ConnectionState, retryInMs: number, error: string | undefined): string {
  const why = error ? ` (${error})` : '';
  if (state === 'open') return '● connected';
  if (state === 'connecting') return `○ connecting${why}`;
  return `◌ reconnecting in ${Math.ceil(retryInMs / 1000)}s${why}`;
}

/**
 * The hints cut at the edge, as Ink would cut the whole line: here, where they
 * are plain text, the bundle's fast path for text one column per character
 * does it at once, where Ink, cutting the line with its coloured connection
 * state in it, searched every character's grapheme (~10 ms of the first frame).
 */
function cutAt(hints: string, room: number): string {
  if (stringWidth(hints) <= room) return hints;
  return room < 1 ? '' : `${sliceAnsi(hints, 0, room - 1)}…`;
}
