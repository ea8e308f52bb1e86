/**
 * No acknowledgement before the sync that holds it. A SIGKILL leaves the page cache intact, so
 * the crash test cannot tell a synced write from an unsynced one; this test instruments the
 * real LMDB environment instead (lmdb-js's `open` is wrapped through vi.mock) and holds back
 * the two signals that mean "on disk" — lmdb-js's `flushed` promise (strict) and the forced
 * environment sync (relaxed, for votes and terms) — to show that `write()` never resolves
 * before them, with the writes really going to LMDB files.
 *
 * What it proves: the storage's promise waits for the sync signal of (or after) its own commit,
 * and the environment is opened with the settings under which a commit includes LMDB's
 * fdatasync (overlappingSync off, never noSync). What it cannot prove: that the kernel and the
 * disk honour fdatasync — that was measured with strace (ADR 0003), not testable in-process.
 * If someone made `write()` resolve at commit, or dropped the wait, these tests fail.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type * as Lmdb from "lmdb";
import type { RootDatabase, RootDatabaseOptionsWithPath } from "lmdb";
import { LmdbNodeStorage, type Durability } from "../src/index.js";
import { hardState, MEMBERS, normals } from "./support/fixtures.js";
import { makeTempDir, removeTempDir } from "./support/temp-dir.js";

/** What the instrumented environment saw, and the gates that hold its signals back. */
const probe = vi.hoisted(() => {
  const state = {
    events: [] as string[],
    openOptions: [] as Record<string, unknown>[],
    commits: 0,
    flushedHeld: false,
    syncHeld: false,
    releases: [] as (() => void)[],
    /** Per flushed request: how many commits had resolved when it was asked, and whether done. */
    flushRequests: [] as { afterCommits: number; done: boolean }[],
    syncRequests: [] as { afterCommits: number; done: boolean }[],
  };
  return {
    state,
    reset(): void {
      state.events = [];
      state.openOptions = [];
      state.commits = 0;
      state.flushedHeld = false;
      state.syncHeld = false;
      state.releases = [];
      state.flushRequests = [];
      state.syncRequests = [];
    },
    /** Lets every held signal through. */
    releaseAll(): void {
      state.flushedHeld = false;
      state.syncHeld = false;
      const releases = state.releases;
      state.releases = [];
      for (const release of releases) release();
    },
    /** Resolves at once, or when released if `held`. */
    gate(held: boolean): Promise<void> {
      return held ? new Promise((resolve) => state.releases.push(resolve)) : Promise.resolve();
    },
  };
});

vi.mock("lmdb", async (importOriginal) => {
  const real = await importOriginal<typeof Lmdb>();
  const instrument = (root: RootDatabase): RootDatabase =>
    new Proxy(root, {
      get(target, property) {
        if (property === "flushed") {
          return {
            then(
              onFulfilled: (value: boolean) => unknown,
              onRejected: (error: unknown) => unknown,
            ) {
              const request = { afterCommits: probe.state.commits, done: false };
              probe.state.flushRequests.push(request);
              probe.state.events.push(`flushed requested after commit ${request.afterCommits}`);
              // Ask lmdb-js now (it picks the transaction when then() is called), then the gate.
              const flushed = new Promise<boolean>((resolve, reject) => {
                void target.flushed.then(resolve, reject);
              });
              return Promise.all([flushed, probe.gate(probe.state.flushedHeld)])
                .then(() => {
                  request.done = true;
                  probe.state.events.push(`flushed done (${request.afterCommits})`);
                  return true;
                })
                .then(onFulfilled, onRejected);
            },
          };
        }
        if (property === "sync") {
          return (callback: (error: unknown) => void) => {
            const request = { afterCommits: probe.state.commits, done: false };
            probe.state.syncRequests.push(request);
            probe.state.events.push(`sync requested after commit ${request.afterCommits}`);
            void probe.gate(probe.state.syncHeld).then(() => {
              (target as unknown as { sync(cb: (error: unknown) => void): void }).sync((error) => {
                request.done = true;
                probe.state.events.push(`sync done (${request.afterCommits})`);
                callback(error);
              });
            });
          };
        }
        if (property === "childTransaction") {
          return async (body: () => unknown) => {
            const result = await target.childTransaction(body);
            probe.state.commits++;
            probe.state.events.push(`commit ${probe.state.commits}`);
            return result;
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function"
          ? (value as (...args: unknown[]) => unknown).bind(target)
          : value;
      },
    });
  return {
    ...real,
    open: (options: RootDatabaseOptionsWithPath) => {
      probe.state.openOptions.push({ ...options });
      return instrument(real.open(options));
    },
  };
});

/** Lets queued callbacks, timers and LMDB's worker threads run for a while. */
async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** A promise plus whether it has resolved yet. */
function watch(promise: Promise<void>): {
  readonly resolved: () => boolean;
  readonly promise: Promise<void>;
} {
  let resolved = false;
  const watched = promise.then(() => {
    resolved = true;
    probe.state.events.push("write resolved");
  });
  return { resolved: () => resolved, promise: watched };
}

describe("write() resolves only after the sync that holds it", () => {
  let dir: string;
  let storage: LmdbNodeStorage | undefined;

  async function openStorage(durability: Durability): Promise<LmdbNodeStorage> {
    storage = await LmdbNodeStorage.open(dir, { durability });
    await storage.createGroups([{ groupId: "g1", membership: MEMBERS }]);
    // Count from here: opening and creating the group committed and synced already.
    probe.state.events = [];
    probe.state.commits = 0;
    probe.state.flushRequests = [];
    probe.state.syncRequests = [];
    return storage;
  }

  beforeEach(async () => {
    probe.reset();
    dir = await makeTempDir();
  });

  afterEach(async () => {
    probe.releaseAll();
    await storage?.close();
    storage = undefined;
    await removeTempDir(dir);
  });

  it("opens LMDB so that a commit includes its fdatasync: overlappingSync off, never noSync", async () => {
    await openStorage("strict");
    expect(probe.state.openOptions[0]).toMatchObject({
      overlappingSync: false,
      noSync: false,
      noMetaSync: false,
      useWritemap: false,
      noSubdir: false,
    });
    await storage!.close();
    storage = undefined;
    await openStorage("relaxed");
    // Relaxed keeps the data sync of every commit and only defers the meta page's.
    expect(probe.state.openOptions[1]).toMatchObject({
      overlappingSync: false,
      noSync: false,
      noMetaSync: true,
    });
  });

  it("strict: holds an append's acknowledgement until lmdb's flushed signal for its commit", async () => {
    const s = await openStorage("strict");
    probe.state.flushedHeld = true;
    const write = watch(s.write([{ groupId: "g1", entries: normals(1, 3, 1) }]));
    await vi.waitFor(() => expect(probe.state.flushRequests).toHaveLength(1));
    await settle();
    // Committed (the data is visible to reads) but not acknowledged.
    expect(s.group("g1")!.lastIndex()).toBe(3);
    expect(write.resolved()).toBe(false);
    probe.releaseAll();
    await write.promise;
    expect(probe.state.events).toEqual([
      "commit 1",
      "flushed requested after commit 1",
      "flushed done (1)",
      "write resolved",
    ]);
  });

  it("strict: every one of many pipelined writes waits for a flush asked for after its own commit", async () => {
    const s = await openStorage("strict");
    const commitsBefore = probe.state.commits;
    probe.state.flushedHeld = true;
    const writes = Array.from({ length: 12 }, (_, i) =>
      watch(
        s.write([
          { groupId: "g1", entries: normals(i + 1, i + 1, 1), hardState: hardState(1, "a", i) },
        ]),
      ),
    );
    for (let step = 0; step < 40 && !writes.every((w) => w.resolved()); step++) {
      await settle(2);
      // Check the rule at every step: a resolved write has a completed flush requested after
      // its commit (write i is commit commitsBefore + i + 1, writes commit in call order).
      writes.forEach((write, i) => {
        if (!write.resolved()) return;
        const commit = commitsBefore + i + 1;
        expect(probe.state.flushRequests.some((r) => r.done && r.afterCommits >= commit)).toBe(
          true,
        );
      });
      // Release one held flush at a time.
      const release = probe.state.releases.shift();
      release?.();
    }
    probe.releaseAll();
    await Promise.all(writes.map((w) => w.promise));
    expect(s.group("g1")!.lastIndex()).toBe(12);
  });

  it("relaxed: holds a vote until the forced environment sync completes", async () => {
    const s = await openStorage("relaxed");
    probe.state.syncHeld = true;
    const write = watch(s.write([{ groupId: "g1", hardState: hardState(2, "b", 0) }]));
    await vi.waitFor(() => expect(probe.state.syncRequests).toHaveLength(1));
    await settle();
    expect(write.resolved()).toBe(false);
    probe.releaseAll();
    await write.promise;
    expect(probe.state.events).toEqual([
      "commit 1",
      "sync requested after commit 1",
      "sync done (1)",
      "write resolved",
    ]);
  });

  it("relaxed: a term change alone is synced too; entries and commit-index moves are not waited for", async () => {
    const s = await openStorage("relaxed");
    await s.write([{ groupId: "g1", hardState: hardState(1, undefined, 0) }]);
    expect(probe.state.syncRequests).toHaveLength(1);
    probe.state.syncHeld = true;
    probe.state.flushedHeld = true;
    await s.write([
      { groupId: "g1", entries: normals(1, 4, 1), hardState: hardState(1, undefined, 2) },
    ]);
    expect(probe.state.syncRequests).toHaveLength(1);
    expect(probe.state.flushRequests).toHaveLength(0);
    expect(probe.state.events.slice(-1)).toEqual(["commit 2"]);
  });

  it("relaxed: close() syncs what the last writes left unsynced", async () => {
    const s = await openStorage("relaxed");
    await s.write([{ groupId: "g1", entries: normals(1, 2, 1) }]);
    expect(probe.state.syncRequests).toHaveLength(0);
    await s.close();
    storage = undefined;
    expect(probe.state.syncRequests).toHaveLength(1);
    expect(probe.state.syncRequests[0]!.done).toBe(true);
  });
});
