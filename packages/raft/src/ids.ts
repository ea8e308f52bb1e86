/**
 * Branded identifiers. A node id, group id or cluster id is a NATS subject token, so all three
 * share one grammar: `[A-Za-z0-9_-]{1,64}`. Branding keeps a group id from being passed where a
 * node id is expected.
 */

/** A node (one process, one replica per group it hosts). */
export type NodeId = string & { readonly __brand: "NodeId" };

/** Grammar shared by node, group and cluster ids: each must be a single NATS subject token. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** True when `value` is a well-formed id (see {@link ID_PATTERN}). */
export function isValidId(value: unknown): value is string {
  return typeof value === "string" && ID_PATTERN.test(value);
}

/**
 * Brands a string as a {@link NodeId}.
 *
 * @throws {RangeError} when `value` does not match {@link ID_PATTERN}.
 * @example
 * const id = nodeId("n1");
 */
export function nodeId(value: string): NodeId {
  if (!isValidId(value)) throw new RangeError(`invalid node id ${JSON.stringify(value)}`);
  return value as NodeId;
}
