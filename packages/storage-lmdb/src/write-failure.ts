/**
 * Classifies a failed LMDB commit or sync into a typed storage error and logs it once. A full
 * disk shows up as ENOSPC, EDQUOT or EFBIG, as LMDB's MDB_MAP_FULL, or as EIO when a write was
 * cut short by the disk filling up (LMDB reports a short write as EIO), so EIO counts as full
 * when the filesystem is nearly out of space. A failed commit leaves the file as it was: LMDB
 * writes the new meta page only after every data page made it.
 */
import { statfsSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { AssertionError } from "@flotilla/raft";
import { StorageError, StorageFullError, StorageWriteError } from "./storage-errors.js";

/** LMDB's "environment mapsize limit reached" (lmdb-js reports LMDB codes as negatives). */
const MDB_MAP_FULL = -30792;

/** Below this much free space, an EIO from a write is taken for a full disk. */
export const FULL_DISK_MARGIN_BYTES = 64 * 1024 * 1024;

const FULL_ERRNOS: ReadonlySet<number> = new Set(
  [
    osConstants.errno.ENOSPC,
    osConstants.errno.EDQUOT,
    osConstants.errno.EFBIG,
    MDB_MAP_FULL,
  ].filter((errno): errno is number => typeof errno === "number"),
);

/** The pino-compatible subset of a logger the storage writes to. */
export interface StorageLogger {
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * The error an LMDB write failure carries. lmdb-js rejects a failed commit with a generic error
 * whose `commitError` promise holds the real one (with its errno as `code`); that promise is
 * always settled here, so it never becomes an unhandled rejection.
 */
async function underlyingError(error: unknown): Promise<unknown> {
  const commitError =
    typeof error === "object" && error !== null && "commitError" in error
      ? error.commitError
      : undefined;
  if (!(commitError instanceof Promise)) return error;
  // lmdb-js rejects `commitError` in the same native callback that rejected the commit, so it
  // is settled by now; the macrotask bound only guards against a future change of that order.
  const settled = commitError.then(
    () => error,
    (inner: unknown) => inner,
  );
  const bound = new Promise<unknown>((resolve) => setImmediate(() => resolve(error)));
  return Promise.race([settled, bound]);
}

function errnoOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  const code = error.code;
  return typeof code === "number" ? code : undefined;
}

function nearlyFull(path: string): boolean {
  try {
    const stats = statfsSync(path);
    return stats.bavail * stats.bsize < FULL_DISK_MARGIN_BYTES;
  } catch {
    return false;
  }
}

/**
 * The typed error for a failed `what` ("commit" or "sync") in the data directory `path`. Errors
 * that are already typed (an assertion, a storage error) pass through unchanged.
 */
export async function classifyWriteFailure(
  path: string,
  error: unknown,
  what: "commit" | "sync",
  logger: StorageLogger | undefined,
): Promise<Error> {
  if (error instanceof AssertionError || error instanceof StorageError) return error;
  const cause = await underlyingError(error);
  const errno = errnoOf(cause);
  const full =
    (errno !== undefined && FULL_ERRNOS.has(errno)) ||
    (errno === osConstants.errno.EIO && nearlyFull(path));
  const typed = full
    ? new StorageFullError(path, errno, { cause })
    : new StorageWriteError(path, errno, what, { cause });
  logger?.error({ path, errno, code: typed.code, err: cause }, typed.message);
  return typed;
}
