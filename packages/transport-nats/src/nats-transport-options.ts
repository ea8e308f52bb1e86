/**
 * Options of a NatsTransport, and their defaults spelled out in one place (STYLE.md §8: NATS
 * reconnect settings at the call site, not the library's defaults).
 */
import type { NodeId } from "@flotilla/raft";
import type { ConnectionOptions, NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";

/**
 * How to connect when the transport makes its own connection: any `@nats-io/transport-node`
 * option (servers, user/pass, token, authenticator, tls, …) passes through, plus two
 * conveniences that build the authenticator.
 */
export interface NatsConnectOptions extends ConnectionOptions {
  /** Path of a `.creds` file (JWT + nkey seed). */
  readonly credsFile?: string;
  /** An nkey seed (`SU…`) for nkey authentication. */
  readonly nkeySeed?: string;
}

/** Test-only fault injection. */
export interface TransportFaults {
  /** Called for each incoming snapshot chunk; `true` drops it unanswered, as a lost message. */
  readonly dropSnapshotChunk?: (chunk: {
    readonly transferId: string;
    readonly seq: number;
  }) => boolean;
}

/** Options of {@link NatsTransport.start}. Exactly one of `connection` and `connect`. */
export interface NatsTransportOptions {
  /** The cluster id: the subject prefix `flotilla.<cluster>`. */
  readonly cluster: string;
  /** This node's id. */
  readonly nodeId: NodeId;
  /** An already connected NATS connection; the transport does not close it. */
  readonly connection?: NatsConnection;
  /** Options to connect with; the transport owns (and drains on close) that connection. */
  readonly connect?: NatsConnectOptions;
  /** A pino logger (default: silent). Bad input is logged at `warn` with `{ subject, reason }`. */
  readonly logger?: Logger;
  /** Caps the payload size below the server's `max_payload` (tests; default: the server's). */
  readonly maxPayloadBytes?: number;
  /** Snapshot data per chunk, at most (default 256 KiB; always below max_payload). */
  readonly snapshotChunkBytes?: number;
  /** An InstallSnapshot with at most this much data travels inline in a batch (default 64 KiB). */
  readonly snapshotInlineBytesMax?: number;
  /** How long the sender waits for a chunk's answer before resending it (default 2 000 ms). */
  readonly snapshotChunkTimeoutMs?: number;
  /** Failed attempts in a row after which a transfer is abandoned (default 5). */
  readonly snapshotChunkAttemptsMax?: number;
  /** Bound on a whole outgoing transfer (default 120 000 ms). */
  readonly snapshotTransferTimeoutMs?: number;
  /** An incoming transfer without a chunk for this long is dropped (default 10 000 ms). */
  readonly snapshotReceiveIdleMs?: number;
  /** Concurrent transfers per direction (default 4); more are refused (Raft retries). */
  readonly snapshotTransfersMax?: number;
  /** Largest snapshot accepted from a peer, in bytes (default 1 GiB). */
  readonly snapshotBytesMax?: number;
  /** Test-only fault injection. */
  readonly faults?: TransportFaults;
}

/** The snapshot settings with their defaults applied. */
export interface SnapshotSettings {
  readonly chunkBytes: number;
  readonly inlineBytesMax: number;
  readonly chunkTimeoutMs: number;
  readonly chunkAttemptsMax: number;
  readonly transferTimeoutMs: number;
  readonly receiveIdleMs: number;
  readonly transfersMax: number;
  readonly bytesMax: number;
}

/** The defaults of every snapshot setting. */
export function snapshotSettings(options: NatsTransportOptions): SnapshotSettings {
  return {
    chunkBytes: options.snapshotChunkBytes ?? 256 * 1024,
    inlineBytesMax: options.snapshotInlineBytesMax ?? 64 * 1024,
    chunkTimeoutMs: options.snapshotChunkTimeoutMs ?? 2_000,
    chunkAttemptsMax: options.snapshotChunkAttemptsMax ?? 5,
    transferTimeoutMs: options.snapshotTransferTimeoutMs ?? 120_000,
    receiveIdleMs: options.snapshotReceiveIdleMs ?? 10_000,
    transfersMax: options.snapshotTransfersMax ?? 4,
    bytesMax: options.snapshotBytesMax ?? 1024 * 1024 * 1024,
  };
}

/**
 * The connection options the transport connects with: reconnect forever with a short wait (a
 * node outlives any one NATS server), ping often enough to notice a dead server within seconds,
 * and a connection name operators can recognise. The caller's options win.
 */
export function connectionDefaults(cluster: string, nodeId: NodeId): ConnectionOptions {
  return {
    name: `flotilla-${cluster}-${nodeId}`,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    pingInterval: 10_000,
    maxPingOut: 3,
    timeout: 5_000,
    waitOnFirstConnect: false,
    noEcho: false,
  };
}
