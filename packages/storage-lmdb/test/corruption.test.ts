/**
 * Paired assertions across the disk: every record carries a CRC-32C written with it and checked
 * when it is read, so damage made behind the storage's back (bytes flipped, values swapped or
 * deleted through a raw lmdb handle) surfaces as a typed StorageCorruptionError, never as a
 * wrong answer.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isStorageCorruptionError, LmdbNodeStorage, StorageCorruptionError } from "../src/index.js";
import { hardState, MEMBERS, noiseBytes, normal, normals } from "./support/fixtures.js";
import { flipByte, withRawDatabase } from "./support/raw-lmdb.js";
import { makeTempDir, removeTempDir } from "./support/temp-dir.js";

describe("corruption detection", () => {
  let dir: string;
  let storage: LmdbNodeStorage | undefined;

  beforeEach(async () => {
    dir = await makeTempDir();
    const writer = await LmdbNodeStorage.open(dir, { snapshotChunkBytes: 100 });
    await writer.createGroups([{ groupId: "g1", membership: MEMBERS }]);
    await writer.write([
      {
        groupId: "g1",
        entries: [...normals(1, 4, 1), normal(5, 2, noiseBytes(64, 9))],
        hardState: hardState(2, "a", 3),
      },
    ]);
    await writer.createSnapshot("g1", 3, MEMBERS, noiseBytes(350, 4));
    await writer.close();
  });

  afterEach(async () => {
    await storage?.close();
    storage = undefined;
    await removeTempDir(dir);
  });

  async function damage(
    name: string,
    key: unknown,
    change: (bytes: Uint8Array) => Uint8Array | undefined,
  ): Promise<void> {
    await withRawDatabase(dir, name, (db) => {
      const k = key as string;
      const next = change(db.get(k)!);
      if (next === undefined) db.removeSync(k);
      else db.putSync(k, next);
    });
  }

  function expectCorruption(read: () => unknown, record: string): void {
    let caught: unknown;
    try {
      read();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StorageCorruptionError);
    expect(isStorageCorruptionError(caught)).toBe(true);
    expect(caught).toMatchObject({
      name: "StorageCorruptionError",
      code: "STORAGE_CORRUPTION",
      groupId: "g1",
      record,
    });
  }

  it("detects a flipped byte in an entry's data", async () => {
    await damage("entries", ["g1", 2], (bytes) => flipByte(bytes, -8));
    storage = await LmdbNodeStorage.open(dir);
    const group = storage.group("g1")!;
    expectCorruption(() => group.entries(1, 6, Number.POSITIVE_INFINITY), "entry 2");
    expectCorruption(() => group.term(2), "entry 2");
    expect(group.entries(3, 6, Number.POSITIVE_INFINITY)).toHaveLength(3);
  });

  it("detects a flipped term or checksum, and a value that is no longer msgpack", async () => {
    await damage("entries", ["g1", 2], (bytes) => flipByte(bytes, 1));
    await damage("entries", ["g1", 3], (bytes) => flipByte(bytes, -1));
    await damage("entries", ["g1", 4], (bytes) => bytes.subarray(0, 3));
    storage = await LmdbNodeStorage.open(dir);
    const group = storage.group("g1")!;
    expectCorruption(() => group.term(2), "entry 2");
    expectCorruption(() => group.term(3), "entry 3");
    expectCorruption(() => group.term(4), "entry 4");
  });

  it("detects an entry stored under another index (the index is in the checksum)", async () => {
    let moved: Uint8Array | undefined;
    await withRawDatabase(dir, "entries", (db) => {
      moved = db.get(["g1", 2]);
      db.putSync(["g1", 3], moved!);
    });
    storage = await LmdbNodeStorage.open(dir);
    expectCorruption(() => storage!.group("g1")!.entries(3, 4, 1000), "entry 3");
  });

  it("detects a hole in the log on read, and a missing first entry at open", async () => {
    await damage("entries", ["g1", 3], () => undefined);
    storage = await LmdbNodeStorage.open(dir);
    expectCorruption(
      () => storage!.group("g1")!.entries(1, 6, Number.POSITIVE_INFINITY),
      "entry 3",
    );
    await storage.close();
    storage = undefined;
    await damage("entries", ["g1", 1], () => undefined);
    await expect(LmdbNodeStorage.open(dir)).rejects.toMatchObject({
      code: "STORAGE_CORRUPTION",
      record: "entry 1",
    });
  });

  it("detects a damaged hard state or log head at open", async () => {
    await damage("hard-states", "g1", (bytes) => flipByte(bytes, -2));
    await expect(LmdbNodeStorage.open(dir)).rejects.toMatchObject({
      code: "STORAGE_CORRUPTION",
      record: "hard state",
    });
  });

  it("detects a damaged or missing snapshot chunk", async () => {
    await damage("snapshot-chunks", ["g1", 1], (bytes) => flipByte(bytes, -5));
    storage = await LmdbNodeStorage.open(dir);
    expectCorruption(() => storage!.group("g1")!.snapshot(), "snapshot chunk 1");
    await storage.close();
    storage = undefined;
    await damage("snapshot-chunks", ["g1", 3], () => undefined);
    storage = await LmdbNodeStorage.open(dir);
    expect(() => storage!.group("g1")!.snapshot()).toThrow(StorageCorruptionError);
  });
});
