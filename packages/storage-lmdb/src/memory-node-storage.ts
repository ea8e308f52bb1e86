/**
 * A node's storage in memory: one core {@link MemoryStorage} (the reference implementation) per
 * group behind the {@link NodeStorage} interface, for tests and embedded use. Each batch is
 * validated with the same {@link WritePlan} as the LMDB storage before any group changes, so an
 * invalid batch changes nothing here either. Nothing survives the process: durability is moot.
 */
import { assert, MemoryStorage, type Membership, type Snapshot } from "@flotilla/raft";
import {
  Durability,
  type GroupBootstrap,
  type GroupStorage,
  type GroupWrite,
  type NodeStorage,
} from "@flotilla/runtime";
import { StorageClosedError } from "./storage-errors.js";
import { WritePlan, type GroupSummary } from "./write-plan.js";

/** A group's MemoryStorage with its id. */
class MemoryGroupStorage extends MemoryStorage implements GroupStorage {
  readonly groupId: string;

  constructor(groupId: string, membership: Membership) {
    super(membership);
    this.groupId = groupId;
  }
}

function summaryOf(storage: MemoryStorage): GroupSummary {
  const headIndex = storage.firstIndex() - 1;
  const lastIndex = storage.lastIndex();
  return {
    headIndex,
    headTerm: storage.term(headIndex) ?? 0,
    lastIndex,
    lastTerm: storage.term(lastIndex) ?? 0,
    hardState: storage.initialState().hardState,
    snapshot: storage.snapshot().metadata,
  };
}

/**
 * {@link NodeStorage} in memory. Writes apply at once; the promises resolve in call order.
 *
 * @example
 * const storage = new MemoryNodeStorage();
 * await storage.createGroups([{ groupId: "g1", membership: membershipOf([nodeId("a")]) }]);
 * await storage.write([{ groupId: "g1", entries: [{ index: 1, term: 1, type: "noop" }] }]);
 */
export class MemoryNodeStorage implements NodeStorage {
  readonly durability: Durability = Durability.Strict;
  private readonly groups = new Map<string, MemoryGroupStorage>();
  private readonly records = new Map<string, Uint8Array>();
  private closed = false;

  metadata(key: string): Uint8Array | undefined {
    const value = this.records.get(key);
    return value === undefined ? undefined : Uint8Array.from(value);
  }

  setMetadata(key: string, value: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new StorageClosedError());
    this.records.set(key, Uint8Array.from(value));
    return Promise.resolve();
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  group(groupId: string): GroupStorage | undefined {
    return this.groups.get(groupId);
  }

  createGroups(groups: readonly GroupBootstrap[]): Promise<void> {
    return this.run(
      (plan) => {
        for (const { groupId, membership } of groups) plan.createGroup(groupId, membership);
      },
      () => {
        for (const { groupId, membership } of groups) {
          if (!this.groups.has(groupId))
            this.groups.set(groupId, new MemoryGroupStorage(groupId, membership));
        }
      },
    );
  }

  removeGroups(groupIds: readonly string[]): Promise<void> {
    return this.run(
      (plan) => {
        for (const groupId of groupIds) plan.removeGroup(groupId);
      },
      () => {
        for (const groupId of groupIds) this.groups.delete(groupId);
      },
    );
  }

  write(batch: readonly GroupWrite[]): Promise<void> {
    return this.run(
      (plan) => {
        for (const write of batch) plan.apply(write);
      },
      () => {
        for (const write of batch) this.applyWrite(write);
      },
    );
  }

  createSnapshot(
    groupId: string,
    index: number,
    membership: Membership,
    data: Uint8Array,
  ): Promise<Snapshot> {
    return this.run(
      (plan) => {
        plan.createSnapshot(groupId, index, membership, data);
      },
      () => {
        const group = this.groups.get(groupId);
        assert(group !== undefined, `group ${groupId} exists`);
        return group.createSnapshot(index, membership, data);
      },
    );
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** Validates with a plan (which throws on an invalid batch), then applies. */
  private run<T>(validate: (plan: WritePlan) => void, apply: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StorageClosedError());
    try {
      validate(
        new WritePlan({
          summary: (groupId) => {
            const group = this.groups.get(groupId);
            return group === undefined ? undefined : summaryOf(group);
          },
          term: (groupId, index) => this.groups.get(groupId)?.term(index),
        }),
      );
      return Promise.resolve(apply());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private applyWrite(write: GroupWrite): void {
    const group = this.groups.get(write.groupId);
    assert(group !== undefined, `write to unknown group ${write.groupId}`);
    if (write.snapshot !== undefined) group.applySnapshot(write.snapshot);
    if (write.entries !== undefined) group.append(write.entries);
    if (write.hardState !== undefined) group.setHardState(write.hardState);
    if (write.compactThrough !== undefined) group.compact(write.compactThrough);
  }
}
