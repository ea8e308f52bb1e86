/**
 * Paging a node's `status` (status-page.ts): slices by offset and limit with the total, only the
 * groups asked for, and typed refusals of bad fields.
 */
import { describe, expect, it } from "vitest";
import { isBadRequestError, type ReplicaStatus } from "@flotilla/runtime";
import { statusPage } from "../src/status-page.js";

const statuses: ReplicaStatus[] = Array.from({ length: 5 }, (_, i) => ({
  groupId: `g${i}`,
  role: "follower",
  leaderId: undefined,
  term: 1,
  commitIndex: 0,
  appliedIndex: 0,
  lastIndex: 0,
  quiesced: false,
  voters: ["a"],
  learners: [],
}));
const all = (): readonly ReplicaStatus[] => statuses;
const one = (groupId: string): ReplicaStatus | undefined =>
  statuses.find((s) => s.groupId === groupId);

describe("statusPage", () => {
  it("answers everything without paging fields, as before paging existed", () => {
    expect(statusPage({}, all, one)).toEqual({ groups: statuses, total: 5, offset: 0 });
  });

  it("pages by offset and limit, with the total", () => {
    const page = statusPage({ offset: 2, limit: 2 }, all, one);
    expect(page.groups.map((s) => s.groupId)).toEqual(["g2", "g3"]);
    expect(page.total).toBe(5);
    expect(statusPage({ offset: 4, limit: 2 }, all, one).groups.map((s) => s.groupId)).toEqual([
      "g4",
    ]);
    expect(statusPage({ offset: 9 }, all, one).groups).toEqual([]);
  });

  it("answers only the groups asked for, skipping those not hosted", () => {
    let copied = 0;
    const page = statusPage(
      { groupIds: ["g3", "nope", "g1"] },
      () => {
        copied++;
        return statuses;
      },
      one,
    );
    expect(page.groups.map((s) => s.groupId)).toEqual(["g3", "g1"]);
    expect(page.total).toBe(2);
    expect(copied).toBe(0);
  });

  it("refuses bad fields with BadRequestError", () => {
    for (const request of [
      { offset: -1 },
      { limit: 1.5 },
      { limit: "3" },
      { groupIds: "g1" },
      { groupIds: [1] },
    ]) {
      expect(() => statusPage(request, all, one), JSON.stringify(request)).toThrow();
      try {
        statusPage(request, all, one);
      } catch (error) {
        expect(isBadRequestError(error)).toBe(true);
      }
    }
  });
});
