/**
 * A loopback port free right now, chosen by the kernel and released before the caller's server
 * binds it: for servers that cannot report ports they picked themselves (etcd) or must know
 * their peers' ports before any starts (a JetStream cluster's routes).
 */
import { createServer } from "node:net";

/** Resolves with a port nothing listens on at this moment. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
