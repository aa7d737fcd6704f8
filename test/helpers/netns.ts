/**
 * Two network namespaces in a row, for hosts only a bastion can reach (we run as root):
 *
 *   test process (root ns) ──veth── "outer" ns ──veth── "inner" ns
 *        100.64.N.1              100.64.N.2 | 100.64.N.5          100.64.N.6
 *
 * The outer ns does not forward (a new namespace starts with ip_forward off) and the root ns
 * has an `unreachable` route for the inner subnet, so a direct connection from the test to
 * the inner ns fails at once, while a process in the outer ns (a bastion's sshd) reaches it.
 * Names carry our PID, so other test runs on the machine do not collide; {@link IsolatedNetwork.remove}
 * deletes exactly what was made.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileP = promisify(execFile);
const ip = async (...args: string[]): Promise<void> => {
  await execFileP("ip", args);
};

export interface IsolatedNetwork {
  readonly outerNs: string;
  readonly innerNs: string;
  /** The outer ns's address on the root side (where a bastion listens). */
  readonly outerAddress: string;
  /** The inner ns's address (where a host only the bastion reaches listens). */
  readonly innerAddress: string;
  /** Deletes the namespaces (their veths go with them) and the route. Idempotent. */
  remove(): Promise<void>;
}

export async function createIsolatedNetwork(): Promise<IsolatedNetwork> {
  const tag = `cx${process.pid % 100000}`;
  const n = 10 + (process.pid % 240);
  const outerNs = `${tag}-outer`;
  const innerNs = `${tag}-inner`;
  const net = `100.64.${n}`;
  const made: string[] = [];
  let routeAdded = false;
  const remove = async (): Promise<void> => {
    if (routeAdded) {
      routeAdded = false;
      await ip("route", "del", "unreachable", `${net}.4/30`).catch(() => undefined);
    }
    for (const ns of made.splice(0).reverse()) await ip("netns", "del", ns).catch(() => undefined);
  };
  try {
    for (const ns of [outerNs, innerNs]) {
      await ip("netns", "del", ns).catch(() => undefined); // a leftover of a killed run with our PID
      await ip("netns", "add", ns);
      made.push(ns);
      await ip("-n", ns, "link", "set", "lo", "up");
    }
    // root <-> outer
    await ip("link", "add", `${tag}r`, "type", "veth", "peer", "name", `${tag}o`, "netns", outerNs);
    await ip("addr", "add", `${net}.1/30`, "dev", `${tag}r`);
    await ip("link", "set", `${tag}r`, "up");
    await ip("-n", outerNs, "addr", "add", `${net}.2/30`, "dev", `${tag}o`);
    await ip("-n", outerNs, "link", "set", `${tag}o`, "up");
    // outer <-> inner
    await ip("-n", outerNs, "link", "add", `${tag}a`, "type", "veth", "peer", "name", `${tag}b`, "netns", innerNs);
    await ip("-n", outerNs, "addr", "add", `${net}.5/30`, "dev", `${tag}a`);
    await ip("-n", outerNs, "link", "set", `${tag}a`, "up");
    await ip("-n", innerNs, "addr", "add", `${net}.6/30`, "dev", `${tag}b`);
    await ip("-n", innerNs, "link", "set", `${tag}b`, "up");
    // Without this, a SYN to the inner subnet would follow the root ns's default route and hang.
    await ip("route", "add", "unreachable", `${net}.4/30`);
    routeAdded = true;
  } catch (err) {
    await remove();
    throw err;
  }
  return { outerNs, innerNs, outerAddress: `${net}.2`, innerAddress: `${net}.6`, remove };
}
