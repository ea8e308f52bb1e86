/**
 * A partition drawn from the seed, shared by both simulator modes: one-way (some directed links
 * cut, their reverse still working), an isolated node, or a random split into two sides. The
 * draws — the shape, then the cuts or the isolated node and the sides — are part of every
 * seed's replay.
 */
import type { NodeId, SeededRandom } from "@flotilla/raft";
import { intBetween, pick } from "./random-choice.js";

/**
 * Cuts links between `ids` through `cut`. `isolate` chooses the node a symmetric partition
 * isolates (each mode has its own preference, drawn from the same random source).
 */
export function cutRandomPartition(
  random: SeededRandom,
  ids: readonly NodeId[],
  isolate: () => NodeId,
  cut: (from: NodeId, to: NodeId) => void,
): void {
  const shape = random.nextInt(3);
  if (shape === 2) {
    const cuts = intBetween(random, 1, ids.length);
    for (let i = 0; i < cuts; i++) {
      const from = pick(random, ids);
      const to = pick(
        random,
        ids.filter((id) => id !== from),
      );
      cut(from, to);
    }
    return;
  }
  const isolated = isolate();
  const side = shape === 0 ? [isolated] : ids.filter(() => random.chance(0.5));
  for (const from of ids) {
    for (const to of ids) {
      if (side.includes(from) !== side.includes(to)) cut(from, to);
    }
  }
}
