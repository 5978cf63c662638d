import { Box, Text } from 'ink';
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
  return (
    <Box width={width}>
      <Text wrap="truncate">
        <Text color={state === 'open' ? 'green' : 'yellow'}>{connection}</Text> {node ?? '?'} · {identity ?? '?'} ·{' '}
        {hints}
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
