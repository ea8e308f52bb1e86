/**
 * Catch-up pages while a replica's own write is in flight (issue 12, defect 2): since ADR 0009 a
 * follower applies committed entries that arrive in the same Ready as their write, so its
 * applied index runs ahead of what its storage returns until the write lands. A page must stop
 * at what storage holds ("Serve only what you hold"), then continue once the write landed.
 */
import { describe, expect, it } from "vitest";
import { MemoryStorage, membershipOf, nodeId, type Entry } from "@flotilla/raft";
import { MemoryNodeStorage, type GroupWrite, type NodeStorage } from "@flotilla/storage-lmdb";
import { readCommittedPage } from "../src/index.js";
import { encodePlain } from "../src/sessions/command-envelope.js";
import { encodeSnapshot } from "../src/sessions/snapshot-envelope.js";
import { TestCluster, waitFor, type TestNode } from "./helpers.js";

/**
 * A node storage whose writes, while `held`, stay in flight: not yet readable and not resolved,
 * as an LMDB transaction before it commits. Releasing applies them in order.
 */
class InFlightStorage {
  held = false;
  private readonly queue: { batch: readonly GroupWrite[]; settle: () => void }[] = [];

  constructor(readonly inner: MemoryNodeStorage) {
    const write = inner.write.bind(inner);
    inner.write = (batch) => {
      if (!this.held) return write(batch);
      return new Promise<void>((resolve, reject) => {
        this.queue.push({ batch, settle: () => void write(batch).then(resolve, reject) });
      });
    };
  }

  /** Writes waiting. */
  get inFlight(): number {
    return this.queue.length;
  }

  /** Lets every held write land, in order, and stops holding. */
  release(): void {
    this.held = false;
    for (const { settle } of this.queue.splice(0)) settle();
  }
}

function entry(index: number, term: number): Entry {
  return { index, term, type: "normal", data: encodePlain(new Uint8Array([index])) };
}

describe("readCommittedPage", () => {
  it("stops at the stored index when the applied index runs ahead of storage", () => {
    const storage = new MemoryStorage(membershipOf([nodeId("a")]));
    storage.append([1, 2, 3, 4].map((index) => entry(index, 1)));
    const page = readCommittedPage(storage, { appliedIndex: 6, storedIndex: 4 }, 2, 1 << 20);
    expect(page.events.map((event) => event.index)).toEqual([2, 3, 4]);
    expect(page.through).toBe(4);
    const ahead = readCommittedPage(storage, { appliedIndex: 6, storedIndex: 4 }, 5, 1 << 20);
    expect(ahead).toEqual({ events: [], through: 4 });
  });

  it("stops at the stored index when storage still holds a conflicting suffix past it", () => {
    // Entries 3 and 4 of term 1 are about to be replaced by term 2's (the write is in flight).
    const storage = new MemoryStorage(membershipOf([nodeId("a")]));
    storage.append([entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)]);
    const page = readCommittedPage(storage, { appliedIndex: 4, storedIndex: 2 }, 1, 1 << 20);
    expect(page.events.map((event) => event.index)).toEqual([1, 2]);
    expect(page.through).toBe(2);
  });

  it("serves no snapshot the replica has stored but not yet restored", () => {
    // A follower's write of the leader's snapshot at 9 committed; its applied index is still 3.
    const storage = new MemoryStorage(membershipOf([nodeId("a")]));
    storage.append([1, 2, 3].map((index) => entry(index, 1)));
    storage.applySnapshot({
      metadata: { index: 9, term: 2, membership: membershipOf([nodeId("a")]) },
      data: encodeSnapshot(new Uint8Array(), new Uint8Array([9])),
    });
    const bound = { appliedIndex: 3, storedIndex: 3 };
    expect(readCommittedPage(storage, bound, 2, 1 << 20)).toEqual({ events: [], through: 1 });
    const restored = { appliedIndex: 9, storedIndex: 9 };
    const page = readCommittedPage(storage, restored, 2, 1 << 20);
    expect(page.events.map((event) => [event.type, event.index])).toEqual([["snapshot", 9]]);
    expect(page.through).toBe(9);
  });

  it("refuses a stored index past what storage returns (a programmer error)", () => {
    const storage = new MemoryStorage(membershipOf([nodeId("a")]));
    storage.append([entry(1, 1)]);
    expect(() =>
      readCommittedPage(storage, { appliedIndex: 2, storedIndex: 2 }, 1, 1 << 20),
    ).toThrow(/stored index 2 past the last index 1/);
  });
});

/** A 3-node cluster in which a follower has applied entries its storage does not return yet. */
interface AheadOfStorage {
  readonly cluster: TestCluster;
  readonly gated: Map<string, InFlightStorage>;
  readonly leader: TestNode;
  readonly follower: TestNode;
  /** The follower's held storage: `release()` lets its write land. */
  readonly storage: InFlightStorage;
  /** The proposal whose append made the follower apply ahead of its storage. */
  readonly last: Promise<unknown>;
  readonly applied: () => number;
  readonly storedLast: () => number;
}

async function followerAheadOfStorage(): Promise<AheadOfStorage> {
  const gated = new Map<string, InFlightStorage>();
  const cluster = await TestCluster.start(3, ["g"], {}, undefined, (id) => {
    const storage = new InFlightStorage(new MemoryNodeStorage());
    gated.set(id, storage);
    return Promise.resolve(storage.inner as NodeStorage);
  });
  await cluster.electAll(["g"]);
  const leader = cluster.leaderOf("g")!;
  const [follower, other] = cluster.nodes.filter((n) => n !== leader) as [TestNode, TestNode];
  const group = leader.groups.get("g")!.group;
  // The follower misses some entries; no tick runs, so nobody campaigns meanwhile.
  cluster.network.isolate(follower.id, [leader.id, other.id]);
  for (let i = 0; i < 5; i++) await group.propose({ key: `k${i}`, value: `${i}` });
  cluster.network.healAll();
  const storage = gated.get(follower.id)!;
  storage.held = true;
  // The next append makes the follower take the missed entries with a commit index covering
  // them: it applies them while writing them.
  const last = group.propose({ key: "last", value: "x" });
  const storedLast = () => follower.storage.group("g")!.lastIndex();
  const applied = () => follower.node.groupStatus("g")!.appliedIndex;
  await waitFor(() => storage.inFlight > 0 && applied() > storedLast(), {
    description: "the follower applied entries its storage does not return yet",
  });
  return { cluster, gated, leader, follower, storage, last, applied, storedLast };
}

async function stop(setup: AheadOfStorage): Promise<void> {
  for (const storage of setup.gated.values()) storage.release();
  await setup.cluster.stop();
}

describe("FlotillaNode.readCommitted while the replica's write is in flight", () => {
  it("serves a follower's page only up to what its storage holds, then the rest (ADR 0009)", async () => {
    const setup = await followerAheadOfStorage();
    const { cluster, leader, follower, storage, last, applied, storedLast } = setup;
    try {
      const during = follower.node.readCommitted("g", 1, 1 << 20);
      expect(during.through).toBeLessThanOrEqual(storedLast());
      expect(during.through).toBeLessThan(applied());
      storage.release();
      await last;
      await cluster.quiesce();
      const leaderPage = leader.node.readCommitted("g", 1, 1 << 20);
      const after = follower.node.readCommitted("g", during.through + 1, 1 << 20);
      expect([...during.events, ...after.events]).toEqual(leaderPage.events);
      expect(after.through).toBe(leaderPage.through);
    } finally {
      await stop(setup);
    }
  });

  it("a committed$ catch-up on such a follower waits for the write instead of reading past storage", async () => {
    const setup = await followerAheadOfStorage();
    const { cluster, leader, follower, storage, last } = setup;
    try {
      // Subscribing now used to read storage up to the applied index and throw.
      const seen: number[] = [];
      const errors: unknown[] = [];
      const subscription = follower.groups
        .get("g")!
        .group.committed$({ fromIndex: 1 })
        .subscribe({ next: (event) => seen.push(event.index), error: (e) => errors.push(e) });
      storage.release();
      await last;
      await cluster.quiesce();
      const through = leader.node.readCommitted("g", 1, 1 << 20);
      await waitFor(() => seen.length === through.events.length, {
        description: "the subscriber caught up with every entry",
      });
      subscription.unsubscribe();
      expect(errors).toEqual([]);
      expect(seen).toEqual(through.events.map((event) => event.index));
    } finally {
      await stop(setup);
    }
  });
});
