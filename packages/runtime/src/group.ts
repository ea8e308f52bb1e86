/**
 * The application's handle on one group hosted by a node: proposals, linearizable reads,
 * `leader$` and `committed$`. It holds no state of its own; everything goes through the node's
 * mailboxes and rounds.
 */
import type { Observable } from "rxjs";
import type { CommittedEvent, CommittedOptions } from "./committed-feed.js";
import type { LeaderInfo } from "./replica.js";

/** Options of `propose` and `read`. */
export interface RequestOptions {
  /** Aborting rejects the future with the signal's reason (the command may still apply). */
  readonly signal?: AbortSignal;
  /** Overrides the node's `proposalTimeoutMs`; past it → `ProposalTimeoutError`. */
  readonly timeoutMs?: number;
}

/**
 * One group, as seen from this node.
 *
 * @example
 * const orders = await node.group("orders-7", { members: ["n1", "n2", "n3"], stateMachine, codec });
 * orders.leader$.subscribe(({ leaderId, term }) => console.log(leaderId, term));
 * const result = await orders.propose({ type: "place", id: 42 });
 * orders.committed$({ fromIndex: 1 }).subscribe((event) => console.log(event.index));
 */
export interface Group<Command, Result, Query, QueryResult> {
  readonly groupId: string;
  /**
   * Who leads: the latest `{ leaderId, term }` first, then every change. Completes on stop.
   * Losing leadership is an event here, never an error.
   */
  readonly leader$: Observable<LeaderInfo>;
  /**
   * Proposes `command` on this replica, which must lead (forwarding from a follower is a later
   * step). Resolves with the state machine's result once applied locally. Rejects with
   * `NotLeaderError` (hint), `OverloadedError`, `TooLargeError`, `ProposalDroppedError` (not
   * applied), `ProposalOutcomeUnknownError`, `ProposalTimeoutError` (may apply), the signal's
   * reason on abort, or `StoppedError`.
   */
  propose(command: Command, options?: RequestOptions): Promise<Result>;
  /**
   * {@link propose} as a cold Observable: each subscription proposes once and emits the result
   * then completes (or errors with the same typed errors). Unsubscribing early aborts the wait
   * (the command may still apply).
   */
  propose$(command: Command, options?: RequestOptions): Observable<Result>;
  /**
   * A linearizable query through ReadIndex, answered by `stateMachine.query` once the read
   * point is applied locally (works on followers too, through the leader). Rejects with
   * `NotLeaderError`, `ProposalTimeoutError` or `StoppedError`.
   */
  read(query: Query, options?: RequestOptions): Promise<QueryResult>;
  /**
   * Committed application entries with `index >= fromIndex`, in order, once each, after the
   * local apply: catch up from the log (a `snapshot` event first when `fromIndex` lies below
   * the compacted log), then follow. Errors with `SubscriberLagError` past the buffer bound;
   * completes on stop.
   */
  committed$(options?: CommittedOptions): Observable<CommittedEvent>;
}
