/**
 * The damaged disk the runtime simulator restarts hosts on (lost-tail-storage.ts), against a
 * real FlotillaNode: a replica whose log lost its tail below the snapshot it restores from (its
 * applied index) refuses to start with StorageInconsistencyError; the same disk, undamaged,
 * starts and serves.
 */
import type { Observable } from "rxjs";
import { describe, expect, it } from "vitest";
import { nodeId } from "@flotilla/raft";
import { FlotillaNode, InMemoryNetwork, ManualClock, type StateMachine } from "@flotilla/runtime";
import { MemoryNodeStorage, type NodeStorage } from "@flotilla/storage-lmdb";
import { withLostTail } from "../src/runtime/lost-tail-storage.js";

/** Counts applied commands; its snapshot is the count. */
class Counter implements StateMachine<Uint8Array, number, never, never> {
  count = 0;
  apply(): number {
    return ++this.count;
  }
  query(): never {
    throw new Error("no queries");
  }
  snapshot(): Uint8Array {
    return new Uint8Array([this.count]);
  }
  restore(snapshot: Uint8Array): void {
    this.count = snapshot[0] ?? 0;
  }
}

const N1 = nodeId("n1");

const clock = new ManualClock();

/** `storage` with a `close` that leaves it open, so the next incarnation reopens the same disk. */
function keepOpen(storage: MemoryNodeStorage): NodeStorage {
  return {
    durability: storage.durability,
    groupIds: () => storage.groupIds(),
    group: (groupId) => storage.group(groupId),
    createGroups: (groups) => storage.createGroups(groups),
    removeGroups: (groupIds) => storage.removeGroups(groupIds),
    write: (batch) => storage.write(batch),
    createSnapshot: (groupId, index, membership, data) =>
      storage.createSnapshot(groupId, index, membership, data),
    metadata: (key) => storage.metadata(key),
    setMetadata: (key, value) => storage.setMetadata(key, value),
    close: () => Promise.resolve(),
  };
}

/** Moves the clock a tick at a time until `group` on n1 leads (bounded). */
async function elect(group: {
  leader$: Observable<{ leaderId: string | undefined }>;
}): Promise<void> {
  let leaderId: string | undefined;
  const subscription = group.leader$.subscribe((info) => (leaderId = info.leaderId));
  for (let tick = 0; tick < 1000 && leaderId !== N1; tick++) {
    clock.advance(10);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  subscription.unsubscribe();
  expect(leaderId, "n1 leads its single-member group").toBe(N1);
}

async function startNode(storage: NodeStorage): Promise<FlotillaNode> {
  return FlotillaNode.start({
    nodeId: N1,
    storage,
    transport: new InMemoryNetwork().endpoint(N1),
    clock,
    tickIntervalMs: 10,
    electionTicks: 10,
    snapshotEntriesThreshold: 4,
    compactionTrailingEntries: 0,
  });
}

describe("a restart on a log that lost its tail below the applied index", () => {
  it("refuses the replica with StorageInconsistencyError; the sound disk starts", async () => {
    const disk = new MemoryNodeStorage();
    const storage = keepOpen(disk);
    const first = await startNode(storage);
    const group = await first.group("g", { members: [N1], stateMachine: new Counter() });
    await elect(group);
    for (let i = 0; i < 12; i++) await group.propose(new Uint8Array([i]));
    // The snapshot lands in the background: wait for it (bounded by the proposals' own pace).
    for (let i = 0; i < 1000 && storage.group("g")!.snapshot().metadata.index === 0; i++) {
      await group.propose(new Uint8Array([0]));
    }
    await first.stop();
    const applied = storage.group("g")!.snapshot().metadata.index;
    expect(applied).toBeGreaterThan(1);

    const damaged = await startNode(
      withLostTail(storage, { groupId: "g", lastIndex: applied - 2, appliedIndex: applied }),
    );
    const refused = await damaged.group("g", { members: [N1], stateMachine: new Counter() }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).name).toBe("StorageInconsistencyError");
    expect((refused as Error).message).toMatch(/applied through \d+ but the log ends at \d+/);
    await damaged.stop();

    const sound = await startNode(storage);
    const counter = new Counter();
    const again = await sound.group("g", { members: [N1], stateMachine: counter });
    expect(counter.count).toBeGreaterThanOrEqual(applied - 1);
    await elect(again);
    await expect(again.propose(new Uint8Array([1]))).resolves.toBeGreaterThan(applied - 1);
    await sound.stop();
    await disk.close();
  });
});
