/**
 * One group seen from a remote client: `propose` reaches the leader wherever it is (the
 * subject is the route: only the leader answers it) and is retried through elections, applying
 * once; `read` is a linearizable query answered by the leader through ReadIndex.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { ProposalTimeoutError } from "@flotilla/runtime";
import { CLIENT_PROTOCOL_VERSION, decodeReply, encodeWire, wireError } from "./client-wire.js";
import type { GroupProposer } from "./group-proposer.js";
import { AbortFanOut } from "./abort-fan-out.js";
import { closedConnectionError, type ClientLifecycle } from "./client-lifecycle.js";
import { Interruption } from "./interruption.js";
import { backoffMs, isRetriableCode, isRetriableNatsError } from "./retry-policy.js";
import { errorFromWire } from "./wire-errors.js";
import type { Observable } from "rxjs";
import type { CommittedEvent } from "@flotilla/runtime";
import {
  remoteCommitted$,
  type CommittedSubjects,
  type RemoteCommittedOptions,
} from "./remote-committed-stream.js";

/** Options of a remote request. */
export interface RemoteRequestOptions {
  /** Overall bound, retries included (default: the client's `timeoutMs`). */
  readonly timeoutMs?: number;
  /** Aborting rejects with the signal's reason (a proposal may still apply). */
  readonly signal?: AbortSignal;
}

/**
 * A group of a Flotilla cluster, from any process.
 *
 * @example
 * const orders = client.group("orders-7");
 * const result = await orders.propose({ type: "place", id: 42 });
 * const order = await orders.read({ id: 42 });
 */
export class RemoteGroup<
  Command = unknown,
  Result = unknown,
  Query = unknown,
  QueryResult = unknown,
> {
  /** One listener per caller's signal for all of this group's reads. */
  private readonly aborts = new AbortFanOut();

  constructor(
    readonly groupId: string,
    private readonly nc: NatsConnection,
    private readonly readSubject: string,
    private readonly proposer: GroupProposer,
    private readonly defaults: { readonly timeoutMs: number; readonly attemptTimeoutMs: number },
    private readonly committedSubjects: CommittedSubjects,
    private readonly lifecycle: ClientLifecycle,
  ) {}

  /**
   * The group's committed application entries from `fromIndex`, in order, once each (a
   * `snapshot` event first when the log is compacted past `fromIndex`), then live — the same
   * contract as a local `committed$`, across leader changes and reconnections. Errors with
   * `SubscriberLagError` past its buffer (resume from the last index seen), and with
   * `ClosedConnectionError` when the client closes (at once for a subscription made after).
   */
  committed$(options: RemoteCommittedOptions = {}): Observable<CommittedEvent> {
    return remoteCommitted$(
      this.nc,
      this.groupId,
      this.committedSubjects,
      options,
      this.defaults.attemptTimeoutMs,
      this.lifecycle,
    );
  }

  /**
   * Proposes `command` (encoded as msgpack) to the group's leader; resolves with the state
   * machine's result once applied there. Retried with backoff through elections within the
   * timeout, and applied once however often it is retried. Rejects with `CommandFailedError`
   * (the state machine refused it), `TooLargeError`, `ProposalTimeoutError` (it may still
   * apply), the signal's reason, or `ClosedConnectionError` (the client closed).
   */
  propose(command: Command, options: RemoteRequestOptions = {}): Promise<Result> {
    return this.proposer.propose(
      encodeWire(command),
      options.timeoutMs ?? this.defaults.timeoutMs,
      options.signal,
    ) as Promise<Result>;
  }

  /**
   * A linearizable query, answered by the leader's state machine once its read index applied.
   * Rejects with `ProposalTimeoutError`, the signal's reason (at once, even mid-request), or
   * `ClosedConnectionError` (the client closed); no timer or listener outlives the call.
   */
  async read(query: Query, options: RemoteRequestOptions = {}): Promise<QueryResult> {
    if (this.lifecycle.closed) throw closedConnectionError();
    const interruption = new Interruption(this.lifecycle, options.signal, this.aborts);
    try {
      return await this.readAttempts(
        query,
        options.timeoutMs ?? this.defaults.timeoutMs,
        interruption,
      );
    } finally {
      interruption.dispose();
    }
  }

  private async readAttempts(
    query: Query,
    timeoutMs: number,
    interruption: Interruption,
  ): Promise<QueryResult> {
    const deadline = Date.now() + timeoutMs;
    const request = encodeWire({ v: CLIENT_PROTOCOL_VERSION, query });
    for (let attempt = 0; ; attempt++) {
      interruption.throwIfInterrupted();
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new ProposalTimeoutError(this.groupId, timeoutMs);
      try {
        const message = await interruption.race(
          this.nc.request(this.readSubject, request, {
            timeout: Math.min(remaining, this.defaults.attemptTimeoutMs),
          }),
        );
        const reply = decodeReply(message.data);
        if (reply["ok"] === true) return reply["result"] as QueryResult;
        const error = wireError(reply["error"]);
        if (!isRetriableCode(error.code)) throw errorFromWire({ groupId: this.groupId, ...error });
      } catch (error) {
        // An interruption is final, whatever its reason looks like.
        interruption.throwIfInterrupted();
        if (!isRetriableNatsError(error)) throw error;
      }
      // Never past the deadline: the next turn rejects with the timeout at it, not a backoff later.
      await interruption.sleep(Math.min(backoffMs(attempt), Math.max(0, deadline - Date.now())));
    }
  }
}
