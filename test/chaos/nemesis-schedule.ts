/**
 * The nemesis schedule of a chaos run, as a pure function of the seed and the duration: when
 * each fault starts, its kind, how long it holds, and the seeded picks that choose its target
 * among the candidates the live cluster offers then (the leader-preferring rules are in
 * nemesis.ts). One primary fault at a time, with a gap between them, so never more than one node
 * (a minority) and one NATS server are down at once; a side action (a leadership transfer or a
 * membership step) may fall inside a fault. The first fault pauses a leader past the election
 * timeout, so every run exercises fencing.
 */
import { SeededChoice } from "./seeded-choice.js";

/** The primary faults, one at a time. */
export const PRIMARY_FAULTS = [
  "node-kill",
  "node-pause",
  "nats-kill",
  "nats-pause",
  "partition-one-way",
  "partition-two-way",
  "latency",
  "duplication",
] as const;
export type PrimaryFault = (typeof PRIMARY_FAULTS)[number];

/** Side actions, started inside a primary fault. */
export const SIDE_ACTIONS = ["transfer-leader", "membership"] as const;
export type SideAction = (typeof SIDE_ACTIONS)[number];

/** One planned fault. */
export interface PlannedFault {
  /** Milliseconds after the workload started. */
  readonly atMs: number;
  readonly kind: PrimaryFault;
  /** How long the fault holds before it is healed. */
  readonly holdMs: number;
  /** Seeded picks in [0, 1): which candidate, which variant, how strong. */
  readonly picks: readonly [number, number, number];
  /** A side action and its start, relative to `atMs` (inside the hold). */
  readonly side?: { readonly action: SideAction; readonly afterMs: number; readonly pick: number };
}

/** Relative weights of the primary faults. */
const WEIGHTS: Readonly<Record<PrimaryFault, number>> = {
  "node-kill": 3,
  "node-pause": 3,
  "nats-kill": 1.5,
  "nats-pause": 1.5,
  "partition-one-way": 2,
  "partition-two-way": 2,
  latency: 1.5,
  duplication: 1.5,
};

/**
 * How long each fault holds, ms. A pause holds three to six election timeouts, so a new leader
 * is elected and acts while the old one is frozen.
 */
function holdRange(kind: PrimaryFault, electionTimeoutMs: number): [number, number] {
  switch (kind) {
    case "node-pause":
      return [3 * electionTimeoutMs, 6 * electionTimeoutMs];
    case "node-kill":
      return [1_000, 4_000];
    case "nats-kill":
    case "nats-pause":
      return [1_000, 3_000];
    case "partition-one-way":
    case "partition-two-way":
      return [1_500, 4_000];
    case "latency":
    case "duplication":
      return [2_000, 4_000];
  }
}

/** The workload runs this long before the first fault. */
export const WARM_UP_MS = 2_000;
/** Quiet time between two faults. */
const GAP_MS = [500, 1_500] as const;
/** Side actions start with this probability inside a fault. */
const SIDE_PROBABILITY = 0.6;

/**
 * The faults of a run of `durationMs`, all ending before it does.
 *
 * @example
 * nemesisSchedule(7, 60_000, 500); // the same list for the same arguments, always
 */
export function nemesisSchedule(
  seed: number,
  durationMs: number,
  electionTimeoutMs: number,
): PlannedFault[] {
  const rng = new SeededChoice(seed, 0x6e656d);
  const faults: PlannedFault[] = [];
  let at = WARM_UP_MS;
  // Bounded by the duration: every step moves `at` forward by at least a gap.
  while (faults.length < 10_000) {
    const kind: PrimaryFault = faults.length === 0 ? "node-pause" : rng.weighted(WEIGHTS);
    const [min, max] = holdRange(kind, electionTimeoutMs);
    const holdMs = rng.int(min, max);
    if (at + holdMs > durationMs) break;
    const picks: [number, number, number] = [rng.float(), rng.float(), rng.float()];
    const side = rng.chance(SIDE_PROBABILITY)
      ? {
          action: rng.pick(SIDE_ACTIONS),
          afterMs: Math.floor(holdMs * (0.2 + 0.5 * rng.float())),
          pick: rng.float(),
        }
      : undefined;
    faults.push({ atMs: at, kind, holdMs, picks, ...(side === undefined ? {} : { side }) });
    at += holdMs + rng.int(GAP_MS[0], GAP_MS[1]);
  }
  return faults;
}
