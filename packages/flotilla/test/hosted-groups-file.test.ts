/**
 * The hosted-groups file (hosted-groups-file.ts): what a node hosts survives restarts, written
 * whole (temp file, sync, rename) so a reader finds the old list or the new one.
 */
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readHostedGroups, writeHostedGroups } from "../src/hosted-groups-file.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "flotilla-hosted-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const groups = [
  { groupId: "orders-7", kind: "kv", members: ["n1", "n2", "n3"] },
  { groupId: "audit", kind: "log", members: ["n1"] },
];

describe("hosted groups file", () => {
  it("reads back what was written", async () => {
    await writeHostedGroups(dir, groups);
    expect(await readHostedGroups(dir)).toEqual(groups);
  });

  it("reads no groups when nothing was written yet", async () => {
    expect(await readHostedGroups(dir)).toEqual([]);
  });

  it("replaces the list on each write", async () => {
    await writeHostedGroups(dir, groups);
    await writeHostedGroups(dir, [groups[1]!]);
    expect(await readHostedGroups(dir)).toEqual([groups[1]]);
  });

  it("leaves no temp file behind", async () => {
    await writeHostedGroups(dir, groups);
    expect(await readdir(dir)).toEqual(["hosted-groups.json"]);
  });

  it("fails loudly on a damaged file rather than hosting nothing", async () => {
    await writeFile(join(dir, "hosted-groups.json"), "{ damaged");
    await expect(readHostedGroups(dir)).rejects.toThrow(SyntaxError);
  });

  it("fails when the directory does not exist", async () => {
    await expect(writeHostedGroups(join(dir, "missing"), groups)).rejects.toThrow();
  });
});
