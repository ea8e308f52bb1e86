/**
 * Who leads each group, as the replicas themselves say on `leader$`: the leader replica of a
 * group is the one whose own `leader$` names itself, at the highest term among those that do.
 * Also keeps the time of the last leadership change anywhere, so "the cluster is quiet" can be
 * judged without reaching into the runtime.
 */
import type { Observable, Subscription } from "rxjs";
import type { LeaderInfo } from "@flotilla/runtime";

/** What one replica last said on its `leader$`. */
interface View {
  readonly leaderId: string | undefined;
  readonly term: number;
}

/**
 * Leadership of `groupCount` groups replicated on the nodes `nodeIds`.
 *
 * @example
 * const tracker = new LeaderTracker(["n1", "n2", "n3"], 64);
 * tracker.follow(0, 7, group.leader$); // node n1's replica of group 7
 * tracker.leaderOf(7); // 0, 1, 2 or undefined during an election
 */
export class LeaderTracker {
  /** views[groupIndex][nodeIndex]. */
  private readonly views: (View | undefined)[][];
  private readonly subscriptions: Subscription[] = [];
  private lastChangeMs = performance.now();
  private changeCount = 0;

  constructor(
    private readonly nodeIds: readonly string[],
    groupCount: number,
  ) {
    this.views = Array.from({ length: groupCount }, () => nodeIds.map(() => undefined));
  }

  /** Follows one replica's `leader$` until {@link close} or until the stream completes. */
  follow(nodeIndex: number, groupIndex: number, leader$: Observable<LeaderInfo>): void {
    const views = this.views[groupIndex];
    if (views === undefined) throw new RangeError(`no group ${groupIndex}`);
    this.subscriptions.push(
      leader$.subscribe(({ leaderId, term }) => {
        const previous = views[nodeIndex];
        if (previous === undefined || previous.leaderId !== leaderId || previous.term !== term) {
          this.lastChangeMs = performance.now();
          this.changeCount++;
        }
        views[nodeIndex] = { leaderId, term };
      }),
    );
  }

  /** The index of the node whose replica leads group `groupIndex`, if one says it does. */
  leaderOf(groupIndex: number): number | undefined {
    const views = this.views[groupIndex] ?? [];
    let best: number | undefined;
    let bestTerm = -1;
    for (const [nodeIndex, view] of views.entries()) {
      if (view === undefined) continue;
      if (view.leaderId === this.nodeIds[nodeIndex] && view.term > bestTerm) {
        best = nodeIndex;
        bestTerm = view.term;
      }
    }
    return best;
  }

  /** True when every replica of the group names the same leader and that replica leads. */
  agreed(groupIndex: number): boolean {
    const leader = this.leaderOf(groupIndex);
    if (leader === undefined) return false;
    const leaderId = this.nodeIds[leader];
    return (this.views[groupIndex] ?? []).every((view) => view?.leaderId === leaderId);
  }

  /** Groups whose replicas all agree on a leader. */
  agreedCount(): number {
    let count = 0;
    for (let i = 0; i < this.views.length; i++) if (this.agreed(i)) count++;
    return count;
  }

  /** Milliseconds since any replica last reported a different leader or term. */
  msSinceLastChange(): number {
    return performance.now() - this.lastChangeMs;
  }

  /** Leader or term changes reported so far, every replica counted. */
  get changes(): number {
    return this.changeCount;
  }

  /** Stops following. */
  close(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions.length = 0;
  }
}
