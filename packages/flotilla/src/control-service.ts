/**
 * Operator requests to one node on `flotilla.<cluster>.ctl.<nodeId>` (request/reply, plain
 * msgpack; docs/protocol.md): `{ v: 1, op }` with op
 *
 * - `status` → `{ nodeId, groups: ReplicaStatus[], stats }`;
 * - `transfer-leader` with `groupId`, `to` → starts a leadership transfer (this node must lead);
 * - `rebalance` → `{ transfers }` started to shed this node's excess leadership;
 * - `state` with `groupId` → `{ appliedIndex, snapshot, digest }`: the replica's state machine
 *   snapshot (for checks and debugging: it is the whole state) and its {@link stateDigest}, both
 *   taken at `appliedIndex`;
 * - `add-learner`, `promote`, `remove-member` with `groupId`, `nodeId` → a membership change
 *   (this node must lead the group; a change still in progress is waited for, bounded);
 * - `create-group` with `groupId`, `kind`, `members` → hosts the group here (send it to every
 *   member). `members` is the membership the group was founded with, on joiners too: a log
 *   replays from index 1 on top of it, so a joiner created with any other membership (the
 *   current voters, say) fails-stop on the first earlier membership change it replays (found by
 *   the chaos run). A joiner takes it from `group-spec`, then the leader adds it as a learner;
 * - `group-spec` with `groupId` → `{ groupId, kind, founders }`: how the group was created here;
 * - `delete-group` with `groupId` → stops hosting it here and deletes its data;
 * - `faults` with `rules` (and an optional `seed`) → replaces the chaos rules on this node's
 *   outgoing Raft traffic (chaos-transport.ts); refused unless the node runs with `--chaos`.
 *
 * Unknown ops and bad input get a typed error reply. Every refusal is counted (`stats.control`
 * in `status`) and logged at most once a second per error code, without a stack for bad input
 * (refusal-log.ts), so garbage on this subject cannot flood the log. Who may publish here is a
 * NATS permission (docs/security.md): operators, not clients.
 */
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import {
  CLIENT_PROTOCOL_VERSION,
  ClientSubjects,
  decodeControlRequest,
  errorToWire,
} from "@flotilla/client";
import {
  BadRequestError,
  GroupNotFoundError,
  isMembershipChangeRefusedError,
  type FlotillaNode,
} from "@flotilla/runtime";
import type { NodeChange, NodeId } from "@flotilla/raft";
import type { GroupSpec } from "./node-config.js";
import { RefusalLog } from "./refusal-log.js";
import { replySafely } from "./reply-safely.js";
import { stateDigest } from "./state-digest.js";
import { statusPage } from "./status-page.js";
import { parseFaultRules, parseFaultSeed, type FaultRule } from "./chaos-transport.js";
import type { AnyStateMachine } from "./kinds/state-machine-kinds.js";

/** What the control service reads besides the node. */
export interface ControlContext {
  readonly node: FlotillaNode;
  /** The state machine of each hosted group. */
  readonly stateMachines: ReadonlyMap<string, AnyStateMachine>;
  /** Extra counters for `status`. */
  readonly stats: () => Record<string, unknown>;
  /** Hosts a new group here (and records it). */
  readonly createGroup: (spec: GroupSpec) => Promise<void>;
  /** Stops hosting a group here (and forgets it). */
  readonly deleteGroup: (groupId: string) => Promise<void>;
  /**
   * How a hosted group was created here: its kind and the members it was founded with (the
   * membership its log replays from). Undefined when the group is not hosted here.
   */
  readonly groupSpec: (groupId: string) => GroupSpec | undefined;
  /** Replaces the chaos fault rules; undefined when the node runs without `--chaos`. */
  readonly setFaults?: (rules: readonly FaultRule[], seed: number | undefined) => void;
}

/** How long a membership change waits for the previous one to apply. */
const MEMBERSHIP_RETRY_MS = 10_000;

/** Answers operator requests addressed to this node. */
export class ControlService {
  private readonly subscription: Subscription;
  private readonly refusals: RefusalLog;
  private requests = 0;

  constructor(
    nc: NatsConnection,
    cluster: string,
    private readonly context: ControlContext,
    private readonly logger: Logger,
  ) {
    this.refusals = new RefusalLog(logger, { message: "control request refused" });
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

  /** Requests answered and refusals counted since the node started. */
  stats(): Record<string, unknown> {
    return { requests: this.requests, ...this.refusals.stats() };
  }

  private async handle(msg: Msg): Promise<void> {
    this.requests++;
    let reply: unknown;
    try {
      const result = await this.perform(decodeControlRequest(msg.data));
      reply = { v: CLIENT_PROTOCOL_VERSION, ok: true, result };
    } catch (error) {
      const wire = errorToWire(error);
      this.refusals.refused(wire.code, error, { subject: msg.subject });
      reply = { v: CLIENT_PROTOCOL_VERSION, ok: false, error: wire };
    }
    replySafely(msg, reply, this.logger);
  }

  private async perform(request: Record<string, unknown>): Promise<unknown> {
    const { node } = this.context;
    switch (request["op"]) {
      case "status":
        return {
          nodeId: node.nodeId,
          ...statusPage(
            request,
            () => node.status(),
            (groupId) => node.groupStatus(groupId),
          ),
          stats: { ...node.stats(), ...this.context.stats(), control: this.stats() },
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
        const status = node.groupStatus(groupId);
        if (machine === undefined || status === undefined) throw new GroupNotFoundError(groupId);
        // Read together, with no await between: the snapshot is the state at exactly this index.
        const snapshot = machine.snapshot();
        return { appliedIndex: status.appliedIndex, snapshot, digest: stateDigest(snapshot) };
      }
      case "add-learner":
      case "promote":
      case "remove-member": {
        const groupId = stringField(request, "groupId");
        const target = stringField(request, "nodeId") as NodeId;
        const type =
          request["op"] === "add-learner"
            ? "add-learner"
            : request["op"] === "promote"
              ? "add-voter"
              : "remove";
        await changeWhenReady(node, groupId, [{ type, nodeId: target }]);
        return { changed: true };
      }
      case "create-group": {
        const members = request["members"];
        if (!Array.isArray(members) || !members.every((m) => typeof m === "string")) {
          throw new BadRequestError("members must be an array of node ids");
        }
        await this.context.createGroup({
          groupId: stringField(request, "groupId"),
          kind: stringField(request, "kind"),
          members,
        });
        return { created: true };
      }
      case "group-spec": {
        const groupId = stringField(request, "groupId");
        const spec = this.context.groupSpec(groupId);
        if (spec === undefined) throw new GroupNotFoundError(groupId);
        return { groupId, kind: spec.kind, founders: spec.members };
      }
      case "delete-group":
        await this.context.deleteGroup(stringField(request, "groupId"));
        return { deleted: true };
      case "faults": {
        const { setFaults } = this.context;
        if (setFaults === undefined) {
          throw new BadRequestError("faults: this node runs without --chaos (FLOTILLA_CHAOS=1)");
        }
        const rules = parseFaultRules(request["rules"]);
        setFaults(rules, parseFaultSeed(request["seed"]));
        return { rules: rules.length };
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

/** Changes membership, waiting (bounded) while the previous change is still in progress. */
async function changeWhenReady(
  node: FlotillaNode,
  groupId: string,
  changes: readonly NodeChange[],
): Promise<void> {
  const deadline = Date.now() + MEMBERSHIP_RETRY_MS;
  for (;;) {
    try {
      await node.changeMembership(groupId, changes);
      return;
    } catch (error) {
      const pending = isMembershipChangeRefusedError(error) && error.reason === "change-pending";
      if (!pending || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
