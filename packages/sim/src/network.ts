/**
 * The simulated network of core mode: the {@link LossyWire} fault model applied to single Raft
 * messages, each tagged with its group. It never invents or alters a message (what travels is
 * what the NATS codec makes of it), and holds at most {@link NetworkOptions.inFlightMax}.
 */
import type { Message, NodeId, SeededRandom } from "@flotilla/raft";
import { decodeBatch, encodeBatch } from "@flotilla/transport-nats";
import { LossyWire, type NetworkFaults, type NetworkStats } from "./lossy-wire.js";

export type { NetworkFaults, NetworkStats } from "./lossy-wire.js";

/** A message on the wire, tagged with its group (core messages do not carry one). */
export interface Envelope {
  readonly groupId: string;
  readonly message: Message;
  /** Send order, unique: ties between messages due at the same step break by it. */
  readonly id: number;
  readonly sentAtStep: number;
  readonly deliverAtStep: number;
}

/** A calm network: no loss, no duplicates, no reordering, unit delay. */
export const CALM_NETWORK: NetworkFaults = {
  dropOdds: 0,
  duplicateOdds: 0,
  reorderOdds: 0,
  delayStepsMin: 1,
  delayStepsMax: 1,
};

/** Bounds of the network. */
export interface NetworkOptions {
  /** Messages in flight at most; on overflow the oldest is dropped. */
  readonly inFlightMax: number;
}

/**
 * Seeded in-memory network.
 *
 * @example
 * const network = new Network(new SeededRandom(1), CALM_NETWORK, { inFlightMax: 1024 });
 * network.send("g1", message, 0);
 * network.deliverDue(1); // [envelope]
 */
export class Network {
  private readonly wire: LossyWire<{ readonly groupId: string; readonly message: Message }>;

  constructor(random: SeededRandom, faults: NetworkFaults, options: NetworkOptions) {
    this.wire = new LossyWire(random, faults, options.inFlightMax, ({ message }) => message);
  }

  get stats(): NetworkStats {
    return this.wire.stats;
  }

  /** Replaces the fault model (the liveness phase calms the network). */
  setFaults(faults: NetworkFaults): void {
    this.wire.setFaults(faults);
  }

  /** Puts `message` of group `groupId` on the wire at step `nowStep`. */
  send(groupId: string, sent: Message, nowStep: number): void {
    // What travels is what the NATS transport's codec makes of it: the receiver gets the
    // decoded bytes, so the simulator exercises the wire format too.
    this.wire.send({ groupId, message: throughTheWire(groupId, sent) }, nowStep);
  }

  /**
   * Every message due at or before `nowStep`, in (due step, send order) order. A message on a
   * link that is cut when it arrives is lost.
   */
  deliverDue(nowStep: number): Envelope[] {
    return this.wire.deliverDue(nowStep).map(({ item, id, sentAtStep, deliverAtStep }) => ({
      groupId: item.groupId,
      message: item.message,
      id,
      sentAtStep,
      deliverAtStep,
    }));
  }

  /** Cuts the directed link `from → to` (a one-way partition when only one direction is cut). */
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

  /** Number of cut directed links. */
  cutLinkCount(): number {
    return this.wire.cutLinkCount();
  }

  /** Messages on the wire now. */
  inFlightCount(): number {
    return this.wire.inFlightCount();
  }
}

/** `message` encoded as a one-message batch with the transport's codec, and decoded again. */
function throughTheWire(groupId: string, message: Message): Message {
  const decoded = decodeBatch(
    encodeBatch({ from: message.from, messages: [{ groupId, message }] }),
  );
  const [only] = decoded.messages;
  if (only === undefined || only.groupId !== groupId) {
    throw new Error(`the wire codec lost a ${message.type} of group ${groupId}`);
  }
  return only.message;
}
