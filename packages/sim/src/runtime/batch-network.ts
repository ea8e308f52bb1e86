/**
 * The runtime mode's wire: the simulator's fault model (see `../network.ts`) applied to what a
 * host really sends — one {@link RaftBatch} per destination node per round. A batch may be
 * dropped, delayed by whole steps, duplicated or held back so later ones overtake it; directed
 * links can be cut. Delivery is never in the sending step. It never alters a batch, and holds at
 * most `inFlightMax` of them (past that the oldest is dropped: a lossy network anyway).
 */
import { decodeBatch, encodeBatch } from "@flotilla/transport-nats";
import type { NodeId, SeededRandom } from "@flotilla/raft";
import type { RaftBatch } from "@flotilla/runtime";
import type { NetworkFaults } from "../network.js";
import { intBetween } from "../random-choice.js";

/** A batch on the wire. */
export interface BatchEnvelope {
  readonly to: NodeId;
  readonly batch: RaftBatch;
  /** Send order, unique: ties between batches due at the same step break by it. */
  readonly id: number;
  readonly deliverAtStep: number;
}

/** Counters, for reports and tests. */
export interface BatchNetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  droppedByPartition: number;
  droppedByOverflow: number;
}

/**
 * Seeded network of batches.
 *
 * @example
 * const network = new BatchNetwork(new SeededRandom(1), CALM_NETWORK, 1024);
 * network.send(nodeId("n2"), batch, 0);
 * network.deliverDue(1); // [envelope]
 */
export class BatchNetwork {
  private queue: BatchEnvelope[] = [];
  private readonly cutLinks = new Set<string>();
  private nextId = 0;
  private faults: NetworkFaults;
  readonly stats: BatchNetworkStats = {
    sent: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    droppedByPartition: 0,
    droppedByOverflow: 0,
  };

  constructor(
    private readonly random: SeededRandom,
    faults: NetworkFaults,
    private readonly inFlightMax: number,
  ) {
    this.faults = faults;
  }

  /** Replaces the fault model (the liveness phase calms the network). */
  setFaults(faults: NetworkFaults): void {
    this.faults = faults;
  }

  /** Puts `batch` for node `to` on the wire at step `nowStep`. */
  send(to: NodeId, sent: RaftBatch, nowStep: number): void {
    this.stats.sent++;
    // The bytes that travel: encoded and decoded with the NATS transport's codec.
    const batch = decodeBatch(encodeBatch(sent));
    if (this.random.chance(this.faults.dropOdds)) {
      this.stats.dropped++;
      return;
    }
    this.enqueue(to, batch, nowStep);
    if (this.random.chance(this.faults.duplicateOdds)) {
      this.stats.duplicated++;
      this.enqueue(to, batch, nowStep);
    }
  }

  /** Every batch due at or before `nowStep`, in (due step, send order) order. */
  deliverDue(nowStep: number): BatchEnvelope[] {
    const due: BatchEnvelope[] = [];
    const later: BatchEnvelope[] = [];
    for (const envelope of this.queue) {
      (envelope.deliverAtStep <= nowStep ? due : later).push(envelope);
    }
    this.queue = later;
    due.sort((a, b) => a.deliverAtStep - b.deliverAtStep || a.id - b.id);
    const delivered: BatchEnvelope[] = [];
    for (const envelope of due) {
      if (this.isCut(envelope.batch.from, envelope.to)) {
        this.stats.droppedByPartition++;
        continue;
      }
      this.stats.delivered++;
      delivered.push(envelope);
    }
    return delivered;
  }

  /** Whether anything is due at or before `nowStep`. */
  hasDue(nowStep: number): boolean {
    return this.queue.some((envelope) => envelope.deliverAtStep <= nowStep);
  }

  /** Cuts the directed link `from → to`. */
  cut(from: NodeId, to: NodeId): void {
    this.cutLinks.add(`${from}>${to}`);
  }

  /** Restores every link. */
  healAll(): void {
    this.cutLinks.clear();
  }

  /** True while `from → to` is cut. */
  isCut(from: NodeId, to: NodeId): boolean {
    return this.cutLinks.size > 0 && this.cutLinks.has(`${from}>${to}`);
  }

  /** Batches on the wire now. */
  inFlightCount(): number {
    return this.queue.length;
  }

  private enqueue(to: NodeId, batch: RaftBatch, nowStep: number): void {
    const { delayStepsMin, delayStepsMax, reorderOdds } = this.faults;
    let delay = intBetween(this.random, delayStepsMin, delayStepsMax);
    if (this.random.chance(reorderOdds)) {
      this.stats.reordered++;
      delay += intBetween(this.random, 1, delayStepsMax + 1);
    }
    // A copy, as a wire would make: no host can alias another's messages or entry bytes.
    const copy = structuredClone(batch);
    this.queue.push({ to, batch: copy, id: this.nextId++, deliverAtStep: nowStep + delay });
    if (this.queue.length > this.inFlightMax) {
      // The queue is in send order: the oldest is first.
      this.queue.shift();
      this.stats.droppedByOverflow++;
    }
  }
}
