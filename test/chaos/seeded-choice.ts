/**
 * A seeded random source for the chaos run's choices (the nemesis schedule and the workload's
 * operations): the Raft core's generator, with the small helpers the run needs.
 */
import { SeededRandom } from "@flotilla/raft";

/** Seeded choices. */
export class SeededChoice {
  private readonly random: SeededRandom;

  /** `seed` and `stream` (e.g. a client number) pick an independent sequence. */
  constructor(seed: number, stream = 0) {
    this.random = new SeededRandom((seed ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0);
  }

  /** A float in [0, 1). */
  float(): number {
    return this.random.nextFloat();
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + this.random.nextInt(max - min + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.random.chance(p);
  }

  /** One of `items` (which must not be empty). */
  pick<T>(items: readonly T[]): T {
    const item = items[this.random.nextInt(items.length)];
    if (item === undefined) throw new RangeError("pick from an empty list");
    return item;
  }

  /** One of `weights`' keys, with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let point = this.float() * total;
    for (const [key, weight] of entries) {
      point -= weight;
      if (point < 0) return key;
    }
    const last = entries[entries.length - 1];
    if (last === undefined) throw new RangeError("weighted choice from no weights");
    return last[0];
  }
}
