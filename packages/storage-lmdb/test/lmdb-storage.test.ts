/**
 * LMDB-specific behaviours the conformance suite does not cover: big snapshots cut into 1 MiB
 * chunks, reads that see only committed batches, and a file that stops growing under
 * compaction churn (no read transaction outlives the next write, REFERENCE.md's growth trap).
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LmdbNodeStorage, SNAPSHOT_CHUNK_BYTES_MAX } from "../src/index.js";
import { MEMBERS, noiseBytes, normal, normals } from "./support/fixtures.js";
import { withRawDatabase } from "./support/raw-lmdb.js";
import { makeTempDir, removeTempDir } from "./support/temp-dir.js";

describe("LmdbNodeStorage", () => {
  let dir: string;
  let storage: LmdbNodeStorage;

  beforeEach(async () => {
    dir = await makeTempDir();
    storage = await LmdbNodeStorage.open(dir, { durability: "relaxed" });
    await storage.createGroups([{ groupId: "g1", membership: MEMBERS }]);
  });

  afterEach(async () => {
    await storage.close();
    await removeTempDir(dir);
  });

  it("stores a snapshot of many megabytes in values of at most 1 MiB and reads it back", async () => {
    await storage.write([{ groupId: "g1", entries: normals(1, 2, 1) }]);
    const data = noiseBytes(5 * SNAPSHOT_CHUNK_BYTES_MAX + 12345, 77);
    await storage.createSnapshot("g1", 2, MEMBERS, data);
    await storage.close();
    const sizes: number[] = [];
    await withRawDatabase(dir, "snapshot-chunks", (db) => {
      for (const { value } of db.getRange({})) sizes.push(value.byteLength);
    });
    expect(sizes).toHaveLength(6);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(SNAPSHOT_CHUNK_BYTES_MAX + 16);
    storage = await LmdbNodeStorage.open(dir);
    const read = storage.group("g1")!.snapshot();
    expect(read.data.byteLength).toBe(data.byteLength);
    expect(Buffer.from(read.data).equals(Buffer.from(data))).toBe(true);
    // A smaller snapshot replaces it and leaves no stale chunk behind.
    await storage.write([{ groupId: "g1", entries: normals(3, 3, 1) }]);
    await storage.createSnapshot("g1", 3, MEMBERS, new Uint8Array([1, 2, 3]));
    await storage.close();
    let chunks = 0;
    await withRawDatabase(dir, "snapshot-chunks", (db) => {
      chunks = [...db.getKeys({})].length;
    });
    expect(chunks).toBe(1);
    storage = await LmdbNodeStorage.open(dir);
  });

  it("reads only committed batches: a write in flight is invisible until it resolves", async () => {
    await storage.write([{ groupId: "g1", entries: normals(1, 5, 1) }]);
    await storage.createSnapshot("g1", 4, MEMBERS, new Uint8Array([4]));
    const group = storage.group("g1")!;
    const pending = storage.write([{ groupId: "g1", entries: [normal(3, 2)], compactThrough: 2 }]);
    expect([group.firstIndex(), group.lastIndex(), group.term(3)]).toEqual([1, 5, 1]);
    expect(group.entries(1, 6, Number.POSITIVE_INFINITY)).toEqual(normals(1, 5, 1));
    await pending;
    expect([group.firstIndex(), group.lastIndex(), group.term(3)]).toEqual([3, 3, 2]);
  });

  it("stops growing under compaction churn", async () => {
    const file = join(dir, "data.mdb");
    const payload = noiseBytes(2000, 5);
    let last = 0;
    const sizeAfter: number[] = [];
    for (let round = 1; round <= 300; round++) {
      const entries = Array.from({ length: 20 }, (_, i) => normal(last + 1 + i, 1, payload));
      await storage.write([{ groupId: "g1", entries }]);
      last += entries.length;
      // Keep about 100 entries; snapshot and compact the rest, as a runtime would.
      if (last > 100) {
        await storage.createSnapshot("g1", last - 100, MEMBERS, payload);
        await storage.write([{ groupId: "g1", compactThrough: last - 100 }]);
      }
      // Reads between writes, as the core does (they must not pin old pages for long).
      storage.group("g1")!.entries(last - 10, last + 1, Number.POSITIVE_INFINITY);
      if (round % 50 === 0) sizeAfter.push(statSync(file).size);
    }
    // 12 MB went through; the live data is ~200 kB. The file levels off instead of growing.
    expect(sizeAfter.at(-1)!).toBeLessThanOrEqual(sizeAfter[1]! * 1.5);
    expect(sizeAfter.at(-1)!).toBeLessThan(4 * 1024 * 1024);
  });
});
