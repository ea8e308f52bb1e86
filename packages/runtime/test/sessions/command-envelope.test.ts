import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  commandBytes,
  decodeFrame,
  encodePlain,
  encodeSession,
} from "../../src/sessions/command-envelope.js";

const clientId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);

describe("command envelope", () => {
  it("round-trips plain and session commands", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        clientId,
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.nat(),
        (command, id, sequence, respondedTo) => {
          expect(decodeFrame(encodePlain(command))).toEqual({ type: "plain", command });
          const framed = encodeSession({ clientId: id, sequence, respondedTo }, command);
          expect(decodeFrame(framed)).toEqual({
            type: "session",
            session: { clientId: id, sequence, respondedTo },
            command,
          });
          expect(commandBytes(framed)).toEqual(command);
        },
      ),
    );
  });

  it("never throws on arbitrary bytes: damage decodes as malformed", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const frame = decodeFrame(bytes);
        expect(["plain", "session", "malformed"]).toContain(frame.type);
      }),
    );
    expect(decodeFrame(new Uint8Array([])).type).toBe("malformed");
    expect(decodeFrame(new Uint8Array([7, 1, 2])).type).toBe("malformed");
    const truncated = encodeSession(
      { clientId: "c", sequence: 1, respondedTo: 0 },
      new Uint8Array(),
    );
    expect(decodeFrame(truncated.subarray(0, truncated.byteLength - 1)).type).toBe("malformed");
  });

  it("refuses an invalid session header when encoding", () => {
    const command = new Uint8Array([1]);
    expect(() => encodeSession({ clientId: "", sequence: 1, respondedTo: 0 }, command)).toThrow(
      RangeError,
    );
    expect(() => encodeSession({ clientId: "c", sequence: 0, respondedTo: 0 }, command)).toThrow(
      RangeError,
    );
    expect(() => encodeSession({ clientId: "c", sequence: 1.5, respondedTo: 0 }, command)).toThrow(
      RangeError,
    );
  });
});
