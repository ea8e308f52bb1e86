/**
 * Proposals of one client to one group: queued commands leave in batches (many commands, one
 * request, one reply), a few requests in flight at a time, and each command is retried through
 * elections and deposed leaders until it has a final answer or its deadline passes. Retries
 * are safe: every command keeps its session sequence number, so it applies once.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { ProposalTimeoutError, TooLargeError } from "@flotilla/runtime";
import {
  CLIENT_PROTOCOL_VERSION,
  decodeReply,
  encodeWire,
  proposeOutcomes,
  wireError,
} from "./client-wire.js";
import { AbortFanOut } from "./abort-fan-out.js";
import { closedConnectionError, type ClientLifecycle } from "./client-lifecycle.js";
import { backoffMs, isRetriableCode, isRetriableNatsError } from "./retry-policy.js";
import type { SessionSequence } from "./session-sequence.js";
import { errorFromWire, type WireError } from "./wire-errors.js";

/** Bounds of one group's proposer. */
export interface ProposerLimits {
  /** Commands per request at most. */
  readonly commandsPerRequestMax: number;
  /** Requests in flight per group at most. */
  readonly requestsInFlightMax: number;
  /** Bound of one attempt (a request and its reply). */
  readonly attemptTimeoutMs: number;
  /**
   * Request bytes at most (the server's `max_payload`, read at call time): commands are cut into
   * requests below it, and a command that cannot fit alone rejects with `TooLargeError`.
   */
  readonly requestBytesMax: () => number;
}

/** Request bytes besides the commands themselves (version, client id, respondedTo, framing). */
const REQUEST_OVERHEAD_BYTES = 512;
/** Framing of one command in a request (its map, `seq` and the binary header). */
const COMMAND_OVERHEAD_BYTES = 32;

interface QueuedCommand {
  readonly seq: number;
  readonly command: Uint8Array;
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
  attempts: number;
  settled: boolean;
  /** Rejects the command at its deadline, wherever it waits (queue, request, backoff). */
  timer: NodeJS.Timeout | undefined;
  /** The backoff before the next attempt, while one runs. */
  retryTimer: NodeJS.Timeout | undefined;
  /** Removes the listener on the caller's signal (every settle calls it: no listener per call). */
  releaseSignal: (() => void) | undefined;
}

/**
 * The proposer of one group. Every command it accepts settles exactly once: with its result,
 * a final error, `ProposalTimeoutError` at its deadline, the signal's reason, or
 * `ClosedConnectionError` when the client closes — and settling releases its timers and its
 * signal listener.
 */
export class GroupProposer {
  private readonly queue: QueuedCommand[] = [];
  /** Every command not yet settled, wherever it waits (queue, request, backoff). */
  private readonly pending = new Set<QueuedCommand>();
  /** One listener per caller's signal, not one per command. */
  private readonly aborts = new AbortFanOut();
  private inFlight = 0;
  private flushScheduled = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subject: string,
    private readonly groupId: string,
    private readonly clientId: string,
    private readonly sequence: SessionSequence,
    private readonly limits: ProposerLimits,
    private readonly lifecycle: ClientLifecycle,
  ) {
    // A proposer lives as long as its client: one listener each, never released.
    lifecycle.onClose(() => this.closeAll());
  }

  /** The commands not yet settled (tests check that nothing is left behind). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Proposes an encoded command; resolves with the state machine's (decoded) result. Rejects
   * with `ClosedConnectionError` when the client is closed, or closes before an answer.
   */
  propose(command: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    if (this.lifecycle.closed) return Promise.reject(closedConnectionError());
    if (signal?.aborted === true) return Promise.reject(asError(signal.reason));
    return new Promise((resolve, reject) => {
      const seq = this.sequence.next();
      const queued: QueuedCommand = {
        seq,
        command,
        deadline: Date.now() + timeoutMs,
        timeoutMs,
        resolve: (result) => this.settle(queued, () => resolve(result)),
        reject: (error) => this.settle(queued, () => reject(asError(error))),
        attempts: 0,
        settled: false,
        timer: undefined,
        retryTimer: undefined,
        releaseSignal: undefined,
      };
      this.pending.add(queued);
      queued.timer = setTimeout(
        () => queued.reject(new ProposalTimeoutError(this.groupId, timeoutMs)),
        timeoutMs,
      );
      queued.timer.unref();
      if (signal !== undefined) {
        queued.releaseSignal = this.aborts.add(signal, () => queued.reject(signal.reason));
      }
      this.enqueue(queued);
    });
  }

  private settle(queued: QueuedCommand, finish: () => void): void {
    if (queued.settled) return;
    queued.settled = true;
    this.pending.delete(queued);
    clearTimeout(queued.timer);
    clearTimeout(queued.retryTimer);
    queued.releaseSignal?.();
    queued.releaseSignal = undefined;
    this.sequence.answered(queued.seq);
    finish();
  }

  /**
   * The client closed: every command still pending rejects now, wherever it waits. A request
   * in flight is not waited for — its answer, if one comes, finds its commands settled.
   */
  private closeAll(): void {
    this.queue.length = 0;
    for (const queued of [...this.pending]) queued.reject(closedConnectionError());
  }

  private enqueue(queued: QueuedCommand): void {
    this.queue.push(queued);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.lifecycle.closed) return;
    this.flushScheduled = true;
    // Commands proposed in the same tick share a request.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (
      !this.lifecycle.closed &&
      this.queue.length > 0 &&
      this.inFlight < this.limits.requestsInFlightMax
    ) {
      const batch = this.nextBatch();
      // `send` settles every command of its batch and never rejects (its own catch-all below).
      if (batch.length > 0) void this.send(batch);
    }
  }

  /** Takes the next request's commands off the queue: bounded by count and by bytes. */
  private nextBatch(): QueuedCommand[] {
    const budget = this.limits.requestBytesMax() - REQUEST_OVERHEAD_BYTES;
    const batch: QueuedCommand[] = [];
    let bytes = 0;
    let taken = 0;
    for (const queued of this.queue) {
      if (batch.length >= this.limits.commandsPerRequestMax) break;
      const size = queued.command.byteLength + COMMAND_OVERHEAD_BYTES;
      if (!queued.settled && batch.length > 0 && bytes + size > budget) break;
      taken++;
      if (queued.settled) continue;
      if (size > budget) {
        queued.reject(new TooLargeError(size, budget));
        continue;
      }
      batch.push(queued);
      bytes += size;
    }
    this.queue.splice(0, taken);
    return batch;
  }

  private async send(batch: QueuedCommand[]): Promise<void> {
    this.inFlight++;
    try {
      const now = Date.now();
      const timeout = Math.max(
        1,
        Math.min(this.limits.attemptTimeoutMs, Math.max(...batch.map((q) => q.deadline - now))),
      );
      const request = encodeWire({
        v: CLIENT_PROTOCOL_VERSION,
        client: this.clientId,
        respondedTo: this.sequence.respondedTo,
        commands: batch.map(({ seq, command }) => ({ seq, command })),
      });
      const reply = decodeReply((await this.nc.request(this.subject, request, { timeout })).data);
      if ("error" in reply) {
        const error = wireError(reply["error"]);
        for (const queued of batch) this.failed(queued, error);
      } else {
        proposeOutcomes(reply, batch.length).forEach((outcome, i) => {
          const queued = batch[i];
          if (queued === undefined) return;
          if (outcome.ok) queued.resolve(outcome.result);
          else this.failed(queued, outcome.error);
        });
      }
    } catch (error) {
      for (const queued of batch) {
        if (isRetriableNatsError(error)) this.retry(queued);
        else queued.reject(error);
      }
    } finally {
      this.inFlight--;
      this.flushSafely(batch);
    }
  }

  /**
   * `flush` from a request's end. Nothing in it is expected to throw; if something does, the
   * commands it concerns reject rather than `send` rejecting with no one to hear it.
   */
  private flushSafely(batch: readonly QueuedCommand[]): void {
    try {
      this.flush();
    } catch (error) {
      for (const queued of [...batch, ...this.queue.splice(0)]) queued.reject(error);
    }
  }

  private failed(queued: QueuedCommand, error: WireError): void {
    if (isRetriableCode(error.code)) this.retry(queued);
    else queued.reject(errorFromWire({ groupId: this.groupId, ...error }));
  }

  private retry(queued: QueuedCommand): void {
    if (queued.settled) return;
    if (this.lifecycle.closed) {
      queued.reject(closedConnectionError());
      return;
    }
    const waitMs = backoffMs(queued.attempts++);
    if (Date.now() + waitMs >= queued.deadline) {
      queued.reject(new ProposalTimeoutError(this.groupId, queued.timeoutMs));
      return;
    }
    queued.retryTimer = setTimeout(() => {
      queued.retryTimer = undefined;
      if (!queued.settled) this.enqueue(queued);
    }, waitMs);
  }
}

/** A rejection reason as an `Error` (a signal may abort with anything). */
function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
