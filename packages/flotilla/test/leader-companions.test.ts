/**
 * Leader companions (leader-companion.ts, leader-companions.ts) on a one-node group in memory:
 * a kind's companion starts when the replica leads, with the node, group, kind, term, a lease
 * check and a propose that reaches the state machine; kinds without one get nothing; a
 * companion that throws is logged and the node carries on; detaching aborts it. And the
 * `companions` export of a `--kinds` module is loaded and checked.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { nodeId } from "@flotilla/raft";
import { FlotillaNode, InMemoryNetwork, type LeaderWorkContext } from "@flotilla/runtime";
import { MemoryNodeStorage } from "@flotilla/storage-lmdb";
import { waitFor } from "@flotilla/testkit";
import { KvStateMachine } from "../src/kinds/kv-state-machine.js";
import {
  loadCompanions,
  type LeaderCompanion,
  type LeaderCompanionContext,
} from "../src/leader-companion.js";
import { LeaderCompanions } from "../src/leader-companions.js";
import { msgpackCodec } from "../src/msgpack-codec.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function captureLog(): { lines: Record<string, unknown>[]; logger: pino.Logger } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, logger: pino({ level: "info" }, destination) };
}

/** One node hosting one-member kv groups, with `companions` by kind attached to each. */
async function start(
  companionsByKind: Record<string, LeaderCompanion>,
  groups: readonly { groupId: string; kind: string }[],
) {
  const { lines, logger } = captureLog();
  const node = await FlotillaNode.start({
    nodeId: "n1",
    storage: new MemoryNodeStorage(),
    transport: new InMemoryNetwork().endpoint(nodeId("n1")),
    tickIntervalMs: 5,
    electionTicks: 4,
  });
  cleanups.push(() => node.stop());
  const companions = new LeaderCompanions(node, new Map(Object.entries(companionsByKind)), logger);
  cleanups.push(() => companions.close());
  const machines = new Map<string, KvStateMachine>();
  const handles = new Map<string, { propose(command: unknown): Promise<unknown> }>();
  for (const { groupId, kind } of groups) {
    const stateMachine = new KvStateMachine();
    const group = await node.group(groupId, {
      members: ["n1"],
      stateMachine,
      codec: msgpackCodec,
    });
    machines.set(groupId, stateMachine);
    handles.set(groupId, group);
    companions.attach(groupId, kind, (command, options) => group.propose(command, options));
  }
  return { node, companions, machines, groups: handles, lines };
}

describe("LeaderCompanions", () => {
  it("runs the kind's companion on the leader with its context; propose reaches the group", async () => {
    const contexts: LeaderCompanionContext[] = [];
    const results: unknown[] = [];
    const { node, machines } = await start(
      {
        jobs: async (context) => {
          contexts.push(context);
          results.push(await context.propose({ op: "put", key: "by", value: context.nodeId }));
        },
      },
      [
        { groupId: "g1", kind: "jobs" },
        { groupId: "g2", kind: "kv" },
      ],
    );
    // The runtime's own view of the lease, read beside the companion's: they are one lease.
    let runtimeWork: LeaderWorkContext | undefined;
    node.leaderOnly("g1", (work) => {
      runtimeWork = work;
    });
    await waitFor(() => results.length === 1, { description: "the companion proposed" });
    const [context] = contexts;
    expect(context).toMatchObject({ nodeId: "n1", groupId: "g1", kind: "jobs" });
    expect(context?.term).toBeGreaterThan(0);
    expect(context?.signal.aborted).toBe(false);
    // The lease is confirmed by a round after taking office (asking for it also asks for it).
    await waitFor(() => context?.leaseValid() === true, { description: "the lease to be held" });
    expect(runtimeWork?.leaseValid()).toBe(true);
    expect(results).toEqual([null]);
    expect(machines.get("g1")?.values.get("by")).toBe("n1");
    // g2's kind has no companion: nothing ran for it.
    expect(contexts.map((c) => c.groupId)).toEqual(["g1"]);
  });

  it("logs a companion that throws, and the node carries on", async () => {
    const { node, groups, lines } = await start(
      {
        kv: () => {
          throw new Error("companion bug");
        },
      },
      [{ groupId: "g1", kind: "kv" }],
    );
    await waitFor(() => lines.some((line) => line["msg"] === "leader companion failed"), {
      description: "the failure logged",
    });
    expect(lines.find((line) => line["msg"] === "leader companion failed")).toMatchObject({
      groupId: "g1",
      kind: "kv",
      err: { message: "companion bug" },
    });
    expect(node.groupStatus("g1")?.role).toBe("leader");
    await expect(
      groups.get("g1")?.propose({ op: "put", key: "after", value: 1 }),
    ).resolves.toBeNull();
  });

  it("detach aborts the running companion, and attach is idempotent", async () => {
    let starts = 0;
    let signal: AbortSignal | undefined;
    const { companions } = await start(
      {
        kv: (context) => {
          starts++;
          signal = context.signal;
        },
      },
      [{ groupId: "g1", kind: "kv" }],
    );
    await waitFor(() => signal !== undefined, { description: "the companion started" });
    companions.attach("g1", "kv", () => Promise.resolve(null));
    expect(companions.size).toBe(1);
    expect(starts).toBe(1);
    companions.detach("g1");
    expect(signal?.aborted).toBe(true);
    expect(companions.size).toBe(0);
  });
});

describe("loadCompanions", () => {
  function moduleFile(source: string): string {
    const dir = mkdtempSync(join(tmpdir(), "flotilla-companions-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "kinds.mjs");
    writeFileSync(path, source);
    return path;
  }

  it("reads the companions export, and nothing without a module or the export", async () => {
    const path = moduleFile(
      "export const kinds = { jobs: () => ({}) };\nexport const companions = { jobs: () => {} };\n",
    );
    expect([...(await loadCompanions(path)).keys()]).toEqual(["jobs"]);
    expect((await loadCompanions(undefined)).size).toBe(0);
    expect((await loadCompanions(moduleFile("export const kinds = {};\n"))).size).toBe(0);
  });

  it("refuses companions that are not functions, naming the kind", async () => {
    const path = moduleFile("export const companions = { jobs: 42 };\n");
    await expect(loadCompanions(path)).rejects.toThrow(/jobs/);
    const notObject = moduleFile("export const companions = 7;\n");
    await expect(loadCompanions(notObject)).rejects.toThrow(/companions/);
  });
});
