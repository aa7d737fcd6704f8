/**
 * Moves through the native provider: a domain declared on this `xen_host` that the host does not
 * run may still run on another host of the program (its declared host changed). Such a domain
 * is looked for on the peers (the provider's host directory, ./directory.ts: their connections and pools, read through
 * the same per-run sessions, so one connection per host per run), and the diff engine's own
 * fleet planning (diff/move.ts: findMoves, planMove) decides: a `move-domain` in this host's
 * plan, or the `refuse-move`s saying why not — never a `create-domain` of a guest a peer holds.
 */
import { diffFleet, type FleetHost } from "../../diff/move.js";
import { diffHost } from "../../diff/diff.js";
import type { MoveDomainAction, Plan, RefuseMoveAction } from "../../diff/plan.js";
import { SPEC_VERSION, type HostSpec, type PoolSpec } from "../../model/spec.js";
import type { LiveHost } from "../../xl/live.js";
import type { HostInFleet, PeerDeclaration } from "./convert.js";
import type { HostBackend, MoveSide } from "./host-sessions.js";

/** A peer as a fleet host: its pools, no domains (the program declares none of this host's there). */
export function peerSpec(peer: PeerDeclaration): HostSpec {
  return { version: SPEC_VERSION, host: peer.hostId, pools: [...peer.pools], volumes: [], domains: [] };
}

/** The peer as one end of a move. */
export function peerSide(peer: PeerDeclaration): MoveSide {
  return { spec: peerSpec(peer), connection: peer.connection, migration: peer.migration };
}

/**
 * The peer that declares a shared pool on the same storage (volume group or directory) as
 * `pool`, if any: a volume there may be in use by a domain that moved to it, so this host never
 * deletes it (the directory does not list volumes; this errs on the side of the data).
 */
export function sharingPeer(pool: PoolSpec, peers: readonly PeerDeclaration[]): string | undefined {
  if (!pool.shared) return undefined;
  const place = (p: PoolSpec): string => (p.kind === "lvm" ? `lvm:${p.volumeGroup}` : `dir:${p.path.replace(/\/+$/, "")}`);
  return peers.find((peer) => peer.pools.some((p) => p.shared && place(p) === place(pool)))?.hostId;
}

/** Declared domains the host does not run: the ones a peer may still hold. Sorted. */
export function arrivingDomains(spec: HostSpec, live: LiveHost): string[] {
  const running = new Set(live.domains.map((d) => d.name));
  return spec.domains.map((d) => d.name).filter((n) => !running.has(n)).sort();
}

/** A peer that could not be read. */
export interface UnreadablePeer {
  readonly hostId: string;
  readonly message: string;
}

/** This host's plan with the moves from its peers in it. */
export interface PeerCheck {
  /** diffHost's plan, with each arriving domain a peer holds a move-domain or refuse-moves instead of its creates. */
  readonly plan: Plan;
  readonly moves: readonly MoveDomainAction[];
  readonly refusals: readonly RefuseMoveAction[];
  /** Declared domains the host does not run (looked for on the peers). */
  readonly arriving: readonly string[];
  /** Peers that could not be read while some domain was arriving: whether they hold it is unknown. */
  readonly unreadable: readonly UnreadablePeer[];
}

/**
 * The host's plan, looking for its arriving domains on the peers. Peers are read only when
 * some declared domain does not run here (an in-sync fleet costs no peer read); `fresh` reads
 * them again (the apply). `unknownPeers` are hosts whose connection is known only at apply:
 * unreadable now.
 */
export async function planWithPeers(backend: HostBackend, decl: HostInFleet, live: LiveHost, fresh = false, unknownPeers: readonly string[] = []): Promise<PeerCheck> {
  const arriving = arrivingDomains(decl.spec, live);
  const peers = decl.peers;
  if (arriving.length === 0 || (peers.length === 0 && unknownPeers.length === 0)) {
    return { plan: diffHost(decl.spec, live), moves: [], refusals: [], arriving, unreadable: [] };
  }
  const readings = await Promise.all(
    peers.map(async (p): Promise<{ peer: PeerDeclaration; live: LiveHost } | UnreadablePeer> => {
      try {
        return { peer: p, live: (await backend.read(peerSpec(p), p.connection, fresh)).live };
      } catch (e) {
        return { hostId: p.hostId, message: e instanceof Error ? e.message : String(e) };
      }
    }),
  );
  const fleet: FleetHost[] = [{ spec: decl.spec, live }];
  const unreadable: UnreadablePeer[] = unknownPeers.map((hostId) => ({ hostId, message: "its connection settings are known only at apply (they refer to another resource)" }));
  for (const r of readings) {
    if ("peer" in r) fleet.push({ spec: peerSpec(r.peer), live: r.live });
    else unreadable.push(r);
  }
  const plan = diffFleet(fleet)[0]!;
  return {
    plan,
    moves: plan.actions.filter((a): a is MoveDomainAction => a.kind === "move-domain"),
    refusals: plan.actions.filter((a): a is RefuseMoveAction => a.kind === "refuse-move"),
    arriving,
    unreadable,
  };
}

/** How a move is carried out, in a few words: `live`, `cold`, or a stopped domain started there. */
export function moveHow(m: MoveDomainAction): string {
  return m.running ? m.method : `not running: started on ${m.new}`;
}
