/**
 * A cluster of real nats-servers on loopback, fully meshed by routes: each member solicits routes
 * to every member started before it, and a restarted member to all the others, so the mesh heals
 * whichever member went down. Resolves only once every member sees every other.
 */
import { NatsServer, type NatsServerOptions } from "./nats-server.js";
import { waitFor } from "./wait-for.js";

/** How a {@link NatsCluster} is configured; the server options apply to every member. */
export interface NatsClusterOptions extends Omit<NatsServerOptions, "cluster" | "serverName"> {
  /** Members (default 3). */
  readonly size?: number;
  /** The NATS cluster name (default `flotilla-test`). */
  readonly clusterName?: string;
  /** Bound on the mesh forming, at start and after a restart (default 15 000 ms). */
  readonly meshTimeoutMs?: number;
}

/**
 * Real nats-servers with routes between them.
 *
 * @example
 * await using cluster = await NatsCluster.start({ size: 3 });
 * const nc = await connect({ servers: cluster.urls });
 * await cluster.server(0).kill(); // nc fails over to another member
 * await cluster.restart(0);
 */
export class NatsCluster implements AsyncDisposable {
  private constructor(
    private readonly members: NatsServer[],
    private readonly meshTimeoutMs: number,
  ) {}

  /** Starts `size` members one after another and waits for the full mesh of routes. */
  static async start(options: NatsClusterOptions = {}): Promise<NatsCluster> {
    const size = options.size ?? 3;
    const name = options.clusterName ?? "flotilla-test";
    const members: NatsServer[] = [];
    const cluster = new NatsCluster(members, options.meshTimeoutMs ?? 15_000);
    try {
      for (let i = 0; i < size; i++) {
        const routes = members.map((member) => member.routeUrl ?? "");
        members.push(
          await NatsServer.start({
            ...options,
            serverName: `${name}-${i}`,
            cluster: { name, routes },
          }),
        );
      }
      await cluster.waitForMesh();
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
    return cluster;
  }

  /** Every member's client URL, for a client's `servers` option. */
  get urls(): string[] {
    return this.members.map((member) => member.url);
  }

  /** Number of members. */
  get size(): number {
    return this.members.length;
  }

  /** Member `index`. */
  server(index: number): NatsServer {
    const member = this.members[index];
    if (member === undefined) throw new RangeError(`no member ${index} in ${this.size}`);
    return member;
  }

  /** The member whose client port is `port` (e.g. a client's current server). */
  serverOnPort(port: number): NatsServer | undefined {
    return this.members.find((member) => member.port === port);
  }

  /** Restarts member `index` (same ports, routes to every other member) and waits for the mesh. */
  async restart(index: number): Promise<void> {
    const routes = this.members
      .filter((_, i) => i !== index)
      .map((member) => member.routeUrl ?? "");
    await this.server(index).restart({ routes });
    await this.waitForMesh();
  }

  /** Resolves once every running member has a route to every other running member. */
  async waitForMesh(): Promise<void> {
    const running = this.members.filter((member) => member.running);
    await waitFor(
      async () => {
        for (const member of running) {
          if ((await routedPeers(member)) < running.length - 1) return false;
        }
        return true;
      },
      { description: "the NATS cluster's routes to form", timeoutMs: this.meshTimeoutMs },
    );
  }

  /** Stops every member. Idempotent. */
  async dispose(): Promise<void> {
    await Promise.all(this.members.map((member) => member.dispose()));
  }

  /** `await using cluster = await NatsCluster.start()` stops it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** Distinct remote servers `member` has a route to, from its `/routez` monitoring page. */
async function routedPeers(member: NatsServer): Promise<number> {
  const response = await fetch(`${member.monitorUrl}/routez`, {
    signal: AbortSignal.timeout(1_000),
  });
  const body = (await response.json()) as { routes?: readonly { remote_id?: string }[] };
  return new Set((body.routes ?? []).map((route) => route.remote_id)).size;
}
