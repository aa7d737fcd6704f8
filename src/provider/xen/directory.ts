/**
 * The provider's host directory (its `hosts` configuration) as one `xen_host` needs it: its
 * peers and the domains declared elsewhere. A peer is also remembered in the resource's
 * private state, so that a host removed from the program in the same change as a domain moved
 * away from it is still looked at: it may run the domain until the move, and starting it
 * anywhere else first would boot a second copy. Pure.
 */
import { containsUnknown } from "../protocol/cty.js";
import { UNKNOWN, type Value } from "../protocol/types.js";
import { directoryFromValue, peerAttributes, peersFromValue, type DirectoryEntry, type HostDeclaration, type HostInFleet, type PeerDeclaration } from "./convert.js";

/** The provider's directory as configured. */
export interface HostDirectory {
  /** Entries whose every value is known, sorted by host id. */
  readonly entries: readonly DirectoryEntry[];
  /**
   * Hosts whose entry holds a value known only at apply (an address from another resource):
   * they cannot be read at plan time, so whether they run a domain is unknown then.
   */
  readonly unknown: readonly string[];
}

/** An empty directory (a provider configured without `hosts`, or not configured yet). */
export const EMPTY_DIRECTORY: HostDirectory = { entries: [], unknown: [] };

/** The directory from the provider's configuration value (which may hold UNKNOWN at plan). */
export function directoryOf(config: Value): HostDirectory {
  if (config === null || config === UNKNOWN || typeof config !== "object" || Array.isArray(config)) return EMPTY_DIRECTORY;
  const hosts = (config as { [k: string]: Value })["hosts"];
  if (hosts === null || hosts === undefined) return EMPTY_DIRECTORY;
  if (hosts === UNKNOWN) return { entries: [], unknown: ["(the whole hosts directory)"] };
  const known: { [k: string]: Value } = {};
  const unknown: string[] = [];
  for (const [hostId, entry] of Object.entries(hosts as { [k: string]: Value })) {
    if (containsUnknown(entry)) unknown.push(hostId);
    else known[hostId] = entry;
  }
  return { entries: directoryFromValue(known), unknown: unknown.sort() };
}

const byHostId = (a: { hostId: string }, b: { hostId: string }): number => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0);

/**
 * `decl` with its peers — the directory's other hosts, then `remembered` ones (from the private
 * state) the directory no longer lists — and the domains the directory puts on other hosts.
 */
export function inFleet(decl: HostDeclaration, directory: HostDirectory, remembered: readonly PeerDeclaration[]): HostInFleet {
  const self = decl.spec.host;
  const others = directory.entries.filter((e) => e.hostId !== self);
  const listed = new Set([...others.map((e) => e.hostId), ...directory.unknown]);
  const peers: PeerDeclaration[] = [
    ...others.map(({ domains: _domains, ...peer }) => peer),
    ...remembered.filter((p) => p.hostId !== self && !listed.has(p.hostId)),
  ].sort(byHostId);
  const elsewhere = new Set(others.flatMap((e) => e.domains));
  return { ...decl, peers, domainsElsewhere: [...elsewhere].sort() };
}

/** The peers as the private state keeps them. */
export function encodePeers(peers: readonly PeerDeclaration[]): Buffer {
  return Buffer.from(JSON.stringify({ peers: Object.fromEntries(peers.map((p) => [p.hostId, peerAttributes(p)])) }), "utf8");
}

/** The peers a private state holds; none for an empty or foreign one. */
export function decodePeers(priv: Buffer | undefined): PeerDeclaration[] {
  if (priv === undefined || priv.length === 0) return [];
  try {
    const v = JSON.parse(priv.toString("utf8")) as { peers?: unknown };
    return peersFromValue(v.peers);
  } catch {
    // A private state this provider did not write (or an older layout): nothing remembered.
    return [];
  }
}
