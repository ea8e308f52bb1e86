/**
 * `npm run demo`: Flotilla doing its job under failure, in under two minutes. It ends with the
 * verification line `demo: acknowledged=N lost=0 diverged=0 failovers=K` (its last line) and
 * exits non-zero if anything acknowledged was lost or any replica diverged.
 */
import { InProcessCluster } from "./in-process-cluster.js";
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
  // The multi-process mode over nats-server comes with the NATS transport (issue 5).
  console.log(
    options.inProcess
      ? "demo: in-process transport (--in-process)"
      : "demo: the NATS transport is not built yet: running the three nodes in one process over the in-process transport",
  );
  const cluster = await InProcessCluster.start(options.groups);
  const tty = process.stdout.isTTY && !options.ci;
  const verdict = await runDemo(cluster, options, tty, stop.signal);
  console.log(verdictLine(verdict));
  return verdict.lost === 0 && verdict.diverged === 0 && verdict.acknowledged > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error("demo failed:", error);
    process.exit(1);
  },
);
