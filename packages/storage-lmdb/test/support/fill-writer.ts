/**
 * The child process of the full-disk test, run under a file-size limit (`ulimit -f`, SIGXFSZ
 * ignored, so a write past the limit fails as a full disk would). It appends large entries
 * until a write is refused, tries a few more writes, checks that reads still work, and prints
 * one JSON line per event on stdout:
 *
 * - `{"ack":N,"last":L}` once batch N (entries up to L) resolved;
 * - `{"refused":N,"name":…,"code":…,"errno":…}` for each refused write;
 * - `{"done":true,"lastIndex":L}` at the end (the process then exits 0: no crash).
 *
 * Usage: node --conditions=@flotilla/source --import tsx fill-writer.ts DIR
 */
import { writeSync } from "node:fs";
import { membershipOf, nodeId, type Entry } from "@flotilla/raft";
import { isStorageFullError, LmdbNodeStorage, StorageError } from "@flotilla/storage-lmdb";

const ENTRY_BYTES = 64 * 1024;
const ENTRIES_PER_BATCH = 4;
const REFUSALS_TO_SEE = 3;
const BATCHES_MAX = 10_000;

function emit(event: Record<string, unknown>): void {
  writeSync(1, `${JSON.stringify(event)}\n`);
}

async function main(dir: string): Promise<void> {
  // A small initial map, so growing the map is exercised on the way to the limit.
  const storage = await LmdbNodeStorage.open(dir, {
    durability: "strict",
    mapSizeBytes: 1024 * 1024,
  });
  await storage.createGroups([{ groupId: "g1", membership: membershipOf([nodeId("n1")]) }]);
  const group = storage.group("g1")!;
  let refusals = 0;
  for (let batch = 1; batch <= BATCHES_MAX && refusals < REFUSALS_TO_SEE; batch++) {
    const first = group.lastIndex() + 1;
    const entries: Entry[] = [];
    for (let i = 0; i < ENTRIES_PER_BATCH; i++) {
      entries.push({
        index: first + i,
        term: 1,
        type: "normal",
        data: new Uint8Array(ENTRY_BYTES).fill((first + i) & 0xff),
      });
    }
    try {
      await storage.write([{ groupId: "g1", entries }]);
      emit({ ack: batch, last: first + ENTRIES_PER_BATCH - 1 });
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      refusals++;
      const errno = (error as { errno?: unknown }).errno;
      emit({
        refused: batch,
        name: error.name,
        code: error.code,
        full: isStorageFullError(error),
        errno,
      });
    }
  }
  // Reads still work, and see exactly the acknowledged log.
  const last = group.lastIndex();
  const entries = group.entries(group.firstIndex(), last + 1, Number.POSITIVE_INFINITY);
  if (entries.length !== last) throw new Error(`read ${entries.length} entries of ${last}`);
  await storage.close();
  emit({ done: true, lastIndex: last });
}

main(process.argv[2]!).catch((error: unknown) => {
  writeSync(
    2,
    `fill-writer failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
