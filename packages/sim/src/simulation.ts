/**
 * One seed, start to finish: build the world the seed chose, run the safety phase (faults on,
 * checkers after every step), then the liveness phase (faults off, network healed, every node
 * up: each group must commit a new entry within the tick budget), let clients finish, and check
 * the clients' history for linearizability. Deterministic: the seed (and pins) fix every choice,
 * and nothing reads a clock.
 */
import {
  SeededRandom,
  type Entry,
  type HardState,
  type Message,
  type ReadState,
  type Snapshot,
} from "@flotilla/raft";
import { Cluster } from "./cluster.js";
import { emptyCoverage, type Coverage } from "./coverage.js";
import { FaultInjector } from "./fault-injector.js";
import type { KvApplied } from "./kv-state-machine.js";
import type { HistoryOperation } from "./linearizability/history-operation.js";
import { checkKvHistory } from "./linearizability/kv-history.js";
import { LivenessCheck } from "./liveness-check.js";
import { CALM_NETWORK, Network } from "./network.js";
import { childSeed } from "./random-choice.js";
import type { ReplicaHost, ReplicaObserver } from "./replica-host.js";
import { SafetyChecker } from "./safety-checker.js";
import { SimClient, type ClientTiming, type ClientView } from "./sim-client.js";
import { Violation, expectInvariant } from "./violation.js";
import type { World } from "./world.js";

/** Messages on the wire at most (see {@link Network}). */
export const NETWORK_IN_FLIGHT_MAX = 8192;
/** Memo states the linearizability search may use per key before it gives up (reported). */
export const HISTORY_STATES_PER_KEY_MAX = 300_000;

/** What one seed did. */
export interface SimulationReport {
  /** Steps run in all phases. */
  readonly steps: number;
  readonly coverage: Coverage;
  /** Client operations in the history, and how many of them have an unknown outcome. */
  readonly operations: number;
  readonly unknownOperations: number;
  readonly messagesSent: number;
  /** Set when the history check gave up on some key (no violation found, none excluded). */
  readonly historyCheckExhausted: string | undefined;
}

/** One seed's run. Call {@link run} once. */
export class Simulation implements ReplicaObserver {
  private stepNumber = 0;
  private readonly coverage = emptyCoverage();
  private readonly network: Network;
  private readonly cluster: Cluster;
  private readonly checker: SafetyChecker;
  private readonly faults: FaultInjector;
  private readonly clients = new Map<string, SimClient[]>();
  private readonly history: HistoryOperation[] = [];

  constructor(
    seed: number,
    private readonly world: World,
  ) {
    const root = new SeededRandom(seed ^ 0x5eed5eed);
    this.network = new Network(new SeededRandom(childSeed(root)), networkFaults(world), {
      inFlightMax: NETWORK_IN_FLIGHT_MAX,
    });
    this.checker = new SafetyChecker(this.coverage);
    this.cluster = new Cluster(world, new SeededRandom(childSeed(root)), this.network, this);
    const faultRandom = new SeededRandom(childSeed(root));
    this.faults = new FaultInjector(world, faultRandom, this.cluster, this.network, this.coverage);
    this.createClients(new SeededRandom(childSeed(root)));
  }

  /** The step being run (for violation reports). */
  currentStep(): number {
    return this.stepNumber;
  }

  /** What the run exercised so far (complete once {@link run} returned). */
  coverageSoFar(): Coverage {
    return { ...this.coverage, reads: this.coverage.reads + this.readsCompleted() };
  }

  /**
   * Runs every phase. Throws {@link Violation} on a broken property (or whatever the core
   * throws, e.g. an AssertionError); the caller reports it.
   */
  run(): SimulationReport {
    for (let i = 0; i < this.world.steps; i++) this.step("safety");
    this.runLiveness();
    this.drainClients();
    return this.checkHistory();
  }

  // ReplicaObserver: the cluster's replicas report here; the checker and clients listen.

  send(host: ReplicaHost, message: Message): void {
    this.checker.sent(host, message);
    this.network.send(host.groupId, message, this.stepNumber);
  }

  persisted(host: ReplicaHost, entries: readonly Entry[]): void {
    this.checker.persisted(host, entries);
  }

  hardState(host: ReplicaHost, hardState: HardState, previousCommitIndex: number): void {
    this.checker.hardState(host, hardState, previousCommitIndex);
  }

  snapshotRestored(host: ReplicaHost, _snapshot: Snapshot): void {
    this.coverage.snapshotsInstalled++;
    for (const client of this.clientsOf(host)) client.snapshotRestored(host, this.stepNumber);
  }

  applied(host: ReplicaHost, entry: Entry, applied: KvApplied | undefined): void {
    this.checker.applied(host, entry);
    for (const client of this.clientsOf(host))
      client.applied(host, this.stepNumber, entry, applied);
  }

  voteTimerChecked(_host: ReplicaHost): void {
    this.coverage.voteTimersChecked++;
  }

  snapshotOverConflict(_host: ReplicaHost): void {
    this.coverage.snapshotsOverConflicts++;
  }

  readState(host: ReplicaHost, readState: ReadState): void {
    for (const client of this.clientsOf(host)) client.readState(host, this.stepNumber, readState);
  }

  snapshotTaken(host: ReplicaHost, index: number, data: Uint8Array): void {
    this.checker.snapshotTaken(host, index, data);
  }

  /** One step: deliver, tick, clients, faults, Ready handling, then every safety check. */
  private step(phase: "safety" | "liveness" | "drain"): void {
    const step = ++this.stepNumber;
    this.cluster.deliver(step);
    this.cluster.tick(step);
    for (const [groupId, clients] of this.clients) {
      const view: ClientView = {
        replica: (id) => this.cluster.replica(id, groupId),
        liveReplicas: () => this.cluster.liveReplicas(groupId),
      };
      for (const client of clients) client.act(step, view, phase !== "drain");
    }
    if (phase === "safety") this.faults.step(step);
    this.cluster.handleReadies();
    this.faults.newLeaders(this.checker.afterStep(this.cluster.allLiveReplicas()));
  }

  /** Faults stop; every group must commit a fresh entry within `livenessTicks`. */
  private runLiveness(): void {
    this.faults.stopAll();
    const delaySteps = this.world.delayStepsMin;
    this.network.setFaults({
      ...CALM_NETWORK,
      delayStepsMin: delaySteps,
      delayStepsMax: delaySteps,
    });
    const liveness = new LivenessCheck(this.cluster);
    const slowestTickSteps = Math.ceil(
      Math.max(...this.cluster.nodes.map((node) => node.clock.periodSteps)),
    );
    const budgetSteps = this.world.livenessTicks * slowestTickSteps;
    for (let i = 0; i < budgetSteps && !liveness.allDone(); i++) {
      this.step("liveness");
      liveness.step();
    }
    expectInvariant(
      liveness.allDone(),
      () =>
        `liveness: within ${this.world.livenessTicks} ticks of healing, not every group committed a new entry:\n  ${liveness.describeStuck()}`,
    );
  }

  /** No new operations; give the ones in flight time to finish, then close the history. */
  private drainClients(): void {
    const all = [...this.clients.values()].flat();
    const drainSteps = 2 * clientTiming(this.world).attemptSteps;
    for (let i = 0; i < drainSteps && all.some((client) => client.busy()); i++) this.step("drain");
    for (const client of all) client.finish();
  }

  private checkHistory(): SimulationReport {
    const result = checkKvHistory(this.history, { maxStatesPerKey: HISTORY_STATES_PER_KEY_MAX });
    // An incomplete check is no violation, but no pass either: the report carries it.
    if (result.verdict === "not-linearizable") {
      throw new Violation(
        `linearizability: the history of key ${String(result.key)} has no linearization\n${result.explanation ?? ""}`,
      );
    }
    for (const client of [...this.clients.values()].flat())
      this.coverage.reads += client.readsCompleted;
    return {
      steps: this.stepNumber,
      coverage: this.coverage,
      operations: this.history.length,
      unknownOperations: this.history.filter((op) => op.returnTime === undefined).length,
      messagesSent: this.network.stats.sent,
      historyCheckExhausted: result.verdict === "incomplete" ? result.explanation : undefined,
    };
  }

  private readsCompleted(): number {
    let reads = 0;
    for (const clients of this.clients.values())
      for (const client of clients) reads += client.readsCompleted;
    return reads;
  }

  private createClients(random: SeededRandom): void {
    const timing = clientTiming(this.world);
    for (const groupId of this.cluster.groupIds) {
      const clients: SimClient[] = [];
      for (let k = 0; k < this.world.keysPerGroup; k++) {
        const key = `${groupId}/k${k}`;
        for (let c = 0; c < this.world.clientsPerKey; c++) {
          const seed = childSeed(random);
          clients.push(
            new SimClient(
              `${key}/c${c}`,
              groupId,
              key,
              new SeededRandom(seed),
              timing,
              this.history,
            ),
          );
        }
      }
      this.clients.set(groupId, clients);
    }
  }

  private clientsOf(host: ReplicaHost): readonly SimClient[] {
    return this.clients.get(host.groupId) ?? [];
  }
}

function networkFaults(world: World): ConstructorParameters<typeof Network>[1] {
  return {
    dropOdds: world.dropOdds,
    duplicateOdds: world.duplicateOdds,
    reorderOdds: world.reorderOdds,
    delayStepsMin: world.delayStepsMin,
    delayStepsMax: world.delayStepsMax,
  };
}

/** Clients wait about two election timeouts plus a few round trips per attempt. */
function clientTiming(world: World): ClientTiming {
  const electionSteps = Math.ceil(
    world.electionTicks * world.stepsPerTick * (1 + world.clockDriftPercent / 100),
  );
  return {
    attemptSteps: 2 * electionSteps + 4 * world.delayStepsMax,
    attemptsMax: 5,
    backoffStepsMax: 2 * world.stepsPerTick,
    startOdds: world.clientOdds,
  };
}
