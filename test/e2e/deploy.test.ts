/**
 * The product end to end, on the real Xen 4.17 lab host, through real Terraform 1.11.4 and the
 * real CLI (issue: "A real Xen host in QEMU, and end-to-end deploys through real Terraform").
 * One program evolves step by step; each step is what a platform team would change in a pull
 * request, and each check reads dom0 itself (`xl list -l`, `xl vcpu-list`, `lvs`, xenstore).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, cli, Dom0, e2eLab, start, synth, terraform, tfApply, type DomainDecl, type Program } from "./support.js";

const lab = e2eLab();
const STEP = 600_000;

describe.skipIf(lab === undefined)("end to end on the lab Xen host", () => {
  const l = lab!;
  let dom0: Dom0;
  let outdir: string;
  let dir: string;

  const web = (over: Partial<DomainDecl> = {}): DomainDecl => ({
    name: "e2e-web",
    memoryMiB: 128,
    maxMemoryMiB: 256,
    vcpus: 1,
    maxVcpus: 2,
    pins: { 0: "0" },
    disks: ["e2e-root", "e2e-data"],
    ...over,
  });
  const volumes = (rootMiB = 256): Program["volumes"] => [
    { id: "e2e-root", sizeMiB: rootMiB, retention: "retain" },
    { id: "e2e-data", sizeMiB: 64, retention: "delete" },
  ];
  const deploy = (program: Program) => {
    dir = synth(l, outdir, "e2e", program);
    return tfApply(dir);
  };

  beforeAll(async () => {
    dom0 = new Dom0(l);
    outdir = mkdtempSync(join(tmpdir(), "cdktf-xen-e2e-"));
    // A previous, interrupted run may have left its domains and volumes behind.
    await dom0.sh(
      "for d in e2e-web e2e-web2 e2e-web3 e2e-k; do xl destroy $d 2>/dev/null; rm -f /etc/xen/cdktf-xen/$d.cfg /etc/xen/auto/$d.cfg; done; " +
        "for v in e2e-root e2e-data e2e-data3 e2e-k-root; do lvremove -y vg0/$v >/dev/null 2>&1; done; true",
    );
  }, STEP);

  afterAll(async () => {
    await dom0?.sh("for v in e2e-root; do lvremove -y vg0/$v >/dev/null 2>&1; done; true");
    await dom0?.close();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  }, STEP);

  it("1. GIVEN the program WHEN terraform applies it THEN the domain runs with the declared memory, vCPUs, pin, volumes and vif", async () => {
    const run = await deploy({ volumes: volumes(), domains: [web()] });
    expect(run.code, run.output).toBe(0);
    const d = await dom0.domain("e2e-web");
    expect(d).not.toBeNull();
    expect(d!.targetMiB).toBe(128);
    expect(d!.maxMiB).toBe(256);
    expect(d!.maxVcpus).toBe(2);
    expect(d!.disks).toEqual(["xvda=/dev/vg0/e2e-root", "xvdb=/dev/vg0/e2e-data"]);
    expect(d!.bridges).toEqual([l.bridge]);
    expect((await dom0.hardAffinity("e2e-web"))[0]).toBe("0");
    const lvs = await dom0.lvs(l.volumeGroup);
    expect(lvs["e2e-root"]).toBe(256);
    expect(lvs["e2e-data"]).toBe(64);
    expect((await dom0.sh("readlink /etc/xen/auto/e2e-web.cfg")).stdout.trim()).toBe("/etc/xen/cdktf-xen/e2e-web.cfg");
    // Nothing left to do: the CLI's own plan of the live host is empty.
    expect((await cli(dir, "plan", ".", "--detailed-exitcode")).code).toBe(0);
  }, STEP);

  it("2. WHEN memory and a pin change THEN they are applied in place: same domid, no restart", async () => {
    const before = await dom0.domain("e2e-web");
    const run = await deploy({ volumes: volumes(), domains: [web({ memoryMiB: 192, pins: { 0: "1" } })] });
    expect(run.code, run.output).toBe(0);
    expect(run.output).not.toMatch(/destroy-domain|prune-host.*stopped/);
    const after = await dom0.domain("e2e-web");
    expect(after!.domid).toBe(before!.domid);
    expect(after!.targetMiB).toBe(192);
    expect((await dom0.hardAffinity("e2e-web"))[0]).toBe("1");
    // The config file carries the change too, so a reboot keeps it.
    expect((await dom0.run("cat", "/etc/xen/cdktf-xen/e2e-web.cfg"))).toMatch(/memory\s*=\s*192/);
  }, STEP);

  it("3. GIVEN drift made behind Terraform's back WHEN cdktf-xen plans THEN it shows it, and apply corrects it", async () => {
    await dom0.run("xl", "mem-set", "e2e-web", "160m");
    const plan = await cli(dir, "plan", ".", "--detailed-exitcode");
    expect(plan.code, plan.output).toBe(2);
    expect(plan.output).toMatch(/e2e-web/);
    expect(plan.output).toMatch(/160/);
    expect(plan.output).toMatch(/192/);
    const apply = await cli(dir, "apply", ".", "--auto-approve");
    expect(apply.code, apply.output).toBe(0);
    expect((await dom0.domain("e2e-web"))!.targetMiB).toBe(192);
    expect((await cli(dir, "plan", ".", "--detailed-exitcode")).code).toBe(0);
  }, STEP);

  it("4. WHEN the volume grows THEN the running guest is offered the new size; WHEN it shrinks THEN the apply is refused and nothing changes", async () => {
    const domid = (await dom0.domain("e2e-web"))!.domid;
    const grow = await deploy({ volumes: volumes(320), domains: [web({ memoryMiB: 192, pins: { 0: "1" } })] });
    expect(grow.code, grow.output).toBe(0);
    expect((await dom0.lvs(l.volumeGroup))["e2e-root"]).toBe(320);
    // blkback tells the guest's blkfront the new capacity through xenstore (512-byte sectors);
    // xvda is virtual device 51712.
    const sectors = await dom0.run("xenstore-read", `/local/domain/0/backend/vbd/${domid}/51712/sectors`);
    expect(Number(sectors.trim())).toBe(320 * 2048);

    const shrink = await deploy({ volumes: volumes(256), domains: [web({ memoryMiB: 192, pins: { 0: "1" } })] });
    expect(shrink.code).not.toBe(0);
    expect(shrink.output).toMatch(/refuse/i);
    expect(shrink.output).toMatch(/shrink/i);
    expect((await dom0.lvs(l.volumeGroup))["e2e-root"]).toBe(320);

    // Declaring the real size again converges (the refused reconcile was tainted and re-runs).
    const back = await deploy({ volumes: volumes(320), domains: [web({ memoryMiB: 192, pins: { 0: "1" } })] });
    expect(back.code, back.output).toBe(0);
  }, STEP);

  it("5. WHEN the domain is renamed, then removed THEN the old one is shut down and gone; the RETAIN volume stays, the DELETE volume goes", async () => {
    const renamed = await deploy({ volumes: volumes(320), domains: [web({ name: "e2e-web2", memoryMiB: 192, pins: { 0: "1" } })] });
    expect(renamed.code, renamed.output).toBe(0);
    expect(await dom0.domain("e2e-web")).toBeNull();
    expect(await dom0.domain("e2e-web2")).not.toBeNull();
    expect((await dom0.sh("ls /etc/xen/cdktf-xen")).stdout.split("\n")).not.toContain("e2e-web.cfg");

    const removed = await deploy({ volumes: [], domains: [] });
    expect(removed.code, removed.output).toBe(0);
    expect(await dom0.domain("e2e-web2")).toBeNull();
    const lvs = await dom0.lvs(l.volumeGroup);
    expect(lvs["e2e-root"]).toBe(320);
    expect(lvs["e2e-data"]).toBeUndefined();
  }, STEP);

  it("6. WHEN the stack is destroyed THEN no domain is left and the config directory is clean; a second destroy is harmless", async () => {
    const up = await deploy({
      volumes: [{ id: "e2e-data3", sizeMiB: 64, retention: "delete" }],
      domains: [{ name: "e2e-web3", memoryMiB: 96, maxMemoryMiB: 96, vcpus: 1, maxVcpus: 1, disks: ["e2e-data3"] }],
    });
    expect(up.code, up.output).toBe(0);
    expect(await dom0.domain("e2e-web3")).not.toBeNull();
    const destroy = await terraform(dir, "destroy", "-input=false", "-auto-approve", "-no-color");
    expect(destroy.code, destroy.output).toBe(0);
    expect(await dom0.domain("e2e-web3")).toBeNull();
    // Only this test's files count: another stack (the quickstart) may share the lab host.
    expect((await dom0.sh("ls -A /etc/xen/cdktf-xen /etc/xen/auto | grep '^e2e-' || true")).stdout.trim()).toBe("");
    expect((await dom0.lvs(l.volumeGroup))["e2e-data3"]).toBeUndefined();
    const again = await terraform(dir, "destroy", "-input=false", "-auto-approve", "-no-color");
    expect(again.code, again.output).toBe(0);
  }, STEP);

  it("7. WHEN two applies run at once on the same host THEN they are serialized and the result is correct", async () => {
    const program: Program = {
      volumes: [],
      domains: [{ name: "e2e-web", memoryMiB: 112, maxMemoryMiB: 160, vcpus: 1, maxVcpus: 1, disks: [] }],
    };
    dir = synth(l, outdir, "e2e", program);
    const [a, b] = await Promise.all([cli(dir, "apply", ".", "--auto-approve"), cli(dir, "apply", ".", "--auto-approve")]);
    expect(a.code, a.output).toBe(0);
    expect(b.code, b.output).toBe(0);
    // One of them waited for the other's host lock, then found the host already done.
    expect(`${a.output}\n${b.output}`).toMatch(/waiting for the host lock/);
    expect(`${a.output}\n${b.output}`).toMatch(/already up to date/);
    expect((await dom0.domain("e2e-web"))!.targetMiB).toBe(112);
    expect((await dom0.sh("xl list | grep -c '^e2e-web '")).stdout.trim()).toBe("1");
  }, STEP);

  it("8. WHEN the CLI is killed during xl create THEN a re-run converges, with the domain running once", async () => {
    const program: Program = {
      volumes: [{ id: "e2e-k-root", sizeMiB: 64, retention: "delete" }],
      domains: [
        { name: "e2e-web", memoryMiB: 112, maxMemoryMiB: 160, vcpus: 1, maxVcpus: 1, disks: [] },
        { name: "e2e-k", memoryMiB: 96, maxMemoryMiB: 96, vcpus: 1, maxVcpus: 1, disks: ["e2e-k-root"] },
      ],
    };
    dir = synth(l, outdir, "e2e", program);
    let killed = false;
    const first = start("node", [CLI, "apply", ".", "--auto-approve"], dir, (line) => {
      if (!killed && /xl create/.test(line)) {
        killed = true;
        // Let xl create get going on dom0, then kill the CLI as an operator's Ctrl-C or a CI
        // timeout would, with no chance to clean up.
        setTimeout(() => first.child.kill("SIGKILL"), 3000);
      }
    });
    const r1 = await first.done;
    expect(killed, r1.output).toBe(true);
    const again = await cli(dir, "apply", ".", "--auto-approve");
    expect(again.code, again.output).toBe(0);
    expect(await dom0.domain("e2e-k")).not.toBeNull();
    expect((await dom0.sh("xl list | grep -c '^e2e-k '")).stdout.trim()).toBe("1");
    expect((await cli(dir, "plan", ".", "--detailed-exitcode")).code).toBe(0);

    // Clean up through Terraform: adopt the stack's state by applying it, then destroy.
    const apply = await tfApply(dir);
    expect(apply.code, apply.output).toBe(0);
    const destroy = await terraform(dir, "destroy", "-input=false", "-auto-approve", "-no-color");
    expect(destroy.code, destroy.output).toBe(0);
    expect(await dom0.domain("e2e-k")).toBeNull();
    expect(await dom0.domain("e2e-web")).toBeNull();
  }, STEP);
});
