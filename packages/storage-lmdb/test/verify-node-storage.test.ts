/**
 * verifyNodeStorage reads every record of every group straight from LMDB: a healthy directory
 * reports each group's log and snapshot; damage anywhere (a flipped byte deep in the log, a
 * hole, a snapshot chunk) is a typed StorageCorruptionError naming the record, even where
 * opening the storage (which checks only what is cheap) found nothing wrong.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LmdbNodeStorage, verifyNodeStorage } from "../src/index.js";
import { hardState, MEMBERS, noiseBytes, normal, normals } from "./support/fixtures.js";
import { flipByte, withRawDatabase } from "./support/raw-lmdb.js";
import { makeTempDir, removeTempDir } from "./support/temp-dir.js";

describe("verifyNodeStorage", () => {
  let dir: string;
  let storage: LmdbNodeStorage | undefined;

  beforeEach(async () => {
    dir = await makeTempDir();
    const writer = await LmdbNodeStorage.open(dir, { snapshotChunkBytes: 100 });
    await writer.createGroups([
      { groupId: "g1", membership: MEMBERS },
      { groupId: "g2", membership: MEMBERS },
    ]);
    await writer.write([
      {
        groupId: "g1",
        entries: [...normals(1, 40, 1), normal(41, 2, noiseBytes(64, 9))],
        hardState: hardState(2, "a", 30),
      },
    ]);
    await writer.createSnapshot("g1", 20, MEMBERS, noiseBytes(350, 4));
    await writer.write([{ groupId: "g1", compactThrough: 10 }]);
    await writer.close();
  });

  afterEach(async () => {
    await storage?.close();
    storage = undefined;
    await removeTempDir(dir);
  });

  it("reports every group's log and snapshot when nothing is damaged", async () => {
    storage = await LmdbNodeStorage.open(dir);
    expect(verifyNodeStorage(storage).groups).toEqual([
      expect.objectContaining({
        groupId: "g1",
        snapshotIndex: 20,
        snapshotBytes: 350,
        firstIndex: 11,
        lastIndex: 41,
        commitIndex: 30,
        entries: 31,
      }),
      expect.objectContaining({ groupId: "g2", firstIndex: 1, lastIndex: 0, entries: 0 }),
    ]);
  });

  it("finds a flipped byte in the middle of the log, which opening does not read", async () => {
    await withRawDatabase(dir, "entries", (db) => {
      db.putSync(["g1", 25], flipByte(db.get(["g1", 25])!, -6));
    });
    storage = await LmdbNodeStorage.open(dir);
    expect(() => verifyNodeStorage(storage!)).toThrow(
      expect.objectContaining({ code: "STORAGE_CORRUPTION", groupId: "g1", record: "entry 25" }),
    );
  });

  it("finds a hole in the middle of the log", async () => {
    await withRawDatabase(dir, "entries", (db) => {
      db.removeSync(["g1", 30]);
    });
    storage = await LmdbNodeStorage.open(dir);
    expect(() => verifyNodeStorage(storage!)).toThrow(
      expect.objectContaining({ code: "STORAGE_CORRUPTION", groupId: "g1", record: "entry 30" }),
    );
  });

  it("finds a damaged snapshot chunk", async () => {
    await withRawDatabase(dir, "snapshot-chunks", (db) => {
      db.putSync(["g1", 2], flipByte(db.get(["g1", 2])!, -3));
    });
    storage = await LmdbNodeStorage.open(dir);
    expect(() => verifyNodeStorage(storage!)).toThrow(
      expect.objectContaining({ code: "STORAGE_CORRUPTION", record: "snapshot chunk 2" }),
    );
  });
});
