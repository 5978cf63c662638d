import { type LatencyRecorder, now } from './stats.js';

/**
 * Runs `total` operations over `lanes` concurrent loops, each awaiting its own
 * previous call: with one lane it is strictly sequential, with 64 lanes on one
 * connection it keeps 64 requests in flight (a new one leaves as soon as an
 * answer comes back), and with one lane per connection it is N clients. Each
 * operation takes the next index from a shared counter, so the work done is
 * the same whatever the interleaving.
 */
export async function runLanes(
  lanes: number,
  total: number,
  operation: (index: number, lane: number) => Promise<unknown>,
  latencies?: LatencyRecorder,
): Promise<void> {
  let next = 0;
  const lane = async (id: number): Promise<void> => {
    while (next < total) {
      const index = next++;
      const start = now();
      await operation(index, id);
      latencies?.record(start);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, total) }, (_, id) => lane(id)));
}
