/**
 * The leader-worker-nats example as a program: `flotilla node` plus the job scheduler. Takes
 * the node's flags (`flotilla node --help`); it must host the group named by SCHEDULER_GROUP
 * (default `scheduler`). SIGTERM or SIGINT hand the leadership over, then stop.
 *
 *   SCHEDULER_GROUP=scheduler node --import tsx --conditions=@flotilla/source \
 *     examples/leader-worker-nats/scheduler-node.ts --node-id n1 --cluster jobs \
 *     --nats 127.0.0.1:4222 --data-dir /tmp/jobs-n1 --group scheduler:log:n1,n2,n3
 */
import { parseNodeConfig } from "flotilla";
import { startSchedulerNode } from "./job-scheduler.js";

async function main(): Promise<void> {
  const config = parseNodeConfig(process.argv.slice(2), process.env);
  const groupId = process.env["SCHEDULER_GROUP"] ?? "scheduler";
  const running = await startSchedulerNode(config, {
    groupId,
    jobs: [
      { name: "reindex", everyMs: 1_000 },
      { name: "send-digest", everyMs: 5_000 },
    ],
    onRun: ({ nodeId, term, signal }) => {
      console.log(JSON.stringify({ event: "leading", nodeId, groupId, term }));
      signal.addEventListener("abort", () =>
        console.log(JSON.stringify({ event: "stopped leading", nodeId, groupId, term })),
      );
    },
  });
  const stop = (): void => {
    running.shutDown().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  console.error("scheduler-node:", error);
  process.exit(1);
});
