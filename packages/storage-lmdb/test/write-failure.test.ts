/**
 * How a failed LMDB write becomes a typed error: ENOSPC, EDQUOT, EFBIG and MDB_MAP_FULL are a
 * full disk; EIO (LMDB's report of a short write) only when the filesystem is nearly full;
 * anything else is a StorageWriteError; typed errors pass through. The error lmdb-js hides in
 * `commitError` is the one classified, and the failure is logged once.
 */
import { describe, expect, it, vi } from "vitest";
import { constants } from "node:os";
import { tmpdir } from "node:os";
import { AssertionError } from "@flotilla/raft";
import { StorageClosedError, StorageFullError, StorageWriteError } from "../src/index.js";
import { classifyWriteFailure } from "../src/write-failure.js";

function lmdbError(code: number): Error {
  return Object.assign(new Error(`errno ${code}`), { code });
}

/** A rejected commit as lmdb-js reports it: the real error behind `commitError`. */
function commitFailure(inner: Error): Error {
  const commitError = Promise.reject(inner);
  commitError.catch(() => undefined);
  return Object.assign(new Error("Commit failed (see commitError for details)"), { commitError });
}

describe("write failure classification", () => {
  const path = tmpdir();

  it.each([
    ["ENOSPC", constants.errno.ENOSPC],
    ["EDQUOT", constants.errno.EDQUOT],
    ["EFBIG", constants.errno.EFBIG],
    ["MDB_MAP_FULL", -30792],
  ])("calls %s a full disk", async (_name, errno) => {
    const error = await classifyWriteFailure(
      path,
      commitFailure(lmdbError(errno)),
      "commit",
      undefined,
    );
    expect(error).toBeInstanceOf(StorageFullError);
    expect(error).toMatchObject({ code: "STORAGE_FULL", errno, path, name: "StorageFullError" });
  });

  it("calls EIO a write error when the filesystem has room (and logs it once)", async () => {
    const logger = { error: vi.fn() };
    const error = await classifyWriteFailure(path, lmdbError(constants.errno.EIO), "sync", logger);
    expect(error).toBeInstanceOf(StorageWriteError);
    expect(error.message).toContain("sync failed");
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0]![0]).toMatchObject({
      path,
      errno: constants.errno.EIO,
      code: "STORAGE_WRITE_FAILED",
    });
  });

  it("passes typed errors through unchanged", async () => {
    const assertion = new AssertionError("bug");
    const closed = new StorageClosedError();
    expect(await classifyWriteFailure(path, assertion, "commit", undefined)).toBe(assertion);
    expect(await classifyWriteFailure(path, closed, "commit", undefined)).toBe(closed);
  });

  it("keeps the original error as the cause", async () => {
    const inner = lmdbError(constants.errno.ENOSPC);
    const error = await classifyWriteFailure(path, commitFailure(inner), "commit", undefined);
    expect(error.cause).toBe(inner);
  });
});
