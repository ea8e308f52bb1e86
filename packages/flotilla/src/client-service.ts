/**
 * The node's side of the client protocol: for each group this node leads it answers
 * `g.<groupId>.propose` and `g.<groupId>.read` (subscribing on becoming leader, unsubscribing on
 * losing it, so the subject is the route), proposing each command with its session header so a
 * retry applies once. Bad input gets a typed `BAD_REQUEST` reply and a rate-limited log line;
 * nothing a client sends can stop the node.
 */
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { Subscription as RxSubscription } from "rxjs";
import {
  CLIENT_PROTOCOL_VERSION,
  ClientSubjects,
  decodeProposeRequest,
  decodeReadRequest,
  encodeWire,
  errorToWire,
} from "@flotilla/client";
import type { FlotillaNode, Group } from "@flotilla/runtime";

/** A hosted group the service answers for. */
export type ServedGroup = Group<unknown, unknown, unknown, unknown>;

/** Counters for status and tests. */
export interface ClientServiceStats {
  proposeRequests: number;
  readRequests: number;
  badRequests: number;
}

/** Answers clients for the groups this node leads. */
export class ClientService {
  readonly stats: ClientServiceStats = { proposeRequests: 0, readRequests: 0, badRequests: 0 };
  private readonly subjects: ClientSubjects;
  private readonly served = new Map<string, Subscription[]>();
  private readonly groups = new Map<string, ServedGroup>();
  private readonly leadership: RxSubscription;

  constructor(
    private readonly nc: NatsConnection,
    cluster: string,
    private readonly node: FlotillaNode,
    private readonly logger: Logger,
  ) {
    this.subjects = new ClientSubjects(cluster);
    this.leadership = node.leadership$.subscribe(({ groupId, role }) => {
      if (role === "leader") this.serve(groupId);
      else this.unserve(groupId);
    });
  }

  /** Registers a hosted group; it is served while this node leads it. */
  add(group: ServedGroup): void {
    this.groups.set(group.groupId, group);
    const status = this.node.status().find((s) => s.groupId === group.groupId);
    if (status?.role === "leader") this.serve(group.groupId);
  }

  /** Stops answering for every group. */
  close(): void {
    this.leadership.unsubscribe();
    for (const groupId of [...this.served.keys()]) this.unserve(groupId);
  }

  private serve(groupId: string): void {
    if (this.served.has(groupId) || !this.groups.has(groupId)) return;
    const propose = this.nc.subscribe(this.subjects.propose(groupId), {
      callback: (error, msg) => {
        if (error === null) void this.propose(groupId, msg);
      },
    });
    const read = this.nc.subscribe(this.subjects.read(groupId), {
      callback: (error, msg) => {
        if (error === null) void this.read(groupId, msg);
      },
    });
    this.served.set(groupId, [propose, read]);
  }

  private unserve(groupId: string): void {
    for (const subscription of this.served.get(groupId) ?? []) subscription.unsubscribe();
    this.served.delete(groupId);
  }

  private async propose(groupId: string, msg: Msg): Promise<void> {
    this.stats.proposeRequests++;
    let request;
    try {
      request = decodeProposeRequest(msg.data);
    } catch (error) {
      this.refuse(msg, groupId, "propose", error);
      return;
    }
    const { client, respondedTo } = request;
    const outcomes = await Promise.allSettled(
      request.commands.map(({ seq, command }) =>
        this.node.proposeSession(
          groupId,
          { clientId: client, sequence: seq, respondedTo },
          command,
        ),
      ),
    );
    const results = outcomes.map((outcome) =>
      outcome.status === "fulfilled"
        ? { ok: true, result: outcome.value }
        : { ok: false, error: errorToWire(outcome.reason) },
    );
    this.respond(msg, { v: CLIENT_PROTOCOL_VERSION, results });
  }

  private async read(groupId: string, msg: Msg): Promise<void> {
    this.stats.readRequests++;
    const group = this.groups.get(groupId);
    let request;
    try {
      request = decodeReadRequest(msg.data);
    } catch (error) {
      this.refuse(msg, groupId, "read", error);
      return;
    }
    if (group === undefined) return;
    try {
      const result = await group.read(request.query);
      this.respond(msg, { v: CLIENT_PROTOCOL_VERSION, ok: true, result });
    } catch (error) {
      this.respond(msg, { v: CLIENT_PROTOCOL_VERSION, ok: false, error: errorToWire(error) });
    }
  }

  private refuse(msg: Msg, groupId: string, what: string, error: unknown): void {
    this.stats.badRequests++;
    // One line per power of two: a flood of garbage does not flood the log.
    if ((this.stats.badRequests & (this.stats.badRequests - 1)) === 0) {
      this.logger.warn(
        { groupId, subject: msg.subject, err: error, badRequests: this.stats.badRequests },
        `bad ${what} request refused`,
      );
    }
    this.respond(msg, { v: CLIENT_PROTOCOL_VERSION, ok: false, error: errorToWire(error) });
  }

  private respond(msg: Msg, reply: unknown): void {
    if (msg.reply === undefined || msg.reply === "") return;
    try {
      msg.respond(encodeWire(reply));
    } catch (error) {
      // A result msgpack cannot carry, or a reply past max_payload: say so instead.
      this.logger.warn({ subject: msg.subject, err: error }, "reply could not be sent");
      msg.respond(
        encodeWire({
          v: CLIENT_PROTOCOL_VERSION,
          ok: false,
          error: { code: "BAD_REQUEST", message: `reply could not be encoded: ${String(error)}` },
        }),
      );
    }
  }
}
