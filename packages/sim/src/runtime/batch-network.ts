/**
 * The runtime mode's wire: the {@link LossyWire} fault model applied to what a host really
 * sends — one {@link RaftBatch} per destination node per round. It never alters a batch (what
 * travels is what the NATS codec makes of it, delivered as a copy no other host shares).
 */
import { decodeBatch, encodeBatch } from "@flotilla/transport-nats";
import type { NodeId, SeededRandom } from "@flotilla/raft";
import type { RaftBatch } from "@flotilla/runtime";
import { LossyWire, type NetworkFaults, type NetworkStats } from "../lossy-wire.js";

/** A batch on the wire. */
export interface BatchEnvelope {
  readonly to: NodeId;
  readonly batch: RaftBatch;
  /** Send order, unique: ties between batches due at the same step break by it. */
  readonly id: number;
  readonly deliverAtStep: number;
}

/** Counters, for reports and tests. */
export type BatchNetworkStats = NetworkStats;

/**
 * Seeded network of batches.
 *
 * @example
 * const network = new BatchNetwork(new SeededRandom(1), CALM_NETWORK, 1024);
 * network.send(nodeId("n2"), batch, 0);
 * network.deliverDue(1); // [envelope]
 */
export class BatchNetwork {
  private readonly wire: LossyWire<{ readonly to: NodeId; readonly batch: RaftBatch }>;

  constructor(random: SeededRandom, faults: NetworkFaults, inFlightMax: number) {
    this.wire = new LossyWire(random, faults, inFlightMax, ({ to, batch }) => ({
      from: batch.from,
      to,
    }));
  }

  get stats(): BatchNetworkStats {
    return this.wire.stats;
  }

  /** Replaces the fault model (the liveness phase calms the network). */
  setFaults(faults: NetworkFaults): void {
    this.wire.setFaults(faults);
  }

  /** Puts `batch` for node `to` on the wire at step `nowStep`. */
  send(to: NodeId, sent: RaftBatch, nowStep: number): void {
    // The bytes that travel: encoded and decoded with the NATS transport's codec.
    this.wire.send({ to, batch: decodeBatch(encodeBatch(sent)) }, nowStep);
  }

  /** Every batch due at or before `nowStep`, in (due step, send order) order. */
  deliverDue(nowStep: number): BatchEnvelope[] {
    // A copy each, as a wire would make: no host can alias another's messages or entry bytes.
    return this.wire.deliverDue(nowStep).map(({ item, id, deliverAtStep }) => ({
      to: item.to,
      batch: structuredClone(item.batch),
      id,
      deliverAtStep,
    }));
  }

  /** Whether anything is due at or before `nowStep`. */
  hasDue(nowStep: number): boolean {
    return this.wire.hasDue(nowStep);
  }

  /** Cuts the directed link `from → to`. */
  cut(from: NodeId, to: NodeId): void {
    this.wire.cut(from, to);
  }

  /** Restores every link. */
  healAll(): void {
    this.wire.healAll();
  }

  /** True while `from → to` is cut. */
  isCut(from: NodeId, to: NodeId): boolean {
    return this.wire.isCut(from, to);
  }

  /** Batches on the wire now. */
  inFlightCount(): number {
    return this.wire.inFlightCount();
  }
}
