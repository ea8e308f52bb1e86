/**
 * How each stored value is encoded: plain msgpack (no msgpackr records or extensions, so any
 * msgpack library can read a data directory), every record with a CRC-32C written with it and
 * checked when read. A value that fails its check or does not decode raises
 * {@link StorageCorruptionError}; nothing wrong is ever returned.
 *
 * - entry: `[term, type, payload, crc]`; payload is the data bytes (normal), nil (noop) or the
 *   membership change (config); crc covers the index (from the key), term, type and payload.
 * - hard state, log head, snapshot metadata: `[crc, body]`, body the msgpack of the record.
 * - snapshot chunk: `[crc, bytes]`.
 * - format record: `{ formatVersion }`, unsealed, so any future version can read it.
 */
import { Packr } from "msgpackr";
import {
  EntryType,
  type Entry,
  type HardState,
  type Membership,
  type MembershipChange,
  type NodeId,
  type SnapshotMetadata,
} from "@flotilla/raft";
import { crc32c } from "./crc32c.js";
import { StorageCorruptionError } from "./storage-errors.js";

/**
 * Plain msgpack: no records or extensions, `undefined` as nil, compact maps. Binary values
 * decode as views of the source buffer, so everything that leaves this module is copied first
 * ({@link plainBytes}): LMDB's read buffers are reused.
 */
const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  encodeUndefinedAsNil: true,
  mapsAsObjects: true,
  variableMapSize: true,
  copyBuffers: false,
});

const ENTRY_TYPE_CODES: Readonly<Record<Entry["type"], number>> = {
  normal: 1,
  noop: 2,
  config: 3,
};

/** A snapshot's metadata as stored, with where its data lives. */
export interface StoredSnapshotMetadata extends SnapshotMetadata {
  /** Total bytes of data. */
  readonly dataBytes: number;
  /** How many chunks hold it (keys `[groupId, 0]` … `[groupId, chunkCount - 1]`). */
  readonly chunkCount: number;
}

/** The log head: the index before the first entry, and its term. */
export interface LogHead {
  readonly index: number;
  readonly term: number;
}

/** Where a value came from, for error messages. */
interface RecordSite {
  readonly groupId: string | undefined;
  readonly record: string;
}

function corrupt(site: RecordSite, reason: string, cause?: unknown): StorageCorruptionError {
  return new StorageCorruptionError(
    site.groupId,
    site.record,
    reason,
    cause === undefined ? undefined : { cause },
  );
}

function decodeMsgpack(bytes: Uint8Array, site: RecordSite): unknown {
  try {
    return packr.unpack(bytes) as unknown;
  } catch (error) {
    throw corrupt(site, "value is not valid msgpack", error);
  }
}

/**
 * A copy as a plain Uint8Array (not a Buffer view of a reused read buffer), so data round-trips
 * with the type it was written with and stays valid after the next read.
 */
export function plainBytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value);
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

function isIndex(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

// --- entries -------------------------------------------------------------------------------

function entryChecksum(
  index: number,
  term: number,
  type: Entry["type"],
  payload: Uint8Array,
): number {
  // One header buffer for every call: checksums run synchronously, never interleaved.
  CHECKSUM_VIEW.setFloat64(0, index);
  CHECKSUM_VIEW.setFloat64(8, term);
  CHECKSUM_VIEW.setUint8(16, ENTRY_TYPE_CODES[type]);
  return crc32c(payload, crc32c(CHECKSUM_HEADER));
}

const CHECKSUM_HEADER = new Uint8Array(17);
const CHECKSUM_VIEW = new DataView(CHECKSUM_HEADER.buffer);

function entryPayloadBytes(entry: Entry): Uint8Array {
  switch (entry.type) {
    case "normal":
      return entry.data;
    case "noop":
      return new Uint8Array(0);
    case "config":
      return packr.pack(entry.change);
  }
}

/** Encodes an entry (its index lives in the key but is covered by the checksum). */
export function encodeEntry(entry: Entry): Uint8Array {
  const crc = entryChecksum(entry.index, entry.term, entry.type, entryPayloadBytes(entry));
  const payload =
    entry.type === "normal" ? entry.data : entry.type === "config" ? entry.change : null;
  return packr.pack([entry.term, entry.type, payload, crc]);
}

/**
 * Decodes the entry stored at `index` of `groupId` and checks its checksum.
 *
 * @throws {StorageCorruptionError} when the value does not decode or fails its checksum.
 */
export function decodeEntry(groupId: string, index: number, bytes: Uint8Array): Entry {
  const site = { groupId, record: `entry ${index}` };
  const value = decodeMsgpack(bytes, site);
  if (!Array.isArray(value) || value.length !== 4) throw corrupt(site, "not a 4-element array");
  const [term, type, payload, crc] = value as [unknown, unknown, unknown, unknown];
  if (!isIndex(term)) throw corrupt(site, "term is not a non-negative integer");
  if (typeof crc !== "number") throw corrupt(site, "checksum is not a number");
  let entry: Entry;
  switch (type) {
    case EntryType.Normal:
      if (!isBytes(payload)) throw corrupt(site, "normal entry data is not binary");
      entry = { index, term, type, data: plainBytes(payload) };
      break;
    case EntryType.Noop:
      if (payload !== null) throw corrupt(site, "noop entry has a payload");
      entry = { index, term, type };
      break;
    case EntryType.Config:
      if (typeof payload !== "object" || payload === null) {
        throw corrupt(site, "config entry change is not a map");
      }
      entry = { index, term, type, change: payload as MembershipChange };
      break;
    default:
      throw corrupt(site, `unknown entry type ${JSON.stringify(type)}`);
  }
  if (entryChecksum(index, term, entry.type, entryPayloadBytes(entry)) !== crc) {
    throw corrupt(site, "checksum mismatch");
  }
  return entry;
}

// --- sealed records --------------------------------------------------------------------------

function seal(body: unknown): Uint8Array {
  const bytes = packr.pack(body);
  return packr.pack([crc32c(bytes), bytes]);
}

function unseal(bytes: Uint8Array, site: RecordSite): unknown {
  const value = decodeMsgpack(bytes, site);
  if (!Array.isArray(value) || value.length !== 2) throw corrupt(site, "not a sealed record");
  const [crc, body] = value as [unknown, unknown];
  if (typeof crc !== "number" || !isBytes(body)) throw corrupt(site, "not a sealed record");
  if (crc32c(body) !== crc) throw corrupt(site, "checksum mismatch");
  return decodeMsgpack(body, site);
}

function field(record: unknown, name: string, site: RecordSite): unknown {
  if (typeof record !== "object" || record === null || !(name in record)) {
    throw corrupt(site, `missing field ${name}`);
  }
  return (record as Record<string, unknown>)[name];
}

function indexField(record: unknown, name: string, site: RecordSite): number {
  const value = field(record, name, site);
  if (!isIndex(value)) throw corrupt(site, `${name} is not a non-negative integer`);
  return value;
}

function idsField(record: unknown, name: string, site: RecordSite): NodeId[] {
  const value = field(record, name, site);
  if (!Array.isArray(value) || !value.every((id) => typeof id === "string")) {
    throw corrupt(site, `${name} is not a list of ids`);
  }
  return value as NodeId[];
}

/** Encodes a hard state. */
export function encodeHardState(hardState: HardState): Uint8Array {
  return seal({
    term: hardState.term,
    vote: hardState.vote ?? null,
    commitIndex: hardState.commitIndex,
  });
}

/** Decodes a hard state. @throws {StorageCorruptionError} */
export function decodeHardState(groupId: string, bytes: Uint8Array): HardState {
  const site = { groupId, record: "hard state" };
  const record = unseal(bytes, site);
  const vote = field(record, "vote", site);
  if (vote !== null && typeof vote !== "string") throw corrupt(site, "vote is not an id");
  return {
    term: indexField(record, "term", site),
    vote: vote === null ? undefined : (vote as NodeId),
    commitIndex: indexField(record, "commitIndex", site),
  };
}

/** Encodes a log head. */
export function encodeLogHead(head: LogHead): Uint8Array {
  return seal({ index: head.index, term: head.term });
}

/** Decodes a log head. @throws {StorageCorruptionError} */
export function decodeLogHead(groupId: string, bytes: Uint8Array): LogHead {
  const site = { groupId, record: "log head" };
  const record = unseal(bytes, site);
  return { index: indexField(record, "index", site), term: indexField(record, "term", site) };
}

/** Encodes a snapshot's metadata with its data's size and chunk count. */
export function encodeSnapshotMetadata(metadata: StoredSnapshotMetadata): Uint8Array {
  const { membership } = metadata;
  return seal({
    index: metadata.index,
    term: metadata.term,
    membership: {
      voters: membership.voters,
      votersOutgoing: membership.votersOutgoing,
      learners: membership.learners,
      learnersNext: membership.learnersNext,
    },
    dataBytes: metadata.dataBytes,
    chunkCount: metadata.chunkCount,
  });
}

/** Decodes a snapshot's metadata. @throws {StorageCorruptionError} */
export function decodeSnapshotMetadata(groupId: string, bytes: Uint8Array): StoredSnapshotMetadata {
  const site = { groupId, record: "snapshot metadata" };
  const record = unseal(bytes, site);
  const stored = field(record, "membership", site);
  const membershipSite = { groupId, record: "snapshot membership" };
  const membership: Membership = {
    voters: idsField(stored, "voters", membershipSite),
    votersOutgoing: idsField(stored, "votersOutgoing", membershipSite),
    learners: idsField(stored, "learners", membershipSite),
    learnersNext: idsField(stored, "learnersNext", membershipSite),
  };
  return {
    index: indexField(record, "index", site),
    term: indexField(record, "term", site),
    membership,
    dataBytes: indexField(record, "dataBytes", site),
    chunkCount: indexField(record, "chunkCount", site),
  };
}

/** Encodes one chunk of snapshot data. */
export function encodeSnapshotChunk(bytes: Uint8Array): Uint8Array {
  return packr.pack([crc32c(bytes), bytes]);
}

/**
 * Decodes snapshot chunk `chunk` of `groupId`, returning a view of `bytes` (copy it before the
 * next read). @throws {StorageCorruptionError}
 */
export function decodeSnapshotChunk(groupId: string, chunk: number, bytes: Uint8Array): Uint8Array {
  const site = { groupId, record: `snapshot chunk ${chunk}` };
  const value = decodeMsgpack(bytes, site);
  if (!Array.isArray(value) || value.length !== 2) throw corrupt(site, "not a chunk record");
  const [crc, data] = value as [unknown, unknown];
  if (typeof crc !== "number" || !isBytes(data)) throw corrupt(site, "not a chunk record");
  if (crc32c(data) !== crc) throw corrupt(site, "checksum mismatch");
  // A view of `bytes`: the caller copies it out before its next read.
  return data;
}

/** Encodes the format record. */
export function encodeFormatRecord(formatVersion: number): Uint8Array {
  return packr.pack({ formatVersion });
}

/**
 * Decodes the format record's version; undefined when the record is not one (a foreign or
 * damaged directory, which the caller refuses like an unknown version).
 */
export function decodeFormatVersion(bytes: Uint8Array): number | undefined {
  try {
    const record = packr.unpack(bytes) as unknown;
    if (typeof record !== "object" || record === null || !("formatVersion" in record)) {
      return undefined;
    }
    const version = record.formatVersion;
    return isIndex(version) ? version : undefined;
  } catch {
    return undefined;
  }
}
