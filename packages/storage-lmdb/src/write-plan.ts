/**
 * Plans one write batch before anything is written: checks every group write against the
 * committed state (plus what earlier parts of the same batch did), computes each group's state
 * after the batch, and lists the storage operations. A batch that breaks an invariant throws
 * here, so a transaction never commits half of it. The rules are MemoryStorage's (the
 * reference): suffix truncation on append, snapshot replaces the log, compaction only below the
 * snapshot.
 */
import {
  assert,
  EMPTY_HARD_STATE,
  isValidId,
  type Entry,
  type HardState,
  type Membership,
  type Snapshot,
  type SnapshotMetadata,
} from "@flotilla/raft";
import type { GroupWrite } from "@flotilla/runtime";

/** What a node keeps in memory about one group, so the core's cheap reads need no I/O. */
export interface GroupSummary {
  /** The log head: the index before the first entry (the compaction point), and its term. */
  readonly headIndex: number;
  readonly headTerm: number;
  /** The last index in the log (the head when the log is empty), and its term. */
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly hardState: HardState;
  /** The stored snapshot's metadata (its data stays on disk). */
  readonly snapshot: SnapshotMetadata;
}

/** A storage operation, in the order the plan made it. Indexes ranges are inclusive. */
export type PlannedOp =
  | { readonly type: "create-group"; readonly groupId: string; readonly summary: GroupSummary }
  | { readonly type: "remove-group"; readonly groupId: string; readonly summary: GroupSummary }
  | { readonly type: "put-entries"; readonly groupId: string; readonly entries: readonly Entry[] }
  | {
      readonly type: "delete-entries";
      readonly groupId: string;
      readonly fromIndex: number;
      readonly toIndex: number;
    }
  | { readonly type: "put-hard-state"; readonly groupId: string; readonly hardState: HardState }
  | { readonly type: "put-snapshot"; readonly groupId: string; readonly snapshot: Snapshot }
  | {
      readonly type: "put-log-head";
      readonly groupId: string;
      readonly index: number;
      readonly term: number;
    };

/** The committed state a plan starts from. */
export interface PlanSource {
  /** The committed summary of a group, or undefined if it does not exist. */
  summary(groupId: string): GroupSummary | undefined;
  /** The committed term at `index`, for an index strictly between the head and the last index. */
  term(groupId: string, index: number): number | undefined;
}

/** Terms of the entries this batch wrote from `floor` on (every index from `floor` to last). */
interface TermOverlay {
  floor: number;
  terms: number[];
}

/** The summary of a group created from `membership`: an empty log at index 0. */
export function bootstrapSummary(membership: Membership): GroupSummary {
  return {
    headIndex: 0,
    headTerm: 0,
    lastIndex: 0,
    lastTerm: 0,
    hardState: EMPTY_HARD_STATE,
    snapshot: { index: 0, term: 0, membership },
  };
}

/**
 * One batch's plan. Call its methods in the batch's order; they throw `AssertionError` on an
 * invalid write (and the plan is then discarded).
 */
export class WritePlan {
  /** The operations, in order. */
  readonly ops: PlannedOp[] = [];
  /** Each touched group's summary once the batch commits (undefined: removed). */
  readonly summaries = new Map<string, GroupSummary | undefined>();
  /** True when some group's term or vote changes: relaxed durability syncs such a batch. */
  changesTermOrVote = false;
  private readonly source: PlanSource;
  private readonly overlays = new Map<string, TermOverlay>();

  constructor(source: PlanSource) {
    this.source = source;
  }

  /** The group's state as of this point of the batch. */
  summary(groupId: string): GroupSummary | undefined {
    return this.summaries.has(groupId) ? this.summaries.get(groupId) : this.source.summary(groupId);
  }

  /** The term at `index` as of this point of the batch (undefined outside `[head, last]`). */
  term(groupId: string, index: number): number | undefined {
    const summary = this.summary(groupId);
    if (summary === undefined) return undefined;
    if (index === summary.headIndex) return summary.headTerm;
    if (index < summary.headIndex || index > summary.lastIndex) return undefined;
    if (index === summary.lastIndex) return summary.lastTerm;
    const overlay = this.overlays.get(groupId);
    if (overlay !== undefined && index >= overlay.floor)
      return overlay.terms[index - overlay.floor];
    return this.source.term(groupId, index);
  }

  /** Creates a group unless it exists. */
  createGroup(groupId: string, membership: Membership): void {
    assert(isValidId(groupId), `group id ${JSON.stringify(groupId)} matches [A-Za-z0-9_-]{1,64}`);
    assert(membership.voters.length > 0, `group ${groupId} is bootstrapped with a voter`);
    if (this.summary(groupId) !== undefined) return;
    const summary = bootstrapSummary(membership);
    this.ops.push({ type: "create-group", groupId, summary });
    this.summaries.set(groupId, summary);
    this.overlays.set(groupId, { floor: 1, terms: [] });
  }

  /** Removes a group and all its data, if it exists. */
  removeGroup(groupId: string): void {
    const summary = this.summary(groupId);
    if (summary === undefined) return;
    this.ops.push({ type: "remove-group", groupId, summary });
    this.summaries.set(groupId, undefined);
    this.overlays.delete(groupId);
  }

  /** Applies one group's write: snapshot, entries, hard state, compaction. */
  apply(write: GroupWrite): void {
    assert(this.summary(write.groupId) !== undefined, `write to unknown group ${write.groupId}`);
    if (write.snapshot !== undefined) this.applySnapshot(write.groupId, write.snapshot);
    if (write.entries !== undefined) this.append(write.groupId, write.entries);
    if (write.hardState !== undefined) this.setHardState(write.groupId, write.hardState);
    if (write.compactThrough !== undefined) this.compact(write.groupId, write.compactThrough);
  }

  /**
   * Records a snapshot taken by the local state machine at `index`. Returns its metadata, or
   * undefined when the stored snapshot is already at or past `index` (nothing to do).
   */
  createSnapshot(
    groupId: string,
    index: number,
    membership: Membership,
    data: Uint8Array,
  ): SnapshotMetadata | undefined {
    const summary = this.require(groupId);
    const term = this.term(groupId, index);
    assert(term !== undefined, `snapshot index ${index} is not in the log of ${groupId}`);
    if (index <= summary.snapshot.index) return undefined;
    const metadata: SnapshotMetadata = { index, term, membership };
    this.ops.push({ type: "put-snapshot", groupId, snapshot: { metadata, data } });
    this.summaries.set(groupId, { ...summary, snapshot: metadata });
    return metadata;
  }

  private applySnapshot(groupId: string, snapshot: Snapshot): void {
    const summary = this.require(groupId);
    const { index, term } = snapshot.metadata;
    if (index <= summary.snapshot.index) return;
    if (summary.lastIndex > summary.headIndex) {
      this.ops.push({
        type: "delete-entries",
        groupId,
        fromIndex: summary.headIndex + 1,
        toIndex: summary.lastIndex,
      });
    }
    this.ops.push({ type: "put-snapshot", groupId, snapshot });
    this.ops.push({ type: "put-log-head", groupId, index, term });
    let hardState = summary.hardState;
    if (hardState.commitIndex < index) {
      hardState = { ...hardState, commitIndex: index };
      this.ops.push({ type: "put-hard-state", groupId, hardState });
    }
    this.summaries.set(groupId, {
      headIndex: index,
      headTerm: term,
      lastIndex: index,
      lastTerm: term,
      hardState,
      snapshot: snapshot.metadata,
    });
    this.overlays.set(groupId, { floor: index + 1, terms: [] });
  }

  private append(groupId: string, entries: readonly Entry[]): void {
    const summary = this.require(groupId);
    const first = entries[0];
    if (first === undefined) return;
    const skip = Math.max(0, summary.headIndex + 1 - first.index);
    if (skip >= entries.length) return;
    const start = first.index + skip;
    assert(
      start <= summary.lastIndex + 1,
      `append at ${start} leaves a hole after ${summary.lastIndex} in ${groupId}`,
    );
    const kept = skip === 0 ? entries : entries.slice(skip);
    kept.forEach((entry, i) => {
      assert(entry.index === start + i, `entries appended to ${groupId} are contiguous`);
    });
    const last = kept[kept.length - 1];
    assert(last !== undefined, "kept is not empty");
    if (last.index < summary.lastIndex) {
      this.ops.push({
        type: "delete-entries",
        groupId,
        fromIndex: last.index + 1,
        toIndex: summary.lastIndex,
      });
    }
    this.ops.push({ type: "put-entries", groupId, entries: kept });
    this.overlayAppend(groupId, start, kept);
    this.summaries.set(groupId, { ...summary, lastIndex: last.index, lastTerm: last.term });
  }

  private setHardState(groupId: string, hardState: HardState): void {
    const summary = this.require(groupId);
    if (hardState.term !== summary.hardState.term || hardState.vote !== summary.hardState.vote) {
      this.changesTermOrVote = true;
    }
    this.ops.push({ type: "put-hard-state", groupId, hardState });
    this.summaries.set(groupId, { ...summary, hardState });
  }

  private compact(groupId: string, index: number): void {
    const summary = this.require(groupId);
    if (index <= summary.headIndex) return;
    assert(
      index <= summary.snapshot.index,
      `compact ${groupId} through ${index} only below its snapshot at ${summary.snapshot.index}`,
    );
    assert(index <= summary.lastIndex, `compact ${groupId} through ${index} within the log`);
    const term = this.term(groupId, index);
    assert(term !== undefined, `compact point ${index} of ${groupId} has a term`);
    this.ops.push({
      type: "delete-entries",
      groupId,
      fromIndex: summary.headIndex + 1,
      toIndex: index,
    });
    this.ops.push({ type: "put-log-head", groupId, index, term });
    this.summaries.set(groupId, { ...summary, headIndex: index, headTerm: term });
  }

  private overlayAppend(groupId: string, start: number, entries: readonly Entry[]): void {
    let overlay = this.overlays.get(groupId);
    if (overlay === undefined || start < overlay.floor) {
      overlay = { floor: start, terms: [] };
      this.overlays.set(groupId, overlay);
    } else {
      overlay.terms.length = start - overlay.floor;
    }
    for (const entry of entries) overlay.terms.push(entry.term);
  }

  private require(groupId: string): GroupSummary {
    const summary = this.summary(groupId);
    assert(summary !== undefined, `group ${groupId} exists`);
    return summary;
  }
}
