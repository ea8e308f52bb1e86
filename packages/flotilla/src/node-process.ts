/**
 * `flotilla node`: one node as a process. It opens its LMDB environment, connects to NATS (one
 * connection for Raft traffic, clients and operators, reconnecting to any server of the NATS
 * cluster forever), hosts the configured groups plus those recorded from earlier runs, answers
 * clients for the groups it leads and operators on its control subject, and runs each kind's
 * leader companion for the groups of that kind it leads. On SIGTERM it hands its leaderships to
 * other members, then stops cleanly.
 */
import { mkdir, readFile } from "node:fs/promises";
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
} from "@nats-io/transport-node";
import { pino, type Logger } from "pino";
import { BadRequestError, FlotillaNode } from "@flotilla/runtime";
import { LmdbNodeStorage } from "@flotilla/storage-lmdb";
import { NatsTransport } from "@flotilla/transport-nats";
import { ChaosTransport } from "./chaos-transport.js";
import { ClientService } from "./client-service.js";
import { ControlService } from "./control-service.js";
import { readHostedGroups, writeHostedGroups } from "./hosted-groups.js";
import { loadCompanions } from "./leader-companion.js";
import { LeaderCompanions } from "./leader-companions.js";
import { loadKinds, type AnyStateMachine } from "./kinds/state-machine-kinds.js";
import { msgpackCodec } from "./msgpack-codec.js";
import {
  ConfigError,
  type GroupSpec,
  type NatsSettings,
  type NodeProcessConfig,
} from "./node-config.js";

/** A running node process. */
export interface RunningNode {
  readonly node: FlotillaNode;
  readonly nc: NatsConnection;
  /** Hands every leadership to another member (bounded), then stops everything. */
  shutDown(): Promise<void>;
}

/** Starts a node from `config`. */
export async function startNodeProcess(
  config: NodeProcessConfig,
  logger: Logger = pino({ level: config.logLevel }),
): Promise<RunningNode> {
  const log = logger.child({ nodeId: config.nodeId });
  await mkdir(config.dataDir, { recursive: true });
  const kinds = await loadKinds(config.kindsModule);
  const companionsByKind = await loadCompanions(config.kindsModule);
  for (const kind of companionsByKind.keys()) {
    if (!kinds.has(kind)) throw new ConfigError(`a leader companion for unknown kind ${kind}`);
  }
  const storage = await LmdbNodeStorage.open(config.dataDir, { durability: config.durability });
  const groups = mergeGroups(readHostedGroups(storage), config.groups);
  for (const spec of groups) {
    if (!kinds.has(spec.kind)) {
      await storage.close();
      throw new ConfigError(`group ${spec.groupId}: unknown kind ${spec.kind}`);
    }
  }
  await writeHostedGroups(storage, groups);

  const nc = await connect(await connectionOptions(config.nats, config.nodeId));
  void watchConnection(nc, log);
  const transport = await NatsTransport.start({
    cluster: config.cluster,
    nodeId: config.nodeId as never,
    connection: nc,
    logger: log,
    snapshotChunkBytes: config.snapshotChunkBytes,
    snapshotInlineBytesMax: config.snapshotInlineBytesMax,
  });
  // The fault hook exists only with --chaos; without it the runtime sends straight to NATS.
  const chaos = config.chaos ? new ChaosTransport(transport) : undefined;
  if (chaos !== undefined) log.warn("chaos fault hook installed (--chaos): for testing only");
  const node = await FlotillaNode.start({
    nodeId: config.nodeId,
    storage,
    transport: chaos ?? transport,
    logger,
    tickIntervalMs: config.tickIntervalMs,
    electionTicks: config.electionTicks,
    leaderBalanceIntervalMs: config.leaderBalanceIntervalMs,
    snapshotEntriesThreshold: config.snapshotEntriesThreshold,
    snapshotBytesThreshold: config.snapshotBytesThreshold,
    compactionTrailingEntries: config.compactionTrailingEntries,
  });
  const clients = new ClientService(nc, config.cluster, node, log);
  const companions = new LeaderCompanions(node, companionsByKind, log);
  const stateMachines = new Map<string, AnyStateMachine>();
  const hostGroup = async (spec: GroupSpec): Promise<void> => {
    const factory = kinds.get(spec.kind);
    if (factory === undefined) throw new BadRequestError(`unknown kind ${spec.kind}`);
    const stateMachine = factory();
    const group = await node.group(spec.groupId, {
      members: spec.members,
      stateMachine,
      codec: msgpackCodec,
    });
    stateMachines.set(spec.groupId, stateMachine);
    clients.add(group);
    companions.attach(spec.groupId, spec.kind, (command, options) =>
      group.propose(command, options),
    );
  };
  // Together, so their storage is created in one transaction (FlotillaNode batches a tick's).
  await Promise.all(groups.map((spec) => hostGroup(spec)));
  const control = new ControlService(
    nc,
    config.cluster,
    {
      node,
      stateMachines,
      stats: () => ({
        clientService: clients.stats,
        transport: transport.stats(),
        ...(chaos === undefined ? {} : { chaos: chaos.stats() }),
      }),
      createGroup: async (spec) => {
        if (stateMachines.has(spec.groupId)) return;
        await hostGroup(spec);
        groups.push(spec);
        await writeHostedGroups(storage, groups);
      },
      groupSpec: (groupId) => groups.find((spec) => spec.groupId === groupId),
      deleteGroup: async (groupId) => {
        companions.detach(groupId);
        clients.remove(groupId);
        await node.removeGroup(groupId);
        stateMachines.delete(groupId);
        const at = groups.findIndex((spec) => spec.groupId === groupId);
        if (at >= 0) groups.splice(at, 1);
        await writeHostedGroups(storage, groups);
      },
      ...(chaos === undefined
        ? {}
        : {
            setFaults: (rules, seed) => {
              chaos.setRules(rules, seed);
              log.warn({ rules, seed }, "chaos fault rules set");
            },
          }),
    },
    log,
  );
  // The server knows this node's subscriptions (control, transport) once it answered a PING
  // sent after them: only then is the node reachable, so "started" means reachable.
  await nc.flush();
  log.info({ groups: groups.length, cluster: config.cluster }, "node started");

  let stopping: Promise<void> | undefined;
  return {
    node,
    nc,
    shutDown: () => {
      stopping ??= (async () => {
        await handOffLeadership(node, config, log);
        control.close();
        companions.close();
        clients.close();
        await node.stop();
        chaos?.close();
        await transport.close();
        await nc.drain().catch(() => undefined);
        log.info("node stopped");
      })();
      return stopping;
    },
  };
}

/** Transfers every leadership this node holds, and waits (bounded) until they have moved. */
async function handOffLeadership(
  node: FlotillaNode,
  config: NodeProcessConfig,
  log: Logger,
): Promise<void> {
  const led = node.status().filter((s) => s.role === "leader");
  for (const status of led) {
    const to = status.voters.find((id) => id !== config.nodeId);
    if (to !== undefined) await node.transferLeadership(status.groupId, to).catch(() => undefined);
  }
  const deadline = Date.now() + 2 * config.electionTicks * config.tickIntervalMs;
  while (
    Date.now() < deadline &&
    node.status().some((s) => s.role === "leader" && s.voters.length > 1)
  ) {
    await new Promise((resolve) => setTimeout(resolve, config.tickIntervalMs));
  }
  log.info({ handedOver: led.length }, "leadership handed over");
}

async function connectionOptions(
  settings: NatsSettings,
  nodeId: string,
): Promise<ConnectionOptions> {
  const options: ConnectionOptions = {
    servers: [...settings.servers],
    name: `flotilla-node-${nodeId}`,
    maxReconnectAttempts: -1,
    // A node may start before its NATS servers listen (docker-compose): keep trying.
    waitOnFirstConnect: true,
    // The --nats order is the operator's preference (e.g. the server on the same host first).
    noRandomize: true,
    timeout: 5_000,
    reconnectTimeWait: 250,
    pingInterval: 5_000,
  };
  if (settings.user !== undefined)
    Object.assign(options, { user: settings.user, pass: settings.pass });
  if (settings.token !== undefined) Object.assign(options, { token: settings.token });
  if (settings.credsFile !== undefined) {
    Object.assign(options, {
      authenticator: credsAuthenticator(await readFile(settings.credsFile)),
    });
  }
  if (settings.nkeySeed !== undefined) {
    Object.assign(options, {
      authenticator: nkeyAuthenticator(new TextEncoder().encode(settings.nkeySeed)),
    });
  }
  if (settings.tlsCaFile !== undefined || settings.tlsCertFile !== undefined) {
    Object.assign(options, {
      tls: {
        ...(settings.tlsCaFile === undefined ? {} : { caFile: settings.tlsCaFile }),
        ...(settings.tlsCertFile === undefined ? {} : { certFile: settings.tlsCertFile }),
        ...(settings.tlsKeyFile === undefined ? {} : { keyFile: settings.tlsKeyFile }),
      },
    });
  }
  return options;
}

async function watchConnection(nc: NatsConnection, log: Logger): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === "disconnect" || status.type === "reconnect") {
      log.warn(
        { status: status.type, server: "server" in status ? status.server : undefined },
        "NATS connection",
      );
    }
  }
}

function mergeGroups(
  recorded: readonly GroupSpec[],
  configured: readonly GroupSpec[],
): GroupSpec[] {
  const byId = new Map<string, GroupSpec>();
  for (const spec of [...recorded, ...configured]) byId.set(spec.groupId, spec);
  return [...byId.values()];
}
