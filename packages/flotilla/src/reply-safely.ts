/**
 * Answering a request without ever throwing: a reply msgpack cannot carry, or one past the
 * server's max_payload (a big result, a big `state` or `status`), becomes a typed `TOO_LARGE`
 * error reply and a log line; a closed connection ends it quietly. A request without a reply
 * subject gets nothing.
 */
import type { Msg } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { CLIENT_PROTOCOL_VERSION, encodeWire } from "@flotilla/client";

/** Sends `reply` (plain msgpack) to `msg`'s reply subject, or a typed error if it cannot. */
export function replySafely(msg: Msg, reply: unknown, logger: Logger): void {
  if (msg.reply === undefined || msg.reply === "") return;
  try {
    msg.respond(encodeWire(reply));
  } catch (error) {
    logger.warn({ subject: msg.subject, err: error }, "reply could not be sent");
    try {
      msg.respond(
        encodeWire({
          v: CLIENT_PROTOCOL_VERSION,
          ok: false,
          error: { code: "TOO_LARGE", message: `reply could not be sent: ${String(error)}` },
        }),
      );
    } catch {
      // The connection is gone: nothing more to say.
    }
  }
}
