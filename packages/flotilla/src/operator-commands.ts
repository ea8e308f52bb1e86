/**
 * Operator commands over NATS, against a running cluster: each sends a control request to the
 * nodes (`flotilla.<cluster>.ctl.<nodeId>`) and prints the answer, as a table or as JSON.
 */
import { connect } from "@nats-io/transport-node";
import {
  CLIENT_PROTOCOL_VERSION,
  ClientSubjects,
  decodeReply,
  encodeWire,
  errorFromWire,
  type WireError,
} from "@flotilla/client";
import type { ReplicaStatus } from "@flotilla/runtime";

export const OPERATOR_USAGE = `  status --nodes N1,N2,…                  groups × nodes: leader, term, commit/applied, lag, quiesced
  transfer-leader --node N --group G --to T   hand G's leadership from N (its leader) to T
  rebalance --nodes N1,N2,…               every node sheds leadership above its fair share
  create-group --group G --kind K --members N1,N2,N3 [--nodes N1,…]   host G on each node (default: its members)
  delete-group --group G --nodes N1,…     stop hosting G there and delete its data
  add-learner|promote|remove-member --group G --node N --nodes N1,…   membership change, sent to G's leader
                                          (add-learner first hosts G on N with G's founding members)
common options: --cluster NAME (flotilla)  --nats URLS (127.0.0.1:4222)  --json  --timeout-ms N (2000)`;

/** Runs an operator command; returns the exit code. */
export async function runOperatorCommand(
  command: string,
  argv: readonly string[],
): Promise<number> {
  const flags = parse(argv);
  const cluster = flags.get("cluster") ?? "flotilla";
  const servers = (flags.get("nats") ?? "127.0.0.1:4222").split(",");
  const json = flags.has("json");
  const timeout = Number(flags.get("timeout-ms") ?? 2000);
  const subjects = new ClientSubjects(cluster);
  const nc = await connect({ servers, name: "flotilla-cli", maxReconnectAttempts: 0 });
  const ask = async (nodeId: string, request: Record<string, unknown>): Promise<unknown> => {
    const message = await nc.request(
      subjects.control(nodeId),
      encodeWire({ v: CLIENT_PROTOCOL_VERSION, ...request }),
      { timeout },
    );
    const reply = decodeReply(message.data);
    if (reply["ok"] !== true) throw errorFromWire(reply["error"] as WireError);
    return reply["result"];
  };
  try {
    switch (command) {
      case "status": {
        const nodes = list(flags.get("nodes"));
        const answers = await Promise.all(
          nodes.map(async (nodeId) => {
            try {
              return { nodeId, status: { groups: await allStatuses(nodeId, ask) } };
            } catch (error) {
              return { nodeId, error: String(error) };
            }
          }),
        );
        console.log(json ? JSON.stringify(answers, null, 2) : statusTable(answers));
        return answers.some((a) => "error" in a) ? 1 : 0;
      }
      case "transfer-leader": {
        const result = await ask(required(flags, "node"), {
          op: "transfer-leader",
          groupId: required(flags, "group"),
          to: required(flags, "to"),
        });
        console.log(json ? JSON.stringify(result) : "transfer started");
        return 0;
      }
      case "rebalance": {
        const results = await Promise.all(
          list(flags.get("nodes")).map(async (nodeId) => ({
            nodeId,
            ...((await ask(nodeId, { op: "rebalance" })) as object),
          })),
        );
        console.log(
          json
            ? JSON.stringify(results)
            : results.map((r) => `${r.nodeId}: ${JSON.stringify(r)}`).join("\n"),
        );
        return 0;
      }
      case "create-group": {
        const members = list(flags.get("members"));
        const nodes = flags.has("nodes") ? list(flags.get("nodes")) : members;
        for (const nodeId of nodes) {
          await ask(nodeId, {
            op: "create-group",
            groupId: required(flags, "group"),
            kind: required(flags, "kind"),
            members,
          });
        }
        console.log(json ? JSON.stringify({ created: nodes }) : `created on ${nodes.join(", ")}`);
        return 0;
      }
      case "delete-group": {
        const nodes = list(flags.get("nodes"));
        for (const nodeId of nodes)
          await ask(nodeId, { op: "delete-group", groupId: required(flags, "group") });
        console.log(json ? JSON.stringify({ deleted: nodes }) : `deleted on ${nodes.join(", ")}`);
        return 0;
      }
      case "add-learner":
      case "promote":
      case "remove-member": {
        const groupId = required(flags, "group");
        const target = required(flags, "node");
        const leader = await leaderOf(groupId, list(flags.get("nodes")), ask);
        if (command === "add-learner") {
          // The joiner's replica replays the log from the membership the group was founded with
          // (control-service.ts, create-group); hosting it already is fine (idempotent).
          const spec = (await ask(leader, { op: "group-spec", groupId })) as {
            kind: string;
            founders: string[];
          };
          await ask(target, {
            op: "create-group",
            groupId,
            kind: spec.kind,
            members: spec.founders,
          });
        }
        const result = await ask(leader, { op: command, groupId, nodeId: target });
        console.log(json ? JSON.stringify(result) : `${command} done (through ${leader})`);
        return 0;
      }
      default:
        console.error(`unknown command ${command}\n${OPERATOR_USAGE}`);
        return 2;
    }
  } finally {
    await nc.close();
  }
}

function statusTable(
  answers: readonly (
    { nodeId: string; status: { groups: ReplicaStatus[] } } | { nodeId: string; error: string }
  )[],
): string {
  const rows = new Map<string, Map<string, ReplicaStatus>>();
  for (const answer of answers) {
    if (!("status" in answer)) continue;
    for (const replica of answer.status.groups) {
      let row = rows.get(replica.groupId);
      if (row === undefined) {
        row = new Map<string, ReplicaStatus>();
        rows.set(replica.groupId, row);
      }
      row.set(answer.nodeId, replica);
    }
  }
  const nodes = answers.map((a) => a.nodeId);
  const lines = [["group".padEnd(16), ...nodes.map((n) => n.padEnd(30))].join(" ")];
  for (const [groupId, row] of [...rows].sort(([a], [b]) =>
    a.localeCompare(b, "en", { numeric: true }),
  )) {
    const commit = Math.max(...[...row.values()].map((r) => r.commitIndex));
    const cells = nodes.map((nodeId) => {
      const r = row.get(nodeId);
      if (r === undefined) return "-".padEnd(30);
      const role = r.role === "leader" ? "LEADER" : r.role;
      return `${role} t${r.term} ${r.commitIndex}/${r.appliedIndex} lag ${commit - r.appliedIndex}${r.quiesced ? " zz" : ""}`.padEnd(
        30,
      );
    });
    lines.push([groupId.padEnd(16), ...cells].join(" "));
  }
  for (const answer of answers)
    if ("error" in answer) lines.push(`${answer.nodeId}: ${answer.error}`);
  return lines.join("\n");
}

/** Replicas per `status` page: about 150 KB, far below NATS's 1 MiB `max_payload`. */
const STATUS_PAGE = 1000;

/** Every replica `nodeId` hosts, page by page (one reply could pass `max_payload`). */
async function allStatuses(
  nodeId: string,
  ask: (nodeId: string, request: Record<string, unknown>) => Promise<unknown>,
): Promise<ReplicaStatus[]> {
  const groups: ReplicaStatus[] = [];
  for (;;) {
    const page = (await ask(nodeId, {
      op: "status",
      offset: groups.length,
      limit: STATUS_PAGE,
    })) as { groups: ReplicaStatus[]; total?: number };
    groups.push(...page.groups);
    // `total` is absent from nodes older than paging: their one reply is the whole answer.
    if (page.total === undefined || page.groups.length === 0 || groups.length >= page.total) {
      return groups;
    }
  }
}

/** The node among `nodes` that leads `groupId`, by asking each for its status. */
async function leaderOf(
  groupId: string,
  nodes: readonly string[],
  ask: (nodeId: string, request: Record<string, unknown>) => Promise<unknown>,
): Promise<string> {
  for (const nodeId of nodes) {
    try {
      const status = (await ask(nodeId, { op: "status", groupIds: [groupId] })) as {
        groups: ReplicaStatus[];
      };
      const replica = status.groups.find((g) => g.groupId === groupId);
      if (replica?.role === "leader") return nodeId;
    } catch {
      // Down or slow: ask the next one.
    }
  }
  throw new Error(`no leader of ${groupId} among ${nodes.join(", ")}`);
}

function parse(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--")) continue;
    const name = arg.slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) flags.set(name, "true");
    else flags.set(name, (i++, next));
  }
  return flags;
}

function list(value: string | undefined): string[] {
  if (value === undefined) throw new Error("--nodes N1,N2,… is required");
  return value.split(",").filter((n) => n !== "");
}

function required(flags: Map<string, string>, name: string): string {
  const value = flags.get(name);
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}
