/**
 * One page of a node's `status` (docs/protocol.md, "Control"): the hosted replicas, optionally
 * only `groupIds`, from `offset`, at most `limit`, with `total` so a caller can page. A node
 * hosting thousands of groups would otherwise answer one reply past NATS's `max_payload`.
 */
import { BadRequestError, type ReplicaStatus } from "@flotilla/runtime";

/** The paging fields of a `status` request (all optional). */
export interface StatusPageRequest {
  readonly groupIds?: unknown;
  readonly offset?: unknown;
  readonly limit?: unknown;
}

/** A page of statuses and the number of replicas the request matched. */
export interface StatusPage {
  readonly groups: readonly ReplicaStatus[];
  readonly total: number;
  readonly offset: number;
}

/**
 * The page `request` asks for, of `statusOf` (all statuses, or one group's).
 *
 * @throws {BadRequestError} when a field has the wrong type or range.
 * @example
 * statusPage({ offset: 0, limit: 500 }, node.status, node.groupStatus); // { groups, total, offset }
 */
export function statusPage(
  request: StatusPageRequest,
  all: () => readonly ReplicaStatus[],
  one: (groupId: string) => ReplicaStatus | undefined,
): StatusPage {
  const offset = count(request.offset, "offset") ?? 0;
  const limit = count(request.limit, "limit");
  let matched: readonly ReplicaStatus[];
  if (request.groupIds === undefined) {
    matched = all();
  } else {
    if (!Array.isArray(request.groupIds) || !request.groupIds.every((g) => typeof g === "string")) {
      throw new BadRequestError("groupIds must be an array of strings");
    }
    // Only the groups asked for: no copy of every replica's status.
    matched = request.groupIds
      .map((groupId) => one(groupId))
      .filter((status): status is ReplicaStatus => status !== undefined);
  }
  const end = limit === undefined ? matched.length : offset + limit;
  return { groups: matched.slice(offset, end), total: matched.length, offset };
}

function count(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new BadRequestError(`${name} must be a non-negative integer`);
  }
  return value;
}
