/**
 * A simulated client of one key of one group. It runs one operation at a time and records it in
 * the history the linearizability checker reads, with logical time = simulator step. Writes go
 * through the log with a `(clientId, seq)` the state machine deduplicates, so a timed-out write is
 * retried with the same seq until it is answered or the client gives up; only then is its outcome
 * unknown, and only if some attempt could have reached the log. Reads go through ReadIndex with a
 * fresh context each time (etcd-io/raft #397); a read that is not answered is simply dropped
 * (it changed nothing). Every operation is resolved exactly once.
 */
import { assert, type Entry, type NodeId, type ReadState, type SeededRandom } from "@flotilla/raft";
import { encodeKvCommand, type KvWrite } from "./kv-command.js";
import { nextKvOperation } from "./kv-workload.js";
import type { KvApplied } from "./kv-state-machine.js";
import type { HistoryOperation, KvOutput } from "./linearizability/history-operation.js";
import { pick } from "./random-choice.js";
import type { ReplicaHost } from "./replica-host.js";

/** What a client can see of the cluster. */
export interface ClientView {
  /** The live replica of the client's group on node `id`, if any. */
  replica(id: NodeId): ReplicaHost | undefined;
  /** Every live replica of the client's group. */
  liveReplicas(): ReplicaHost[];
}

/** Timing of a client, in steps. */
export interface ClientTiming {
  /** How long one attempt waits for an answer. */
  readonly attemptSteps: number;
  /** Attempts per write before the client gives up on it. */
  readonly attemptsMax: number;
  /** Longest pause after a rejected attempt. */
  readonly backoffStepsMax: number;
  /** Per idle step, odds that the next operation starts. */
  readonly startOdds: number;
}

interface WriteAttempt {
  readonly host: ReplicaHost;
  readonly deadlineStep: number;
  /** Where the leader appended it (when proposed to the leader itself). */
  readonly accepted: { readonly index: number; readonly term: number } | undefined;
}

interface PendingWrite {
  readonly kind: "write";
  readonly seq: number;
  readonly write: KvWrite;
  readonly callStep: number;
  attempts: number;
  /** Some attempt was appended or forwarded: the write may apply even if we give up. */
  mayHaveApplied: boolean;
  attempt: WriteAttempt | undefined;
  retryAtStep: number;
}

interface PendingRead {
  readonly kind: "read";
  /** This client's read counter: the context is unique, never reused (etcd-io/raft #397). */
  readonly number: number;
  readonly context: string;
  readonly callStep: number;
  readonly host: ReplicaHost;
  readonly deadlineStep: number;
  readIndex: number | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One client; the simulation calls {@link act} every step and forwards its group's events. */
export class SimClient {
  private seq = 0;
  private readCount = 0;
  private pending: PendingWrite | PendingRead | undefined;
  private leaderGuess: NodeId | undefined;
  /** The last value this client saw for its key, to make compare-and-set sometimes succeed. */
  private lastSeen: string | undefined;
  /** Reads answered (for the coverage report). */
  readsCompleted = 0;
  /** The last write seq and read number resolved: each operation resolves exactly once. */
  private resolvedSeq = 0;
  private resolvedRead = 0;

  constructor(
    readonly id: string,
    readonly groupId: string,
    readonly key: string,
    private readonly random: SeededRandom,
    private readonly timing: ClientTiming,
    private readonly history: HistoryOperation[],
  ) {}

  /** Whether an operation is in progress. */
  busy(): boolean {
    return this.pending !== undefined;
  }

  /** One step: start an operation, retry one, or time one out. `starting` allows new ones. */
  act(step: number, view: ClientView, starting: boolean): void {
    const pending = this.pending;
    if (pending === undefined) {
      if (starting && this.random.chance(this.timing.startOdds)) this.start(step, view);
      return;
    }
    if (pending.kind === "read") {
      const gone = view.replica(pending.host.nodeId) !== pending.host;
      if (gone || step >= pending.deadlineStep) this.pending = undefined;
      return;
    }
    const attempt = pending.attempt;
    if (attempt !== undefined) {
      const gone = view.replica(attempt.host.nodeId) !== attempt.host;
      if (!gone && step < attempt.deadlineStep) return;
      pending.attempt = undefined;
      pending.retryAtStep = step;
    }
    if (step >= pending.retryAtStep) this.attemptWrite(step, view, pending);
  }

  /** A replica of this client's group applied `entry`. */
  applied(host: ReplicaHost, step: number, entry: Entry, applied: KvApplied | undefined): void {
    const pending = this.pending;
    if (pending?.kind === "read") {
      this.maybeAnswerRead(host, step, pending);
      return;
    }
    if (pending?.attempt?.host !== host) return;
    const command = applied?.command;
    if (command?.kind === "client" && command.clientId === this.id && command.seq === pending.seq) {
      assert(applied?.result !== undefined, "the current seq always has a result");
      this.completeWrite(step, pending, applied.result);
    } else if (pending.attempt.accepted?.index === entry.index) {
      // Another entry took the index this attempt was appended at: that attempt is dead.
      pending.attempt = undefined;
      pending.retryAtStep = step;
    }
  }

  /** A replica of this client's group restored a snapshot from its leader. */
  snapshotRestored(host: ReplicaHost, step: number): void {
    const pending = this.pending;
    if (pending?.kind === "read") {
      this.maybeAnswerRead(host, step, pending);
      return;
    }
    if (pending?.attempt?.host !== host) return;
    // The write may have applied inside the snapshot: the session table says.
    const session = host.kv().session(this.id);
    if (session !== undefined && session.seq === pending.seq) {
      this.completeWrite(step, pending, session.result);
    } else if (
      (pending.attempt.accepted?.index ?? Number.POSITIVE_INFINITY) <= host.kv().appliedIndex()
    ) {
      pending.attempt = undefined;
      pending.retryAtStep = step;
    }
  }

  /** A replica of this client's group confirmed a read point. */
  readState(host: ReplicaHost, step: number, readState: ReadState): void {
    const pending = this.pending;
    if (pending?.kind !== "read" || pending.host !== host || pending.readIndex !== undefined)
      return;
    if (decoder.decode(readState.context) !== pending.context) return;
    pending.readIndex = readState.index;
    this.maybeAnswerRead(host, step, pending);
  }

  /** The run is over: a write that may have applied stays in the history, outcome unknown. */
  finish(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending?.kind !== "write" || !pending.mayHaveApplied) return;
    this.history.push({
      clientId: this.id,
      input: pending.write,
      callTime: pending.callStep,
      returnTime: undefined,
      output: undefined,
    });
  }

  private start(step: number, view: ClientView): void {
    const next = nextKvOperation(this.random, this.id, this.seq + 1, this.key, this.lastSeen);
    if (next.type === "read") {
      this.startRead(step, view);
      return;
    }
    this.seq++;
    const write = next.write;
    const pending: PendingWrite = {
      kind: "write",
      seq: this.seq,
      write,
      callStep: step,
      attempts: 0,
      mayHaveApplied: false,
      attempt: undefined,
      retryAtStep: step,
    };
    this.pending = pending;
    this.attemptWrite(step, view, pending);
  }

  private attemptWrite(step: number, view: ClientView, pending: PendingWrite): void {
    if (pending.attempts >= this.timing.attemptsMax) {
      this.finish();
      return;
    }
    pending.attempts++;
    const host = this.chooseReplica(view);
    if (host === undefined) {
      pending.retryAtStep = step + this.backoff();
      return;
    }
    const data = encodeKvCommand({
      kind: "client",
      clientId: this.id,
      seq: pending.seq,
      write: pending.write,
    });
    const outcome = host.raft.propose(data);
    const deadlineStep = step + this.timing.attemptSteps;
    switch (outcome.type) {
      case "accepted":
        pending.mayHaveApplied = true;
        pending.attempt = {
          host,
          deadlineStep,
          accepted: { index: outcome.index, term: outcome.term },
        };
        this.leaderGuess = host.nodeId;
        return;
      case "forwarded":
        pending.mayHaveApplied = true;
        pending.attempt = { host, deadlineStep, accepted: undefined };
        this.leaderGuess = outcome.to;
        return;
      case "rejected":
        this.leaderGuess = outcome.leaderHint;
        pending.retryAtStep = step + this.backoff();
        return;
    }
  }

  private startRead(step: number, view: ClientView): void {
    const host = this.chooseReplica(view);
    if (host === undefined) return;
    this.readCount++;
    const context = `${this.id}/r${this.readCount}`;
    const outcome = host.raft.readIndex(encoder.encode(context));
    if (outcome.type === "rejected") {
      this.leaderGuess = outcome.leaderHint;
      return;
    }
    const deadlineStep = step + this.timing.attemptSteps;
    this.pending = {
      kind: "read",
      number: this.readCount,
      context,
      callStep: step,
      host,
      deadlineStep,
      readIndex: undefined,
    };
  }

  private maybeAnswerRead(host: ReplicaHost, step: number, pending: PendingRead): void {
    if (pending.host !== host || pending.readIndex === undefined) return;
    if (host.kv().appliedIndex() < pending.readIndex) return;
    const value = host.kv().get(this.key);
    assert(pending.number > this.resolvedRead, `read ${pending.context} resolves once`);
    this.resolvedRead = pending.number;
    this.lastSeen = value;
    this.pending = undefined;
    this.readsCompleted++;
    this.history.push({
      clientId: this.id,
      input: { kind: "get", key: this.key },
      callTime: pending.callStep,
      returnTime: step,
      output: { kind: "get", value },
    });
  }

  private completeWrite(step: number, pending: PendingWrite, output: KvOutput): void {
    assert(output.kind === pending.write.kind, "a write's answer matches its kind");
    assert(pending.seq > this.resolvedSeq, `write ${this.id}#${pending.seq} resolves once`);
    this.resolvedSeq = pending.seq;
    if (pending.write.kind === "put") this.lastSeen = pending.write.value;
    this.pending = undefined;
    this.history.push({
      clientId: this.id,
      input: pending.write,
      callTime: pending.callStep,
      returnTime: step,
      output,
    });
  }

  /** The leader this client believes in, else any live replica of the group. */
  private chooseReplica(view: ClientView): ReplicaHost | undefined {
    if (this.leaderGuess !== undefined && this.random.chance(0.85)) {
      const guessed = view.replica(this.leaderGuess);
      if (guessed !== undefined) return guessed;
    }
    const live = view.liveReplicas();
    return live.length === 0 ? undefined : pick(this.random, live);
  }

  private backoff(): number {
    return 1 + this.random.nextInt(this.timing.backoffStepsMax);
  }
}
