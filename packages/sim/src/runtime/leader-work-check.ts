/**
 * Checks the leader-only workers of every live host (`node.leaderOnly`): a work runs only on the
 * replica that leads its term (the term is the fencing token), starts once per term, and is
 * aborted as soon as its replica stops leading — by the end of the round that reported it, so
 * after every step no work runs on a replica whose latest `leadership$` event says otherwise.
 *
 * And the leader lease (ADR 0010): after every step, as if each running work were about to act,
 * no work whose lease is valid by its node's clock may coexist with a replica of its group that
 * leads (in its core, not yet reported or not) a higher term at that simulated instant.
 */
import type { NodeId } from "@flotilla/raft";
import type { LeaderWorkContext, LeadershipEvent, ReplicaStatus } from "@flotilla/runtime";
import type { HostChecker } from "./host-checker.js";
import type { RuntimeCoverage } from "./runtime-coverage.js";

/** Every this many step-end checks, a running work acts (asks `leaseValid()`). */
const ACT_EVERY_CHECKS = 64;

/** One started work. */
interface RunningWork {
  readonly nodeId: NodeId;
  readonly incarnation: number;
  readonly groupId: string;
  readonly term: number;
  readonly signal: AbortSignal;
  readonly leaseExpiresAt: () => number;
  readonly leaseValid: () => boolean;
  /** Checks of this work so far. */
  checks: number;
  /** The node's time (its live incarnation's clock reads the same). */
  readonly time: { now(): number };
}

/** What the lease check needs of each node: its live host's view of a group, if up. */
export interface WorkCheckHost {
  readonly id: NodeId;
  readonly live:
    { readonly node: { groupStatus(groupId: string): ReplicaStatus | undefined } } | undefined;
}

/** The leader-only work of one run. */
export class LeaderWorkCheck {
  private running: RunningWork[] = [];
  private readonly started = new Set<string>();
  private hosts: readonly WorkCheckHost[] = [];
  /** Step-ends at which a running work held its lease (each a would-be act that was checked). */
  leaseHeld = 0;
  /**
   * Step-ends at which a running, unaborted work did not hold its lease while a higher term's
   * leader existed: the stale acts `leaseValid()` turned away.
   */
  staleTurnedAway = 0;

  constructor(
    private readonly checker: HostChecker,
    private readonly coverage: RuntimeCoverage,
  ) {}

  /**
   * A work started on `nodeId`'s incarnation for `groupId` with `context`; `time` is its node's
   * time, `hosts` every node (the lease check looks at all of them).
   */
  start(
    nodeId: NodeId,
    incarnation: number,
    groupId: string,
    context: Pick<LeaderWorkContext, "term" | "signal" | "leaseExpiresAt" | "leaseValid">,
    time: { now(): number },
    hosts: readonly WorkCheckHost[],
  ): void {
    const { term, signal, leaseExpiresAt, leaseValid } = context;
    this.hosts = hosts;
    const key = `${nodeId}#${incarnation}/${groupId}@${term}`;
    if (this.started.has(key)) {
      this.checker.fail(
        `leader-only work of ${groupId} started twice on ${nodeId}#${incarnation} in term ${term}`,
      );
    }
    this.started.add(key);
    this.coverage.leaderWorks++;
    this.running.push({
      nodeId,
      incarnation,
      groupId,
      term,
      signal,
      leaseExpiresAt,
      leaseValid,
      checks: 0,
      time,
    });
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
      if (!this.leaseChecked(work, where)) return;
    }
  }

  /**
   * Were `work` to act now after `leaseValid()` said true, would another replica lead a higher
   * term at this instant? Reads the lease without asking for a renewal, so checking does not
   * change what the hosts do. False when it failed the run.
   */
  private leaseChecked(work: RunningWork, where: string): boolean {
    // Mostly read without side effects; every so often act as a polling worker does, which asks
    // for a renewal (and wakes a quiesced group), so that path is checked too.
    const acts = ++work.checks % ACT_EVERY_CHECKS === 0;
    const held = acts ? work.leaseValid() : work.leaseExpiresAt() > work.time.now();
    const newer = this.hosts.find((host) => {
      const status = host.live?.node.groupStatus(work.groupId);
      return status?.role === "leader" && status.term > work.term;
    });
    if (newer === undefined) {
      if (held) this.leaseHeld++;
      return true;
    }
    if (!held) {
      this.staleTurnedAway++;
      return true;
    }
    const status = newer.live?.node.groupStatus(work.groupId);
    this.checker.fail(
      `leader-only work on ${where} holds its lease until ${work.leaseExpiresAt()} (its clock reads ${work.time.now()}) while ${newer.id} leads term ${String(status?.term)}`,
    );
    return false;
  }
}
