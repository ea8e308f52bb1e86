/**
 * A replica's state digest: the SHA-256 of its state machine's snapshot bytes, in lowercase hex.
 * Replicas that applied the same entries hold the same state, so — as long as a kind's snapshot
 * is canonical (the same state always encodes to the same bytes, as `kv` sorts its keys) — they
 * report the same digest at the same applied index; a difference is a divergence.
 */
import { createHash } from "node:crypto";

/**
 * The hex SHA-256 of `snapshot`.
 *
 * @example
 * stateDigest(new Uint8Array()); // "e3b0c442…b855"
 */
export function stateDigest(snapshot: Uint8Array): string {
  return createHash("sha256").update(snapshot).digest("hex");
}
