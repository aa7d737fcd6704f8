/**
 * Where a dom0 can learn its guests' IP addresses, read in one remote command per host:
 * 1. xenstore `/local/domain/DOMID/attr/vif/N/ipv4/M` (and `ipv6`): what a guest agent writes
 *    (xen-guest-agent, xe-guest-utilities; the guest owns its `attr/` directory). Exact and
 *    immediate, the preferred source.
 * 2. dom0's neighbour table (`ip -o neigh`), matched by each vif's MAC: addresses the guest
 *    used to talk to dom0 itself (ARP/NDP). Needs no agent, but only knows guests that spoke
 *    to dom0 recently.
 * Pure: builds the command, parses its output.
 */
import type { LiveHost } from "../../xl/live.js";
import type { AddressBook } from "./observe.js";

const SPLIT = "@@cdktf-xen-neigh";

/** The remote command (POSIX sh; missing tools give empty sections). */
export function guestAddressCommand(): string {
  return [
    "for d in $(xenstore-list /local/domain 2>/dev/null); do",
    '  [ "$d" = 0 ] && continue',
    '  xenstore-ls -f "/local/domain/$d/attr" 2>/dev/null',
    "done",
    `echo ${SPLIT}`,
    "ip -o neigh show 2>/dev/null",
    "true",
  ].join("\n");
}

const XENSTORE_LINE = /^\/local\/domain\/(\d+)\/attr\/vif\/(\d+)\/ipv([46])\/(\d+) = "([^"]*)"/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

function plausible(ip: string, family: "4" | "6"): boolean {
  return family === "4" ? IPV4.test(ip) : IPV6.test(ip) && ip.includes(":");
}

/** Addresses per domain name: a guest agent's xenstore entries, else the neighbour table; each list sorted, link-local IPv6 left out. */
export function parseGuestAddresses(output: string, live: LiveHost): AddressBook {
  const [xs = "", neigh = ""] = output.split(`${SPLIT}\n`);
  const byDomid = new Map(live.domains.map((d) => [d.domid, d.name]));
  const byMac = new Map<string, string>();
  for (const d of live.domains) for (const v of d.vifs) if (v.mac !== null) byMac.set(v.mac.toLowerCase(), d.name);
  const fromAgent = new Map<string, Set<string>>();
  const fromNeighbours = new Map<string, Set<string>>();
  const add = (book: Map<string, Set<string>>, name: string | undefined, ip: string): void => {
    if (name === undefined || ip.toLowerCase().startsWith("fe80:")) return;
    book.set(name, (book.get(name) ?? new Set()).add(ip));
  };
  for (const line of xs.split("\n")) {
    const m = XENSTORE_LINE.exec(line.trim());
    if (m !== null && plausible(m[5]!, m[3] as "4" | "6")) add(fromAgent, byDomid.get(Number(m[1])), m[5]!);
  }
  for (const line of neigh.split("\n")) {
    // 10.0.2.16 dev xenbr0 lladdr 00:16:3e:12:34:56 REACHABLE
    const words = line.trim().split(/\s+/);
    const at = words.indexOf("lladdr");
    const state = words[words.length - 1] ?? "";
    if (at < 0 || state === "FAILED" || state === "INCOMPLETE") continue;
    const ip = words[0]!;
    if (plausible(ip, "4") || plausible(ip, "6")) add(fromNeighbours, byMac.get((words[at + 1] ?? "").toLowerCase()), ip);
  }
  const book = new Map<string, string[]>();
  for (const [name, ips] of fromNeighbours) book.set(name, [...ips].sort());
  // The agent knows the guest's own configuration: where it reports, it wins.
  for (const [name, ips] of fromAgent) book.set(name, [...ips].sort());
  return book;
}
