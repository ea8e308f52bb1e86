/**
 * The liveness phase's property: once faults stop and the network heals, every group elects a
 * leader that commits a new entry (a marker it is asked to propose) within a tick budget. A
 * leader that is deposed before committing its marker gets no credit; the next one is asked.
 */
import type { Cluster } from "./cluster.js";
import { encodeKvCommand } from "./kv-command.js";
import type { ReplicaHost } from "./replica-host.js";

interface GroupProgress {
  done: boolean;
  marker: { readonly host: ReplicaHost; readonly index: number; readonly term: number } | undefined;
  markers: number;
  lastRejection: string | undefined;
}

/** Tracks, per group, whether a leader has committed a fresh marker entry. */
export class LivenessCheck {
  private readonly groups = new Map<string, GroupProgress>();

  constructor(private readonly cluster: Cluster) {
    for (const groupId of cluster.groupIds) {
      this.groups.set(groupId, {
        done: false,
        marker: undefined,
        markers: 0,
        lastRejection: undefined,
      });
    }
  }

  /** One step: propose markers where needed, and notice committed ones. */
  step(): void {
    for (const [groupId, progress] of this.groups) {
      if (!progress.done) this.advance(groupId, progress);
    }
  }

  /** Whether every group has committed its marker. */
  allDone(): boolean {
    return [...this.groups.values()].every((progress) => progress.done);
  }

  /** One line per group that did not make it, with what its replicas believe. */
  describeStuck(): string {
    const lines: string[] = [];
    for (const [groupId, progress] of this.groups) {
      if (progress.done) continue;
      const replicas = this.cluster.liveReplicas(groupId).map((host) => {
        const s = host.status();
        const voters = s.membership.voters.join(",");
        const outgoing = s.membership.votersOutgoing.join(",");
        return `${host.nodeId}:${s.role}@${s.term} commit=${s.commitIndex} last=${s.lastIndex} voters=[${voters}]${outgoing === "" ? "" : ` outgoing=[${outgoing}]`}`;
      });
      const rejection =
        progress.lastRejection === undefined ? "" : ` last rejection: ${progress.lastRejection};`;
      lines.push(
        `${groupId}: ${progress.markers} marker(s) proposed;${rejection} ${replicas.join(" ")}`,
      );
    }
    return lines.join("\n  ");
  }

  private advance(groupId: string, progress: GroupProgress): void {
    const leader = this.cluster.leader(groupId);
    if (leader === undefined) return;
    const status = leader.status();
    const marker = progress.marker;
    if (marker !== undefined && marker.host === leader && marker.term === status.term) {
      // Same replica, same term: it never truncated its own log, so the marker is what committed.
      if (status.commitIndex >= marker.index) progress.done = true;
      return;
    }
    const outcome = leader.raft.propose(
      encodeKvCommand({ kind: "marker", id: `${groupId}/m${progress.markers + 1}` }),
    );
    if (outcome.type === "accepted") {
      progress.markers++;
      progress.marker = { host: leader, index: outcome.index, term: outcome.term };
    } else {
      progress.lastRejection = outcome.type === "rejected" ? outcome.reason : outcome.type;
    }
  }
}
