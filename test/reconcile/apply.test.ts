/**
 * applyHost against a real OpenSSH sshd on loopback whose sessions run the FAKE Xen toolstack
 * (test/helpers/fake-xen): what runs on "dom0", in which order, and what the host looks like
 * afterwards, read from the fake's call log and state and from the real files the reconciler
 * writes (/etc/xen/cdktf-xen, /etc/xen/auto on this machine, emptied between tests).
 */
import { existsSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { executableActions } from "../../src/diff/plan.js";
import type { HostSpec } from "../../src/model/spec.js";
import { PlanRefusedError, StepFailedError } from "../../src/reconcile/errors.js";
import { applyHost, readHost } from "../../src/reconcile/reconciler.js";
import type { Ssh2Transport } from "../../src/ssh/ssh2-transport.js";
import { renderXlCfg } from "../../src/xl/render.js";
import { FAKE_VG, hostPathsInUse, missingLvCreateStderr } from "../helpers/fake-xen/index.js";
import { FAKE_HOST_ID, fakeDomain, fakeHostSpec, fakeRootVolume, startFakeXenRig, type FakeXenRig } from "../helpers/fake-xen/rig.js";

const busy = hostPathsInUse();
if (busy !== null) console.warn(`skipping the reconcile tests against the fake Xen host: ${busy}`);

const cfgPath = (name: string): string => `/etc/xen/cdktf-xen/${name}.cfg`;
const linkPath = (name: string): string => `/etc/xen/auto/${name}.cfg`;

/** web-1: two vCPUs pinned to pCPUs 2 and 3, credit2 weight 512 / cap 50, autostarted. */
function webSpec(overrides: Parameters<typeof fakeDomain>[1] = {}, volumeMiB = 256): HostSpec {
  return fakeHostSpec(
    [
      fakeDomain("web-1", {
        pins: [
          { vcpu: 0, hard: "2", soft: "all" },
          { vcpu: 1, hard: "3", soft: "all" },
        ],
        scheduler: { weight: 512, cap: 50 },
        ...overrides,
      }),
    ],
    [fakeRootVolume("web-1", volumeMiB)],
  );
}

describe.skipIf(busy !== null)("applyHost against a real sshd and the fake Xen toolstack", { timeout: 90_000 }, () => {
  let rig: FakeXenRig;
  const open: Ssh2Transport[] = [];
  const transport = (): Ssh2Transport => {
    const t = rig.transport();
    open.push(t);
    return t;
  };
  const progress: string[] = [];
  const log = (line: string): void => {
    progress.push(line.trim());
  };

  beforeAll(async () => {
    rig = await startFakeXenRig();
  });
  afterAll(async () => {
    await rig?.stop();
  });
  beforeEach(() => {
    rig.fake.reset();
    progress.length = 0;
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  it("GIVEN a new domain WHEN applied THEN dom0 gets volume, config file, xl create, autostart link in that order, pins and weight from the config", async () => {
    const spec = webSpec();
    const report = await applyHost(transport(), spec, { log });

    expect(report.applied.map((a) => a.kind)).toEqual(["create-volume", "write-config", "create-domain", "link-autostart"]);
    // The batch reports each step as dom0 starts it.
    expect(progress.filter((l) => !l.includes("done in"))).toEqual([
      `${FAKE_HOST_ID}: volume vg/web-1-root: create volume /dev/${FAKE_VG}/web-1-root (256 MiB)`,
      `${FAKE_HOST_ID}: domain web-1: write ${cfgPath("web-1")}`,
      `${FAKE_HOST_ID}: domain web-1: xl create ${cfgPath("web-1")}`,
      `${FAKE_HOST_ID}: domain web-1: link ${linkPath("web-1")}`,
    ]);
    // What reached the fake toolstack, in order: the LV before the domain that uses it.
    expect(rig.fake.changingCallsSince(0)).toEqual([`lvcreate -y -L 256m -n web-1-root ${FAKE_VG}`, `xl create ${cfgPath("web-1")}`]);
    expect(readFileSync(cfgPath("web-1"), "utf8")).toBe(renderXlCfg(spec.domains[0]!));
    expect(readlinkSync(linkPath("web-1"))).toBe(cfgPath("web-1"));
    // xl took pins and credit2 parameters from the config file: nothing left to do live.
    const dom = rig.fake.domain("web-1")!;
    expect(dom.hard).toEqual(["2", "3", "all", "all"]);
    expect([dom.weight, dom.cap, dom.online, dom.targetMemKiB / 1024]).toEqual([512, 50, 2, 256]);
    expect(executableActions(report.after)).toEqual([]);
    expect(report.commands).toBe(3);
  });

  it("GIVEN an applied host WHEN applied again THEN nothing changes on dom0 and the config file is not rewritten", async () => {
    const spec = webSpec();
    await applyHost(transport(), spec);
    const mark = rig.fake.mark();
    const before = statSync(cfgPath("web-1")).mtimeMs;

    const again = await applyHost(transport(), spec, { log });

    expect(again.applied).toEqual([]);
    expect(again.commands).toBe(2);
    expect(rig.fake.changingCallsSince(mark)).toEqual([]);
    expect(statSync(cfgPath("web-1")).mtimeMs).toBe(before);
    expect(progress).toEqual([]);
  });

  it("GIVEN a running domain WHEN its memory changes within maxmem THEN exactly one xl mem-set and a config rewrite, no create or destroy", async () => {
    await applyHost(transport(), webSpec());
    const mark = rig.fake.mark();

    const report = await applyHost(transport(), webSpec({ memoryMiB: 384 }));

    expect(report.applied.map((a) => a.kind)).toEqual(["write-config", "mem-set"]);
    expect(rig.fake.changingCallsSince(mark)).toEqual(["xl mem-set web-1 384m"]);
    expect(readFileSync(cfgPath("web-1"), "utf8")).toContain("memory = 384\n");
    expect(rig.fake.domain("web-1")!.targetMemKiB).toBe(384 * 1024);
    expect(rig.fake.domain("web-1")!.domid).toBe(1);
  });

  it("GIVEN a running domain WHEN its vCPU pins, online vCPUs and credit2 weight change THEN xl vcpu-set, vcpu-pin and sched-credit2 apply them live", async () => {
    await applyHost(transport(), webSpec());
    const mark = rig.fake.mark();

    const report = await applyHost(
      transport(),
      webSpec({ vcpus: 3, pins: [{ vcpu: 0, hard: "4-5", soft: "0-1" }], scheduler: { weight: 1024, cap: 0 } }),
    );

    expect(report.applied.map((a) => a.kind)).toEqual(["write-config", "vcpu-set", "vcpu-pin", "vcpu-pin", "sched-credit2"]);
    expect(rig.fake.changingCallsSince(mark)).toEqual([
      "xl vcpu-set web-1 3",
      "xl vcpu-pin web-1 0 4-5 0-1",
      "xl vcpu-pin web-1 1 all all",
      "xl sched-credit2 -d web-1 -w 1024 -c 0",
    ]);
    const dom = rig.fake.domain("web-1")!;
    expect([dom.hard, dom.soft, dom.online, dom.weight, dom.cap]).toEqual([
      ["4-5", "all", "all", "all"],
      ["0-1", "all", "all", "all"],
      3,
      1024,
      0,
    ]);
    expect(executableActions(report.after)).toEqual([]);
  });

  it("GIVEN a running domain WHEN a disk on a new volume is added THEN the LV is created and xl block-attach hot-plugs it", async () => {
    await applyHost(transport(), webSpec());
    const mark = rig.fake.mark();
    const base = webSpec();
    const root = base.domains[0]!.disks[0]!;
    const data = { ...root, vdev: "xvdb", target: `/dev/${FAKE_VG}/web-1-data`, volume: "vg/web-1-data" };
    const spec = { ...base, domains: [{ ...base.domains[0]!, disks: [root, data] }], volumes: [...base.volumes, { ...fakeRootVolume("web-1", 64), name: "web-1-data" }] };

    const report = await applyHost(transport(), spec);

    expect(report.applied.map((a) => a.kind)).toEqual(["create-volume", "write-config", "block-attach"]);
    expect(rig.fake.changingCallsSince(mark)).toEqual([
      `lvcreate -y -L 64m -n web-1-data ${FAKE_VG}`,
      `xl block-attach web-1 format=raw, vdev=xvdb, access=rw, target=/dev/${FAKE_VG}/web-1-data`,
    ]);
    expect(rig.fake.domain("web-1")!.disks.map((d) => [d.vdev, d.target])).toEqual([
      ["xvda", `/dev/${FAKE_VG}/web-1-root`],
      ["xvdb", `/dev/${FAKE_VG}/web-1-data`],
    ]);
    expect(executableActions(report.after)).toEqual([]);
  });

  it("GIVEN a volume declared smaller than it is WHEN applied THEN PlanRefusedError says why and how, and no changing command runs", async () => {
    await applyHost(transport(), webSpec());
    const mark = rig.fake.mark();

    const error = await applyHost(transport(), webSpec({ memoryMiB: 384 }, 128)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PlanRefusedError);
    const refused = error as PlanRefusedError;
    expect(refused.refusals.map((r) => r.subject)).toEqual(["volume vg/web-1-root"]);
    expect([refused.host, refused.step]).toEqual([FAKE_HOST_ID, "plan"]);
    expect(refused.message).toContain(`host ${FAKE_HOST_ID}`);
    expect(refused.message).toMatch(/shrinking it would cut off the data/);
    expect(refused.message).toMatch(/Fix: volume vg\/web-1-root: Declare at least 256 MiB/);
    // Not even the memory change that came with it.
    expect(rig.fake.changingCallsSince(mark)).toEqual([]);
    expect(rig.fake.domain("web-1")!.targetMemKiB).toBe(256 * 1024);
  });

  it("GIVEN xl create fails with exit 3 (missing LV) WHEN applied THEN StepFailedError names host, domain, step, cause and fix; applying again after the fault converges", async () => {
    const spec = webSpec();
    await rig.fake.inject({
      match: ["xl", "create"],
      arg: "web-1",
      rc: 3,
      stderr: missingLvCreateStderr(cfgPath("web-1"), `/dev/${FAKE_VG}/web-1-root`),
      times: 1,
    });

    const error = await applyHost(transport(), spec).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StepFailedError);
    const failed = error as StepFailedError;
    expect([failed.host, failed.subject, failed.step, failed.rc]).toEqual([FAKE_HOST_ID, "domain web-1", `xl create ${cfgPath("web-1")}`, 3]);
    expect(failed.xl?.kind).toBe("disk-target-missing");
    expect(failed.message).toContain(`applying the plan failed after 2 step(s) [host ${FAKE_HOST_ID}, domain web-1, step "xl create ${cfgPath("web-1")}"]`);
    expect(failed.message).toContain(`Disk vdev=xvda failed to stat: /dev/${FAKE_VG}/web-1-root: No such file or directory`);
    expect(failed.message).toContain(`Fix: create /dev/${FAKE_VG}/web-1-root (declare it as a XenVolume) or correct the disk's target`);
    // The steps before it stay applied; the ones after it did not run.
    expect(existsSync(cfgPath("web-1"))).toBe(true);
    expect(existsSync(linkPath("web-1"))).toBe(false);
    expect(rig.fake.domain("web-1")).toBeUndefined();

    await rig.fake.clearFaults();
    const mark = rig.fake.mark();
    const rerun = await applyHost(transport(), spec);

    expect(rerun.applied.map((a) => a.kind)).toEqual(["create-domain", "link-autostart"]);
    expect(rig.fake.changingCallsSince(mark)).toEqual([`xl create ${cfgPath("web-1")}`]);
    expect(executableActions((await readHost(transport(), spec)).plan)).toEqual([]);
  });

  it("GIVEN a disk on a device that does not exist WHEN applied THEN the fake's own xl create fails as libxl does, and creating the LV by hand lets the next apply converge", async () => {
    const spec = fakeHostSpec(
      [
        fakeDomain("scratch", {
          disks: [{ vdev: "xvda", target: `/dev/${FAKE_VG}/handmade`, format: "raw", access: "rw", devtype: "disk", volume: null }],
        }),
      ],
      [],
    );
    const error = await applyHost(transport(), spec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepFailedError);
    expect((error as StepFailedError).xl?.kind).toBe("disk-target-missing");

    const t = transport();
    expect((await t.exec(`lvcreate -y -L 64m -n handmade ${FAKE_VG}`)).code).toBe(0);
    const rerun = await applyHost(t, spec);
    expect(rerun.applied.map((a) => a.kind)).toEqual(["create-domain", "link-autostart"]);
    expect(rig.fake.domain("scratch")?.disks.map((d) => d.target)).toEqual([`/dev/${FAKE_VG}/handmade`]);
  });

  it("GIVEN two applies of the same host at once WHEN xl create is slow THEN the host lock serializes them: every step runs once and the host ends as declared", async () => {
    const spec = fakeHostSpec([fakeDomain("app-1"), fakeDomain("app-2")], [fakeRootVolume("app-1"), fakeRootVolume("app-2")]);
    await rig.fake.inject({ match: ["xl", "create"], delayMs: 1_500 });
    const logs: string[][] = [[], []];

    const [a, b] = await Promise.all([0, 1].map((i) => applyHost(transport(), spec, { log: (l) => logs[i]!.push(l) })));

    // One did the work; the other waited for the lock, then found nothing to do.
    expect([a!.applied.length, b!.applied.length].sort()).toEqual([0, 8]);
    const waited = a!.applied.length === 0 ? logs[0]! : logs[1]!;
    expect(waited.some((l) => l.startsWith(`waiting for the host lock on ${FAKE_HOST_ID}, held by pid ${process.pid}`))).toBe(true);
    expect(rig.fake.changingCallsSince(0).sort()).toEqual(
      [
        `lvcreate -y -L 256m -n app-1-root ${FAKE_VG}`,
        `lvcreate -y -L 256m -n app-2-root ${FAKE_VG}`,
        `xl create ${cfgPath("app-1")}`,
        `xl create ${cfgPath("app-2")}`,
      ].sort(),
    );
    expect(rig.fake.state().domains.map((d) => d.name).sort()).toEqual(["app-1", "app-2"]);
    expect(executableActions((await readHost(transport(), spec)).plan)).toEqual([]);
  });
});
