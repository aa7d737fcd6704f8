/**
 * The simulator: what each action does to a live host (the model the reconciler's dry runs
 * and the diff's laws rely on), checked action by action on the real capture of pv1.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadLiveDirectory } from "../../../src/cli/diff-command.js";
import { diffHost } from "../../../src/diff/diff.js";
import { makePlan, type Action } from "../../../src/diff/plan.js";
import { applyAction, applyPlan, liveDomainFromSpec, liveHostFromSpec, modelMac } from "../../../src/diff/simulate.js";
import type { LiveHost } from "../../../src/xl/live.js";
import { renderXlCfg } from "../../../src/xl/render.js";
import { DIR_POOL, HOST, hostSpec, POOL, pvDomain, rootVolume } from "./support.js";

let live: LiveHost;

beforeAll(async () => {
  const captured = await loadLiveDirectory("test/fixtures/diff/capture2-pv1", [POOL]);
  live = { ...captured, configFiles: [{ name: "pv1", path: "/etc/xen/cdktf-xen/pv1.cfg", content: renderXlCfg(pvDomain()) }] };
});

const base = { host: HOST, domain: "pv1", reason: "test" } as const;

describe("applyAction", () => {
  it("GIVEN mem-set THEN the target and the current memory follow", () => {
    const after = applyAction(live, { ...base, kind: "mem-set", class: "live", property: "memoryMiB", old: 128, new: 96 });
    expect(after.domains[0]).toMatchObject({ memoryMiB: 96, targetMemoryMiB: 96, maxMemoryMiB: 256 });
  });

  it("GIVEN vcpu-set 1 THEN vCPU 1 goes offline (CPU -) and keeps its affinity", () => {
    const pinned = applyAction(live, { ...base, kind: "vcpu-pin", class: "live", property: "affinity", vcpu: 1, old: { hard: "all", soft: "all" }, new: { hard: "all", soft: "0" } });
    const after = applyAction(pinned, { ...base, kind: "vcpu-set", class: "live", property: "vcpus", old: 2, new: 1, ignoreHost: false });
    expect(after.domains[0]!.vcpus).toBe(1);
    expect(after.domains[0]!.vcpuList[1]).toEqual({ vcpu: 1, cpu: null, online: false, hard: "all", soft: "0" });
  });

  it("GIVEN a create-volume of 130 MiB in an LVM pool THEN the LV is 132 MiB (whole 4 MiB extents); in a dir pool the file is exact", () => {
    const lv = applyAction(live, { kind: "create-volume", class: "create", host: HOST, volume: { pool: "vg0", name: "x" }, property: "volume", old: null, new: { sizeMiB: 130, format: "raw" }, pool: POOL, path: "/dev/vg0/x", reason: "" });
    expect(lv.volumes.at(-1)).toEqual({ pool: "vg0", name: "x", path: "/dev/vg0/x", sizeBytes: 132 * 1024 * 1024 });
    const file = applyAction(live, { kind: "create-volume", class: "create", host: HOST, volume: { pool: "images", name: "y" }, property: "volume", old: null, new: { sizeMiB: 130, format: "raw" }, pool: DIR_POOL, path: "/var/lib/xen/images/y", reason: "" });
    expect(file.volumes.at(-1)!.sizeBytes).toBe(130 * 1024 * 1024);
  });

  it("GIVEN a restart THEN the domain runs its spec under a new domid", () => {
    const spec = pvDomain({ type: "pvh", memoryMiB: 256 });
    const after = applyAction(live, { ...base, kind: "restart-domain", class: "restart", changes: [], configPath: "/etc/xen/cdktf-xen/pv1.cfg", spec });
    expect(after.domains).toHaveLength(1);
    expect(after.domains[0]).toMatchObject({ name: "pv1", domid: 11, type: "pvh", targetMemoryMiB: 256 });
  });

  it("GIVEN a network-attach without a MAC THEN the model picks a deterministic one in Xen's range", () => {
    const a: Action = { ...base, kind: "network-attach", class: "live", property: "vif", devid: 1, old: null, new: { bridge: "xenbr0", mac: null, model: null, rate: null } };
    const after = applyAction(live, a);
    expect(after.domains[0]!.vifs.map((v) => v.devid)).toEqual([0, 1]);
    expect(after.domains[0]!.vifs[1]!.mac).toBe(modelMac("pv1", 1));
    expect(modelMac("pv1", 1)).toMatch(/^00:16:3e:[0-7][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$/);
    expect(applyAction(live, a)).toEqual(after);
  });

  it.each<Action>([
    { ...base, kind: "pending-restart", class: "pending", changes: [{ property: "onCrash", old: "destroy", new: "preserve", reason: "" }] },
    { ...base, kind: "report-inactive-domain", class: "report", property: "state", old: "crashed", new: "running" },
    { ...base, kind: "refuse-name-conflict", class: "refused", property: "domain", old: "blocked", new: "running", fix: "" },
  ])("GIVEN a $class action ($kind) THEN nothing changes", (action) => {
    expect(applyAction(live, action)).toBe(live);
  });
});

describe("applyPlan", () => {
  it("GIVEN the plan for a new domain THEN the host runs it, with its volume, config file and autostart link", () => {
    const web = pvDomain({ name: "web-1", autostart: true });
    const spec = hostSpec([pvDomain(), web], [rootVolume("pv1"), rootVolume("web-1", 1024)]);
    const after = applyPlan(live, diffHost(spec, live));
    expect(after.domains.map((d) => d.name)).toEqual(["pv1", "web-1"]);
    expect(after.domains[1]).toEqual(liveDomainFromSpec(web, 11, live.info.nrCpus));
    expect(after.volumes.map((v) => v.path)).toEqual(["/dev/vg0/pv1-disk", "/dev/vg0/web-1-disk"]);
    expect(after.configFiles.find((c) => c.name === "web-1")?.content).toBe(renderXlCfg(web));
    expect(after.autostart).toEqual(["web-1"]);
  });

  it("GIVEN an empty plan THEN the host is unchanged", () => {
    expect(applyPlan(live, makePlan(HOST, []))).toBe(live);
  });
});

describe("liveHostFromSpec", () => {
  it("GIVEN a spec THEN every domain runs it, with rendered config files, declared links and the bridges its vifs use", () => {
    const spec = hostSpec([pvDomain({ autostart: true, pins: [{ vcpu: 1, hard: "0", soft: "all" }] }), pvDomain({ name: "b", disks: [], vifs: [{ bridge: "xenbr1", mac: null, model: null, rate: null }] })], [rootVolume("pv1", 130)]);
    const host = liveHostFromSpec(spec);
    expect(host.domains.map((d) => [d.name, d.domid])).toEqual([["b", 1], ["pv1", 2]]);
    expect(host.domains[1]!.vcpuList).toEqual([
      { vcpu: 0, cpu: 0, online: true, hard: "all", soft: "all" },
      { vcpu: 1, cpu: 1, online: true, hard: "0", soft: "all" },
    ]);
    expect(host.volumes).toEqual([{ pool: "vg0", name: "pv1-disk", path: "/dev/vg0/pv1-disk", sizeBytes: 132 * 1024 * 1024 }]);
    expect(host.autostart).toEqual(["pv1"]);
    expect(host.bridges).toEqual(["xenbr0", "xenbr1"]);
  });
});
