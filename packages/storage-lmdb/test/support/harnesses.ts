/**
 * Conformance harnesses for the two implementations: MemoryNodeStorage, and LmdbNodeStorage in
 * a fresh temporary directory (removed afterwards).
 */
import {
  LmdbNodeStorage,
  MemoryNodeStorage,
  type LmdbNodeStorageOptions,
  type NodeStorage,
} from "../../src/index.js";
import type { NodeStorageHarness } from "./node-storage-conformance.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

/** The in-memory implementation. */
export function memoryHarness(): NodeStorageHarness {
  return {
    open: () => Promise.resolve(new MemoryNodeStorage()),
    reopen: undefined,
    cleanup: () => Promise.resolve(),
  };
}

/** The LMDB implementation with `options`, in a temporary directory made on open. */
export function lmdbHarness(options: LmdbNodeStorageOptions = {}): NodeStorageHarness {
  let dir: string | undefined;
  return {
    async open() {
      dir = await makeTempDir();
      return LmdbNodeStorage.open(dir, options);
    },
    async reopen(storage: NodeStorage) {
      await storage.close();
      return LmdbNodeStorage.open(dir!, options);
    },
    async cleanup() {
      if (dir !== undefined) await removeTempDir(dir);
    },
  };
}
