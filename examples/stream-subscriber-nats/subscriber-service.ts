/**
 * The stream-subscriber-nats example as a process: a microservice with no replica that follows
 * the groups `<name>-0` … `<name>-(N-1)` of a running cluster and keeps its read model in a
 * state file. SIGTERM or SIGINT persist and exit 0; after a SIGKILL, running it again resumes.
 * It prints one JSON line when it starts (where each group resumes from) and one on failure.
 *
 *   FLOTILLA_NATS=127.0.0.1:4222 FLOTILLA_CLUSTER=ledger LEDGER_GROUPS=ledger:16 \
 *   LEDGER_STATE_FILE=/tmp/ledger.json \
 *     node --import tsx --conditions=@flotilla/source examples/stream-subscriber-nats/subscriber-service.ts
 */
import { FlotillaClient } from "@flotilla/client";
import { LedgerSubscriber } from "./ledger-subscriber.js";
import { StateFile } from "./state-file.js";

async function main(): Promise<void> {
  const [name = "ledger", count = "16"] = (process.env["LEDGER_GROUPS"] ?? "").split(":");
  const groupIds = Array.from({ length: Number(count) }, (_, i) => `${name}-${i}`);
  const statePath = process.env["LEDGER_STATE_FILE"] ?? "ledger-read-model.json";
  const client = await FlotillaClient.connect({
    cluster: process.env["FLOTILLA_CLUSTER"] ?? "ledger",
    nats: {
      servers: (process.env["FLOTILLA_NATS"] ?? "127.0.0.1:4222").split(","),
      name: "ledger-subscriber",
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    },
  });
  const subscriber = await LedgerSubscriber.start({
    client,
    groupIds,
    stateFile: new StateFile(statePath),
    onFailure: (error) => {
      console.log(JSON.stringify({ event: "failed", error: String(error) }));
      process.exit(1);
    },
  });
  console.log(JSON.stringify({ event: "resumed", fromIndex: subscriber.resumedFrom }));
  const stop = (): void => {
    subscriber
      .stop()
      .then(() => client.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  console.log(JSON.stringify({ event: "failed", error: String(error) }));
  process.exit(1);
});
