/**
 * A simulated application client of one key of one group, calling the runtime's public API:
 * `group.propose` on the replica it believes leads (a `NotLeaderError` hint moves it) and
 * `group.read` on any replica. It runs one operation at a time and records it in the history the
 * linearizability checker reads (logical time = simulator step). A write is retried with the same
 * `(clientId, seq)`, which the state machine deduplicates; its outcome becomes unknown only if
 * some attempt could have applied: rejected with `ProposalOutcomeUnknownError`,
 * `ProposalTimeoutError` or `StoppedError`, or its host crashed. `NotLeaderError`,
 * `OverloadedError` and `ProposalDroppedError` mean "certainly not applied", which the host
 * checker holds the runtime to. Some attempts ask for a short `timeoutMs` or are aborted through
 * their `AbortSignal` (both "may still apply"). A read that fails is dropped (it changed nothing).
 */
import type { NodeId, SeededRandom } from "@flotilla/raft";
import {
  isNotLeaderError,
  isOverloadedError,
  isProposalDroppedError,
  isProposalOutcomeUnknownError,
  isProposalTimeoutError,
  isStoppedError,
  type Group,
  type RequestOptions,
} from "@flotilla/runtime";
import type { KvWrite } from "../kv-command.js";
import { nextKvOperation } from "../kv-workload.js";
import type { KvApplied } from "../kv-state-machine.js";
import type { HistoryOperation, KvOutput } from "../linearizability/history-operation.js";
import { pick } from "../random-choice.js";
import { encodeAttempt } from "./attempt-command.js";
import { describeError } from "./describe-error.js";
import type { FutureLedger, FutureRecord } from "./future-ledger.js";
import type { HostChecker } from "./host-checker.js";
import type { RuntimeCoverage } from "./runtime-coverage.js";

/** A group handle of the KV state machine. */
export type KvGroup = Group<Uint8Array, KvApplied, string, string | undefined>;

/** One live replica of the client's group. */
export interface LiveReplica {
  readonly nodeId: NodeId;
  readonly incarnation: number;
  readonly group: KvGroup;
  /** The host's clock now (ms). */
  nowMs(): number;
}

/** What a client can see of its group. */
export interface ClientView {
  /** The live replica on node `nodeId`, if it is up. */
  replica(nodeId: NodeId): LiveReplica | undefined;
  /** Every live replica of the group. */
  liveReplicas(): LiveReplica[];
}

/** What every client of a run shares. */
export interface ClientContext {
  readonly ledger: FutureLedger;
  readonly checker: HostChecker;
  readonly coverage: RuntimeCoverage;
  readonly history: HistoryOperation[];
  /** The step being run. */
  step(): number;
  /** How long after the call (host clock ms) a future must have settled. */
  readonly futureDueMs: number;
  /** Attempts per write before the client gives up on it. */
  readonly attemptsMax: number;
  /** Longest `timeoutMs` of an attempt that asks for a short one. */
  readonly shortTimeoutMsMax: number;
  /** Longest pause (steps) after a failed attempt. */
  readonly backoffStepsMax: number;
  /** Per idle step, odds that the next operation starts. */
  readonly startOdds: number;
}

interface InFlight {
  readonly replica: LiveReplica;
  readonly attempt: string;
  /** Set when the client will give up waiting at `abortAtStep` (the command may still apply). */
  readonly abort: { readonly controller: AbortController; readonly atStep: number } | undefined;
}

/** The reason a client aborts a wait with: "may still apply", like a timeout. */
class ClientAbort extends Error {
  override readonly name = "ClientAbort";
}

interface PendingWrite {
  readonly kind: "write";
  readonly seq: number;
  readonly write: KvWrite;
  readonly callStep: number;
  attempts: number;
  mayHaveApplied: boolean;
  inFlight: InFlight | undefined;
  retryAtStep: number;
}

interface PendingRead {
  readonly kind: "read";
  readonly callStep: number;
  readonly replica: LiveReplica;
}

/** One client; the simulation calls {@link act} every step. */
export class RuntimeClient {
  private seq = 0;
  private pending: PendingWrite | PendingRead | undefined;
  private leaderGuess: NodeId | undefined;
  /** The last value this client saw for its key, so compare-and-set sometimes succeeds. */
  private lastSeen: string | undefined;

  constructor(
    readonly id: string,
    readonly groupId: string,
    readonly key: string,
    private readonly random: SeededRandom,
    private readonly context: ClientContext,
  ) {}

  /** Whether an operation is in progress. */
  busy(): boolean {
    return this.pending !== undefined;
  }

  /** One step: start an operation, notice a crashed host, or retry a write. */
  act(view: ClientView, starting: boolean): void {
    const step = this.context.step();
    const pending = this.pending;
    if (pending === undefined) {
      if (starting && this.random.chance(this.context.startOdds)) this.start(step, view);
      return;
    }
    if (pending.kind === "read") {
      if (crashed(view, pending.replica)) this.pending = undefined;
      return;
    }
    const inFlight = pending.inFlight;
    if (inFlight !== undefined) {
      if (!crashed(view, inFlight.replica)) {
        if (inFlight.abort !== undefined && step >= inFlight.abort.atStep) {
          inFlight.abort.controller.abort(new ClientAbort(`client ${this.id} stopped waiting`));
        }
        return;
      }
      // Its host is gone with the future: the attempt may or may not have applied.
      this.context.coverage.unknownOutcomes++;
      pending.mayHaveApplied = true;
      pending.inFlight = undefined;
      pending.retryAtStep = step;
    }
    if (step >= pending.retryAtStep) this.attemptWrite(step, view, pending);
  }

  /** The run is over: a write that may have applied stays in the history, outcome unknown. */
  finish(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending?.kind !== "write" || !pending.mayHaveApplied) return;
    this.context.history.push({
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
      inFlight: undefined,
      retryAtStep: step,
    };
    this.pending = pending;
    this.attemptWrite(step, view, pending);
  }

  private attemptWrite(step: number, view: ClientView, pending: PendingWrite): void {
    if (pending.attempts >= this.context.attemptsMax) {
      this.finish();
      return;
    }
    const replica = this.chooseReplica(view);
    if (replica === undefined) {
      pending.retryAtStep = step + this.backoff();
      return;
    }
    pending.attempts++;
    const attempt = `${this.id}#${pending.seq}#${pending.attempts}`;
    const data = encodeAttempt(
      { kind: "client", clientId: this.id, seq: pending.seq, write: pending.write },
      attempt,
    );
    const { options, abort } = this.requestOptions(step);
    const inFlight: InFlight = { replica, attempt, abort };
    pending.inFlight = inFlight;
    const record = this.track("propose", replica);
    void replica.group.propose(data, options).then(
      (value) => this.writeResolved(pending, inFlight, record, value),
      (error: unknown) => this.writeRejected(pending, inFlight, record, error),
    );
  }

  private writeResolved(
    pending: PendingWrite,
    inFlight: InFlight,
    record: FutureRecord,
    value: KvApplied,
  ): void {
    this.settle(record);
    const { replica, attempt } = inFlight;
    const ref = { nodeId: replica.nodeId, groupId: this.groupId, incarnation: replica.incarnation };
    this.context.checker.proposalResolved(ref, attempt, value);
    if (this.pending !== pending || pending.inFlight !== inFlight) return;
    const result = value.result;
    if (result?.kind !== pending.write.kind) {
      this.context.checker.fail(
        `future: write ${attempt} resolved with ${JSON.stringify(value)}, not a ${pending.write.kind} answer`,
      );
      return;
    }
    if (pending.write.kind === "put") this.lastSeen = pending.write.value;
    this.leaderGuess = replica.nodeId;
    this.complete(pending.callStep, pending.write, result);
    this.context.coverage.writes++;
  }

  private writeRejected(
    pending: PendingWrite,
    inFlight: InFlight,
    record: FutureRecord,
    error: unknown,
  ): void {
    this.settle(record);
    const { context } = this;
    if (isNotLeaderError(error) || isOverloadedError(error) || isProposalDroppedError(error)) {
      context.coverage.notApplied++;
      context.checker.certainlyNotApplied(inFlight.attempt, error.name);
      if (isNotLeaderError(error)) this.leaderGuess = error.leaderHint as NodeId | undefined;
    } else if (
      isProposalOutcomeUnknownError(error) ||
      isProposalTimeoutError(error) ||
      isStoppedError(error) ||
      error instanceof ClientAbort
    ) {
      context.coverage.unknownOutcomes++;
      pending.mayHaveApplied = true;
    } else {
      context.checker.fail(
        `future: write ${inFlight.attempt} rejected with ${describeError(error)}`,
      );
      pending.mayHaveApplied = true;
    }
    if (this.pending !== pending || pending.inFlight !== inFlight) return;
    pending.inFlight = undefined;
    pending.retryAtStep = context.step() + this.backoff();
  }

  private startRead(step: number, view: ClientView): void {
    const replica = this.chooseReplica(view);
    if (replica === undefined) return;
    const pending: PendingRead = { kind: "read", callStep: step, replica };
    this.pending = pending;
    const record = this.track("read", replica);
    void replica.group.read(this.key).then(
      (value) => {
        this.settle(record);
        if (this.pending !== pending) return;
        this.lastSeen = value;
        this.context.coverage.reads++;
        this.complete(pending.callStep, { kind: "get", key: this.key }, { kind: "get", value });
      },
      (error: unknown) => {
        this.settle(record);
        if (isNotLeaderError(error)) this.leaderGuess = error.leaderHint as NodeId | undefined;
        else if (
          !isProposalTimeoutError(error) &&
          !isStoppedError(error) &&
          !isOverloadedError(error)
        )
          this.context.checker.fail(
            `future: read of ${this.key} rejected with ${describeError(error)}`,
          );
        if (this.pending === pending) this.pending = undefined;
      },
    );
  }

  /**
   * Most attempts wait as long as the host allows; some set a shorter `timeoutMs` (racing the
   * apply), and some are aborted by the client a few steps later.
   */
  private requestOptions(step: number): {
    options: RequestOptions;
    abort: InFlight["abort"];
  } {
    const roll = this.random.nextInt(100);
    if (roll < 10) {
      return {
        options: { timeoutMs: 1 + this.random.nextInt(this.context.shortTimeoutMsMax) },
        abort: undefined,
      };
    }
    if (roll < 15) {
      const controller = new AbortController();
      const atStep = step + 1 + this.random.nextInt(this.context.backoffStepsMax * 4);
      return { options: { signal: controller.signal }, abort: { controller, atStep } };
    }
    return { options: {}, abort: undefined };
  }

  private complete(callStep: number, input: HistoryOperation["input"], output: KvOutput): void {
    this.pending = undefined;
    this.context.history.push({
      clientId: this.id,
      input,
      callTime: callStep,
      returnTime: this.context.step(),
      output,
    });
  }

  private track(kind: FutureRecord["kind"], replica: LiveReplica): FutureRecord {
    const dueMs = replica.nowMs() + this.context.futureDueMs;
    return this.context.ledger.track(kind, replica.nodeId, replica.incarnation, dueMs);
  }

  private settle(record: FutureRecord): void {
    const problem = this.context.ledger.settle(record);
    if (problem !== undefined) this.context.checker.fail(problem);
  }

  /** The leader this client believes in, else any live replica of the group. */
  private chooseReplica(view: ClientView): LiveReplica | undefined {
    if (this.leaderGuess !== undefined && this.random.chance(0.85)) {
      const guessed = view.replica(this.leaderGuess);
      if (guessed !== undefined) return guessed;
    }
    const live = view.liveReplicas();
    return live.length === 0 ? undefined : pick(this.random, live);
  }

  private backoff(): number {
    return 1 + this.random.nextInt(this.context.backoffStepsMax);
  }
}

function crashed(view: ClientView, replica: LiveReplica): boolean {
  return view.replica(replica.nodeId)?.incarnation !== replica.incarnation;
}
