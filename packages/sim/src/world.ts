/**
 * A seed chooses the world it runs in (TigerBeetle's VOPR): node and group count, how lossy and
 * slow the network is, how often nodes crash and partitions form, how busy clients are. Any
 * parameter can be pinned from the command line; pinning one leaves the others as the seed chose
 * them (every parameter is always drawn, then overridden), so a pinned replay is the same world.
 */
import { SeededRandom } from "@flotilla/raft";
import { intBetween, pick } from "./random-choice.js";

/** Every parameter of one simulated world: numbers, flags and the forwarding mode. */
export interface World {
  /** Nodes (processes): 3 or 5. */
  readonly nodes: number;
  /** Raft groups, each on 3 of the nodes at first. */
  readonly groups: number;
  /** Steps of the safety phase (faults on). */
  readonly steps: number;
  /** Ticks the liveness phase gives every group to elect a leader and commit a new entry. */
  readonly livenessTicks: number;
  /** Steps between two ticks of a node's clock. */
  readonly stepsPerTick: number;
  /** Each node's clock runs up to this many percent fast or slow (its tick period differs). */
  readonly clockDriftPercent: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly dropOdds: number;
  readonly duplicateOdds: number;
  readonly reorderOdds: number;
  readonly delayStepsMin: number;
  readonly delayStepsMax: number;
  /** Per step, odds that a partition starts (when none is active). */
  readonly partitionOdds: number;
  readonly partitionStepsMax: number;
  /** Per step, odds that a node crashes (at most a minority is down at once). */
  readonly crashOdds: number;
  readonly downStepsMax: number;
  /** Odds that a crash keeps a prefix of the unsynced writes (pages the OS flushed anyway). */
  readonly tornWriteOdds: number;
  /** Odds that a Ready is synced although it did not ask for it. */
  readonly extraSyncOdds: number;
  /** Per step, odds of a membership change attempt in a random group. */
  readonly membershipOdds: number;
  /** Per step, odds of a leadership transfer attempt in a random group. */
  readonly transferOdds: number;
  readonly keysPerGroup: number;
  readonly clientsPerKey: number;
  /** Per step, odds that an idle client starts its next operation. */
  readonly clientOdds: number;
  /** A replica snapshots its state machine every this many applied entries. */
  readonly snapshotEntries: number;
  /** Entries kept below a snapshot when compacting. */
  readonly snapshotTrailing: number;
  readonly inflightMessagesMax: number;
  readonly batchBytesMax: number;
  readonly proposalForwarding: "forward" | "reject";
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
}

/** Parameters fixed from the command line. */
export type WorldPins = { -readonly [K in keyof World]?: World[K] };

/** Default safety-phase length; tuned so one seed takes well under half a second. */
export const DEFAULT_STEPS = 6000;

/**
 * The world of `seed`, with `pins` overriding what the seed chose.
 *
 * @example
 * const world = chooseWorld(7, { nodes: 5 });
 */
export function chooseWorld(seed: number, pins: WorldPins = {}): World {
  const random = new SeededRandom(seed);
  const odds = (max: number, zeroOdds = 0.3): number =>
    random.chance(zeroOdds) ? 0 : Math.round(random.nextFloat() * max * 1000) / 1000;
  const stepsPerTick = intBetween(random, 2, 5);
  const clockDriftPercent = random.chance(0.5) ? 0 : intBetween(random, 1, 10);
  const electionTicks = pick(random, [6, 10, 10, 15]);
  const fastestTickSteps = stepsPerTick * (1 - clockDriftPercent / 100);
  const delayStepsMax = intBetween(random, 1, delayStepsLimit(electionTicks, fastestTickSteps));
  const groups = random.chance(0.25) ? intBetween(random, 5, 8) : intBetween(random, 1, 4);
  const chosen: World = {
    nodes: pick(random, [3, 5]),
    groups,
    steps: DEFAULT_STEPS,
    livenessTicks: 300,
    stepsPerTick,
    clockDriftPercent,
    electionTicks,
    heartbeatTicks: pick(random, [1, 1, 2]),
    dropOdds: odds(0.15),
    duplicateOdds: odds(0.1),
    reorderOdds: odds(0.15),
    delayStepsMin: intBetween(random, 1, delayStepsMax),
    delayStepsMax,
    partitionOdds: odds(0.01, 0.2),
    partitionStepsMax: intBetween(random, 20, 300),
    crashOdds: odds(0.004, 0.2),
    downStepsMax: intBetween(random, 10, 300),
    tornWriteOdds: odds(0.5),
    extraSyncOdds: odds(0.3),
    membershipOdds: odds(0.01, 0.2),
    transferOdds: odds(0.01, 0.2),
    // Many groups get one key each, so a seed's client load (and its time) stays bounded.
    keysPerGroup: groups >= 5 ? 1 : intBetween(random, 1, 3),
    clientsPerKey: intBetween(random, 2, 3),
    clientOdds: pick(random, [0.05, 0.2, 0.5]),
    snapshotEntries: intBetween(random, 4, 40),
    snapshotTrailing: intBetween(random, 0, 10),
    inflightMessagesMax: pick(random, [1, 4, 64]),
    batchBytesMax: pick(random, [1, 300, 4096, 256 * 1024]),
    proposalForwarding: random.chance(0.75) ? "forward" : "reject",
    preVote: random.chance(0.8),
    checkQuorum: random.chance(0.8),
  };
  return { ...chosen, ...pins };
}

/**
 * The longest one-way delay a world may have: Raft needs round trips well inside the election
 * timeout (Raft §5.6, "broadcastTime << electionTimeout"), or no leader survives CheckQuorum and
 * the liveness phase fails for the world's sake, not the core's. A round trip (two delays) stays
 * under a quarter of the shortest election timeout, counted on the fastest clock.
 */
export function delayStepsLimit(electionTicks: number, fastestTickSteps: number): number {
  return Math.max(1, Math.floor((electionTicks * fastestTickSteps) / 8));
}

/** The world on one line, every parameter as `name=value` in a fixed order. */
export function formatWorld(world: World): string {
  return Object.entries(world)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(" ");
}
