/**
 * The history file reader: good lines of every operation become typed records with exact
 * times, and every kind of bad line is a `MalformedHistoryError` naming its line, never a
 * skipped line.
 */
import { describe, expect, it } from "vitest";
import {
  isMalformedHistoryError,
  MalformedHistoryError,
} from "../../src/linearizability/malformed-history-error.js";
import { parseHistory } from "../../src/linearizability/parse-history.js";
import { rawNumberMembers } from "../../src/linearizability/raw-number-members.js";

const PUT = '{"client":1,"key":"g1/x","op":"put","value":"a","call":10,"return":20}';

/** The error `parseHistory(text)` throws; fails the test when it throws none. */
function parseError(text: string): MalformedHistoryError {
  try {
    parseHistory(text);
  } catch (error) {
    if (isMalformedHistoryError(error)) return error;
    throw error;
  }
  throw new Error(`parseHistory accepted ${JSON.stringify(text)}`);
}

describe("parseHistory reads good lines", () => {
  it("reads every operation kind into typed records with bigint times", () => {
    const text = [
      PUT,
      '{"client":2,"key":"g1/x","op":"get","output":"a","call":21,"return":30}',
      '{"client":3,"key":"g1/x","op":"cas","expected":null,"value":{"n":1},"output":false,"call":"31","return":"40"}',
      '{"client":4,"key":"g2/l","op":"append","value":7,"output":null,"call":41,"return":null}',
      '{"client":5,"key":"g2/l","op":"read-list","output":[7],"call":42,"return":50}',
      "",
    ].join("\n");
    const records = parseHistory(text);
    expect(records).toEqual([
      { client: 1, key: "g1/x", op: "put", value: "a", call: 10n, return: 20n },
      { client: 2, key: "g1/x", op: "get", output: "a", call: 21n, return: 30n },
      {
        client: 3,
        key: "g1/x",
        op: "cas",
        expected: null,
        value: { n: 1 },
        output: false,
        call: 31n,
        return: 40n,
      },
      { client: 4, key: "g2/l", op: "append", value: 7, output: null, call: 41n, return: null },
      { client: 5, key: "g2/l", op: "read-list", output: [7], call: 42n, return: 50n },
    ]);
  });

  it("keeps times past 2^53 exact, from numbers and from strings", () => {
    const text =
      '{"client":1,"key":"k","op":"put","value":"a","call":12345678901234567891,"return":"12345678901234567893"}\r\n';
    const [record] = parseHistory(text);
    expect(record?.call).toBe(12345678901234567891n);
    expect(record?.return).toBe(12345678901234567893n);
  });

  it("reads a get of an absent key and an unknown-outcome get without output", () => {
    const records = parseHistory(
      '{"client":1,"key":"k","op":"get","output":null,"call":1,"return":2}\n' +
        '{"client":1,"key":"k","op":"get","call":3,"return":null}',
    );
    expect(records.map((record) => record.return)).toEqual([2n, null]);
  });

  it("reads an empty file as an empty history", () => {
    expect(parseHistory("")).toEqual([]);
  });
});

describe("parseHistory rejects each kind of bad line with its line number", () => {
  const cases: readonly (readonly [string, string, RegExp])[] = [
    ["not JSON", "{not json", /not JSON/],
    ["a truncated line", PUT.slice(0, 30), /not JSON/],
    ["not an object", "[1,2]", /must be a JSON object/],
    ["an unknown op", PUT.replace('"put"', '"delete"'), /op must be one of/],
    ["an unknown field", PUT.replace('"value"', '"valeu"'), /no field "valeu"/],
    ["a field of another op", PUT.replace("}", ',"expected":"b"}'), /no field "expected"/],
    ["a missing client", PUT.replace('"client":1,', ""), /client must be/],
    ["a negative client", PUT.replace('"client":1', '"client":-1'), /client must be/],
    ["an empty key", PUT.replace('"g1/x"', '""'), /key must be a non-empty string/],
    ["a missing call", PUT.replace('"call":10,', ""), /call must be/],
    ["a negative time", PUT.replace('"call":10', '"call":-10'), /call must be/],
    ["a fractional time", PUT.replace('"call":10', '"call":10.5'), /call must be/],
    ["an exponent time", PUT.replace('"call":10', '"call":1e3'), /call must be/],
    ["a missing return", PUT.replace(',"return":20', ""), /return must be/],
    ["a return before the call", PUT.replace('"return":20', '"return":9'), /before call/],
    ["a null put value", PUT.replace('"value":"a"', '"value":null'), /cannot be null/],
    ["a put output", PUT.replace("}", ',"output":"ok"}'), /no output but null/],
    [
      "a completed get without output",
      '{"client":1,"key":"k","op":"get","call":1,"return":2}',
      /needs an output/,
    ],
    [
      "an unknown-outcome read with an output",
      '{"client":1,"key":"k","op":"read-list","output":[],"call":1,"return":null}',
      /cannot have an output/,
    ],
    [
      "a cas without expected",
      '{"client":1,"key":"k","op":"cas","value":"b","output":true,"call":1,"return":2}',
      /needs an expected/,
    ],
    [
      "a cas with a non-boolean output",
      '{"client":1,"key":"k","op":"cas","expected":"a","value":"b","output":"yes","call":1,"return":2}',
      /true or false/,
    ],
    [
      "a read-list with a non-array output",
      '{"client":1,"key":"k","op":"read-list","output":"a","call":1,"return":2}',
      /array output/,
    ],
  ];

  it.each(cases)("rejects %s", (_name, badLine, reason) => {
    const error = parseError(`${PUT}\n${badLine}\n${PUT}\n`);
    expect(error).toBeInstanceOf(MalformedHistoryError);
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/^line 2: /);
    expect(error.reason).toMatch(reason);
  });

  it("rejects an empty line in the middle, but not the one after the final newline", () => {
    expect(parseError(`${PUT}\n\n${PUT}\n`).line).toBe(2);
    expect(parseHistory(`${PUT}\n${PUT}\n`)).toHaveLength(2);
  });

  it("rejects a key used as a register and as a list, naming both lines", () => {
    const append = '{"client":1,"key":"g1/x","op":"append","value":"v","call":30,"return":40}';
    const error = parseError(`${PUT}\n${PUT}\n${append}\n`);
    expect(error.line).toBe(3);
    expect(error.reason).toContain("is a register (since line 1), but this is a append");
  });
});

describe("rawNumberMembers", () => {
  it("finds top-level numbers, skipping strings and nested values that look alike", () => {
    const json =
      '{"value":"\\"call\\": 1","nested":{"call":2,"x":[3,{"return":4}]}, "call" : 99999999999999999999 ,"return":null}';
    const numbers = rawNumberMembers(json);
    expect(numbers.get("call")).toBe("99999999999999999999");
    expect(numbers.has("return")).toBe(false);
    expect(numbers.has("nested")).toBe(false);
  });
});
