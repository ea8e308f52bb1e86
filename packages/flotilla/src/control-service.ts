/**
 * Operator requests to one node on `flotilla.<cluster>.ctl.<nodeId>` (request/reply, plain
 * msgpack; docs/protocol.md): `{ v: 1, op }` with op
 *
 * - `status` → `{ nodeId, groups: ReplicaStatus[], stats }`;
 * - `transfer-leader` with `groupId`, `to` → starts a leadership transfer (this node must lead);
 * - `rebalance` → `{ transfers }` started to shed this node's excess leadership;
 * - `state` with `groupId` → `{ appliedIndex, snapshot }`: the replica's state machine snapshot
 *   (for checks and debugging: it is the whole state).
 *
 * Unknown ops and bad input get a typed error reply. Who may publish here is a NATS permission
 * (docs/security.md): operators, not clients.
 */
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import {
  CLIENT_PROTOCOL_VERSION,
  ClientSubjects,
  decodeControlRequest,
  encodeWire,
  errorToWire,
} from "@flotilla/client";
import { BadRequestError, GroupNotFoundError, type FlotillaNode } from "@flotilla/runtime";
import type { AnyStateMachine } from "./kinds/state-machine-kinds.js";

/** What the control service reads besides the node. */
export interface ControlContext {
  readonly node: FlotillaNode;
  /** The state machine of each hosted group. */
  readonly stateMachines: ReadonlyMap<string, AnyStateMachine>;
  /** Extra counters for `status`. */
  readonly stats: () => Record<string, unknown>;
}

/** Answers operator requests addressed to this node. */
export class ControlService {
  private readonly subscription: Subscription;

  constructor(
    nc: NatsConnection,
    cluster: string,
    private readonly context: ControlContext,
    private readonly logger: Logger,
  ) {
    const subject = new ClientSubjects(cluster).control(context.node.nodeId);
    this.subscription = nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error === null) void this.handle(msg);
      },
    });
  }

  close(): void {
    this.subscription.unsubscribe();
  }

  private async handle(msg: Msg): Promise<void> {
    let reply: unknown;
    try {
      const result = await this.perform(decodeControlRequest(msg.data));
      reply = { v: CLIENT_PROTOCOL_VERSION, ok: true, result };
    } catch (error) {
      this.logger.info({ err: error, subject: msg.subject }, "control request refused");
      reply = { v: CLIENT_PROTOCOL_VERSION, ok: false, error: errorToWire(error) };
    }
    if (msg.reply !== undefined && msg.reply !== "") msg.respond(encodeWire(reply));
  }

  private async perform(request: Record<string, unknown>): Promise<unknown> {
    const { node } = this.context;
    switch (request["op"]) {
      case "status":
        return {
          nodeId: node.nodeId,
          groups: node.status(),
          stats: { ...node.stats(), ...this.context.stats() },
        };
      case "transfer-leader": {
        const groupId = stringField(request, "groupId");
        await node.transferLeadership(groupId, stringField(request, "to"));
        return { started: true };
      }
      case "rebalance":
        return { transfers: node.rebalance() };
      case "state": {
        const groupId = stringField(request, "groupId");
        const machine = this.context.stateMachines.get(groupId);
        const status = node.status().find((s) => s.groupId === groupId);
        if (machine === undefined || status === undefined) throw new GroupNotFoundError(groupId);
        return { appliedIndex: status.appliedIndex, snapshot: machine.snapshot() };
      }
      default:
        throw new BadRequestError(`unknown op ${String(request["op"])}`);
    }
  }
}

function stringField(request: Record<string, unknown>, name: string): string {
  const value = request[name];
  if (typeof value !== "string") throw new BadRequestError(`${name} must be a string`);
  return value;
}
