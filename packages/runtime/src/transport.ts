/**
 * The transport contract: a node sends, per round, one batch per destination node holding the
 * Raft messages of many groups (coalescing), and receives batches from its peers. Delivery is
 * best effort — Raft tolerates loss, duplication and reordering — and never synchronous with
 * `send`, so a round is never re-entered from inside itself.
 */
import type { Message, NodeId } from "@flotilla/raft";

/** One group's message inside a {@link RaftBatch}. */
export interface GroupMessage {
  readonly groupId: string;
  readonly message: Message;
}

/** The Raft messages of many groups from one node to another, sent in one round. */
export interface RaftBatch {
  readonly from: NodeId;
  readonly messages: readonly GroupMessage[];
}

/** Stops a subscription. */
export type Unsubscribe = () => void;

/**
 * A node's endpoint on the network.
 *
 * @example
 * const network = new InMemoryNetwork();
 * const transport = network.endpoint(nodeId("n1"));
 * const off = transport.onBatch((batch) => console.log(batch.from, batch.messages.length));
 * transport.send(nodeId("n2"), { from: nodeId("n1"), messages: [] });
 * off();
 */
export interface Transport {
  /**
   * Sends `batch` to node `to`, best effort: it may be lost (a cut link, a stopped peer). Never
   * delivers synchronously and never throws for an unreachable peer.
   */
  send(to: NodeId, batch: RaftBatch): void;
  /** Registers the handler of batches addressed to this node. One handler at a time. */
  onBatch(handler: (batch: RaftBatch) => void): Unsubscribe;
}
