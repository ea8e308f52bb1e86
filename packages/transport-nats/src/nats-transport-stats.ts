/**
 * What a NatsTransport counts: traffic, and every batch or chunk it dropped and why. Counters
 * only grow; tests and operators read a copy through `stats()`.
 */

/** Counters of one {@link NatsTransport} since it started. */
export interface NatsTransportStats {
  /** `send` calls accepted (empty batches included). */
  batchesSent: number;
  /** NATS messages published for batches (a send is cut into several past max_payload). */
  payloadsSent: number;
  /** Bytes of those payloads. */
  bytesSent: number;
  /** Raft messages sent inline in batches. */
  messagesSent: number;
  /** Batches decoded and handed to the handler (empty ones included). */
  batchesReceived: number;
  /** Raft messages handed to the handler (reassembled snapshots included). */
  messagesReceived: number;
  /** Payloads or chunks rejected as bad input (undecodable, wrong version, misaddressed): logged and dropped. */
  rejected: number;
  /** Batches received while no handler was registered: dropped. */
  droppedWithoutHandler: number;
  /** Messages too large for one payload that cannot be chunked: logged and dropped. */
  droppedOversize: number;
  /** Sends dropped because the transport was closed or NATS refused the publish. */
  droppedSends: number;
  /** Handler calls that threw (logged; the subscription carries on). */
  handlerErrors: number;
  /** Snapshot transfers started by this node. */
  snapshotTransfersStarted: number;
  /** Snapshot transfers this node completed sending (the receiver acknowledged every chunk). */
  snapshotTransfersCompleted: number;
  /** Snapshot transfers this node gave up sending (refused, timed out, superseded, closed). */
  snapshotTransfersAbandoned: number;
  /** Snapshot chunks published, resends included. */
  snapshotChunksSent: number;
  /** Snapshot chunks published again (after a lost chunk or answer, or a receiver rewind). */
  snapshotChunksResent: number;
  /** Snapshots reassembled from chunks and delivered. */
  snapshotsReceived: number;
  /** Incoming snapshot transfers dropped unfinished (idle past the bound, superseded, refused). */
  snapshotReceivesAbandoned: number;
  /** Incoming chunks dropped by the fault-injection hook (tests only). */
  snapshotChunksDroppedByFault: number;
}

/** All counters at zero. */
export function emptyStats(): NatsTransportStats {
  return {
    batchesSent: 0,
    payloadsSent: 0,
    bytesSent: 0,
    messagesSent: 0,
    batchesReceived: 0,
    messagesReceived: 0,
    rejected: 0,
    droppedWithoutHandler: 0,
    droppedOversize: 0,
    droppedSends: 0,
    handlerErrors: 0,
    snapshotTransfersStarted: 0,
    snapshotTransfersCompleted: 0,
    snapshotTransfersAbandoned: 0,
    snapshotChunksSent: 0,
    snapshotChunksResent: 0,
    snapshotsReceived: 0,
    snapshotReceivesAbandoned: 0,
    snapshotChunksDroppedByFault: 0,
  };
}
