/**
 * Moves between hosts: which domains move (findMoves), whether and how each can (planMove),
 * and the plans of the whole fleet (diffFleet), on live hosts read from the lab's captured
 * Xen 4.17 outputs (test/fixtures/diff/capture2-pv1: pv1, a running PV guest, on a Xen whose
 * virt_caps are `pv hvm hap gnttab-v1 gnttab-v2`, 2 pCPUs, 2014 MiB free).
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadLiveDirectory } from "../../../src/cli/diff-command.js";
import { actionPhase, diffHost } from "../../../src/diff/diff.js";
import { describeAction, formatPlans, planDocument, summaryLine } from "../../../src/diff/format.js";
import { diffFleet, findMoves, planMove, type FleetHost } from "../../../src/diff/move.js";
import { isExecutable, type Action, type MoveDomainAction, type Plan, type RefuseMoveAction } from "../../../src/diff/plan.js";
import type { DiskSpec, DomainSpec, HostSpec, PoolSpec, VolumeSpec } from "../../../src/model/spec.js";
import type { LiveHost } from "../../../src/xl/live.js";
import { renderXlCfg } from "../../../src/xl/render.js";
import { arbScenario, DIR_POOL, POOL, pvDomain, rootVolume, withDomain } from "./support.js";

const A = "xen-a";
const B = "xen-b";
const C = "xen-c";

/** A pool both hosts see (clustered LVM): `vg0` declared shared. */
const SHARED_LVM: PoolSpec = { ...POOL, shared: true };
/** An NFS directory both hosts mount at /srv/shared. */
const SHARED_DIR: PoolSpec = { kind: "dir", name: "nfs", path: "/srv/shared", shared: true };

/** The capture: pv1 running on host A, with the config file cdktf-xen wrote for it. */
let captured: LiveHost;

beforeAll(async () => {
  captured = await loadLiveDirectory("test/fixtures/diff/capture2-pv1", [POOL]);
});

function spec(host: string, domains: readonly DomainSpec[] = [], volumes: readonly VolumeSpec[] = [], pools: readonly PoolSpec[] = [POOL, DIR_POOL]): HostSpec {
  return { version: 1, host, pools, volumes, domains };
}

/** Host A as captured: pv1 runs, its config file is cdktf-xen's, A no longer declares it. */
function source(overrides: Partial<LiveHost> = {}, declared: readonly DomainSpec[] = []): FleetHost {
  return {
    spec: spec(A, declared),
    live: { ...captured, configFiles: [{ name: "pv1", path: "/etc/xen/cdktf-xen/pv1.cfg", content: renderXlCfg(pvDomain()) }], ...overrides },
  };
}

/** The same machine without guests: dom0 only, no volumes, xenbr0. */
function emptyLive(overrides: Partial<LiveHost> = {}): LiveHost {
  return { ...captured, domains: [], volumes: [], configFiles: [], autostart: [], ...overrides };
}

/** Host B declaring `domains` (pv1 by default) with their volumes in `pool`. */
function target(domains: readonly DomainSpec[] = [pvDomain()], pool: PoolSpec = SHARED_LVM, live: Partial<LiveHost> = {}): FleetHost {
  const volumes = domains.flatMap((d) => d.disks.flatMap((k) => (k.volume === null ? [] : [{ ...rootVolume(d.name), name: k.volume.split("/")[1]!, pool: pool.name }])));
  return { spec: spec(B, domains, volumes, [pool, DIR_POOL, SHARED_DIR].filter((p, i, all) => all.findIndex((q) => q.name === p.name) === i)), live: emptyLive(live) };
}

function refusals(actions: readonly Action[]): RefuseMoveAction[] {
  return actions.filter((a): a is RefuseMoveAction => a.kind === "refuse-move");
}

function onlyMove(actions: readonly Action[]): MoveDomainAction {
  expect(refusals(actions)).toEqual([]);
  const moves = actions.filter((a): a is MoveDomainAction => a.kind === "move-domain");
  expect(moves).toHaveLength(1);
  return moves[0]!;
}

const withShadow = (h: FleetHost): FleetHost => ({ ...h, live: { ...h.live, info: { ...h.live.info, virtCaps: [...h.live.info.virtCaps, "shadow"] } } });

describe("findMoves", () => {
  it("GIVEN pv1 declared on B and running on A, whose config file cdktf-xen holds and whose spec no longer declares it WHEN moves are found THEN one move A → B", () => {
    const moves = findMoves([source(), target()]);
    expect(moves).toEqual([{ kind: "move", domain: pvDomain(), source: A, target: B }]);
  });

  it("GIVEN A still declares pv1 as well WHEN moves are found THEN there is none (two hosts may each have a domain of one name)", () => {
    expect(findMoves([source({}, [pvDomain()]), target()])).toEqual([]);
  });

  it("GIVEN pv1 declared on B and A holds no config file for it (only an unmanaged domain) WHEN moves are found THEN there is none", () => {
    expect(findMoves([source({ configFiles: [] }), target()])).toEqual([]);
  });

  it("GIVEN a pv1--incoming domain on B (a migration in flight) WHEN moves are found THEN it is still the move A → B, not a conflict", () => {
    const [pv1] = captured.domains;
    const moves = findMoves([source(), target([pvDomain()], SHARED_LVM, { domains: [{ ...pv1!, name: "pv1--incoming", domid: 11 }] })]);
    expect(moves.map((m) => m.kind)).toEqual(["move"]);
  });

  it("GIVEN A and C both hold pv1's config file without declaring it WHEN moves are found THEN one ambiguous refusal names both", () => {
    const c: FleetHost = { spec: spec(C), live: emptyLive({ configFiles: source().live.configFiles }) };
    const [decision, ...rest] = findMoves([target(), c, source()]);
    expect(rest).toEqual([]);
    expect(decision?.kind).toBe("refused");
    const r = decision?.kind === "refused" ? decision.refusal : undefined;
    expect(r).toMatchObject({ kind: "refuse-move", class: "refused", host: B, domain: "pv1", check: "ambiguous", old: null, new: B, sources: [A, C] });
    expect(r?.reason).toContain(`${A} and ${C}`);
  });

  it("GIVEN pv1 runs on B (managed there) and A still holds it WHEN moves are found THEN a 'runs on both' refusal whose fix is to destroy the stale copy by hand", () => {
    const b = target([pvDomain()], SHARED_LVM, { domains: captured.domains, configFiles: source().live.configFiles });
    const [decision] = findMoves([source(), b]);
    const r = decision?.kind === "refused" ? decision.refusal : undefined;
    expect(r).toMatchObject({ check: "both", old: A, new: B, sources: [A] });
    expect(r?.fix).toMatch(/which copy is current.*destroy the stale copy by hand/);
  });

  it("GIVEN a domain named pv1 that cdktf-xen does not manage runs on B while A holds pv1 WHEN moves are found THEN a name refusal", () => {
    const [decision] = findMoves([source(), target([pvDomain()], SHARED_LVM, { domains: captured.domains })]);
    expect(decision?.kind === "refused" ? decision.refusal.check : undefined).toBe("name");
  });
});

describe("planMove", () => {
  describe("a. the migration policy", () => {
    it("GIVEN migration refuse WHEN planned THEN only the policy refusal, whose fix names live, cold and putting the host back", () => {
      const actions = planMove(pvDomain({ migration: "refuse" }), source(), target());
      expect(actions).toHaveLength(1);
      expect(actions[0]).toMatchObject({ kind: "refuse-move", check: "policy", method: "refuse", old: A, new: B, property: "host" });
      const fix = (actions[0] as RefuseMoveAction).fix;
      expect(fix).toContain('"live"');
      expect(fix).toContain('"cold"');
      expect(fix).toContain(`declare it on ${A} again`);
    });
  });

  describe("b. PV live migration needs shadow paging", () => {
    it("GIVEN the lab's Xen (virt_caps without shadow) and a running PV domain WHEN moved live THEN refused: xl migrate would fail with Failed to enable logdirty", () => {
      expect(captured.info.virtCaps).toEqual(["pv", "hvm", "hap", "gnttab-v1", "gnttab-v2"]);
      const [r, ...rest] = refusals(planMove(pvDomain(), source(), target()));
      expect(rest).toEqual([]);
      expect(r).toMatchObject({ check: "pv-shadow", method: "live" });
      expect(r!.reason).toContain(`Xen on ${A} cannot migrate PV domains: log-dirty tracking for PV guests needs shadow paging, which this Xen build leaves out (xl migrate fails with \`Failed to enable logdirty\`)`);
      expect(r!.fix).toContain("type: DomainType.PVH");
      expect(r!.fix).toContain("migration: cold");
    });

    it("GIVEN a Xen built with shadow WHEN the PV domain is moved live THEN it is a live move", () => {
      const move = onlyMove(planMove(pvDomain(), withShadow(source()), target()));
      expect(move).toMatchObject({ kind: "move-domain", class: "move", method: "live", running: true, old: A, new: B, copies: [] });
    });

    it("GIVEN the lab's Xen and a running PVH domain WHEN moved live THEN shadow paging is not needed", () => {
      const pvh = withDomain(source().live, "pv1", (d) => ({ ...d, type: "pvh" }));
      expect(onlyMove(planMove(pvDomain({ type: "pvh" }), source({ domains: pvh.domains }), target())).method).toBe("live");
    });

    it("GIVEN the PV domain does not run on A (only its config file is there) WHEN moved live THEN nothing is migrated, so shadow paging is not needed", () => {
      const move = onlyMove(planMove(pvDomain(), source({ domains: [] }), target()));
      expect(move).toMatchObject({ method: "live", running: false });
    });

    it("GIVEN migration cold WHEN the PV domain moves THEN shadow paging is not needed", () => {
      expect(onlyMove(planMove(pvDomain({ migration: "cold" }), source(), target())).method).toBe("cold");
    });
  });

  describe("c. disks", () => {
    it("GIVEN live and the volume in a pool not declared shared WHEN planned THEN refused: Xen moves memory, not disks", () => {
      const [r] = refusals(planMove(pvDomain(), withShadow(source()), target([pvDomain()], POOL)));
      expect(r).toMatchObject({ check: "disk", item: "xvda" });
      expect(r!.reason).toContain("Xen moves memory, not disks: the target would open its own /dev/vg0/pv1-disk (an LV of the same name would be used silently: data corruption)");
      expect(r!.fix).toBe("Put the volume in a pool declared shared: true (NFS, clustered LVM…), or set migration: cold to copy it.");
    });

    it("GIVEN live, a shared pool, but the target declares another path than the source uses WHEN planned THEN refused: same storage, same path", () => {
      const moved = pvDomain({ disks: [{ ...pvDomain().disks[0]!, target: "/dev/vg0/other", volume: "vg0/other" }] });
      const [r] = refusals(planMove(moved, withShadow(source()), target([moved])));
      expect(r).toMatchObject({ check: "disk", item: "xvda" });
      expect(r!.reason).toContain("/dev/vg0/pv1-disk on xen-a but is declared as /dev/vg0/other on xen-b");
    });

    it.each([
      ["inside a shared directory pool", "/srv/shared/pv1.img", true],
      ["in a local directory", "/var/lib/xen/images/pv1.img", false],
      ["that climbs out of the shared directory", "/srv/shared/../../etc/pv1.img", false],
    ])("GIVEN live and a path disk %s WHEN planned THEN accepted only on shared storage", (_what, path, accepted) => {
      const disk: DiskSpec = { vdev: "xvda", target: path, format: "raw", access: "rw", devtype: "disk", volume: null };
      const moved = pvDomain({ disks: [disk] });
      const src = withDomain(source().live, "pv1", (d) => ({ ...d, disks: [{ ...d.disks[0]!, target: path }] }));
      const actions = planMove(moved, withShadow(source({ domains: src.domains })), target([moved]));
      expect(refusals(actions).map((r) => r.check)).toEqual(accepted ? [] : ["disk"]);
    });

    it("GIVEN a vdev only on the source, and another only on the target WHEN planned THEN one refusal each: the guest would see a different disk set", () => {
      const moved = pvDomain({ disks: [{ ...pvDomain().disks[0]!, vdev: "xvdb" }] });
      const rs = refusals(planMove(moved, withShadow(source()), target([moved])));
      expect(rs.map((r) => [r.check, r.item])).toEqual([
        ["disk", "xvda"],
        ["disk", "xvdb"],
      ]);
      for (const r of rs) expect(r.reason).toContain("different set of disks");
    });

    it("GIVEN the domain does not run on A WHEN planned THEN its disks are read from its config file there", () => {
      // The hand-written config pv1 was created from in the lab: disk = [ 'phy:/dev/vg0/pv1-disk,xvda,w' ].
      const cfg = readFileSync("test/fixtures/diff/capture2-pv1/cdktf-xen/pv1.cfg", "utf8");
      const src = source({ domains: [], configFiles: [{ name: "pv1", path: "/etc/xen/cdktf-xen/pv1.cfg", content: cfg }] });
      expect(onlyMove(planMove(pvDomain(), src, target())).running).toBe(false);
      const moved = pvDomain({ disks: [{ ...pvDomain().disks[0]!, vdev: "xvdb" }] });
      expect(refusals(planMove(moved, src, target([moved]))).map((r) => r.item)).toEqual(["xvda", "xvdb"]);
    });

    it("GIVEN the domain does not run on A and its config file there is not an xl config WHEN planned THEN refused: its disks are unknown", () => {
      const src = source({ domains: [], configFiles: [{ name: "pv1", path: "/etc/xen/cdktf-xen/pv1.cfg", content: 'type = "zfs"\n' }] });
      const [r] = refusals(planMove(pvDomain(), src, target()));
      expect(r).toMatchObject({ check: "source-config" });
      expect(r!.reason).toContain("cannot be read");
    });

    it("GIVEN cold and a local volume WHEN planned THEN the volume is copied from the source's path to the target's", () => {
      const moved = pvDomain({ migration: "cold" });
      const t = target([moved], POOL);
      const move = onlyMove(planMove(moved, source(), t));
      expect(move).toMatchObject({ method: "cold", running: true, memoryMiB: 128 });
      expect(move.copies).toEqual([{ vdev: "xvda", from: "/dev/vg0/pv1-disk", to: "/dev/vg0/pv1-disk", pool: POOL, volume: t.spec.volumes[0] }]);
    });

    it("GIVEN cold and a volume in a shared pool WHEN planned THEN nothing is copied", () => {
      expect(onlyMove(planMove(pvDomain({ migration: "cold" }), source(), target([pvDomain({ migration: "cold" })]))).copies).toEqual([]);
    });

    it("GIVEN cold and the target already has an LV of that name WHEN planned THEN refused: it would be overwritten", () => {
      const moved = pvDomain({ migration: "cold" });
      const [r] = refusals(planMove(moved, source(), target([moved], POOL, { volumes: captured.volumes })));
      expect(r).toMatchObject({ check: "disk", item: "xvda" });
      expect(r!.reason).toContain("already exists on xen-b (/dev/vg0/pv1-disk)");
      expect(r!.fix).toContain("remove or rename it");
    });

    it("GIVEN cold and a path disk outside shared storage WHEN planned THEN refused: only managed volumes are copied", () => {
      const disk: DiskSpec = { vdev: "xvda", target: "/dev/vg0/pv1-disk", format: "raw", access: "rw", devtype: "disk", volume: null };
      const moved = pvDomain({ migration: "cold", disks: [disk] });
      const [r] = refusals(planMove(moved, source(), target([moved], POOL)));
      expect(r).toMatchObject({ check: "disk", item: "xvda" });
      expect(r!.reason).toContain("cdktf-xen copies only managed volumes");
    });

    it("GIVEN cold and the source LV (256 MiB in the capture) is bigger than the volume declared on the target WHEN planned THEN refused: the copy would be cut short", () => {
      const moved = pvDomain({ migration: "cold" });
      const t = target([moved], POOL);
      const smaller = { ...t, spec: { ...t.spec, volumes: [{ ...t.spec.volumes[0]!, sizeMiB: 128 }] } };
      const [r] = refusals(planMove(moved, source(), smaller));
      expect(r).toMatchObject({ check: "disk", item: "xvda" });
      expect(r!.reason).toContain("is 256 MiB, but vg0/pv1-disk is declared 128 MiB");
      expect(r!.fix).toContain("at least 256 MiB");
    });
  });

  describe("d. bridges", () => {
    it("GIVEN a vif on a bridge the target lacks WHEN planned THEN refused, naming the bridge and the target's bridges", () => {
      const moved = pvDomain({ vifs: [...pvDomain().vifs, { bridge: "xenbr7", mac: null, model: null, rate: null }] });
      const [r, ...rest] = refusals(planMove(moved, withShadow(source()), target([moved])));
      expect(rest).toEqual([]);
      expect(r).toMatchObject({ check: "bridge", item: "xenbr7" });
      expect(r!.reason).toContain("vif 1 of pv1 uses bridge xenbr7");
      expect(r!.fix).toContain("(it has: xenbr0)");
    });
  });

  describe("e. memory", () => {
    it("GIVEN live WHEN the target has less free memory than the domain has now THEN refused with both numbers", () => {
      const t = target();
      const tight = { ...t, live: { ...t.live, info: { ...t.live.info, freeMemoryMiB: 100 } } };
      const [r] = refusals(planMove(pvDomain(), withShadow(source()), tight));
      expect(r).toMatchObject({ check: "memory" });
      expect(r!.reason).toContain("xen-b has 100 MiB of free memory; pv1 needs 128 MiB there");
    });

    it("GIVEN live WHEN the domain runs with less memory than it is declared with THEN the target needs what it has now (xl list), not the declaration", () => {
      expect(onlyMove(planMove(pvDomain({ memoryMiB: 200 }), withShadow(source()), target([pvDomain({ memoryMiB: 200 })]))).memoryMiB).toBe(128);
    });

    it("GIVEN cold WHEN planned THEN the target needs the declared memory", () => {
      const moved = pvDomain({ migration: "cold", memoryMiB: 2048, maxMemoryMiB: 2048 });
      const [r] = refusals(planMove(moved, source(), target([moved])));
      expect(r).toMatchObject({ check: "memory" });
      expect(r!.reason).toContain("xen-b has 2014 MiB of free memory; pv1 needs 2048 MiB there");
    });
  });

  describe("f. pins", () => {
    it("GIVEN pins naming pCPU 3 on a 2-pCPU target WHEN planned THEN refused", () => {
      const moved = pvDomain({ pins: [{ vcpu: 0, hard: "3", soft: "all" }, { vcpu: 1, hard: "0", soft: "0-1" }] });
      const [r] = refusals(planMove(moved, withShadow(source()), target([moved])));
      expect(r).toMatchObject({ check: "pins" });
      expect(r!.reason).toContain("pCPU 3, but xen-b has 2 pCPUs (0-1)");
    });

    it("GIVEN pins within the target's pCPUs WHEN planned THEN accepted", () => {
      const moved = pvDomain({ pins: [{ vcpu: 0, hard: "1", soft: "0-1" }] });
      expect(onlyMove(planMove(moved, withShadow(source()), target([moved]))).kind).toBe("move-domain");
    });
  });

  describe("g. the name on the target", () => {
    it("GIVEN a domain named pv1 not managed by cdktf-xen runs on the target WHEN planned THEN refused", () => {
      const [r] = refusals(planMove(pvDomain(), withShadow(source()), target([pvDomain()], SHARED_LVM, { domains: captured.domains })));
      expect(r).toMatchObject({ check: "name" });
      expect(r!.reason).toContain("cdktf-xen has no config file for it there");
    });
  });

  it("GIVEN pv1 runs on the target too, managed there WHEN planned THEN refused: two copies exist", () => {
    const t = target([pvDomain()], SHARED_LVM, { domains: captured.domains, configFiles: source().live.configFiles });
    const [r] = refusals(planMove(pvDomain(), withShadow(source()), t));
    expect(r).toMatchObject({ check: "both" });
    expect(r!.fix).toContain("destroy the stale one by hand");
  });

  it("GIVEN the domain crashed on the source WHEN planned THEN refused until it is destroyed there", () => {
    const crashed = withDomain(source().live, "pv1", (d) => ({ ...d, state: "crashed" }));
    const [r] = refusals(planMove(pvDomain(), source({ domains: crashed.domains }), target()));
    expect(r).toMatchObject({ check: "source-state" });
    expect(r!.fix).toContain("xl destroy pv1");
  });

  it("GIVEN several checks fail WHEN planned THEN one refusal per failed check, every one at once", () => {
    const moved = pvDomain({ pins: [{ vcpu: 0, hard: "5", soft: "all" }], vifs: [{ bridge: "xenbr9", mac: null, model: null, rate: null }] });
    const t = target([moved], POOL);
    const tight = { ...t, live: { ...t.live, info: { ...t.live.info, freeMemoryMiB: 64 } } };
    const rs = refusals(planMove(moved, source(), tight));
    expect(rs.map((r) => r.check)).toEqual(["pv-shadow", "disk", "bridge", "memory", "pins"]);
    for (const r of rs) expect(r).toMatchObject({ class: "refused", host: B, domain: "pv1", old: A, new: B, sources: [A], method: "live" });
    expect(planMove(moved, source(), tight).some((a) => a.kind === "move-domain")).toBe(false);
  });

  it("GIVEN every check passes WHEN planned THEN one move carrying the target's declaration and config path", () => {
    const moved = pvDomain({ autostart: true });
    const move = onlyMove(planMove(moved, withShadow(source()), target([moved])));
    expect(move).toMatchObject({ host: B, domain: "pv1", property: "host", spec: moved, configPath: "/etc/xen/cdktf-xen/pv1.cfg" });
    expect(move.reason).toContain("xl migrate");
  });
});

describe("diffFleet", () => {
  const kinds = (p: Plan | undefined, domain: string): string[] =>
    (p?.actions ?? []).filter((a) => !("volume" in a) && a.domain === domain).map((a) => a.kind);

  it("GIVEN pv1 moves A → B WHEN the fleet is planned THEN B's creates of pv1 give way to one move where xl create would have gone, and A no longer reports pv1", () => {
    const moved = pvDomain({ migration: "cold", autostart: true });
    const other = pvDomain({ name: "web-2", disks: [] });
    const t = target([moved, other], POOL);
    const hosts = [source(), t];
    const alone = diffHost(t.spec, t.live);
    expect(kinds(alone, "pv1")).toEqual(["write-config", "create-domain", "link-autostart"]);
    expect(alone.actions.filter((a) => a.kind === "create-volume").map((a) => ("volume" in a ? a.volume.name : ""))).toEqual(["pv1-disk"]);
    expect(kinds(diffHost(hosts[0]!.spec, hosts[0]!.live), "pv1")).toEqual(["report-undeclared-domain"]);

    const [a, b] = diffFleet(hosts);
    expect(kinds(a, "pv1")).toEqual([]);
    expect(kinds(b, "pv1")).toEqual(["move-domain"]);
    expect(b!.actions.some((x) => x.kind === "create-volume")).toBe(false);
    expect(b!.actions.map((x) => x.kind)).toEqual(["write-config", "move-domain", "create-domain"]);
    expect(b!.summary).toMatchObject({ create: 2, move: 1 });
  });

  it("GIVEN a refused move WHEN the fleet is planned THEN B holds the refusals and nothing that would create or boot pv1, not even its volume", () => {
    const t = target([pvDomain({ autostart: true })], POOL);
    const [a, b] = diffFleet([source(), t]);
    expect(kinds(b, "pv1")).toEqual(["refuse-move", "refuse-move"]);
    expect(b!.actions.every((x) => x.kind !== "create-volume")).toBe(true);
    expect(b!.actions.every((x) => !isExecutable(x))).toBe(true);
    expect(kinds(a, "pv1")).toEqual([]);
  });

  it("GIVEN a missing bridge on B WHEN the fleet is planned THEN the move's bridge refusal replaces diffHost's missing-bridge one", () => {
    const moved = pvDomain({ migration: "cold", vifs: [{ bridge: "xenbr9", mac: null, model: null, rate: null }] });
    const [, b] = diffFleet([source(), target([moved])]);
    expect(b!.actions.map((x) => [x.kind, "check" in x ? x.check : null])).toEqual([["refuse-move", "bridge"]]);
  });

  it("GIVEN two domains move to B and its free memory holds only one WHEN the fleet is planned THEN the second, by name, is refused for memory", () => {
    const one = pvDomain({ migration: "cold", memoryMiB: 1200, maxMemoryMiB: 1200, disks: [] });
    const two = pvDomain({ name: "pv2", migration: "cold", memoryMiB: 1200, maxMemoryMiB: 1200, disks: [] });
    const src = source({ configFiles: [...source().live.configFiles, { name: "pv2", path: "/etc/xen/cdktf-xen/pv2.cfg", content: renderXlCfg(two) }] });
    const srcDisksGone = { ...src, live: withDomain(src.live, "pv1", (d) => ({ ...d, disks: [] })) };
    const [, b] = diffFleet([srcDisksGone, target([one, two])]);
    expect(b!.actions.filter((x) => x.kind === "move-domain" || x.kind === "refuse-move").map((x) => [x.kind, x.domain, "check" in x ? x.check : null])).toEqual([
      ["move-domain", "pv1", null],
      ["refuse-move", "pv2", "memory"],
    ]);
  });

  it("GIVEN an ambiguous source WHEN the fleet is planned THEN B creates nothing for pv1 and both candidate hosts keep their reports", () => {
    const c: FleetHost = { spec: spec(C), live: emptyLive({ configFiles: source().live.configFiles }) };
    const [a, b, cc] = diffFleet([source(), target(), c]);
    expect(kinds(b, "pv1")).toEqual(["refuse-move"]);
    expect(b!.actions.some((x) => x.kind === "create-volume")).toBe(false);
    expect(kinds(a, "pv1")).toEqual(["report-undeclared-domain"]);
    expect(kinds(cc, "pv1")).toEqual(["report-undeclared-domain"]);
  });

  it("GIVEN two hosts with one id WHEN the fleet is planned THEN it is refused as input", () => {
    expect(() => diffFleet([source(), { ...target(), spec: { ...target().spec, host: A } }])).toThrow(/given twice/);
  });

  it("GIVEN any host WHEN diffHost plans it THEN its actions come in actionPhase order (the move's placement relies on it)", () => {
    fc.assert(
      fc.property(arbScenario(), ({ spec: s, live }) => {
        const phases = diffHost(s, live).actions.map(actionPhase);
        expect(phases).toEqual([...phases].sort((x, y) => x - y));
      }),
      { numRuns: 300 },
    );
  });

  it("GIVEN any two hosts WHEN the fleet is planned THEN plans keep the phase order, a moved or refused domain is never created on its target, and without moves each plan is diffHost's", () => {
    fc.assert(
      fc.property(arbScenario(), arbScenario(), (x, y) => {
        const hosts: FleetHost[] = [
          { spec: { ...x.spec, host: A }, live: x.live },
          { spec: { ...y.spec, host: B }, live: y.live },
        ];
        const plans = diffFleet(hosts);
        const moves = findMoves(hosts);
        for (const p of plans) {
          const phases = p.actions.map(actionPhase);
          expect(phases).toEqual([...phases].sort((m, n) => m - n));
          for (const m of moves.filter((d) => d.target === p.host && !(d.kind === "refused" && d.refusal.check !== "ambiguous"))) {
            expect(kinds(p, m.domain.name).filter((k) => k === "create-domain" || k === "write-config" || k === "restart-domain")).toEqual([]);
          }
        }
        if (moves.length === 0) expect(plans).toEqual(hosts.map((h) => diffHost(h.spec, h.live)));
      }),
      { numRuns: 200 },
    );
  });
});

describe("formatting moves", () => {
  /** web-1 on A (the captured pv1, renamed), declared on B with its root volume vg0/web-1-root of 256 MiB. */
  function web1(migration: DomainSpec["migration"], pool: PoolSpec): Plan[] {
    const disk: DiskSpec = { vdev: "xvda", target: "/dev/vg0/web-1-root", format: "raw", access: "rw", devtype: "disk", volume: "vg0/web-1-root" };
    const d = pvDomain({ name: "web-1", migration, disks: [disk] });
    const src = withDomain(captured, "pv1", (x) => ({ ...x, name: "web-1", disks: [{ ...x.disks[0]!, target: disk.target }] }));
    const a: FleetHost = {
      spec: spec(A),
      live: {
        ...src,
        info: { ...src.info, virtCaps: [...src.info.virtCaps, "shadow"] },
        volumes: [{ pool: "vg0", name: "web-1-root", path: disk.target, sizeBytes: 256 * 1024 * 1024 }],
        configFiles: [{ name: "web-1", path: "/etc/xen/cdktf-xen/web-1.cfg", content: renderXlCfg(d) }],
      },
    };
    const b: FleetHost = { spec: spec(B, [d], [{ name: "web-1-root", pool: "vg0", sizeMiB: 256, format: "raw", retention: "retain" }], [pool, DIR_POOL]), live: emptyLive() };
    return diffFleet([a, b]);
  }

  it("GIVEN a live move WHEN described THEN the line reads `domain web-1: move xen-a → xen-b (live)`", () => {
    const [, b] = web1("live", SHARED_LVM);
    const move = b!.actions.find((x) => x.kind === "move-domain")!;
    expect(describeAction(move)).toBe("domain web-1: move xen-a → xen-b (live)");
    const text = formatPlans(web1("live", SHARED_LVM));
    expect(text).toContain("  domain web-1\n    » move xen-a → xen-b (live)\n");
    expect(text.trimEnd().split("\n").at(-1)).toBe("Plan: 1 to move.");
  });

  it("GIVEN a cold move WHEN described THEN the line says what it copies", () => {
    const [, b] = web1("cold", POOL);
    expect(describeAction(b!.actions.find((x) => x.kind === "move-domain")!)).toBe("domain web-1: move xen-a → xen-b (cold, copies 1 volume: vg0/web-1-root 256 MiB)");
  });

  it("GIVEN a refused move WHEN printed THEN it reads like the other refusals: a ! line, the reason, the fix; the summary counts it refused", () => {
    const text = formatPlans(web1("live", POOL));
    expect(text).toContain("    ! move xen-a → xen-b (live; refused: disk xvda)\n");
    expect(text).toContain("        fix: Put the volume in a pool declared shared: true");
    expect(text.trimEnd().split("\n").at(-1)).toBe("Nothing to apply: 1 refused.");
  });

  it("GIVEN a move and a refusal WHEN written as JSON THEN the move is executable, the refusal is not, and every field is in docs/plan-schema.md", () => {
    const doc = readFileSync("docs/plan-schema.md", "utf8");
    for (const plan of [...web1("cold", POOL), ...web1("live", POOL)]) {
      const json = planDocument(plan);
      for (const a of json.actions) {
        if (a.kind === "move-domain") expect(a.executable).toBe(true);
        if (a.kind === "refuse-move") expect(a.executable).toBe(false);
        if (a.kind !== "move-domain" && a.kind !== "refuse-move") continue;
        expect(doc).toContain(`\`${a.kind}\``);
        for (const key of Object.keys(a)) expect(doc).toContain(`\`${key}\``);
        if (a.kind === "move-domain") for (const c of a.copies) for (const key of Object.keys(c)) expect(doc).toContain(`\`${key}\``);
        if (a.kind === "refuse-move") expect(doc).toContain(`\`${a.check}\``);
      }
    }
    expect(summaryLine(web1("cold", POOL)[1]!.summary)).toBe("Plan: 1 to move.");
  });
});
