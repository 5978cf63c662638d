import { Box, Text } from 'ink';
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
        {hintsThatFit(hints, width - stringWidth(connection + where))}
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
 * The hints (`·`-separated) that fit in `room` columns, whole: the last ones go
 * first. The first is always kept (a notice comes first), and Ink cuts it if it
 * alone is too wide: a line Ink cuts costs it a grapheme search per character.
 */
function hintsThatFit(hints: string, room: number): string {
  const parts = hints.split(' · ');
  let kept = parts[0] ?? '';
  for (const part of parts.slice(1)) {
    const longer = `${kept} · ${part}`;
    if (stringWidth(longer) > room) break;
    kept = longer;
  }
  return kept;
}
