/**
 * A look at `data.mdb`'s two meta pages before LMDB maps the file. LMDB trusts its file: given
 * random bytes, a file of another format or one cut short, lmdb-js 3.5 ends the process with a
 * segmentation fault instead of an error (found by fuzzing start-up, issue 12). This check
 * refuses such a file with a typed error first. It reads only the header, so damage deep inside
 * a B-tree page (LMDB keeps no page checksums) is not found here; Flotilla's own records carry
 * CRCs that are checked on every read.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { StorageCorruptionError } from "./storage-errors.js";

/** `MDB_MAGIC`: the first field of an LMDB meta page. */
const LMDB_MAGIC = 0xbeefc0de;
/** Where the meta fields sit in a meta page (lmdb-js 3.5's LMDB: a 24-byte page header). */
const MAGIC_OFFSET = 24;
/** The free-list database's `md_pad`, which holds the page size. */
const PAGE_SIZE_OFFSET = 48;
/** `mm_last_pg`, the last page in use, and `mm_txnid`, the meta page's transaction. */
const LAST_PAGE_OFFSET = 144;
const TXN_ID_OFFSET = 152;
/** `md_root` of the free-list and the main database: the page each B-tree starts at. */
const ROOT_OFFSETS = [88, 136] as const;
/** `P_INVALID`: the root of an empty B-tree. */
const NO_PAGE = 2 ** 64 - 1;
const PAGE_SIZE_MIN = 512;
const PAGE_SIZE_MAX = 65_536;

/**
 * Checks the header of `dir`/data.mdb, when there is one with data (a missing or empty file is
 * a new environment).
 *
 * @throws {StorageCorruptionError} (record `data.mdb`) when the file is not an LMDB data file
 *   or is shorter than its meta pages say.
 */
export function checkDataFile(dir: string): void {
  const path = join(dir, "data.mdb");
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const refuse = (reason: string): never => {
      throw new StorageCorruptionError(undefined, "data.mdb", `${path}: ${reason}`);
    };
    const first = readAt(fd, 0, PAGE_SIZE_MIN);
    if (first.byteLength < PAGE_SIZE_MIN) refuse(`${size} bytes: too short for an LMDB file`);
    const pageSize = metaField32(first, PAGE_SIZE_OFFSET);
    if (metaField32(first, MAGIC_OFFSET) !== LMDB_MAGIC) refuse("not an LMDB data file");
    if (pageSize < PAGE_SIZE_MIN || pageSize > PAGE_SIZE_MAX || (pageSize & (pageSize - 1)) !== 0) {
      refuse(`page size ${pageSize} is not a power of two in [512, 65536]`);
    }
    if (size < 2 * pageSize) refuse(`${size} bytes: shorter than its two meta pages`);
    const metas = [first, readAt(fd, pageSize, PAGE_SIZE_MIN)];
    if (
      metas.some(
        (meta) =>
          metaField32(meta, MAGIC_OFFSET) !== LMDB_MAGIC ||
          metaField32(meta, PAGE_SIZE_OFFSET) !== pageSize,
      )
    ) {
      refuse("the meta pages disagree: one is damaged");
    }
    // LMDB opens the meta page of the newest transaction; its pages must all be in the file.
    const newest = metas.reduce((a, b) =>
      metaField64(b, TXN_ID_OFFSET) > metaField64(a, TXN_ID_OFFSET) ? b : a,
    );
    const lastPage = metaField64(newest, LAST_PAGE_OFFSET);
    if ((lastPage + 1) * pageSize > size) {
      refuse(`${size} bytes, but its last page ends at ${(lastPage + 1) * pageSize}: cut short`);
    }
    for (const offset of ROOT_OFFSETS) {
      const root = metaField64(newest, offset);
      if (root !== NO_PAGE && (root < 2 || root > lastPage)) {
        refuse(`a B-tree root at page ${root}, outside the pages in use [2, ${lastPage}]`);
      }
    }
  } finally {
    closeSync(fd);
  }
}

function readAt(fd: number, position: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  const read = readSync(fd, bytes, 0, length, position);
  return bytes.subarray(0, read);
}

/** LMDB writes its meta fields in the host's byte order; Node runs on little-endian hosts. */
function metaField32(page: Uint8Array, offset: number): number {
  return new DataView(page.buffer, page.byteOffset, page.byteLength).getUint32(offset, true);
}

function metaField64(page: Uint8Array, offset: number): number {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  return Number(view.getBigUint64(offset, true));
}
