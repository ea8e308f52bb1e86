/**
 * Checks one `committed$` subscription against the contract of DESIGN.md: events in index
 * order, each at most once, every committed application entry from `fromIndex` on (Raft's no-op
 * and configuration entries skipped, nothing else missing) unless a snapshot event stands for
 * it, and each entry the very one every replica applied at its index. Runs inside the host's
 * round, so it records problems with the host checker rather than throwing.
 */
import type { CommittedEvent } from "@flotilla/runtime";
import { describeError } from "./describe-error.js";
import type { HostChecker } from "./host-checker.js";
import type { ReplicaRef } from "./checked-kv.js";
import type { RuntimeCoverage } from "./runtime-coverage.js";

/** One subscription's checker; pass it to `committed$(...).subscribe`. */
export class CommittedStreamCheck {
  private lastIndex: number;

  constructor(
    private readonly replica: ReplicaRef,
    fromIndex: number,
    private readonly checker: HostChecker,
    private readonly coverage: RuntimeCoverage,
    /** Whether the host is stopping for a reason (then its streams complete, as they must). */
    private readonly stopping: () => boolean,
  ) {
    this.lastIndex = fromIndex - 1;
  }

  /** The subscriber's `next`. */
  next(event: CommittedEvent): void {
    const { replica } = this;
    const who = `committed$ of ${replica.nodeId}#${replica.incarnation} (group ${replica.groupId})`;
    if (event.index <= this.lastIndex) {
      this.checker.fail(`${who} emitted ${event.type} ${event.index} after ${this.lastIndex}`);
      return;
    }
    this.coverage.streamEvents++;
    if (event.type === "snapshot") {
      this.lastIndex = event.index;
      return;
    }
    const skipped = this.checker.firstAppliedBetween(replica.groupId, this.lastIndex, event.index);
    if (skipped !== undefined) {
      this.checker.fail(
        `${who} skipped application entry ${skipped} (went from ${this.lastIndex} to ${event.index})`,
      );
    }
    const applied = this.checker.appliedDigest(replica.groupId, event.index);
    const emitted = this.checker.digestOf(event.term, event.data);
    if (applied !== emitted) {
      this.checker.fail(
        `${who} emitted ${emitted} at index ${event.index}, where replicas applied ${String(applied)}`,
      );
    }
    this.lastIndex = event.index;
  }

  /** The subscriber's `error`: the stream ended although nobody stopped the host. */
  error(error: unknown): void {
    const { replica } = this;
    this.checker.fail(
      `committed$ of ${replica.nodeId}#${replica.incarnation} (group ${replica.groupId}) errored: ${describeError(error)}`,
    );
  }

  /** The subscriber's `complete`: only a stopping host completes its streams. */
  complete(): void {
    if (this.stopping()) return;
    const { replica } = this;
    this.checker.fail(
      `committed$ of ${replica.nodeId}#${replica.incarnation} (group ${replica.groupId}) completed on a running host`,
    );
  }
}
