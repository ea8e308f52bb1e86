/**
 * Drives an example's in-process cluster on logical time: advance the manual clock one tick,
 * then let the event loop run until no message is in flight and every node is idle. Shared by
 * the examples' tests; nothing here asserts on elapsed time (the real-time bound is a safety net).
 */
import type { ManualClock } from "@flotilla/runtime";

/** What the examples' clusters expose for driving. */
export interface DrivableCluster {
  readonly network: { readonly inFlight: number };
  readonly nodes: readonly { readonly node: { isIdle(): boolean } }[];
}

/** Milliseconds of manual-clock time per step. */
export const TICK_MS = 10;

/** Yields to the event loop until `predicate` holds. */
export async function waitFor(predicate: () => boolean, description: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${description}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Advances the clock a tick at a time, letting the nodes fall quiet, until `predicate` holds. */
export async function driveUntil(
  cluster: DrivableCluster,
  clock: ManualClock,
  predicate: () => boolean,
  description: string,
): Promise<void> {
  for (let tick = 0; tick < 2_000 && !predicate(); tick++) {
    clock.advance(TICK_MS);
    await waitFor(
      () => cluster.network.inFlight === 0 && cluster.nodes.every((n) => n.node.isIdle()),
      "the nodes fall quiet",
    );
  }
  if (!predicate()) throw new Error(`not reached: ${description}`);
}
