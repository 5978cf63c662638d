import { type Key, useInput } from 'ink';
import { useLayoutEffect, useRef, useState } from 'react';
import { firstKey, type Focus, isTyping, takesLines } from '../keymap.js';

/**
 * Hands keys to `handle` one per render, each to the newest render's handler,
 * so each key sees the state the key before it left. Ink re-subscribes its
 * useInput handler only in a passive effect, and hands over keys that arrive
 * together in one go ("jjj", "2hello", "hi⏎", "⇥text"): a key used to see the
 * state from before the previous one (Enter right after typing sent the
 * message without its last letters; text typed after Tab went into the field
 * Tab had left). `focus` decides how a read splits into keys (firstKey).
 */
export function useKeyQueue(focus: Focus, handle: (input: string, key: Key) => void): void {
  const queue = useRef<{ input: string; key: Key | undefined }[]>([]);
  const awaitingRender = useRef(false);
  const [turn, setTurn] = useState(0);
  const takeKey = () => {
    const head = queue.current[0];
    if (!head) return;
    const next = firstKey(head.input, head.key, isTyping(focus), takesLines(focus));
    if (next.rest === '') queue.current.shift();
    else queue.current[0] = { input: next.rest, key: undefined };
    awaitingRender.current = true;
    setTurn((value) => value + 1);
    handle(next.input, next.key);
  };
  const latestTakeKey = useRef(takeKey);
  latestTakeKey.current = takeKey;
  useInput((input, key) => {
    queue.current.push({ input, key });
    if (!awaitingRender.current) latestTakeKey.current();
  });
  useLayoutEffect(() => {
    awaitingRender.current = false;
    latestTakeKey.current();
  }, [turn]);
}
