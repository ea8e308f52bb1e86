/**
 * Creates thousands of groups in a node's LMDB environment in one transaction, before the node
 * process starts on it.
 *
 * Why: `flotilla node` hosts its configured groups one at a time, and each `node.group()` is a
 * `storage.createGroups([one])` that always waits for a sync; at 10,000 groups per node that is
 * 10,000 synced commits in a row per node, each behind the other nodes' elections on a shared
 * 2-core machine: the nodes were still hosting groups (and answering no control request) five
 * minutes after spawn. A group that already exists costs the node no write at all, so creating
 * them here, all in one commit, leaves the node only the replicas to start. The groups are the
 * same ones the node would create (same ids, same initial voters); only the write is batched.
 */
import { membershipOf, type NodeId } from "@flotilla/raft";
import { LmdbNodeStorage } from "@flotilla/storage-lmdb";
import type { Durability } from "../systems/system-cluster.js";

/** Creates `groupIds` with the voters `members` in the LMDB environment at `dataDir`. */
export async function seedGroups(
  dataDir: string,
  groupIds: readonly string[],
  members: readonly string[],
  durability: Durability,
): Promise<void> {
  const storage = await LmdbNodeStorage.open(dataDir, { durability });
  try {
    const membership = membershipOf(members.map((member) => member as NodeId));
    await storage.createGroups(groupIds.map((groupId) => ({ groupId, membership })));
  } finally {
    await storage.close();
  }
}
