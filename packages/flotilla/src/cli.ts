#!/usr/bin/env node
/**
 * The `flotilla` command: `flotilla node …` runs a node process; the operator commands talk to
 * a running cluster over NATS (`status`, `transfer-leader`, `rebalance`), human output by
 * default and `--json` for scripts. `flotilla help` lists them.
 */
import { ConfigError, NODE_USAGE, parseNodeConfig } from "./node-config.js";
import { startNodeProcess } from "./node-process.js";
import { OPERATOR_USAGE, runOperatorCommand } from "./operator-commands.js";

const USAGE = `usage: flotilla <command> [options]
commands:
  node                 run a node (flotilla node --help)
${OPERATOR_USAGE}`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "node") {
    if (rest.includes("--help")) {
      console.log(NODE_USAGE);
      return 0;
    }
    const config = parseNodeConfig(rest, process.env);
    const running = await startNodeProcess(config);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        console.error(`flotilla node ${config.nodeId}: ${signal}, handing over and stopping`);
        running.shutDown().then(resolve, resolve);
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    return 0;
  }
  return runOperatorCommand(command, rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`${error.message}\n${NODE_USAGE}`);
      process.exit(2);
    }
    // An operating error (a typed Flotilla error, a storage error, a system error such as
    // EACCES) is one clear line; anything else is a bug and keeps its stack.
    if (isOperatingError(error)) console.error(`flotilla: ${error.name}: ${error.message}`);
    else console.error("flotilla:", error);
    process.exit(1);
  },
);

/** Errors with a string `code` are expected operating conditions, not bugs. */
function isOperatingError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}
