/**
 * A NatsConnection with only `request`, for the proposer's unit tests: every request waits for
 * the test to answer it, and closing it fails what is open as nats.js does (a `RequestError`
 * "connection closed") and every later request with `ClosedConnectionError`.
 */
import { expect, vi } from "vitest";
import { errors as natsErrors, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { decodeProposeRequest, encodeWire, type ProposeRequest } from "../src/client-wire.js";

/** One request the fake received, answered by the test. */
export interface PendingRequest {
  readonly subject: string;
  readonly request: ProposeRequest;
  readonly timeoutMs: number;
  answer(reply: unknown): void;
  fail(error: Error): void;
}

/** The fake connection and what it saw. */
export class FakeNats {
  readonly received: PendingRequest[] = [];
  readonly open: PendingRequest[] = [];
  inFlightMax = 0;
  /** Requests made after `closeConnection()`. */
  requestsAfterClose = 0;
  private closed = false;

  readonly connection = {
    request: (subject: string, data: Uint8Array, options?: { timeout?: number }) => {
      if (this.closed) {
        this.requestsAfterClose++;
        return Promise.reject(new natsErrors.ClosedConnectionError());
      }
      return new Promise<Msg>((resolve, reject) => {
        const pending: PendingRequest = {
          subject,
          request: decodeProposeRequest(data),
          timeoutMs: options?.timeout ?? 0,
          answer: (reply) => {
            this.close(pending);
            resolve({ data: encodeWire(reply) } as Msg);
          },
          fail: (error) => {
            this.close(pending);
            reject(error);
          },
        };
        this.received.push(pending);
        this.open.push(pending);
        this.inFlightMax = Math.max(this.inFlightMax, this.open.length);
      });
    },
  } as unknown as NatsConnection;

  /** Waits until `count` requests have been received in all. */
  async receivedCount(count: number): Promise<void> {
    await vi.waitFor(() => expect(this.received.length).toBeGreaterThanOrEqual(count), {
      timeout: 2000,
      interval: 2,
    });
  }

  /** Closes the connection as nats.js does: open requests fail, later ones are refused. */
  closeConnection(): void {
    this.closed = true;
    for (const pending of [...this.open]) {
      pending.fail(new natsErrors.RequestError("connection closed"));
    }
  }

  private close(pending: PendingRequest): void {
    const at = this.open.indexOf(pending);
    if (at >= 0) this.open.splice(at, 1);
  }
}
