/**
 * Per-second rates from two readings of the cluster's counters, taken at the start and the end
 * of a measurement window: the runtime's own (`node.stats()`) and the counting transports'.
 */
import { transportCountsSince } from "./counting-transport.js";
import type { ClusterCounters } from "./inprocess-cluster.js";
import type { RuntimeRates, TransportRates } from "./result-row.js";
import { roundTo } from "./round-to.js";

/**
 * The runtime's rates over the window; `acknowledged` proposals (null when idle) give the
 * proposals per storage write of one node out of `nodes`.
 */
export function runtimeRates(
  start: ClusterCounters,
  end: ClusterCounters,
  windowMs: number,
  acknowledged: number | null,
  nodes: number,
): RuntimeRates {
  const perSecond = (count: number) => roundTo((count / windowMs) * 1000, 1);
  const storageWrites = end.storageWrites - start.storageWrites;
  return {
    roundsPerSecond: perSecond(end.rounds - start.rounds),
    storageWritesPerSecond: perSecond(storageWrites),
    batchesSentPerSecond: perSecond(end.batchesSent - start.batchesSent),
    livenessPingsPerSecond: perSecond(end.livenessPings - start.livenessPings),
    proposalsPerStorageWrite:
      acknowledged === null || storageWrites === 0
        ? null
        : roundTo(acknowledged / (storageWrites / nodes), 2),
    replicas: end.replicas,
    quiescedReplicasAtEnd: end.quiescedReplicas,
  };
}

/** What the transports sent over the window, per second. */
export function transportRates(
  start: ClusterCounters,
  end: ClusterCounters,
  windowMs: number,
): TransportRates {
  const sent = transportCountsSince(end.transport, start.transport);
  const perSecond = (count: number) => roundTo((count / windowMs) * 1000, 1);
  const appends = sent.messagesByType["AppendEntries"] ?? 0;
  return {
    batchesPerSecond: perSecond(sent.batches),
    messagesPerSecond: perSecond(sent.messages),
    emptyBatchesPerSecond: perSecond(sent.emptyBatches),
    messagesPerBatch: sent.batches === 0 ? null : roundTo(sent.messages / sent.batches, 2),
    messagesPerSecondByType: Object.fromEntries(
      Object.entries(sent.messagesByType).map(([type, count]) => [type, perSecond(count)]),
    ),
    entriesPerAppend: appends === 0 ? null : roundTo(sent.appendedEntries / appends, 2),
  };
}
