/**
 * The groups a node process hosts, and their kinds, survive restarts: they are recorded in the
 * node's own LMDB environment (its storage's metadata record `hosted-groups`, plain JSON),
 * written durably beside the groups themselves. Memberships live in each group's storage.
 */
import type { NodeStorage } from "@flotilla/runtime";
import type { GroupSpec } from "./node-config.js";

const KEY = "hosted-groups";

/** The groups recorded in `storage` (none when nothing was recorded yet). @throws {Error} on damage. */
export function readHostedGroups(storage: NodeStorage): GroupSpec[] {
  const bytes = storage.metadata(KEY);
  if (bytes === undefined) return [];
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { groups?: unknown };
  if (!Array.isArray(parsed.groups)) throw new Error(`${KEY}: not a list of groups`);
  return parsed.groups as GroupSpec[];
}

/** Records `groups` in `storage`, durably. */
export function writeHostedGroups(
  storage: NodeStorage,
  groups: readonly GroupSpec[],
): Promise<void> {
  return storage.setMetadata(KEY, new TextEncoder().encode(JSON.stringify({ groups })));
}
