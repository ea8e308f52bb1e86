/**
 * `npm run demo`: Flotilla doing its job under failure, in under two minutes. It ends with the
 * verification line `demo: acknowledged=N lost=0 diverged=0 failovers=K` (its last line) and
 * exits non-zero if anything acknowledged was lost or any replica diverged.
 */
import type { DemoCluster } from "./demo-cluster.js";
import { InProcessCluster } from "./in-process-cluster.js";
import { NatsProcessCluster } from "./nats-process-cluster.js";
import { findNatsServerBinary } from "@flotilla/testkit";
import { DEMO_USAGE, DemoUsageError, parseDemoOptions } from "./demo-options.js";
import { runDemo } from "./run-demo.js";
import { verdictLine } from "./verification.js";

async function main(): Promise<number> {
  let options;
  try {
    options = parseDemoOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof DemoUsageError)) throw error;
    console.error(`${error.message}\n${DEMO_USAGE}`);
    return 2;
  }
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  const natsServer = process.env["FLOTILLA_NATS_SERVER"] || locateNatsServer();
  let cluster: DemoCluster;
  if (options.inProcess) {
    console.log("demo: in-process transport (--in-process): three nodes in this process");
    cluster = await InProcessCluster.start(options.groups);
  } else if (natsServer === "") {
    console.log(
      "demo: nats-server could not be found or installed (apt-get install nats-server): " +
        "running the three nodes in one process over the in-process transport instead",
    );
    cluster = await InProcessCluster.start(options.groups);
  } else {
    console.log(`demo: nats-server at ${natsServer}; starting 3 node processes`);
    cluster = await NatsProcessCluster.start(options.groups, natsServer);
  }
  const tty = process.stdout.isTTY && !options.ci;
  const verdict = await runDemo(cluster, options, tty, stop.signal);
  console.log(verdictLine(verdict));
  return verdict.lost === 0 && verdict.diverged === 0 && verdict.acknowledged > 0 ? 0 : 1;
}

/** nats-server on PATH or where Debian puts it, or "" when there is none. */
function locateNatsServer(): string {
  try {
    return findNatsServerBinary();
  } catch {
    return "";
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error("demo failed:", error);
    process.exit(1);
  },
);
