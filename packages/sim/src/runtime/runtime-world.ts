/**
 * The world of a runtime-mode seed: how many nodes and groups, how the network, the disks and
 * the clocks misbehave, and how the hosts are configured. Drawn from its own random stream (the
 * seed mixed with a constant), so the core-mode world of the same seed is untouched; every
 * parameter is always drawn, then pins override it, so a pinned replay is the same world.
 */
import { SeededRandom } from "@flotilla/raft";
import { intBetween, pick } from "../random-choice.js";
import { delayStepsLimit } from "../world.js";

/** Every parameter of one runtime-mode world. */
export interface RuntimeWorld {
  /** Nodes (FlotillaNode processes): 3 or 5. */
  readonly nodes: number;
  /** Raft groups, each on 3 of the nodes (all of them in a 3-node world). */
  readonly groups: number;
  /** Steps of the safety phase (faults on). */
  readonly steps: number;
  /** Ticks the liveness phase gives every group to commit a new entry. */
  readonly livenessTicks: number;
  /** Clock milliseconds one step lasts (before drift). */
  readonly stepMs: number;
  /** Steps per Raft tick: the hosts' `tickIntervalMs` is `stepsPerTick * stepMs`. */
  readonly stepsPerTick: number;
  /** Each node's clock runs up to this many percent fast or slow. */
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
  /** Odds that a crash keeps a prefix of the unsynced write batches (pages flushed anyway). */
  readonly tornWriteOdds: number;
  /** Per sync opportunity, odds that a node's disk syncs everything written so far. */
  readonly syncOdds: number;
  /** Sync opportunities per step (each followed by letting the hosts run). */
  readonly syncRoundsPerStep: number;
  readonly keysPerGroup: number;
  readonly clientsPerKey: number;
  /** Per step, odds that an idle client starts its next operation. */
  readonly clientOdds: number;
  /** The hosts' `snapshotEntriesThreshold`. */
  readonly snapshotEntries: number;
  /** The hosts' `compactionTrailingEntries`. */
  readonly snapshotTrailing: number;
  /** The hosts' `mailboxMessagesMax` (small values make mailboxes overflow). */
  readonly mailboxMessagesMax: number;
  /** The hosts' `pendingProposalsPerGroupMax` (small values make proposals overload). */
  readonly pendingProposalsPerGroupMax: number;
  /** The hosts' `proposalTimeoutMs`, in ticks. */
  readonly proposalTimeoutTicks: number;
  /** Per step, odds of a `node.transferLeadership` call in a random group. */
  readonly transferOdds: number;
  /** Per write batch, odds that the disk fails it (the host then fail-stops; restarted later). */
  readonly diskErrorOdds: number;
  /**
   * When > 0, clients start nothing in every other stretch of this many steps, so groups go
   * idle and quiesce while faults go on.
   */
  readonly idlePhaseSteps: number;
  /**
   * Per sync opportunity, odds that a node's written transactions commit (become readable)
   * without syncing; a sync commits too. Low odds keep writes in flight, unreadable, longer.
   */
  readonly commitOdds: number;
  /** Per step, odds that a catch-up reader pages through `node.readCommitted`. */
  readonly catchUpOdds: number;
  /**
   * Per restart, odds that one group's log lost its tail below its snapshot (the applied index
   * the host learns): the host must refuse that replica, and is restarted later on a sound disk.
   */
  readonly lostTailOdds: number;
}

/** Parameters fixed from the command line. */
export type RuntimeWorldPins = { -readonly [K in keyof RuntimeWorld]?: RuntimeWorld[K] };

/** Default safety-phase length: a seed of runtime mode costs about as much as a core one. */
export const RUNTIME_DEFAULT_STEPS = 4000;

/** Mixed into the seed so runtime mode draws from a stream of its own. */
const RUNTIME_WORLD_SALT = 0x52754e74;

/**
 * The runtime-mode world of `seed`, with `pins` overriding what the seed chose.
 *
 * @example
 * const world = chooseRuntimeWorld(7, { nodes: 5 });
 */
export function chooseRuntimeWorld(seed: number, pins: RuntimeWorldPins = {}): RuntimeWorld {
  const random = new SeededRandom((seed ^ RUNTIME_WORLD_SALT) >>> 0);
  const odds = (max: number, zeroOdds = 0.3): number =>
    random.chance(zeroOdds) ? 0 : Math.round(random.nextFloat() * max * 1000) / 1000;
  const stepsPerTick = intBetween(random, 1, 3);
  const clockDriftPercent = random.chance(0.5) ? 0 : intBetween(random, 1, 10);
  const electionTicks = pick(random, [6, 10, 10, 15]);
  const fastestTickSteps = stepsPerTick * (1 - clockDriftPercent / 100);
  const delayStepsMax = intBetween(random, 1, delayStepsLimit(electionTicks, fastestTickSteps));
  const nodes = pick(random, [3, 3, 5]);
  const groups = intBetween(random, 1, 3);
  const chosen: RuntimeWorld = {
    nodes,
    groups,
    steps: RUNTIME_DEFAULT_STEPS,
    livenessTicks: 300,
    stepMs: 10,
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
    partitionStepsMax: intBetween(random, 20, 200),
    crashOdds: odds(0.008, 0.15),
    downStepsMax: intBetween(random, 10, 200),
    tornWriteOdds: odds(0.5),
    syncOdds: pick(random, [0.3, 0.6, 1]),
    syncRoundsPerStep: intBetween(random, 1, 3),
    keysPerGroup: intBetween(random, 1, 2),
    clientsPerKey: intBetween(random, 2, 3),
    clientOdds: pick(random, [0.05, 0.2, 0.5]),
    snapshotEntries: intBetween(random, 4, 40),
    snapshotTrailing: intBetween(random, 0, 10),
    mailboxMessagesMax: pick(random, [8, 4096, 4096]),
    pendingProposalsPerGroupMax: pick(random, [2, 1024, 1024]),
    proposalTimeoutTicks: intBetween(random, 2, 6) * electionTicks,
    transferOdds: odds(0.01, 0.2),
    diskErrorOdds: odds(0.002, 0.5),
    idlePhaseSteps: random.chance(0.5) ? 0 : intBetween(random, 50, 500),
    // Drawn last, so the parameters above are what they were before these existed.
    commitOdds: pick(random, [0, 0.3, 0.7]),
    catchUpOdds: pick(random, [0.05, 0.2, 0.5]),
    lostTailOdds: pick(random, [0, 0.1, 0.3]),
  };
  return { ...chosen, ...pins };
}

/** The world on one line, every parameter as `name=value` in a fixed order. */
export function formatRuntimeWorld(world: RuntimeWorld): string {
  return Object.entries(world)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(" ");
}
