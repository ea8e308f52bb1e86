/**
 * A data directory is refused at open, with a typed error and a clear message, when it was
 * written by an unknown format version or holds another program's LMDB environment; nothing in
 * it is changed.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Packr } from "msgpackr";
import {
  FORMAT_VERSION,
  isStorageFormatVersionError,
  LmdbNodeStorage,
  StorageFormatVersionError,
} from "../src/index.js";
import { MEMBERS, normals } from "./support/fixtures.js";
import { withRawDatabase } from "./support/raw-lmdb.js";
import { makeTempDir, removeTempDir } from "./support/temp-dir.js";

const plain = new Packr({ useRecords: false });

describe("storage format version", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await removeTempDir(dir);
  });

  it("writes the current format version into a new data directory", async () => {
    const storage = await LmdbNodeStorage.open(dir);
    await storage.close();
    let record: unknown;
    await withRawDatabase(dir, "meta", (db) => {
      record = plain.unpack(db.get("format")!);
    });
    expect(record).toEqual({ formatVersion: FORMAT_VERSION });
  });

  it("refuses a directory written by an unknown (newer) format version, leaving it unchanged", async () => {
    const storage = await LmdbNodeStorage.open(dir);
    await storage.createGroups([{ groupId: "g1", membership: MEMBERS }]);
    await storage.write([{ groupId: "g1", entries: normals(1, 3, 1) }]);
    await storage.close();
    await withRawDatabase(dir, "meta", (db) => {
      db.putSync("format", plain.pack({ formatVersion: FORMAT_VERSION + 1 }));
    });

    const error = await LmdbNodeStorage.open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageFormatVersionError);
    expect(isStorageFormatVersionError(error)).toBe(true);
    expect(error).toMatchObject({
      name: "StorageFormatVersionError",
      code: "STORAGE_FORMAT_VERSION",
      foundVersion: FORMAT_VERSION + 1,
      supportedVersion: FORMAT_VERSION,
      path: dir,
    });
    expect((error as Error).message).toContain(`format version ${FORMAT_VERSION + 1}`);
    expect((error as Error).message).toContain(`reads only version ${FORMAT_VERSION}`);

    // Put the version back: the data is still all there.
    await withRawDatabase(dir, "meta", (db) => {
      db.putSync("format", plain.pack({ formatVersion: FORMAT_VERSION }));
    });
    const reopened = await LmdbNodeStorage.open(dir);
    expect(reopened.group("g1")!.lastIndex()).toBe(3);
    await reopened.close();
  });

  it("refuses a directory holding another program's LMDB environment", async () => {
    await withRawDatabase(dir, "accounts", (db) => {
      db.putSync("alice", new Uint8Array([1]));
    });
    const error = await LmdbNodeStorage.open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageFormatVersionError);
    expect(error).toMatchObject({ foundVersion: undefined });
    expect((error as Error).message).toContain("without a Flotilla format record");
  });

  it("refuses Flotilla data whose format record is missing", async () => {
    const storage = await LmdbNodeStorage.open(dir);
    await storage.createGroups([{ groupId: "g1", membership: MEMBERS }]);
    await storage.close();
    await withRawDatabase(dir, "meta", (db) => {
      db.removeSync("format");
    });
    await expect(LmdbNodeStorage.open(dir)).rejects.toBeInstanceOf(StorageFormatVersionError);
  });

  it("opens a directory whose first open stopped before the format record was written", async () => {
    await withRawDatabase(dir, "meta", () => undefined);
    const storage = await LmdbNodeStorage.open(dir);
    expect(storage.groupIds()).toEqual([]);
    await storage.close();
  });
});
