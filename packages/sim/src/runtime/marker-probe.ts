/**
 * The runtime mode's liveness property: once faults stop, the network heals and every host is
 * up, every group commits a new entry within a tick budget. A marker is proposed through
 * `group.propose` on the replica that says it leads; its future resolving (the marker applied
 * on that replica) is the proof. A rejected marker is proposed again on the next leader found.
 */
import { encodeKvCommand } from "../kv-command.js";
import type { FutureLedger } from "./future-ledger.js";
import type { HostChecker } from "./host-checker.js";
import type { RuntimeCluster } from "./runtime-cluster.js";

interface GroupProbe {
  done: boolean;
  inFlight: boolean;
  markers: number;
  lastRejection: string | undefined;
}

/** Tracks, per group, whether a marker was committed and applied. */
export class MarkerProbe {
  private readonly groups = new Map<string, GroupProbe>();

  constructor(
    private readonly cluster: RuntimeCluster,
    private readonly ledger: FutureLedger,
    private readonly checker: HostChecker,
    /** How long after the call (host clock ms) a marker's future must have settled. */
    private readonly futureDueMs: number,
  ) {
    for (const groupId of cluster.groupIds) {
      this.groups.set(groupId, {
        done: false,
        inFlight: false,
        markers: 0,
        lastRejection: undefined,
      });
    }
  }

  /** Proposes a marker wherever a group has a leader and none is in flight. */
  step(): void {
    for (const [groupId, probe] of this.groups) {
      if (probe.done || probe.inFlight) continue;
      const leader = this.cluster.leader(groupId);
      if (leader === undefined) continue;
      probe.inFlight = true;
      probe.markers++;
      const record = this.ledger.track(
        "propose",
        leader.nodeId,
        leader.incarnation,
        leader.nowMs() + this.futureDueMs,
      );
      const marker = encodeKvCommand({ kind: "marker", id: `${groupId}/m${probe.markers}` });
      const settle = (): void => {
        const problem = this.ledger.settle(record);
        if (problem !== undefined) this.checker.fail(problem);
        probe.inFlight = false;
      };
      void leader.group.propose(marker).then(
        () => {
          settle();
          probe.done = true;
        },
        (error: unknown) => {
          settle();
          probe.lastRejection = error instanceof Error ? error.name : String(error);
        },
      );
    }
  }

  /** Whether every group committed a marker. */
  allDone(): boolean {
    return [...this.groups.values()].every((probe) => probe.done);
  }

  /** One line per group that did not make it. */
  describeStuck(): string {
    const lines: string[] = [];
    for (const [groupId, probe] of this.groups) {
      if (probe.done) continue;
      const leader = this.cluster.leader(groupId);
      lines.push(
        `${groupId}: ${probe.markers} marker(s) proposed; last rejection ${String(probe.lastRejection)}; ` +
          `leader ${leader === undefined ? "none" : leader.nodeId}`,
      );
    }
    return lines.join("\n  ");
  }
}
