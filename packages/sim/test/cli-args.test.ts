import { describe, expect, it } from "vitest";
import { parseCliArgs, UsageError } from "../src/cli-args.js";
import { replayCommand } from "../src/run-seeds.js";
import { chooseWorld } from "../src/world.js";

describe("command line", () => {
  it("pins any world parameter by its kebab-case name", () => {
    const options = parseCliArgs([
      "--seeds",
      "5",
      "--start",
      "100",
      "--nodes",
      "5",
      "--drop-odds",
      "0.2",
      "--pre-vote",
      "false",
    ]);
    expect(options).toEqual({
      seeds: 5,
      start: 100,
      verbose: false,
      pins: { nodes: 5, dropOdds: 0.2, preVote: false },
    });
  });

  it("rejects unknown flags, bad values and a missing --seeds", () => {
    expect(() => parseCliArgs(["--seeds", "1", "--bogus", "1"])).toThrow(UsageError);
    expect(() => parseCliArgs(["--seeds", "1", "--nodes", "4"])).toThrow(UsageError);
    expect(() => parseCliArgs(["--seeds", "-1"])).toThrow(UsageError);
    expect(() => parseCliArgs(["--start", "3"])).toThrow(UsageError);
  });

  it("the replay command pins what the run pinned, and parses back to the same run", () => {
    const command = replayCommand(42, { nodes: 5, groups: 8, steps: 900 });
    expect(command).toBe("npm run sim -- --seeds 1 --start 42 --nodes 5 --groups 8 --steps 900");
    const argv = command.replace("npm run sim -- ", "").split(" ");
    expect(parseCliArgs(argv)).toEqual({
      seeds: 1,
      start: 42,
      verbose: false,
      pins: { nodes: 5, groups: 8, steps: 900 },
    });
  });

  it("pinning one parameter leaves the seed's other choices alone", () => {
    const free = chooseWorld(7);
    const pinned = chooseWorld(7, { groups: free.groups === 8 ? 1 : 8 });
    expect({ ...pinned, groups: free.groups }).toEqual(free);
  });
});
