/**
 * The hosted-groups record (hosted-groups.ts): what a node process hosts is kept in its storage
 * and read back, also after the LMDB environment is reopened.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LmdbNodeStorage, MemoryNodeStorage } from "@flotilla/storage-lmdb";
import { readHostedGroups, writeHostedGroups } from "../src/hosted-groups.js";

const groups = [
  { groupId: "orders-7", kind: "kv", members: ["n1", "n2", "n3"] },
  { groupId: "audit", kind: "log", members: ["n1"] },
];

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("hosted groups record", () => {
  it("reads no groups before any were recorded, then what was recorded last", async () => {
    const storage = new MemoryNodeStorage();
    expect(readHostedGroups(storage)).toEqual([]);
    await writeHostedGroups(storage, groups);
    await writeHostedGroups(storage, groups.slice(0, 1));
    expect(readHostedGroups(storage)).toEqual(groups.slice(0, 1));
  });

  it("survives reopening the node's LMDB environment", async () => {
    dir = await mkdtemp(join(tmpdir(), "flotilla-hosted-"));
    const first = await LmdbNodeStorage.open(dir);
    await writeHostedGroups(first, groups);
    await first.close();
    const second = await LmdbNodeStorage.open(dir);
    expect(readHostedGroups(second)).toEqual(groups);
    await second.close();
  });

  it("refuses a damaged record with an error", async () => {
    const storage = new MemoryNodeStorage();
    await storage.setMetadata("hosted-groups", new TextEncoder().encode('{"groups": 7}'));
    expect(() => readHostedGroups(storage)).toThrow(/not a list/);
  });
});
