/**
 * One runtime-mode seed, start to finish: real FlotillaNode hosts over simulated storage,
 * network and clocks. Safety phase (faults on, the host checker after every step), liveness
 * phase (faults off, network healed, every host up: each group commits a new entry within the
 * tick budget), a drain (clients finish, every future of a live host settles), then the
 * clients' history is checked for linearizability. Each step delivers due batches, moves the
 * clocks, lets clients call the hosts, then alternates "let the hosts run until
 * each is idle or waits for its disk" with "some disks sync". Deterministic: the seed fixes every
 * choice, and the hosts run only inside the settles, on the same single event loop.
 */
import { SeededRandom } from "@flotilla/raft";
import { CALM_NETWORK } from "../network.js";
import { checkKvHistory } from "../linearizability/kv-history.js";
import type { HistoryOperation } from "../linearizability/history-operation.js";
import { childSeed } from "../random-choice.js";
import { HISTORY_STATES_PER_KEY_MAX, NETWORK_IN_FLIGHT_MAX } from "../simulation.js";
import { Violation } from "../violation.js";
import { BatchNetwork } from "./batch-network.js";
import { CatchUpReader } from "./catch-up-reader.js";
import { FutureLedger } from "./future-ledger.js";
import { HostChecker } from "./host-checker.js";
import { LeaderWorkCheck } from "./leader-work-check.js";
import { MarkerProbe } from "./marker-probe.js";
import { RuntimeClient, type ClientContext } from "./runtime-client.js";
import { RuntimeCluster, type StorageWrapper } from "./runtime-cluster.js";
import { emptyRuntimeCoverage, type RuntimeCoverage } from "./runtime-coverage.js";
import { RuntimeFaultInjector } from "./runtime-fault-injector.js";
import type { RuntimeWorld } from "./runtime-world.js";

/** How a run is set up beyond its world (tests plug broken hosts in here). */
export interface RuntimeSimulationOptions {
  /** Puts a storage between each host and its SimNodeStorage (e.g. one that acks early). */
  readonly wrapStorage?: StorageWrapper;
}

/** What one seed did. */
export interface RuntimeSimulationReport {
  readonly steps: number;
  readonly coverage: RuntimeCoverage;
  /** Client operations in the history, and how many have an unknown outcome. */
  readonly operations: number;
  readonly unknownOperations: number;
  readonly batchesSent: number;
  /** Futures the hosts handed out. */
  readonly futures: number;
  /** Set when the history check gave up on some key (no violation found, none excluded). */
  readonly historyCheckExhausted: string | undefined;
}

/** Mixed into the seed for the run's random streams (the world has its own). */
const RUNTIME_RUN_SALT = 0x7e11e5;

/** One seed's run in runtime mode. Call {@link run} once. */
export class RuntimeSimulation {
  private stepNumber = 0;
  private readonly coverage = emptyRuntimeCoverage();
  private readonly network: BatchNetwork;
  private readonly checker: HostChecker;
  private readonly ledger = new FutureLedger();
  private readonly workCheck: LeaderWorkCheck;
  private readonly cluster: RuntimeCluster;
  private readonly faults: RuntimeFaultInjector;
  private readonly syncRandom: SeededRandom;
  private readonly commitRandom: SeededRandom;
  private readonly catchUp: CatchUpReader;
  private readonly clients: RuntimeClient[] = [];
  private readonly history: HistoryOperation[] = [];
  private readonly tickMs: number;
  private readonly futureDueMs: number;

  constructor(
    seed: number,
    private readonly world: RuntimeWorld,
    options: RuntimeSimulationOptions = {},
  ) {
    const root = new SeededRandom((seed ^ RUNTIME_RUN_SALT) >>> 0);
    this.tickMs = world.stepsPerTick * world.stepMs;
    // A future settles by its timeout; the slack covers the tick that notices it and disks that
    // take their time to sync while a round waits.
    this.futureDueMs = 2 * world.proposalTimeoutTicks * this.tickMs + 50 * this.tickMs;
    this.network = new BatchNetwork(
      new SeededRandom(childSeed(root)),
      {
        dropOdds: world.dropOdds,
        duplicateOdds: world.duplicateOdds,
        reorderOdds: world.reorderOdds,
        delayStepsMin: world.delayStepsMin,
        delayStepsMax: world.delayStepsMax,
      },
      NETWORK_IN_FLIGHT_MAX,
    );
    this.checker = new HostChecker(
      { members: (groupId) => this.cluster.members(groupId), disk: (id) => this.cluster.disk(id) },
      this.coverage,
      () => this.stepNumber,
    );
    this.workCheck = new LeaderWorkCheck(this.checker, this.coverage);
    this.cluster = new RuntimeCluster({
      world,
      random: new SeededRandom(childSeed(root)),
      network: this.network,
      checker: this.checker,
      ledger: this.ledger,
      coverage: this.coverage,
      workCheck: this.workCheck,
      diskRandom: new SeededRandom(childSeed(root)),
      step: () => this.stepNumber,
      wrapStorage: options.wrapStorage,
    });
    this.faults = new RuntimeFaultInjector(
      world,
      new SeededRandom(childSeed(root)),
      this.cluster,
      this.network,
      this.coverage,
      this.ledger,
      this.checker,
      this.futureDueMs,
    );
    this.syncRandom = new SeededRandom(childSeed(root));
    this.createClients(new SeededRandom(childSeed(root)));
    // Drawn after every earlier stream, so those are what they were before these existed.
    this.commitRandom = new SeededRandom(childSeed(root));
    this.catchUp = new CatchUpReader(
      this.cluster,
      new SeededRandom(childSeed(root)),
      this.checker,
      this.coverage,
      world.catchUpOdds,
    );
    this.cluster.lostTailRandom = new SeededRandom(childSeed(root));
  }

  /** The step being run (for violation reports). */
  currentStep(): number {
    return this.stepNumber;
  }

  /** What the run exercised so far. */
  coverageSoFar(): RuntimeCoverage {
    return { ...this.coverage };
  }

  /**
   * Runs every phase. Rejects with a {@link Violation} on a broken property (or whatever the
   * host threw at the simulator); the caller reports it.
   */
  async run(): Promise<RuntimeSimulationReport> {
    for (const slot of this.cluster.slots) await this.cluster.start(slot);
    await this.cluster.settle();
    for (let i = 0; i < this.world.steps; i++) await this.step("safety");
    await this.runLiveness();
    await this.drain();
    return this.checkHistory();
  }

  private async step(phase: "safety" | "liveness" | "drain"): Promise<void> {
    const step = ++this.stepNumber;
    // Faults first, while every host is quiescent: a kill never lands between a host being
    // handed an input and its round running (a round it would then run after "dying").
    if (phase === "safety") await this.faults.step(step);
    this.cluster.deliver(step);
    this.cluster.advanceClocks();
    const views = new Map(this.cluster.groupIds.map((id) => [id, this.cluster.view(id)]));
    const idle =
      this.world.idlePhaseSteps > 0 && Math.floor(step / this.world.idlePhaseSteps) % 2 === 1;
    const starting = phase === "liveness" || (phase === "safety" && !idle);
    for (const client of this.clients) {
      const view = views.get(client.groupId);
      if (view !== undefined) client.act(view, starting);
    }
    const syncOdds = phase === "safety" ? this.world.syncOdds : 1;
    for (let round = 0; round < this.world.syncRoundsPerStep; round++) {
      await this.cluster.settle();
      // Hosts wait for their disks here: remote catch-up reads meet writes in flight.
      if (phase !== "drain") this.catchUp.act();
      this.cluster.commitSome(this.commitRandom, this.world.commitOdds);
      this.cluster.syncSome(this.syncRandom, syncOdds);
      if (phase === "safety") this.faults.afterSync(step);
      this.cluster.acknowledgeSyncs();
    }
    await this.cluster.settle();
    this.afterStep();
  }

  /** The checks between steps: disks replayed cleanly, no future overdue, nothing broken. */
  private afterStep(): void {
    for (const slot of this.cluster.slots) {
      const failure = slot.disk.takeFailure();
      if (failure !== undefined)
        this.checker.fail(
          `${slot.id}'s disk refused a replay: ${failure instanceof Error ? failure.message : JSON.stringify(failure)}`,
        );
    }
    this.workCheck.check((id, groupId) => this.cluster.latestLeadership(id, groupId));
    for (const slot of this.cluster.liveSlots())
      this.coverage.quiescedReplicaSteps += slot.live?.node.stats().quiescedReplicas ?? 0;
    const overdue = this.ledger.overdue((id) => this.cluster.slot(id).time.now());
    if (overdue !== undefined) this.checker.fail(overdue);
    this.checker.throwIfBroken();
  }

  /** Faults stop; every group must commit a marker within `livenessTicks`. */
  private async runLiveness(): Promise<void> {
    this.cluster.diskErrors = false;
    // A healed cluster restarts on sound disks: the liveness phase expects every host up.
    this.cluster.lostTailRandom = undefined;
    await this.faults.stopAll();
    const delay = this.world.delayStepsMin;
    this.network.setFaults({ ...CALM_NETWORK, delayStepsMin: delay, delayStepsMax: delay });
    const probe = new MarkerProbe(this.cluster, this.ledger, this.checker, this.futureDueMs);
    const slowest = this.world.stepsPerTick * (1 + this.world.clockDriftPercent / 100);
    const budgetSteps = Math.ceil(this.world.livenessTicks * slowest);
    for (let i = 0; i < budgetSteps && !probe.allDone(); i++) {
      probe.step();
      await this.step("liveness");
    }
    if (!probe.allDone()) {
      throw new Violation(
        `at step ${this.stepNumber}: liveness: within ${this.world.livenessTicks} ticks of healing, not every group committed a new entry:\n  ${probe.describeStuck()}`,
      );
    }
  }

  /** No new operations; clients finish, then every future of a live host must settle. */
  private async drain(): Promise<void> {
    const drainSteps = Math.ceil(this.futureDueMs / this.tickMs) * this.world.stepsPerTick;
    for (let i = 0; i < drainSteps && this.clients.some((client) => client.busy()); i++) {
      await this.step("drain");
    }
    for (const client of this.clients) client.finish();
    for (let i = 0; i < drainSteps && this.ledger.openCount() > 0; i++) await this.step("drain");
    if (this.ledger.openCount() > 0) {
      this.workCheck.check((id, groupId) => this.cluster.latestLeadership(id, groupId));
      for (const slot of this.cluster.liveSlots())
        this.coverage.quiescedReplicaSteps += slot.live?.node.stats().quiescedReplicas ?? 0;
      const overdue = this.ledger.overdue(() => Number.POSITIVE_INFINITY) ?? "";
      throw new Violation(`at step ${this.stepNumber}: a future never settled: ${overdue}`);
    }
  }

  private checkHistory(): RuntimeSimulationReport {
    const result = checkKvHistory(this.history, { maxStatesPerKey: HISTORY_STATES_PER_KEY_MAX });
    // An incomplete check is no violation, but no pass either: the report carries it.
    if (result.verdict === "not-linearizable") {
      throw new Violation(
        `linearizability: the history of key ${String(result.key)} has no linearization\n${result.explanation ?? ""}`,
      );
    }
    return {
      steps: this.stepNumber,
      coverage: this.coverageSoFar(),
      operations: this.history.length,
      unknownOperations: this.history.filter((op) => op.returnTime === undefined).length,
      batchesSent: this.network.stats.sent,
      futures: this.ledger.tracked,
      historyCheckExhausted: result.verdict === "incomplete" ? result.explanation : undefined,
    };
  }

  private createClients(random: SeededRandom): void {
    const context: ClientContext = {
      ledger: this.ledger,
      checker: this.checker,
      coverage: this.coverage,
      history: this.history,
      step: () => this.stepNumber,
      futureDueMs: this.futureDueMs,
      attemptsMax: 5,
      shortTimeoutMsMax: 4 * this.world.electionTicks * this.tickMs,
      backoffStepsMax: 2 * this.world.stepsPerTick,
      startOdds: this.world.clientOdds,
    };
    for (const groupId of this.cluster.groupIds) {
      for (let k = 0; k < this.world.keysPerGroup; k++) {
        const key = `${groupId}/k${k}`;
        for (let c = 0; c < this.world.clientsPerKey; c++) {
          const seed = childSeed(random);
          this.clients.push(
            new RuntimeClient(`${key}/c${c}`, groupId, key, new SeededRandom(seed), context),
          );
        }
      }
    }
  }
}
