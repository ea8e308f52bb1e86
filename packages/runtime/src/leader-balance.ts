/**
 * Leader balancing: spreads leadership evenly over the nodes, by leadership transfer. Each node
 * decides alone and only sheds its own excess — it never moves another node's leadership — so
 * nodes acting at once never undo each other. It sees every group it hosts (each replica knows
 * its group's leader), which is the whole cluster when every node hosts every group.
 */

/** One hosted group as the balancer sees it. */
export interface LeadershipView {
  readonly groupId: string;
  /** The group's leader as this node's replica knows it, or undefined during an election. */
  readonly leaderId: string | undefined;
  /** The group's voters. */
  readonly voters: readonly string[];
}

/** A transfer to start: hand `groupId`'s leadership to `to`. */
export interface PlannedTransfer {
  readonly groupId: string;
  readonly to: string;
}

/**
 * The transfers that narrow the spread of leadership: while `self` leads more than its floor
 * share (⌊led groups / live voters⌋) and some live voter of one of its groups leads at least two
 * fewer, hand that group to the voter leading the fewest. Each transfer narrows the spread, so
 * nodes balancing at once converge to leading ⌊n⌋ or ⌈n⌉ groups each. Deterministic: groups in
 * id order, ties broken by node id.
 *
 * @example
 * planLeaderTransfers("n1", views, (id) => liveness.isLive(id));
 */
export function planLeaderTransfers(
  self: string,
  groups: readonly LeadershipView[],
  isLive: (nodeId: string) => boolean,
): PlannedTransfer[] {
  const counts = new Map<string, number>();
  const nodes = new Set<string>();
  let led = 0;
  for (const group of groups) {
    for (const voter of group.voters) if (voter === self || isLive(voter)) nodes.add(voter);
    if (group.leaderId === undefined) continue;
    led++;
    counts.set(group.leaderId, (counts.get(group.leaderId) ?? 0) + 1);
  }
  if (nodes.size === 0) return [];
  const floorShare = Math.floor(led / nodes.size);
  let mine = counts.get(self) ?? 0;
  const transfers: PlannedTransfer[] = [];
  const ours = groups
    .filter((group) => group.leaderId === self)
    .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  for (const group of ours) {
    if (mine <= floorShare) break;
    let best: string | undefined;
    for (const voter of [...group.voters].sort()) {
      if (voter === self || !isLive(voter)) continue;
      if (best === undefined || (counts.get(voter) ?? 0) < (counts.get(best) ?? 0)) best = voter;
    }
    if (best === undefined || (counts.get(best) ?? 0) + 1 > mine - 1) continue;
    transfers.push({ groupId: group.groupId, to: best });
    counts.set(best, (counts.get(best) ?? 0) + 1);
    mine--;
  }
  return transfers;
}
