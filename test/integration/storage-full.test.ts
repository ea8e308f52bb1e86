/**
 * A full disk is an operating error, not a crash and not a corrupt file. A child process writes
 * through LmdbNodeStorage under a file-size limit (`ulimit -f`, with SIGXFSZ ignored, so writes
 * past it fail the way they fail on a full disk: LMDB sees a short write). Every refused write
 * must reject with a typed storage error while the process keeps running and reading; after
 * the limit is lifted, the directory reopens with every acknowledged entry and takes new writes.
 *
 * Under the limit LMDB reports EIO; the storage calls that StorageFullError only when the
 * filesystem is nearly out of space (it is not here), so either typed error is accepted.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { LmdbNodeStorage } from "@flotilla/storage-lmdb";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRITER = fileURLToPath(
  new URL("../../packages/storage-lmdb/test/support/fill-writer.ts", import.meta.url),
);
/** The file-size limit, in 1 KiB blocks (bash's `ulimit -f` unit): 8 MiB. */
const LIMIT_BLOCKS = 8192;
const RUN_TIMEOUT_MS = 60_000;

interface FillEvent {
  readonly ack?: number;
  readonly last?: number;
  readonly refused?: number;
  readonly code?: string;
  readonly done?: boolean;
  readonly lastIndex?: number;
}

function runLimited(
  dir: string,
): Promise<{ status: number | null; events: FillEvent[]; stderr: string }> {
  const node = [process.execPath, "--conditions=@flotilla/source", "--import", "tsx", WRITER, dir]
    .map((arg) => `'${arg.replaceAll("'", "'\\''")}'`)
    .join(" ");
  const child = spawn("bash", ["-c", `trap '' XFSZ; ulimit -f ${LIMIT_BLOCKS}; exec ${node}`], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    child.once("exit", (status) => {
      clearTimeout(timer);
      const events = stdout
        .split("\n")
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as FillEvent);
      resolve({ status, events, stderr });
    });
  });
}

describe("LMDB storage on a full disk", () => {
  let dir: string | undefined;

  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("refuses writes with a typed error, keeps running, and loses nothing acknowledged", async () => {
    dir = await mkdtemp(join(tmpdir(), "flotilla-full."));
    const { status, events, stderr } = await runLimited(dir);
    expect(status, stderr).toBe(0);

    const acks = events.filter((e) => e.ack !== undefined);
    const refusals = events.filter((e) => e.refused !== undefined);
    const done = events.find((e) => e.done === true);
    expect(acks.length).toBeGreaterThan(0);
    expect(refusals).toHaveLength(3);
    for (const refusal of refusals)
      expect(["STORAGE_FULL", "STORAGE_WRITE_FAILED"]).toContain(refusal.code);
    const lastAcked = acks.at(-1)!.last!;
    expect(done?.lastIndex).toBe(lastAcked);

    // The limit is gone in this process: the file reopens intact and grows again.
    const storage = await LmdbNodeStorage.open(dir);
    try {
      const group = storage.group("g1")!;
      expect(group.lastIndex()).toBe(lastAcked);
      const entries = group.entries(1, lastAcked + 1, Number.POSITIVE_INFINITY);
      expect(entries).toHaveLength(lastAcked);
      for (const entry of entries) {
        expect(entry.type === "normal" && entry.data.every((b) => b === (entry.index & 0xff))).toBe(
          true,
        );
      }
      await storage.write([
        { groupId: "g1", entries: [{ index: lastAcked + 1, term: 1, type: "noop" }] },
      ]);
      expect(group.lastIndex()).toBe(lastAcked + 1);
    } finally {
      await storage.close();
    }
  }, 90_000);
});
