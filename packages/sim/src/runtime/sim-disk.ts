/**
 * What one simulated node has on disk, across all its incarnations: every operation that was
 * synced (or that a crash flushed anyway), in order. The checkers read the durable state; a
 * restart rebuilds a fresh live store by replaying the operations, so a new host sees exactly
 * what survived and nothing the dead one only had in memory.
 */
import type { Membership } from "@flotilla/raft";
import {
  MemoryNodeStorage,
  type GroupBootstrap,
  type GroupStorage,
  type GroupWrite,
} from "@flotilla/storage-lmdb";

/** One storage transaction, as the disk replays it. */
export type DiskOp =
  | { readonly type: "create-groups"; readonly groups: readonly GroupBootstrap[] }
  | { readonly type: "remove-groups"; readonly groupIds: readonly string[] }
  | { readonly type: "write"; readonly batch: readonly GroupWrite[] }
  | {
      readonly type: "create-snapshot";
      readonly groupId: string;
      readonly index: number;
      readonly membership: Membership;
      readonly data: Uint8Array;
    };

/**
 * A node's durable state. Operations reach it in the order the host issued them; each was
 * already validated against the live store, so replaying them never fails (if one does, the
 * failure is kept and reported by {@link takeFailure}).
 *
 * @example
 * const disk = new SimDisk();
 * disk.apply({ type: "create-groups", groups: [{ groupId: "g1", membership }] });
 * disk.rebuild().group("g1"); // a fresh live store holding what is durable
 */
export class SimDisk {
  private readonly ops: DiskOp[] = [];
  private readonly durable = new MemoryNodeStorage();
  private failure: unknown;

  /** Makes `op` durable. */
  apply(op: DiskOp): void {
    this.ops.push(op);
    this.replay(this.durable, op);
  }

  /** The durable state of `groupId` (what a restart would read), if the group exists. */
  durableGroup(groupId: string): GroupStorage | undefined {
    return this.durable.group(groupId);
  }

  /** A new live store holding exactly the durable state. */
  rebuild(): MemoryNodeStorage {
    const live = new MemoryNodeStorage();
    for (const op of this.ops) this.replay(live, op);
    return live;
  }

  /** Durable operations so far. */
  opCount(): number {
    return this.ops.length;
  }

  /** A replay that failed (a simulator bug or an invalid batch), once. */
  takeFailure(): unknown {
    const failure = this.failure;
    this.failure = undefined;
    return failure;
  }

  /** MemoryNodeStorage applies synchronously; only its verdict arrives as a promise. */
  private replay(storage: MemoryNodeStorage, op: DiskOp): void {
    const done = applyOp(storage, op);
    done.catch((error: unknown) => {
      this.failure ??= error;
    });
  }
}

/** Applies `op` to `storage` (synchronously; the promise carries the verdict). */
export function applyOp(storage: MemoryNodeStorage, op: DiskOp): Promise<unknown> {
  switch (op.type) {
    case "create-groups":
      return storage.createGroups(op.groups);
    case "remove-groups":
      return storage.removeGroups(op.groupIds);
    case "write":
      return storage.write(op.batch);
    case "create-snapshot":
      return storage.createSnapshot(op.groupId, op.index, op.membership, op.data);
  }
}
