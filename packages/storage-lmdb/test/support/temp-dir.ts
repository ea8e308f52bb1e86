/**
 * Temporary data directories for tests: created under the OS temp dir, removed afterwards.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Creates a fresh empty directory (its name has a dot, as mkdtemp names often do). */
export function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "flotilla-storage."));
}

/** Removes `dir` and everything in it. */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
