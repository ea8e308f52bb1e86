/**
 * The consumer side as a program: subscribes to `jobs.due` and prints each job it accepts or
 * refuses (a term lower than the highest accepted for that group).
 *
 *   FLOTILLA_NATS=127.0.0.1:4222 node --import tsx --conditions=@flotilla/source \
 *     examples/leader-worker-nats/jobs-consumer.ts
 */
import { connect } from "@nats-io/transport-node";
import { FencedConsumer } from "./fenced-consumer.js";

async function main(): Promise<void> {
  const nc = await connect({
    servers: (process.env["FLOTILLA_NATS"] ?? "127.0.0.1:4222").split(","),
    name: "jobs-consumer",
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  const consumer = new FencedConsumer(nc, ({ job, accepted, highestTermBefore }) =>
    console.log(
      accepted
        ? `run    ${job.job} (term ${job.term}, from ${job.nodeId})`
        : `refuse ${job.job} (term ${job.term} < ${highestTermBefore}, from ${job.nodeId})`,
    ),
  );
  const stop = (): void => {
    consumer.close();
    nc.drain().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  console.error("jobs-consumer:", error);
  process.exit(1);
});
