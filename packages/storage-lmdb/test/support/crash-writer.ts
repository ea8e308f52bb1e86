/**
 * The child process of the storage crash test: writes batches through LmdbNodeStorage (strict)
 * as fast as it can until it is killed, and prints one line per batch on stdout only after
 * `write()` resolved — the acknowledgement the parent then checks survived the SIGKILL.
 *
 * Usage: node --conditions=@flotilla/source --import tsx crash-writer.ts DIR SEED FIRST_BATCH_ID
 *
 * Lines: `ack <batchId> <groupId>:<first>-<last>[:t<term>] …`, where `first-last` are the
 * entries appended to that group (`-` when none) and `t<term>` a hard-state term written.
 * Each entry's data starts with `<batchId>:<groupId>:<index>:` so the parent can recognise it.
 * Every few batches a group takes a snapshot and compacts below it, as a runtime would.
 */
import { writeSync } from "node:fs";
import { membershipOf, nodeId, SeededRandom, type Entry } from "@flotilla/raft";
import { LmdbNodeStorage, type GroupWrite } from "@flotilla/storage-lmdb";

/** The groups the child writes to. */
const CRASH_GROUPS = ["g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7"] as const;

const [dir, seedText, firstBatchText] = process.argv.slice(2);
if (dir === undefined || seedText === undefined || firstBatchText === undefined) {
  throw new Error("usage: crash-writer.ts DIR SEED FIRST_BATCH_ID");
}
const random = new SeededRandom(Number(seedText));
const members = membershipOf([nodeId("n1"), nodeId("n2"), nodeId("n3")]);
const encoder = new TextEncoder();

/** Data naming the entry, padded with a random amount of filler. */
function entryData(batchId: number, groupId: string, index: number): Uint8Array {
  const label = encoder.encode(`${batchId}:${groupId}:${index}:`);
  const data = new Uint8Array(label.length + random.nextInt(1500));
  data.set(label);
  data.fill(index & 0xff, label.length);
  return data;
}

async function main(): Promise<void> {
  const storage = await LmdbNodeStorage.open(dir!, { durability: "strict" });
  await storage.createGroups(CRASH_GROUPS.map((groupId) => ({ groupId, membership: members })));
  for (let batchId = Number(firstBatchText); ; batchId++) {
    const writes: GroupWrite[] = [];
    const parts: string[] = [];
    const chosen = new Set<string>();
    const groupCount = 1 + random.nextInt(4);
    while (chosen.size < groupCount) chosen.add(CRASH_GROUPS[random.nextInt(CRASH_GROUPS.length)]!);
    for (const groupId of chosen) {
      const group = storage.group(groupId)!;
      const { hardState } = group.initialState();
      const term = random.nextInt(10) === 0 ? hardState.term + 1 : Math.max(1, hardState.term);
      const first = group.lastIndex() + 1;
      const count = random.nextInt(20);
      const entries: Entry[] = [];
      for (let i = 0; i < count; i++) {
        entries.push({
          index: first + i,
          term,
          type: "normal",
          data: entryData(batchId, groupId, first + i),
        });
      }
      const snapshotIndex = group.snapshot().metadata.index;
      const compactThrough = snapshotIndex > group.firstIndex() ? snapshotIndex - 1 : undefined;
      writes.push({
        groupId,
        entries,
        hardState: { term, vote: nodeId("n1"), commitIndex: Math.max(0, first - 3) },
        ...(compactThrough === undefined ? {} : { compactThrough }),
      });
      parts.push(`${groupId}:${count === 0 ? "-" : `${first}-${first + count - 1}`}:t${term}`);
    }
    await storage.write(writes);
    // Synchronous on a pipe: once this returns the parent can read the line, kill or not.
    writeSync(1, `ack ${batchId} ${parts.join(" ")}\n`);
    if (random.nextInt(8) === 0) {
      const groupId = [...chosen][0]!;
      const group = storage.group(groupId)!;
      const index = group.lastIndex() - 2;
      if (index > group.snapshot().metadata.index && index >= group.firstIndex()) {
        await storage.createSnapshot(
          groupId,
          index,
          members,
          encoder.encode(`snapshot ${groupId} ${index}`),
        );
      }
    }
  }
}

main().catch((error: unknown) => {
  writeSync(
    2,
    `crash-writer failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
