/**
 * Typed operating errors of node storage. A full disk, a corrupt record or a data directory from
 * an unknown format version is expected to happen in production: each is its own class with a
 * stable `code` (which survives the wire and package copies) and structured fields, never a
 * crash and never a silently wrong answer.
 */

import { FlotillaError } from "@flotilla/runtime";

/** Every storage error code (a subset of the runtime's `ErrorCode`). */
export const StorageErrorCode = {
  /** The disk or the memory map is full: the write was not made. */
  Full: "STORAGE_FULL",
  /** A stored record failed its checksum or does not decode: the data cannot be trusted. */
  Corruption: "STORAGE_CORRUPTION",
  /** The data directory was written by a format version this code does not know. */
  FormatVersion: "STORAGE_FORMAT_VERSION",
  /** The storage was closed before (or while) the call was made. */
  Closed: "STORAGE_CLOSED",
  /** The write or its sync failed for another reason (an I/O error): durability is unknown. */
  WriteFailed: "STORAGE_WRITE_FAILED",
} as const;
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

/**
 * Base of every storage error: a `FlotillaError` (so `isFlotillaError` and the wire encoding
 * know it), with a storage code.
 */
export abstract class StorageError extends FlotillaError {
  /** Stable machine-readable code; compare it rather than using `instanceof`. */
  abstract override readonly code: StorageErrorCode;
}

/**
 * The disk or the memory map is full, so the write was refused and nothing of it was stored.
 * The file is intact: free space (or raise a quota) and write again.
 */
export class StorageFullError extends StorageError {
  override readonly name = "StorageFullError";
  readonly code = StorageErrorCode.Full;
  /** The data directory. */
  readonly path: string;
  /** The operating-system or LMDB error number behind it, when known. */
  readonly errno: number | undefined;

  constructor(path: string, errno: number | undefined, options?: ErrorOptions) {
    super(
      `storage full: the write to ${path} was refused (errno ${String(errno)}); ` +
        "nothing of it was stored — free disk space and retry",
      options,
    );
    this.path = path;
    this.errno = errno;
  }
}

/** A stored record failed its checksum, does not decode, or the log has a hole. */
export class StorageCorruptionError extends StorageError {
  override readonly name = "StorageCorruptionError";
  readonly code = StorageErrorCode.Corruption;
  /** The group the record belongs to, when it belongs to one. */
  readonly groupId: string | undefined;
  /** Which record: e.g. `entry 42`, `hard state`, `snapshot chunk 3`. */
  readonly record: string;

  constructor(groupId: string | undefined, record: string, reason: string, options?: ErrorOptions) {
    super(
      `storage corruption in ${groupId === undefined ? "the node" : `group ${groupId}`}, ` +
        `${record}: ${reason}`,
      options,
    );
    this.groupId = groupId;
    this.record = record;
  }
}

/**
 * The data directory was written by a storage format this code does not read (a newer release,
 * or not Flotilla at all). Nothing was changed in it.
 */
export class StorageFormatVersionError extends StorageError {
  override readonly name = "StorageFormatVersionError";
  readonly code = StorageErrorCode.FormatVersion;
  /** The data directory. */
  readonly path: string;
  /** The version found, or undefined when the directory has data but no format record. */
  readonly foundVersion: number | undefined;
  /** The version this code reads and writes. */
  readonly supportedVersion: number;

  constructor(path: string, foundVersion: number | undefined, supportedVersion: number) {
    super(
      foundVersion === undefined
        ? `${path} holds an LMDB environment without a Flotilla format record: ` +
            "refusing to open it (is it another program's data directory?)"
        : `${path} was written in storage format version ${foundVersion}, but this release ` +
            `reads only version ${supportedVersion}: refusing to open it (upgrade Flotilla, ` +
            "or point dataDir elsewhere)",
    );
    this.path = path;
    this.foundVersion = foundVersion;
    this.supportedVersion = supportedVersion;
  }
}

/** The storage was closed: no reads or writes after `close()`. */
export class StorageClosedError extends StorageError {
  override readonly name = "StorageClosedError";
  readonly code = StorageErrorCode.Closed;

  constructor() {
    super("storage is closed");
  }
}

/**
 * A write or its sync failed for a reason other than a full disk (typically EIO). A failed
 * commit stored nothing; a failed sync leaves the commit's durability unknown, so a host should
 * stop the node rather than acknowledge anything that depended on it.
 */
export class StorageWriteError extends StorageError {
  override readonly name = "StorageWriteError";
  readonly code = StorageErrorCode.WriteFailed;
  /** The data directory. */
  readonly path: string;
  /** The operating-system or LMDB error number, when known. */
  readonly errno: number | undefined;

  constructor(path: string, errno: number | undefined, what: string, options?: ErrorOptions) {
    super(`storage ${what} failed in ${path} (errno ${String(errno)})`, options);
    this.path = path;
    this.errno = errno;
  }
}

function hasCode(error: unknown, code: StorageErrorCode): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === code;
}

/** True for a {@link StorageFullError}, from any copy of this package. */
export function isStorageFullError(error: unknown): error is StorageFullError {
  return hasCode(error, StorageErrorCode.Full);
}

/** True for a {@link StorageCorruptionError}, from any copy of this package. */
export function isStorageCorruptionError(error: unknown): error is StorageCorruptionError {
  return hasCode(error, StorageErrorCode.Corruption);
}

/** True for a {@link StorageFormatVersionError}, from any copy of this package. */
export function isStorageFormatVersionError(error: unknown): error is StorageFormatVersionError {
  return hasCode(error, StorageErrorCode.FormatVersion);
}

/** True for a {@link StorageClosedError}, from any copy of this package. */
export function isStorageClosedError(error: unknown): error is StorageClosedError {
  return hasCode(error, StorageErrorCode.Closed);
}

/** True for a {@link StorageWriteError}, from any copy of this package. */
export function isStorageWriteError(error: unknown): error is StorageWriteError {
  return hasCode(error, StorageErrorCode.WriteFailed);
}
