/**
 * @flotilla/storage-lmdb — a node's storage of all its Raft groups: one LMDB environment per
 * node with group commit, and an in-memory twin for tests. The public surface is this list.
 */
export {
  Durability,
  type GroupBootstrap,
  type GroupStorage,
  type GroupWrite,
  type NodeStorage,
} from "@flotilla/runtime";
export { LmdbNodeStorage, type LmdbNodeStorageOptions } from "./lmdb-node-storage.js";
export { LmdbGroupStorage } from "./lmdb-group-storage.js";
export {
  verifyNodeStorage,
  type GroupVerification,
  type StorageVerification,
} from "./verify-node-storage.js";
export { MemoryNodeStorage } from "./memory-node-storage.js";
export { FORMAT_VERSION, SNAPSHOT_CHUNK_BYTES_MAX } from "./lmdb-layout.js";
export { DEFAULT_MAP_SIZE_BYTES } from "./lmdb-environment.js";
export { FULL_DISK_MARGIN_BYTES, type StorageLogger } from "./write-failure.js";
export { crc32c } from "./crc32c.js";
export {
  isStorageClosedError,
  isStorageCorruptionError,
  isStorageFormatVersionError,
  isStorageFullError,
  isStorageWriteError,
  StorageClosedError,
  StorageCorruptionError,
  StorageError,
  StorageErrorCode,
  StorageFormatVersionError,
  StorageFullError,
  StorageWriteError,
} from "./storage-errors.js";
