/**
 * One host incarnation's {@link Transport} over the simulated {@link BatchNetwork}. Every batch
 * the host hands over is shown to an inspector first (the persist-before-send check) and then
 * put on the wire; batches reach the host only when the simulator delivers them. A crash cuts
 * the incarnation off for good: it sends nothing more and receives nothing.
 */
import type { NodeId } from "@flotilla/raft";
import type { RaftBatch, Transport, Unsubscribe } from "@flotilla/runtime";
import type { BatchNetwork } from "./batch-network.js";

/** Sees every batch a host sends, before it leaves. */
export type BatchInspector = (to: NodeId, batch: RaftBatch) => void;

/**
 * A host's endpoint.
 *
 * @example
 * const transport = new SimTransport(nodeId("n1"), network, () => step, inspect);
 * const node = await FlotillaNode.start({ nodeId: "n1", storage, transport, clock });
 */
export class SimTransport implements Transport {
  private handler: ((batch: RaftBatch) => void) | undefined;
  private alive = true;
  /** Batches this incarnation sent. */
  sentCount = 0;

  constructor(
    readonly nodeId: NodeId,
    private readonly network: BatchNetwork,
    private readonly nowStep: () => number,
    private readonly inspect: BatchInspector,
  ) {}

  send(to: NodeId, batch: RaftBatch): void {
    if (!this.alive) return;
    this.inspect(to, batch);
    this.sentCount++;
    this.network.send(to, batch, this.nowStep());
  }

  onBatch(handler: (batch: RaftBatch) => void): Unsubscribe {
    this.handler = handler;
    return () => {
      if (this.handler === handler) this.handler = undefined;
    };
  }

  /** Hands a delivered batch to the host (called by the simulator, never inside `send`). */
  deliver(batch: RaftBatch): void {
    if (this.alive) this.handler?.(batch);
  }

  /** The incarnation crashed: nothing in or out from now on. */
  cut(): void {
    this.alive = false;
  }
}
