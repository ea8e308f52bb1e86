/**
 * The remote client: a process with no replica that proposes to and reads from a Flotilla
 * cluster over NATS. One NATS connection, one session (client id) for every group, one
 * proposer per group that batches and retries.
 */
import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { ClientLifecycle } from "./client-lifecycle.js";
import { ClientSubjects, checkId } from "./client-subjects.js";
import { GroupProposer } from "./group-proposer.js";
import { RemoteGroup } from "./remote-group.js";
import { SessionSequence } from "./session-sequence.js";
import { shardFor } from "./shard-router.js";

/** How to connect a client. */
export interface ClientOptions {
  /** The cluster's name (the subject prefix `flotilla.<cluster>`). */
  readonly cluster: string;
  /**
   * NATS connection options (servers, credentials, TLS: passed to `@nats-io/transport-node`),
   * or a connection you own (then `close()` leaves it open).
   */
  readonly nats: ConnectionOptions | NatsConnection;
  /** This client's session id (default: random). Unique per live client. */
  readonly clientId?: string;
  /** Default bound of a proposal or read, retries included (default 10000 ms). */
  readonly timeoutMs?: number;
  /** Bound of one attempt (default 2000 ms). */
  readonly attemptTimeoutMs?: number;
  /** Commands carried per request at most (default 256). */
  readonly commandsPerRequestMax?: number;
  /** Requests in flight per group at most (default 4). */
  readonly requestsInFlightMax?: number;
}

/** NATS's default `max_payload`, for the moment before the server's INFO arrives. */
const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/**
 * A client of one Flotilla cluster.
 *
 * @example
 * const client = await FlotillaClient.connect({ cluster: "demo", nats: { servers: "127.0.0.1:4222" } });
 * await client.group("orders-7").propose({ type: "place", id: 42 });
 * await client.shards("kv", 64).propose("user:17", { op: "put", key: "user:17", value: "Ada" });
 * await client.close();
 */
export class FlotillaClient {
  readonly clientId: string;
  private readonly subjects: ClientSubjects;
  private readonly sequence = new SessionSequence();
  private readonly groups = new Map<string, RemoteGroup>();
  private readonly lifecycle = new ClientLifecycle();

  private constructor(
    readonly nc: NatsConnection,
    private readonly ownsConnection: boolean,
    private readonly options: ClientOptions,
  ) {
    this.subjects = new ClientSubjects(options.cluster);
    this.clientId = checkId(
      "client",
      options.clientId ?? `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`,
    );
  }

  /** Connects to NATS (unless given a connection) and returns a client of `cluster`. */
  static async connect(options: ClientOptions): Promise<FlotillaClient> {
    const given = isConnection(options.nats);
    const nc = isConnection(options.nats) ? options.nats : await connect(options.nats);
    return new FlotillaClient(nc, !given, options);
  }

  /** The group `groupId` (the same object on every call). */
  group<Command = unknown, Result = unknown, Query = unknown, QueryResult = unknown>(
    groupId: string,
  ): RemoteGroup<Command, Result, Query, QueryResult> {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      const limits = {
        commandsPerRequestMax: this.options.commandsPerRequestMax ?? 256,
        requestsInFlightMax: this.options.requestsInFlightMax ?? 4,
        attemptTimeoutMs: this.options.attemptTimeoutMs ?? 2000,
        requestBytesMax: () => this.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD_BYTES,
      };
      const proposer = new GroupProposer(
        this.nc,
        this.subjects.propose(groupId),
        groupId,
        this.clientId,
        this.sequence,
        limits,
        this.lifecycle,
      );
      group = new RemoteGroup(
        groupId,
        this.nc,
        this.subjects.read(groupId),
        proposer,
        {
          timeoutMs: this.options.timeoutMs ?? 10_000,
          attemptTimeoutMs: limits.attemptTimeoutMs,
        },
        { live: this.subjects.committed(groupId), entries: this.subjects.entries(groupId) },
        this.lifecycle,
      );
      this.groups.set(groupId, group);
    }
    return group as RemoteGroup<Command, Result, Query, QueryResult>;
  }

  /**
   * The sharded set `name` of `count` groups `<name>-<i>`: commands and queries route by key
   * (shard-router.ts gives the hash).
   */
  shards<Command = unknown, Result = unknown, Query = unknown, QueryResult = unknown>(
    name: string,
    count: number,
  ): ShardedSet<Command, Result, Query, QueryResult> {
    return {
      groupFor: (key) => shardFor(name, count, key),
      propose: (key, command, options) =>
        this.group<Command, Result, Query, QueryResult>(shardFor(name, count, key)).propose(
          command,
          options,
        ),
      read: (key, query, options) =>
        this.group<Command, Result, Query, QueryResult>(shardFor(name, count, key)).read(
          query,
          options,
        ),
    };
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.lifecycle.closed;
  }

  /**
   * Closes the client: every pending proposal and read rejects, and every `committed$` stream
   * errors, with `ClosedConnectionError` — at once, before the connection closes — and so does
   * every call made afterwards. Then closes the connection if the client opened it (one it was
   * given stays open). Idempotent.
   */
  async close(): Promise<void> {
    this.lifecycle.close();
    if (this.ownsConnection && !this.nc.isClosed()) await this.nc.close();
  }
}

/** A key-routed view of a sharded set of groups. */
export interface ShardedSet<Command, Result, Query, QueryResult> {
  /** The group that owns `key`. */
  groupFor(key: string): string;
  propose(
    key: string,
    command: Command,
    options?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<Result>;
  read(
    key: string,
    query: Query,
    options?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<QueryResult>;
}

function isConnection(value: ConnectionOptions | NatsConnection): value is NatsConnection {
  return typeof (value as NatsConnection).request === "function";
}
