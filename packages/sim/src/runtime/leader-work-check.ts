/**
 * Checks the leader-only workers of every live host (`node.leaderOnly`): a work runs only on the
 * replica that leads its term (the term is the fencing token), starts once per term, and is
 * aborted as soon as its replica stops leading — by the end of the round that reported it, so
 * after every step no work runs on a replica whose latest `leadership$` event says otherwise.
 */
import type { NodeId } from "@flotilla/raft";
import type { LeadershipEvent } from "@flotilla/runtime";
import type { HostChecker } from "./host-checker.js";
import type { RuntimeCoverage } from "./runtime-coverage.js";

/** One started work. */
interface RunningWork {
  readonly nodeId: NodeId;
  readonly incarnation: number;
  readonly groupId: string;
  readonly term: number;
  readonly signal: AbortSignal;
}

/** The leader-only work of one run. */
export class LeaderWorkCheck {
  private running: RunningWork[] = [];
  private readonly started = new Set<string>();

  constructor(
    private readonly checker: HostChecker,
    private readonly coverage: RuntimeCoverage,
  ) {}

  /** A work started on `nodeId`'s incarnation for `groupId` in `term`. */
  start(
    nodeId: NodeId,
    incarnation: number,
    groupId: string,
    term: number,
    signal: AbortSignal,
  ): void {
    const key = `${nodeId}#${incarnation}/${groupId}@${term}`;
    if (this.started.has(key)) {
      this.checker.fail(
        `leader-only work of ${groupId} started twice on ${nodeId}#${incarnation} in term ${term}`,
      );
    }
    this.started.add(key);
    this.coverage.leaderWorks++;
    this.running.push({ nodeId, incarnation, groupId, term, signal });
  }

  /** `nodeId`'s incarnation crashed: its works died with it. */
  crashed(nodeId: NodeId, incarnation: number): void {
    this.running = this.running.filter(
      (work) => work.nodeId !== nodeId || work.incarnation !== incarnation,
    );
  }

  /**
   * After a step: every work still running belongs to a replica whose latest event says it
   * leads that very term, and that term's leader (per the host checker) is this node.
   */
  check(latest: (nodeId: NodeId, groupId: string) => LeadershipEvent | undefined): void {
    this.running = this.running.filter((work) => !work.signal.aborted);
    for (const work of this.running) {
      const event = latest(work.nodeId, work.groupId);
      const where = `${work.nodeId}#${work.incarnation} (group ${work.groupId}, term ${work.term})`;
      if (event?.role !== "leader" || event.term !== work.term) {
        this.checker.fail(
          `leader-only work still running on ${where} whose replica is ${event?.role ?? "unknown"} in term ${event?.term ?? "?"}`,
        );
        return;
      }
      const leader = this.checker.leaderOf(work.groupId, work.term);
      if (leader !== work.nodeId) {
        this.checker.fail(
          `leader-only work running on ${where}, but ${String(leader)} led that term`,
        );
        return;
      }
    }
  }
}
