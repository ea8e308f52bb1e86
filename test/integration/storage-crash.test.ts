/**
 * The storage crash test: a child process writes batches through LmdbNodeStorage (strict) under
 * load and reports each batch on stdout once `write()` resolved; it is SIGKILLed 30 times at
 * seeded random moments into its writing, and after each kill the parent reopens the directory
 * and checks that every reported batch is there, that each group's log has no hole, and that
 * every reported term survived. Pass or fail does not depend on when exactly the kill lands.
 *
 * A kill leaves the page cache intact, so this shows atomicity and crash consistency of the
 * files, not syncing; packages/storage-lmdb/test/sync-instrumentation.test.ts covers syncing.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { SeededRandom } from "@flotilla/raft";
import { LmdbNodeStorage } from "@flotilla/storage-lmdb";

const KILLS = 30;
const SEED = 4_2025;
const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRITER = fileURLToPath(
  new URL("../../packages/storage-lmdb/test/support/crash-writer.ts", import.meta.url),
);
/** Bound on the child's start-up (node, tsx, opening LMDB) until its first acknowledgement. */
const FIRST_ACK_TIMEOUT_MS = 20_000;

/** What the child acknowledged for one group in one batch. */
interface Ack {
  readonly batchId: number;
  readonly groupId: string;
  readonly first: number | undefined;
  readonly last: number | undefined;
  readonly term: number;
}

/** Parses the complete `ack` lines of the child's output (a cut-off last line is ignored). */
function parseAcks(output: string): Ack[] {
  const lines = output.split("\n");
  lines.pop(); // whatever follows the last newline is incomplete
  const acks: Ack[] = [];
  for (const line of lines) {
    const [tag, batch, ...parts] = line.split(" ");
    expect(tag).toBe("ack");
    for (const part of parts) {
      const [groupId, range, term] = part.split(":");
      const [first, last] = range === "-" ? [undefined, undefined] : range!.split("-").map(Number);
      acks.push({
        batchId: Number(batch),
        groupId: groupId!,
        first,
        last,
        term: Number(term!.slice(1)),
      });
    }
  }
  return acks;
}

/** Runs the child until `delayMs` after its first acknowledgement, then SIGKILLs it. */
async function writeThenKill(
  dir: string,
  seed: number,
  firstBatchId: number,
  delayMs: number,
  track: (child: ChildProcess) => void,
): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      "--conditions=@flotilla/source",
      "--import",
      "tsx",
      WRITER,
      dir,
      String(seed),
      String(firstBatchId),
    ],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  track(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const firstAck = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ack within ${FIRST_ACK_TIMEOUT_MS} ms: ${stderr}`)),
      FIRST_ACK_TIMEOUT_MS,
    );
    const check = (): void => {
      if (stdout.includes("\n")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`writer exited before its first ack: ${stderr}`));
    });
  });
  try {
    await firstAck;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
  expect(child.signalCode).toBe("SIGKILL");
  return stdout;
}

/** Reopens `dir` and checks every acknowledged batch, the logs' contiguity and the terms. */
async function verify(dir: string, acks: readonly Ack[]): Promise<number> {
  const storage = await LmdbNodeStorage.open(dir);
  try {
    const decoder = new TextDecoder();
    let checkedEntries = 0;
    for (const groupId of storage.groupIds()) {
      const group = storage.group(groupId)!;
      // Reading the whole log checks it has no hole (a missing entry raises a corruption error).
      const entries = group.entries(
        group.firstIndex(),
        group.lastIndex() + 1,
        Number.POSITIVE_INFINITY,
      );
      expect(entries.map((e) => e.index)).toEqual(
        Array.from(
          { length: group.lastIndex() - group.firstIndex() + 1 },
          (_, i) => group.firstIndex() + i,
        ),
      );
    }
    for (const ack of acks) {
      const group = storage.group(ack.groupId)!;
      expect(group.initialState().hardState.term).toBeGreaterThanOrEqual(ack.term);
      if (ack.first === undefined || ack.last === undefined) continue;
      expect(group.lastIndex()).toBeGreaterThanOrEqual(ack.last);
      const from = Math.max(ack.first, group.firstIndex());
      // Entries compacted away are covered by the snapshot.
      if (from > ack.first)
        expect(group.snapshot().metadata.index).toBeGreaterThanOrEqual(from - 1);
      if (from > ack.last) continue;
      for (const entry of group.entries(from, ack.last + 1, Number.POSITIVE_INFINITY)) {
        expect(entry.type).toBe("normal");
        const label = entry.type === "normal" ? decoder.decode(entry.data.subarray(0, 40)) : "";
        expect(label.startsWith(`${ack.batchId}:${ack.groupId}:${entry.index}:`)).toBe(true);
        checkedEntries++;
      }
    }
    return checkedEntries;
  } finally {
    await storage.close();
  }
}

describe("LMDB storage under SIGKILL", () => {
  const children = new Set<ChildProcess>();
  let dir: string | undefined;

  afterEach(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    children.clear();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged batch and a hole-free log across ${KILLS} kills`, async () => {
    dir = await mkdtemp(join(tmpdir(), "flotilla-crash."));
    const random = new SeededRandom(SEED);
    const allAcks: Ack[] = [];
    let survivedKills = 0;
    for (let kill = 1; kill <= KILLS; kill++) {
      const delayMs = 5 + random.nextInt(120);
      const output = await writeThenKill(dir, SEED + kill, kill * 1_000_000, delayMs, (c) =>
        children.add(c),
      );
      const acks = parseAcks(output);
      allAcks.push(...acks);
      // Everything acknowledged in this run and every earlier one.
      const checked = await verify(dir, allAcks);
      expect(checked).toBeGreaterThan(0);
      survivedKills++;
    }
    expect(survivedKills).toBe(KILLS);
  }, 120_000);
});
