/**
 * Moves between hosts: a domain whose declared host changed, planned across the whole fleet.
 *
 * `diffHost` sees one host at a time, so a domain declared on host B instead of host A looks
 * like a new domain on B (create its volumes, write its config, `xl create`) and a forgotten
 * one on A (report it). Both are wrong for a move: B would boot a second copy of the guest on
 * its own, empty disks. This module recognises moves ({@link findMoves}), decides how each one
 * can happen, or why it cannot ({@link planMove}), and rewrites the per-host plans so a move is
 * one `move-domain` (or the `refuse-move`s explaining why not) in the target's plan
 * ({@link diffFleet}).
 *
 * Pure, like the rest of `diff/`: it reads specs and live states, it runs nothing.
 */
import { CpuSet } from "../model/cpuset.js";
import type { DiskSpec, DomainSpec, HostSpec, MigrationPolicy, PoolSpec } from "../model/spec.js";
import type { LiveDisk, LiveDomain, LiveHost, LiveVolume } from "../xl/live.js";
import { parseXlCfg } from "../xl/render.js";
import {
  actionPhase,
  compareStrings,
  diffHost,
  formatMiB,
  isActiveState,
  managedConfigPath,
  volumePath,
  type DiffOptions,
} from "./diff.js";
import { DiffInputError } from "./errors.js";
import {
  isVolumeAction,
  makePlan,
  type Action,
  type MoveCheck,
  type MoveDomainAction,
  type Plan,
  type RefuseMoveAction,
  type VolumeCopy,
} from "./plan.js";
import { shellCommand, shellQuote } from "../xl/shell.js";

/** One host of the fleet: what is declared for it and what it runs. */
export interface FleetHost {
  readonly spec: HostSpec;
  readonly live: LiveHost;
}

/**
 * A domain declared on `target` that another host still holds: either a move to plan with
 * {@link planMove}, or a refusal found before any check (several candidate sources, or the
 * domain already on the target).
 */
export type MoveDecision =
  | {
      readonly kind: "move";
      /** The target's declaration. */
      readonly domain: DomainSpec;
      /** Source host id. */
      readonly source: string;
      /** Target host id. */
      readonly target: string;
    }
  | {
      readonly kind: "refused";
      readonly domain: DomainSpec;
      readonly target: string;
      /** Check `ambiguous`, `both` or `name`. */
      readonly refusal: RefuseMoveAction;
    };

/** The virt_caps word of a Xen built with shadow paging, which live migration of PV guests needs. */
export const SHADOW_VIRT_CAP = "shadow";

const MIB = 1024 * 1024;

/**
 * Finds the domains whose declared host changed. For every host T and every domain d declared
 * on T that does not run on T (a live `d--incoming` on T, the name `xl migrate` gives the
 * arriving domain, is a migration in flight and does not count), the sources are the other hosts that hold d's managed config file and do not declare
 * d. One source: a move. Several: one `ambiguous` refusal naming them. When d does run on T
 * and some other host holds it undeclared: a `both` refusal (or `name` when T's copy is not
 * managed by cdktf-xen).
 *
 * Decisions come sorted by target host id, then domain name.
 */
export function findMoves(hosts: readonly FleetHost[]): MoveDecision[] {
  const sorted = [...hosts].sort((a, b) => compareStrings(a.spec.host, b.spec.host));
  const out: MoveDecision[] = [];
  for (const t of sorted) {
    const target = t.spec.host;
    for (const d of [...t.spec.domains].sort((a, b) => compareStrings(a.name, b.name))) {
      const sources = sorted
        .filter((s) => s.spec.host !== target && isManaged(s.live, d.name) && !s.spec.domains.some((x) => x.name === d.name))
        .map((s) => s.spec.host);
      if (sources.length === 0) continue;
      const onTarget = liveDomain(t.live, d.name);
      if (onTarget !== undefined) {
        const managed = isManaged(t.live, d.name);
        const from = sources.join(", ");
        out.push({
          kind: "refused",
          domain: d,
          target,
          refusal: refusal(d, sources.length === 1 ? sources[0]! : null, target, sources, managed ? "both" : "name", null, {
            reason: managed
              ? `${d.name} is declared on ${target} and already runs there (${onTarget.state}), but ${from} still ${sources.length === 1 ? "holds" : "hold"} a cdktf-xen config file for it: two copies of one guest exist, and cdktf-xen cannot tell which is current.`
              : `${d.name} is declared on ${target} and ${from} still ${sources.length === 1 ? "holds" : "hold"} it, but a domain of that name that cdktf-xen did not create runs on ${target}: the move would clash with it.`,
            fix: managed
              ? `Check which copy is current (uptime, the guest's data), then destroy the stale copy by hand: on its host, ${shellCommand(["xl", "destroy", d.name])} if it runs, and remove ${shellQuote(managedConfigPath(d.name))}.`
              : `Rename or remove the domain ${d.name} on ${target} (it is not cdktf-xen's), or give the moved domain another name.`,
          }),
        });
      } else if (sources.length > 1) {
        out.push({
          kind: "refused",
          domain: d,
          target,
          refusal: refusal(d, null, target, sources, "ambiguous", null, {
            reason: `${d.name} is declared on ${target}, and ${sources.join(" and ")} each hold a cdktf-xen config file for it without declaring it: cdktf-xen cannot tell which host to move it from.`,
            fix: `Find the current copy (the one that runs, or the newest), then remove the others by hand (${shellCommand(["xl", "destroy", d.name])} if it runs, and remove ${shellQuote(managedConfigPath(d.name))} on those hosts) and plan again.`,
          }),
        });
      } else {
        out.push({ kind: "move", domain: d, source: sources[0]!, target });
      }
    }
  }
  return out;
}

/**
 * Decides the move of `domain` (the target's declaration) from `source` to `target`: one
 * `move-domain` when every check passes, else one `refuse-move` per failed check, in this
 * order:
 * - policy: migration `refuse` (then nothing else is checked: no method was chosen);
 * - the source's copy: shut down, crashed or dying there; or not running and its config file
 *   unreadable (its disks are then unknown);
 * - live, PV, running: the source's Xen lacks shadow paging (`virt_caps` without `shadow`);
 * - disks, paired by vdev (the running domain's disks, else those of its config file): a vdev
 *   on one side only; live: a disk not in a shared pool at the same path on both hosts; cold:
 *   a path disk outside shared storage, a local volume the target has already, or one smaller
 *   or of another format than what it is copied from;
 * - bridges the target's dom0 lacks (one refusal per bridge);
 * - the target's free memory below what the domain needs there;
 * - pins naming pCPUs the target does not have;
 * - the domain on the target already: `name` when cdktf-xen does not manage that one, `both`
 *   when it does (two copies of the guest).
 *
 * A live `NAME--incoming` on the target (a migration in flight) is not a conflict.
 */
export function planMove(domain: DomainSpec, source: FleetHost, target: FleetHost): (MoveDomainAction | RefuseMoveAction)[] {
  const s = source.spec.host;
  const t = target.spec.host;
  const refusals: RefuseMoveAction[] = [];
  const refuse = (check: MoveCheck, item: string | null, text: { reason: string; fix: string }): void => {
    refusals.push(refusal(domain, s, t, [s], check, item, text));
  };
  const policy = domain.migration;
  if (policy === "refuse") {
    refuse("policy", null, {
      reason: `${domain.name}'s declared host changed from ${s} to ${t}, and its migration policy is "refuse": it stays on ${s}.`,
      fix: `Set migration to "live" (its disks on shared storage) or "cold" (shut down, copy, start) on ${domain.name}, or declare it on ${s} again.`,
    });
    return refusals;
  }
  const method: "live" | "cold" = policy;
  const configPath = managedConfigPath(domain.name);

  // What the source holds: the running domain, else its config file.
  const onSource = liveDomain(source.live, domain.name);
  const running = onSource !== undefined && isActiveState(onSource.state);
  let sourceDisks: readonly SourceDisk[] | null = null;
  if (onSource !== undefined && !running) {
    refuse("source-state", null, {
      reason: `${domain.name} is ${onSource.state} on ${s}: in that state it can be neither migrated nor copied safely.`,
      fix: `Look at it on ${s}, then remove it there (${shellCommand(["xl", "destroy", domain.name])}); the next plan moves it as a stopped domain.`,
    });
  } else if (running) {
    sourceDisks = onSource.disks;
  } else {
    const cfg = [...source.live.configFiles].sort((a, b) => compareStrings(a.content, b.content)).find((c) => c.name === domain.name);
    const parsed = cfg === undefined ? undefined : parseXlCfg(cfg.content);
    if (parsed?.ok === true) {
      sourceDisks = parsed.value.disks;
    } else {
      refuse("source-config", null, {
        reason:
          cfg === undefined
            ? `${domain.name} neither runs on ${s} nor has a config file there (${configPath}): there is nothing to move from.`
            : `${domain.name} does not run on ${s}, and its config file there (${cfg.path}) cannot be read (${parsed?.ok === false ? parsed.issues.map((i) => `${i.path}: ${i.message}`).join("; ") : "?"}): which disks it uses is unknown.`,
        fix:
          cfg === undefined
            ? `Plan again: the domain may have been moved or removed meanwhile.`
            : `Repair ${cfg.path} on ${s} (or start ${domain.name} there once), then plan again.`,
      });
    }
  }

  if (method === "live" && running && onSource.type === "pv" && !source.live.info.virtCaps.includes(SHADOW_VIRT_CAP)) {
    refuse("pv-shadow", null, {
      reason:
        `Xen on ${s} cannot migrate PV domains: log-dirty tracking for PV guests needs shadow paging, which this Xen build leaves out ` +
        `(xl migrate fails with \`Failed to enable logdirty\`). Its virt_caps are: ${source.live.info.virtCaps.join(" ") || "(none)"}.`,
      fix: `Make ${domain.name} PVH (type: DomainType.PVH), or set migration: cold (it is shut down on ${s}, its volumes copied, and started on ${t}).`,
    });
  }

  const copies: VolumeCopy[] = [];
  if (sourceDisks !== null) {
    for (const problem of diskProblems(domain, method, sourceDisks, source, target, copies)) refuse("disk", problem.vdev, problem);
  }

  const bridges = new Set(target.live.bridges);
  const missing = new Map<string, number[]>();
  domain.vifs.forEach((v, devid) => {
    if (!bridges.has(v.bridge)) missing.set(v.bridge, [...(missing.get(v.bridge) ?? []), devid]);
  });
  for (const [bridge, devids] of [...missing].sort(([a], [b]) => compareStrings(a, b))) {
    refuse("bridge", bridge, {
      reason: `${devids.length === 1 ? `vif ${devids[0]!}` : `vifs ${devids.join(", ")}`} of ${domain.name} ${devids.length === 1 ? "uses" : "use"} bridge ${bridge}, which ${t}'s dom0 does not have: the guest would arrive without its network (xl fails with "Could not find bridge device").`,
      fix: `Create bridge ${bridge} on ${t}, or declare a bridge it has (it has: ${[...bridges].sort(compareStrings).join(", ") || "none"}).`,
    });
  }

  const memoryMiB = method === "live" && running ? Math.max(onSource.memoryMiB, onSource.targetMemoryMiB) : domain.memoryMiB;
  const free = target.live.info.freeMemoryMiB;
  if (free < memoryMiB) {
    refuse("memory", null, {
      reason: `${t} has ${formatMiB(free)} MiB of free memory; ${domain.name} needs ${formatMiB(memoryMiB)} MiB there (${method === "live" && running ? "the memory it has now on " + s : "its declared memory"}).`,
      fix: `Free memory on ${t} (lower other domains' memory, or move one away), or declare less memory for ${domain.name}.`,
    });
  }

  const nrCpus = target.live.info.nrCpus;
  const beyond = new Set<number>();
  for (const pin of domain.pins) {
    for (const list of [pin.hard, pin.soft]) {
      const max = maxCpu(list);
      if (max !== null && max >= nrCpus) beyond.add(max);
    }
  }
  if (beyond.size > 0) {
    const cpus = [...beyond].sort((a, b) => a - b);
    refuse("pins", null, {
      reason: `${domain.name}'s pins name pCPU ${cpus.join(", ")}, but ${t} has ${nrCpus} pCPU${nrCpus === 1 ? "" : "s"} (0${nrCpus > 1 ? `-${nrCpus - 1}` : ""}): the affinity would not mean what it says there.`,
      fix: `Pin ${domain.name} to pCPUs ${t} has (0${nrCpus > 1 ? `-${nrCpus - 1}` : ""}), or move it to a host with more pCPUs.`,
    });
  }

  const onTarget = liveDomain(target.live, domain.name);
  if (onTarget !== undefined) {
    const managed = isManaged(target.live, domain.name);
    refuse(managed ? "both" : "name", null, managed
      ? {
          reason: `${domain.name} already runs on ${t} (${onTarget.state}) while ${s} still holds it: two copies of one guest exist, and cdktf-xen cannot tell which is current.`,
          fix: `Check which copy is current, then destroy the stale one by hand (${shellCommand(["xl", "destroy", domain.name])} and remove ${shellQuote(configPath)} on its host).`,
        }
      : {
          reason: `A domain named ${domain.name} already runs on ${t} (${onTarget.state}), and cdktf-xen has no config file for it there: it was not created by cdktf-xen.`,
          fix: `Rename or remove that domain on ${t}, or give the moved domain another name.`,
        });
  }

  if (refusals.length > 0) return refusals;
  const copy = copies.length === 0 ? "" : `copy ${copies.map((c) => `${c.volume.pool}/${c.volume.name}`).join(", ")} (verified by checksum), `;
  const what =
    method === "live" && running
      ? `Live move: xl migrate sends it from ${s} and the guest keeps running (its disks are on shared storage)`
      : running
        ? `Cold move: shut it down on ${s}, ${copy}start it on ${t}${copies.length === 0 ? " (its disks are on shared storage)" : ""}`
        : `It does not run on ${s}, so nothing is ${method === "live" ? "migrated" : "stopped"}: ${copy}start it on ${t}`;
  return [
    {
      kind: "move-domain",
      class: "move",
      host: t,
      domain: domain.name,
      property: "host",
      old: s,
      new: t,
      method,
      running,
      memoryMiB,
      copies,
      configPath,
      spec: domain,
      reason: `${domain.name}'s declared host changed from ${s} to ${t}. ${what}. Its config file${domain.autostart ? " and autostart link" : ""} move${domain.autostart ? "" : "s"} with it.`,
    },
  ];
}

/**
 * Every host's plan, with the moves between them planned: `diffHost` for each host, then for
 * each decision of {@link findMoves}:
 * - in the target's plan, the actions that would create the domain or boot it (write-config,
 *   create-domain, link-autostart, restart-domain, pending-restart, its missing-bridge
 *   refusals, and the create-volume of the volumes its disks use that no other domain of the
 *   target uses) are replaced by the `move-domain` — where `create-domain` would have gone —
 *   or by the `refuse-move`s, among the refusals. A refused move removes them too: the target
 *   must never boot a second copy of the guest, nor create the volumes a cold move would copy;
 * - in the source's plan, the domain's `report-undeclared-domain` is dropped (the move says it).
 * A domain already on the target (`both`/`name`) only gets its refusal; several candidate
 * sources (`ambiguous`) keep their reports. Several moves to one host are checked against its
 * free memory one after the other, in name order.
 *
 * Plans come in the order of `hosts` and keep diffHost's order of phases.
 *
 * @throws DiffInputError when a spec is not valid (from diffHost) or two hosts have one id.
 */
export function diffFleet(hosts: readonly FleetHost[], options: DiffOptions = {}): Plan[] {
  const index = new Map<string, number>();
  hosts.forEach((h, i) => {
    if (index.has(h.spec.host)) {
      throw new DiffInputError(h.spec.host, [{ path: "host", message: `host id ${JSON.stringify(h.spec.host)} is given twice: every host of a fleet needs its own id` }]);
    }
    index.set(h.spec.host, i);
  });
  const actions: Action[][] = hosts.map((h) => [...diffHost(h.spec, h.live, options).actions]);
  const freeMemory = new Map(hosts.map((h) => [h.spec.host, h.live.info.freeMemoryMiB]));

  for (const decision of findMoves(hosts)) {
    const ti = index.get(decision.target)!;
    const target = hosts[ti]!;
    const name = decision.domain.name;
    if (decision.kind === "refused") {
      if (decision.refusal.check === "ambiguous") actions[ti] = withoutCreates(actions[ti]!, target.spec, decision.domain, new Set());
      actions[ti] = insertInPhase(actions[ti]!, [decision.refusal]);
      continue;
    }
    const si = index.get(decision.source)!;
    const free = freeMemory.get(decision.target)!;
    const decided = planMove(decision.domain, hosts[si]!, { spec: target.spec, live: { ...target.live, info: { ...target.live.info, freeMemoryMiB: free } } });
    const copied = new Set<string>();
    for (const a of decided) {
      if (a.kind !== "move-domain") continue;
      freeMemory.set(decision.target, free - a.memoryMiB);
      for (const c of a.copies) copied.add(`${c.volume.pool}/${c.volume.name}`);
    }
    actions[ti] = insertInPhase(withoutCreates(actions[ti]!, target.spec, decision.domain, copied), decided);
    actions[si] = actions[si]!.filter((a) => !(a.kind === "report-undeclared-domain" && a.domain === name));
  }
  return hosts.map((h, i) => makePlan(h.spec.host, actions[i]!));
}

// ---------------------------------------------------------------------------------------------
// Disks

/** A disk of the domain as it is on the source: attached to the running domain, or in its config file. */
type SourceDisk = Pick<LiveDisk, "vdev" | "target" | "format" | "devtype">;

interface DiskProblem {
  readonly vdev: string;
  readonly reason: string;
  readonly fix: string;
}

/** The refusals of the disks (sorted by vdev); pushes the volumes a cold move copies into `copies`. */
function diskProblems(
  d: DomainSpec,
  method: "live" | "cold",
  sourceDisks: readonly SourceDisk[],
  source: FleetHost,
  target: FleetHost,
  copies: VolumeCopy[],
): DiskProblem[] {
  const s = source.spec.host;
  const t = target.spec.host;
  const have = new Map(sourceDisks.map((k) => [k.vdev, k]));
  const want = new Map(d.disks.map((k) => [k.vdev, k]));
  const problems: DiskProblem[] = [];
  const pools = new Map(target.spec.pools.map((p) => [p.name, p]));
  for (const vdev of [...new Set([...have.keys(), ...want.keys()])].sort(compareStrings)) {
    const from = have.get(vdev);
    const to = want.get(vdev);
    if (to === undefined) {
      problems.push({
        vdev,
        reason: `${d.name} has disk ${vdev} (${from!.target}) on ${s}, but its declaration on ${t} has no ${vdev}: the guest would come up with a different set of disks.`,
        fix: `Declare disk ${vdev} on ${t} too, or move ${d.name} first and change its disks afterwards.`,
      });
      continue;
    }
    if (from === undefined) {
      problems.push({
        vdev,
        reason: `Disk ${vdev} (${to.target}) is declared for ${d.name} on ${t}, but the domain has no ${vdev} on ${s}: the guest would come up with a different set of disks.`,
        fix: `Move ${d.name} with the disks it has, then add ${vdev} in a later change.`,
      });
      continue;
    }
    // An empty cdrom drive holds no data: nothing to keep in step.
    if (to.devtype === "cdrom" && to.target === "" && from.target === "") continue;

    const ref = volumeRef(to);
    const pool = ref === null ? undefined : pools.get(ref.pool);
    const volume = ref === null ? undefined : target.spec.volumes.find((v) => v.pool === ref.pool && v.name === ref.name);
    const shared = pool !== undefined ? pool.shared : sharedPoolOf(to.target, target.spec.pools) !== undefined;
    if (shared) {
      if (from.target === to.target) continue;
      problems.push({
        vdev,
        reason: `Disk ${vdev} of ${d.name} is ${from.target} on ${s} but is declared as ${to.target} on ${t}: a disk on shared storage moves by staying where it is, so both hosts must use the same path (else the guest would find another disk).`,
        fix: `Declare ${vdev} at ${from.target} on ${t} (the same volume of the shared pool)${method === "live" ? ", or set migration: cold to copy it" : ""}.`,
      });
      continue;
    }
    if (method === "live") {
      problems.push({
        vdev,
        reason:
          `Disk ${vdev} of ${d.name} (${to.target}) is not on shared storage${pool !== undefined ? ` (pool ${pool.name} is not declared shared)` : ""}. ` +
          `Xen moves memory, not disks: the target would open its own ${to.target} (an LV of the same name would be used silently: data corruption).`,
        fix: "Put the volume in a pool declared shared: true (NFS, clustered LVM…), or set migration: cold to copy it.",
      });
      continue;
    }
    if (pool === undefined || volume === undefined) {
      problems.push({
        vdev,
        reason: `Disk ${vdev} of ${d.name} is the path ${to.target}, not a managed volume, and it is not on shared storage: cdktf-xen copies only managed volumes.`,
        fix: `Back ${vdev} by a XenVolume (it is then copied), or put it in a pool declared shared: true on both hosts.`,
      });
      continue;
    }
    const path = volumePath(pool, volume.name);
    const existing = findVolume(target.live.volumes, pool, volume.name, path);
    if (existing !== undefined) {
      problems.push({
        vdev,
        reason: `Volume ${pool.name}/${volume.name} already exists on ${t} (${existing.path}): copying ${vdev} of ${d.name} there would overwrite it.`,
        fix: `Check what ${existing.path} on ${t} holds, then remove or rename it; or declare another volume name for ${vdev}.`,
      });
      continue;
    }
    const sourceVolume = source.live.volumes.find((v) => v.path === from.target);
    if (sourceVolume !== undefined && sourceVolume.sizeBytes > volume.sizeMiB * MIB) {
      const needMiB = Math.ceil(sourceVolume.sizeBytes / MIB);
      problems.push({
        vdev,
        reason: `${from.target} on ${s} is ${formatMiB(sourceVolume.sizeBytes / MIB)} MiB, but ${pool.name}/${volume.name} is declared ${volume.sizeMiB} MiB on ${t}: the copy would be cut short.`,
        fix: `Declare ${pool.name}/${volume.name} with at least ${needMiB} MiB.`,
      });
      continue;
    }
    if (from.format !== volume.format) {
      problems.push({
        vdev,
        reason: `Disk ${vdev} of ${d.name} is ${from.format} on ${s}, but ${pool.name}/${volume.name} is declared ${volume.format} on ${t}: the copy is byte for byte, so the guest would read garbage.`,
        fix: `Declare ${pool.name}/${volume.name} (and disk ${vdev}) as ${from.format}, and change the format after the move if you need to.`,
      });
      continue;
    }
    copies.push({ vdev, from: from.target, to: path, pool, volume });
  }
  return problems;
}

/** `pool/name` of a disk's managed volume, or null for a path disk. */
function volumeRef(disk: DiskSpec): { pool: string; name: string } | null {
  if (disk.volume === null) return null;
  const slash = disk.volume.indexOf("/");
  if (slash < 0) return null;
  return { pool: disk.volume.slice(0, slash), name: disk.volume.slice(slash + 1) };
}

/** The shared pool whose storage holds `path` (inside a shared directory, or an LV of a shared volume group). */
function sharedPoolOf(path: string, pools: readonly PoolSpec[]): PoolSpec | undefined {
  // `..` could lead out of the directory; such a path is not trusted to be inside it.
  if (path.split("/").some((seg) => seg === "." || seg === "..")) return undefined;
  return pools.find((p) => {
    if (!p.shared) return false;
    const dir = p.kind === "dir" ? p.path.replace(/\/+$/, "") : `/dev/${p.volumeGroup}`;
    return dir !== "" && path.startsWith(`${dir}/`) && path.length > dir.length + 1;
  });
}

/** A volume on the live host, by path or by pool (its name, volume group or directory) and name, as diffHost finds it. */
function findVolume(volumes: readonly LiveVolume[], pool: PoolSpec, name: string, path: string): LiveVolume | undefined {
  const poolNames = [pool.name, pool.kind === "lvm" ? pool.volumeGroup : pool.path];
  return volumes.find((v) => v.path === path) ?? volumes.find((v) => v.name === name && poolNames.includes(v.pool));
}

// ---------------------------------------------------------------------------------------------
// Plan surgery

/** Kinds diffHost emits to bring a missing domain into being, or to boot it. */
const CREATES: ReadonlySet<Action["kind"]> = new Set([
  "write-config",
  "create-domain",
  "link-autostart",
  "restart-domain",
  "pending-restart",
  "refuse-missing-bridge",
]);

/**
 * `actions` without what would create or boot `d` on the host: its {@link CREATES}, and the
 * create-volume of each volume its disks use that no other declared domain of the host uses,
 * or that a cold move copies (`copied`, as `pool/name`).
 */
function withoutCreates(actions: readonly Action[], spec: HostSpec, d: DomainSpec, copied: ReadonlySet<string>): Action[] {
  const usedByOthers = new Set(spec.domains.filter((x) => x.name !== d.name).flatMap((x) => x.disks.flatMap((k) => (k.volume === null ? [] : [k.volume]))));
  const own = new Set(d.disks.flatMap((k) => (k.volume === null || usedByOthers.has(k.volume) ? [] : [k.volume])));
  for (const c of copied) own.add(c);
  return actions.filter((a) => {
    if (a.kind === "create-volume") return !own.has(`${a.volume.pool}/${a.volume.name}`);
    return isVolumeAction(a) || a.domain !== d.name || !CREATES.has(a.kind);
  });
}

/**
 * `actions` with `added` (domain actions of one domain, one phase each) inserted each in its
 * phase: after the volume actions of that phase and the actions of domains named before it,
 * and before those named after it (a domain's own actions of that phase come first).
 */
function insertInPhase(actions: readonly Action[], added: readonly Action[]): Action[] {
  let out = [...actions];
  for (const a of added) {
    if (isVolumeAction(a)) throw new Error(`insertInPhase: ${a.kind} is not a domain action`);
    const phase = actionPhase(a);
    let at = out.findIndex((x) => {
      const p = actionPhase(x);
      return p > phase || (p === phase && !isVolumeAction(x) && compareStrings(x.domain, a.domain) > 0);
    });
    if (at < 0) at = out.length;
    out = [...out.slice(0, at), a, ...out.slice(at)];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function refusal(
  d: DomainSpec,
  old: string | null,
  target: string,
  sources: readonly string[],
  check: MoveCheck,
  item: string | null,
  text: { reason: string; fix: string },
): RefuseMoveAction {
  const method: MigrationPolicy = d.migration;
  return {
    kind: "refuse-move",
    class: "refused",
    host: target,
    domain: d.name,
    property: "host",
    old,
    new: target,
    sources,
    method,
    check,
    item,
    reason: text.reason,
    fix: text.fix,
  };
}

/** The live domain of that exact name (a `NAME--incoming` is another name); the lowest domid when listed twice. */
function liveDomain(live: LiveHost, name: string): LiveDomain | undefined {
  return live.domains.filter((d) => d.name === name).sort((a, b) => a.domid - b.domid)[0];
}

function isManaged(live: LiveHost, name: string): boolean {
  return live.configFiles.some((c) => c.name === name);
}

/** The highest pCPU a CPU list adds by number, or null (`all`, nodes, or not a CPU list: validation reports that). */
function maxCpu(list: string): number | null {
  try {
    return CpuSet.parse(list).maxCpu();
  } catch {
    return null;
  }
}
