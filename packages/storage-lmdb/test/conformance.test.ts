/**
 * Runs the one NodeStorage conformance suite against every implementation: in memory, and LMDB
 * with strict and relaxed durability (relaxed with small snapshot chunks, to cross chunks).
 */
import { describeNodeStorageConformance } from "./support/node-storage-conformance.js";
import { lmdbHarness, memoryHarness } from "./support/harnesses.js";

describeNodeStorageConformance("MemoryNodeStorage", memoryHarness);
describeNodeStorageConformance("LmdbNodeStorage (strict)", () =>
  lmdbHarness({ durability: "strict" }),
);
describeNodeStorageConformance("LmdbNodeStorage (relaxed, 1 KiB snapshot chunks)", () =>
  lmdbHarness({ durability: "relaxed", snapshotChunkBytes: 1024 }),
);
