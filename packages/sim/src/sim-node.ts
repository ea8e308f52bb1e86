/**
 * One simulated node (process): its durable storage for every group it has ever hosted, and, while
 * it is up, one live replica per group. A crash discards the replicas and every unsynced write;
 * a restart rebuilds each replica from what survived on disk. Storage is never discarded, so a
 * node that comes back remembers its votes and log.
 */
import type { Membership, NodeId } from "@flotilla/raft";
import type { NodeClock } from "./node-clock.js";
import type { ReplicaHost } from "./replica-host.js";
import { SimStorage } from "./sim-storage.js";

/** Builds a live replica of `groupId` over `storage` (a fresh incarnation). */
export type ReplicaFactory = (node: SimNode, groupId: string, storage: SimStorage) => ReplicaHost;

/** A simulated node. */
export class SimNode {
  private readonly storages = new Map<string, SimStorage>();
  private readonly replicas = new Map<string, ReplicaHost>();
  private isUp = false;
  /** The step at which a crashed node comes back. */
  restartAtStep = 0;

  constructor(
    readonly id: NodeId,
    /** When this node's replicas tick. */
    readonly clock: NodeClock,
  ) {}

  /** Whether the node is running. */
  up(): boolean {
    return this.isUp;
  }

  /** Creates the storage of a group this node is a founding member of. */
  bootstrap(groupId: string, membership: Membership): void {
    this.storages.set(groupId, new SimStorage(membership));
  }

  /** The live replica of `groupId`, if the node is up and hosts it. */
  replica(groupId: string): ReplicaHost | undefined {
    return this.replicas.get(groupId);
  }

  /** Every live replica, in the order they were created. */
  liveReplicas(): IterableIterator<ReplicaHost> {
    return this.replicas.values();
  }

  /**
   * The live replica of `groupId`, created on first contact when the node never hosted the
   * group (a node added to a group learns its log from the leader). Undefined while down.
   * A new replica starts from the group's founding membership, which is the state at index 0
   * on every replica: the log it is sent replays every change from there (an empty membership
   * would make the first change invalid and the replica's view of the group diverge).
   */
  replicaOnContact(
    groupId: string,
    founding: Membership,
    start: ReplicaFactory,
  ): ReplicaHost | undefined {
    if (!this.isUp) return undefined;
    const existing = this.replicas.get(groupId);
    if (existing !== undefined) return existing;
    let storage = this.storages.get(groupId);
    if (storage === undefined) {
      storage = new SimStorage(founding);
      this.storages.set(groupId, storage);
    }
    const host = start(this, groupId, storage);
    this.replicas.set(groupId, host);
    return host;
  }

  /** Writes a crash right now could lose, over all groups. */
  unsyncedWriteCount(): number {
    let count = 0;
    for (const storage of this.storages.values()) count += storage.unsyncedWriteCount();
    return count;
  }

  /** Whether some replica on this node leads its group. */
  leadsSomeGroup(): boolean {
    for (const host of this.replicas.values()) if (host.status().role === "leader") return true;
    return false;
  }

  /**
   * Crashes the node. `keptWrites(storage)` says how many unsynced writes of each storage reached
   * the disk anyway. Returns the replicas that died.
   */
  crash(keptWrites: (storage: SimStorage) => number): ReplicaHost[] {
    const dead = [...this.replicas.values()];
    this.replicas.clear();
    for (const storage of this.storages.values()) storage.crash(keptWrites(storage));
    this.isUp = false;
    return dead;
  }

  /** Starts (or restarts) the node: every group it has storage for gets a fresh replica. */
  boot(start: ReplicaFactory): void {
    this.isUp = true;
    for (const [groupId, storage] of this.storages) {
      this.replicas.set(groupId, start(this, groupId, storage));
    }
  }
}
