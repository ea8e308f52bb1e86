/**
 * Raw access to a closed storage's LMDB files, for tests that damage or forge what is stored.
 */
import { open, type Database, type Key, type RootDatabase } from "lmdb";

/** Opens `dir` with plain lmdb-js, runs `body` with a named database, and closes it. */
export async function withRawDatabase(
  dir: string,
  name: string,
  body: (db: Database<Uint8Array, Key>, root: RootDatabase<Uint8Array, Key>) => void,
): Promise<void> {
  const root = open<Uint8Array, Key>({
    path: dir,
    noSubdir: false,
    maxDbs: 16,
    encoding: "binary",
    overlappingSync: false,
  });
  try {
    const db = root.openDB<Uint8Array, Key>(name, { encoding: "binary" });
    await root.childTransaction(() => body(db, root));
    await root.flushed;
  } finally {
    await root.close();
  }
}

/** A copy of `bytes` with the byte at `offset` (negative: from the end) inverted. */
export function flipByte(bytes: Uint8Array, offset: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  const at = offset < 0 ? copy.length + offset : offset;
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy;
}
