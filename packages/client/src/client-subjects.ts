/**
 * The NATS subjects clients use (docs/protocol.md, "Client subjects"). Every id is a single
 * subject token (`[A-Za-z0-9_-]{1,64}`), checked before use.
 *
 * | subject | who answers |
 * | --- | --- |
 * | `flotilla.<cluster>.g.<groupId>.propose` | the group's leader (request/reply) |
 * | `flotilla.<cluster>.g.<groupId>.read` | the group's leader (request/reply) |
 * | `flotilla.<cluster>.g.<groupId>.entries` | the group's leader (request/reply: catch-up page) |
 * | `flotilla.<cluster>.g.<groupId>.committed` | published by the leader (live entries) |
 * | `flotilla.<cluster>.g.<groupId>.events` | published by replicas (leadership changes) |
 * | `flotilla.<cluster>.ctl.<nodeId>` | that node (operator requests) |
 */
import { InvalidIdError } from "@flotilla/runtime";

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Checks `value` is a valid id. @throws {InvalidIdError} */
export function checkId(kind: string, value: string): string {
  if (!ID.test(value)) throw new InvalidIdError(kind, value);
  return value;
}

/** Subject builders for one cluster. */
export class ClientSubjects {
  readonly prefix: string;

  constructor(cluster: string) {
    this.prefix = `flotilla.${checkId("cluster", cluster)}`;
  }

  propose(groupId: string): string {
    return `${this.prefix}.g.${checkId("group", groupId)}.propose`;
  }

  read(groupId: string): string {
    return `${this.prefix}.g.${checkId("group", groupId)}.read`;
  }

  /** Request/reply, answered by the leader: a page of committed history for catch-up. */
  entries(groupId: string): string {
    return `${this.prefix}.g.${checkId("group", groupId)}.entries`;
  }

  /** Published by the leader after each round it applied: live committed entries. */
  committed(groupId: string): string {
    return `${this.prefix}.g.${checkId("group", groupId)}.committed`;
  }

  /** Published by replicas: leadership changes. */
  events(groupId: string): string {
    return `${this.prefix}.g.${checkId("group", groupId)}.events`;
  }

  control(nodeId: string): string {
    return `${this.prefix}.ctl.${checkId("node", nodeId)}`;
  }
}
