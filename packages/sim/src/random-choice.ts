/**
 * Small helpers over the core's {@link SeededRandom}: every choice the simulator makes goes
 * through one of these, so a seed fixes the whole run.
 */
import type { SeededRandom } from "@flotilla/raft";

/**
 * One element of `items`, uniformly.
 *
 * @throws {RangeError} when `items` is empty.
 */
export function pick<T>(random: SeededRandom, items: readonly T[]): T {
  const item = items[random.nextInt(items.length)];
  if (item === undefined) throw new RangeError("pick from an empty list");
  return item;
}

/** An integer in `[low, high]` (both inclusive), uniformly. */
export function intBetween(random: SeededRandom, low: number, high: number): number {
  return low + random.nextInt(high - low + 1);
}

/** A fresh seed for a sub-stream (a replica's election jitter, a client's choices). */
export function childSeed(random: SeededRandom): number {
  return random.nextUint32();
}
