// Durable batched write throughput of LmdbNodeStorage: batches/s and entries/s for 1 and 100
// entries per group per batch, with 1 and 64 groups per transaction (group commit), in strict
// and relaxed durability. A measurement, not a test: run it by hand and compare ratios taken in
// one run (absolute figures vary ±20-40 % from run to run on a virtual disk).
//
//   node --conditions=@flotilla/source --import tsx packages/storage-lmdb/bench/durable-writes.mjs [seconds]
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { membershipOf, nodeId } from "@flotilla/raft";
import { LmdbNodeStorage } from "@flotilla/storage-lmdb";

const SECONDS = Number(process.argv[2] ?? "3");
const ENTRY_BYTES = 100;
const members = membershipOf([nodeId("n1"), nodeId("n2"), nodeId("n3")]);
const payload = new Uint8Array(ENTRY_BYTES).fill(7);

function now() {
  return Number(process.hrtime.bigint()) / 1e9;
}

async function measure(durability, groups, entriesPerGroup) {
  const dir = mkdtempSync(join(tmpdir(), "flotilla-bench."));
  const storage = await LmdbNodeStorage.open(dir, { durability });
  const ids = Array.from({ length: groups }, (_, i) => `g${i}`);
  await storage.createGroups(ids.map((groupId) => ({ groupId, membership: members })));
  const next = new Map(ids.map((id) => [id, 1]));
  let batches = 0;
  const start = now();
  while (now() - start < SECONDS) {
    const batch = ids.map((groupId) => {
      const first = next.get(groupId);
      next.set(groupId, first + entriesPerGroup);
      const entries = Array.from({ length: entriesPerGroup }, (_, i) => ({
        index: first + i,
        term: 1,
        type: "normal",
        data: payload,
      }));
      return {
        groupId,
        entries,
        hardState: { term: 1, vote: nodeId("n1"), commitIndex: first - 1 },
      };
    });
    await storage.write(batch);
    batches++;
  }
  const elapsed = now() - start;
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    batchesPerSecond: batches / elapsed,
    entriesPerSecond: (batches * groups * entriesPerGroup) / elapsed,
  };
}

/** The disk's own pace right now: 100-byte write + fdatasync per second (the ceiling of row 1). */
function rawFdatasyncPerSecond() {
  const dir = mkdtempSync(join(tmpdir(), "flotilla-bench."));
  const fd = openSync(join(dir, "probe"), "w");
  let count = 0;
  const start = now();
  while (now() - start < 1) {
    writeSync(fd, payload, 0, payload.length, count * payload.length);
    fdatasyncSync(fd);
    count++;
  }
  const rate = count / (now() - start);
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return Math.round(rate);
}

console.log(`raw write+fdatasync on this disk: ${rawFdatasyncPerSecond()}/s`);
const rows = [];
for (const durability of ["strict", "relaxed"]) {
  for (const groups of [1, 64]) {
    for (const entriesPerGroup of [1, 100]) {
      const { batchesPerSecond, entriesPerSecond } = await measure(
        durability,
        groups,
        entriesPerGroup,
      );
      rows.push({
        durability,
        groups,
        "entries/group/batch": entriesPerGroup,
        "batches/s": Math.round(batchesPerSecond),
        "entries/s": Math.round(entriesPerSecond),
      });
    }
  }
}
console.table(rows);
console.log(`raw write+fdatasync on this disk: ${rawFdatasyncPerSecond()}/s`);
