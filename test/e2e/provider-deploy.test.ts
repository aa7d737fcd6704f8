/**
 * The deploy scenarios of ./deploy.test.ts, through the NATIVE PROVIDER (issue 14: "every e2e
 * scenario of test/e2e on the lab host … run through the provider"): the same program evolves
 * step by step on the real Xen 4.17 lab host, applied by real Terraform 1.11.4 with the provider
 * from dist/, and each check reads dom0 itself. Where the provisioner path used the CLI's own
 * plan, Terraform's plan (`-detailed-exitcode`) is the check: the provider reads the host.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LifecycleResource } from "../../src/index.js";
import { Dom0, e2eLab, flat, start, synth, type DomainDecl, type Program, type Run } from "./support.js";

const lab = e2eLab();
const STEP = 600_000;
const STACK = "pe2e";

describe.skipIf(lab === undefined)("end to end on the lab Xen host, through the native provider", () => {
  const l = lab!;
  let dom0: Dom0;
  let outdir: string;
  let dir: string;

  const tf = (cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run> => start("terraform", args, cwd, undefined, env).done;
  const init = async (cwd: string): Promise<void> => {
    const r = await tf(cwd, ["init", "-input=false", "-no-color"]);
    if (r.code !== 0) throw new Error(`terraform init failed:\n${r.output}`);
  };
  const apply = (cwd = dir, env: Record<string, string> = {}) => tf(cwd, ["apply", "-input=false", "-auto-approve", "-no-color"], env);
  const plan = (cwd = dir) => tf(cwd, ["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
  const synthP = (program: Program, stack = STACK) => synth(l, outdir, stack, program, LifecycleResource.PROVIDER);
  const deploy = async (program: Program): Promise<Run> => {
    dir = synthP(program);
    await init(dir);
    return apply();
  };

  const web = (over: Partial<DomainDecl> = {}): DomainDecl => ({
    name: "pe2e-web",
    memoryMiB: 128,
    maxMemoryMiB: 256,
    vcpus: 1,
    maxVcpus: 2,
    pins: { 0: "0" },
    disks: ["pe2e-root", "pe2e-data"],
    ...over,
  });
  const volumes = (rootMiB = 256): Program["volumes"] => [
    { id: "pe2e-root", sizeMiB: rootMiB, retention: "retain" },
    { id: "pe2e-data", sizeMiB: 64, retention: "delete" },
  ];
  const grown = () => ({ volumes: volumes(320), domains: [web({ memoryMiB: 192, pins: { 0: "1" } })] });

  beforeAll(async () => {
    dom0 = new Dom0(l);
    outdir = mkdtempSync(join(tmpdir(), "cdktf-xen-e2e-provider-deploy-"));
    await dom0.sh(
      "for d in pe2e-web pe2e-web2 pe2e-web3 pe2e-k; do xl destroy $d 2>/dev/null; rm -f /etc/xen/cdktf-xen/$d.cfg /etc/xen/auto/$d.cfg; done; " +
        "for v in pe2e-root pe2e-data pe2e-data3 pe2e-k-root; do lvremove -y vg0/$v >/dev/null 2>&1; done; true",
    );
  }, STEP);

  afterAll(async () => {
    await dom0?.sh(
      "for d in pe2e-web pe2e-web2 pe2e-web3 pe2e-k; do xl destroy $d 2>/dev/null; rm -f /etc/xen/cdktf-xen/$d.cfg /etc/xen/auto/$d.cfg; done; " +
        "for v in pe2e-root pe2e-data pe2e-data3 pe2e-k-root; do lvremove -y vg0/$v >/dev/null 2>&1; done; true",
    );
    await dom0?.close();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  }, STEP);

  it("1. GIVEN the program WHEN terraform applies it THEN the domain runs with the declared memory, vCPUs, pin, volumes and vif, and the next plan is empty", async () => {
    const run = await deploy({ volumes: volumes(), domains: [web()] });
    expect(run.code, run.output).toBe(0);
    const d = await dom0.domain("pe2e-web");
    expect(d).not.toBeNull();
    expect(d!.targetMiB).toBe(128);
    expect(d!.maxMiB).toBe(256);
    expect(d!.maxVcpus).toBe(2);
    expect(d!.disks).toEqual(["xvda=/dev/vg0/pe2e-root", "xvdb=/dev/vg0/pe2e-data"]);
    expect(d!.bridges).toEqual([l.bridge]);
    expect((await dom0.hardAffinity("pe2e-web"))[0]).toBe("0");
    const lvs = await dom0.lvs(l.volumeGroup);
    expect(lvs["pe2e-root"]).toBe(256);
    expect(lvs["pe2e-data"]).toBe(64);
    expect((await dom0.sh("readlink /etc/xen/auto/pe2e-web.cfg")).stdout.trim()).toBe("/etc/xen/cdktf-xen/pe2e-web.cfg");
    const again = await plan();
    expect(again.code, again.output).toBe(0);
  }, STEP);

  it("2. WHEN memory and a pin change THEN the plan is an update in place of those attributes, applied live: same domid, no restart", async () => {
    const before = await dom0.domain("pe2e-web");
    dir = synthP({ volumes: volumes(), domains: [web({ memoryMiB: 192, pins: { 0: "1" } })] });
    const planned = await plan();
    expect(planned.code, planned.output).toBe(2);
    expect(planned.output).toMatch(/~ update in-place/);
    expect(planned.output).toMatch(/~ memory_mib\s+= 128 -> 192/);
    expect(planned.output).not.toMatch(/must be replaced|forces replacement|will be destroyed/);
    const run = await apply();
    expect(run.code, run.output).toBe(0);
    const after = await dom0.domain("pe2e-web");
    expect(after!.domid).toBe(before!.domid);
    expect(after!.targetMiB).toBe(192);
    expect((await dom0.hardAffinity("pe2e-web"))[0]).toBe("1");
    // The config file carries the change too, so a reboot keeps it.
    expect(await dom0.run("cat", "/etc/xen/cdktf-xen/pe2e-web.cfg")).toMatch(/memory\s*=\s*192/);
  }, STEP);

  it("3. GIVEN drift made behind Terraform's back WHEN terraform plans THEN it exits 2 naming the attribute, and apply corrects it", async () => {
    await dom0.run("xl", "mem-set", "pe2e-web", "160m");
    const planned = await plan();
    expect(planned.code, planned.output).toBe(2);
    expect(planned.output).toMatch(/pe2e-web/);
    expect(planned.output).toMatch(/~ memory_mib\s+= 160 -> 192/);
    const run = await apply();
    expect(run.code, run.output).toBe(0);
    expect((await dom0.domain("pe2e-web"))!.targetMiB).toBe(192);
    expect((await plan()).code).toBe(0);
  }, STEP);

  it("4. WHEN the volume grows THEN the running guest is offered the new size; WHEN it shrinks THEN the plan refuses and nothing changes", async () => {
    const domid = (await dom0.domain("pe2e-web"))!.domid;
    const grow = await deploy(grown());
    expect(grow.code, grow.output).toBe(0);
    expect((await dom0.lvs(l.volumeGroup))["pe2e-root"]).toBe(320);
    // blkback tells the guest's blkfront the new capacity through xenstore (512-byte sectors); xvda is 51712.
    const sectors = await dom0.run("xenstore-read", `/local/domain/0/backend/vbd/${domid}/51712/sectors`);
    expect(Number(sectors.trim())).toBe(320 * 2048);

    dir = synthP({ volumes: volumes(256), domains: [web({ memoryMiB: 192, pins: { 0: "1" } })] });
    const refused = await plan();
    expect(refused.code, refused.output).toBe(1);
    expect(flat(refused.output)).toMatch(/shrink/i);
    const shrink = await apply();
    expect(shrink.code).not.toBe(0);
    expect((await dom0.lvs(l.volumeGroup))["pe2e-root"]).toBe(320);

    // Declaring the real size again plans empty: nothing was half done.
    dir = synthP(grown());
    const back = await plan();
    expect(back.code, back.output).toBe(0);
  }, STEP);

  it("5. WHEN the domain is renamed, then removed THEN the old one is shut down and gone; the RETAIN volume stays, the DELETE volume goes", async () => {
    const renamed = await deploy({ volumes: volumes(320), domains: [web({ name: "pe2e-web2", memoryMiB: 192, pins: { 0: "1" } })] });
    expect(renamed.code, renamed.output).toBe(0);
    expect(await dom0.domain("pe2e-web")).toBeNull();
    expect(await dom0.domain("pe2e-web2")).not.toBeNull();
    expect((await dom0.sh("ls /etc/xen/cdktf-xen")).stdout.split("\n")).not.toContain("pe2e-web.cfg");

    dir = synthP({ volumes: [], domains: [] });
    const planned = await plan();
    expect(flat(planned.output)).toMatch(/Warning: domain pe2e-web2 will be shut down and removed from host/);
    const removed = await apply();
    expect(removed.code, removed.output).toBe(0);
    expect(await dom0.domain("pe2e-web2")).toBeNull();
    const lvs = await dom0.lvs(l.volumeGroup);
    expect(lvs["pe2e-root"]).toBe(320);
    expect(lvs["pe2e-data"]).toBeUndefined();
  }, STEP);

  it("6. WHEN the stack is destroyed THEN no domain is left and the config directory is clean; a second destroy is harmless", async () => {
    const up = await deploy({
      volumes: [{ id: "pe2e-data3", sizeMiB: 64, retention: "delete" }],
      domains: [{ name: "pe2e-web3", memoryMiB: 96, maxMemoryMiB: 96, vcpus: 1, maxVcpus: 1, disks: ["pe2e-data3"] }],
    });
    expect(up.code, up.output).toBe(0);
    expect(await dom0.domain("pe2e-web3")).not.toBeNull();
    const destroy = await tf(dir, ["destroy", "-input=false", "-auto-approve", "-no-color"]);
    expect(destroy.code, destroy.output).toBe(0);
    expect(await dom0.domain("pe2e-web3")).toBeNull();
    // Only this test's files count: another stack may share the lab host.
    expect((await dom0.sh("ls -A /etc/xen/cdktf-xen /etc/xen/auto | grep '^pe2e-' || true")).stdout.trim()).toBe("");
    expect((await dom0.lvs(l.volumeGroup))["pe2e-data3"]).toBeUndefined();
    const again = await tf(dir, ["destroy", "-input=false", "-auto-approve", "-no-color"]);
    expect(again.code, again.output).toBe(0);
  }, STEP);

  it("7. WHEN two Terraform runs apply the same host at once THEN the host lock serializes them and the result is correct", async () => {
    const program: Program = {
      volumes: [],
      domains: [{ name: "pe2e-web", memoryMiB: 112, maxMemoryMiB: 160, vcpus: 1, maxVcpus: 1, disks: [] }],
    };
    // Two stacks (two states, two provider processes) declaring the same host and domain.
    dir = synthP(program);
    const twin = synthP(program, `${STACK}-twin`);
    await init(twin);
    const logs = [join(outdir, "apply-1.log"), join(outdir, "apply-2.log")];
    const logged = (path: string) => ({ TF_LOG_PROVIDER: "DEBUG", TF_LOG_PATH: path });
    const [a, b] = await Promise.all([apply(dir, logged(logs[0]!)), apply(twin, logged(logs[1]!))]);
    expect(a.code, a.output).toBe(0);
    expect(b.code, b.output).toBe(0);
    // One of them waited for the other's host lock.
    const providerLog = logs.map((p) => readFileSync(p, "utf8")).join("\n");
    expect(providerLog).toMatch(/waiting for the host lock on pe2e(-twin)?\/lab, held by/);
    expect((await dom0.domain("pe2e-web"))!.targetMiB).toBe(112);
    expect((await dom0.sh("xl list | grep -c '^pe2e-web '")).stdout.trim()).toBe("1");
    expect((await plan()).code).toBe(0);
    expect((await plan(twin)).code).toBe(0);
  }, STEP);

  it("8. WHEN the provider is killed during xl create THEN the apply fails, and a re-run converges with the domain running once", async () => {
    const program: Program = {
      volumes: [{ id: "pe2e-k-root", sizeMiB: 64, retention: "delete" }],
      domains: [
        { name: "pe2e-web", memoryMiB: 112, maxMemoryMiB: 160, vcpus: 1, maxVcpus: 1, disks: [] },
        { name: "pe2e-k", memoryMiB: 96, maxMemoryMiB: 96, vcpus: 1, maxVcpus: 1, disks: ["pe2e-k-root"] },
      ],
    };
    dir = synthP(program);
    const first = apply();
    let ended: Run | undefined;
    void first.then((r) => (ended = r));
    // Wait for xl create of pe2e-k on dom0, then kill the provider Terraform started (as an
    // OOM kill or a crash would), with no chance to clean up.
    let creating = false;
    const deadline = Date.now() + 300_000;
    while (!creating && ended === undefined && Date.now() < deadline) {
      creating = (await dom0.sh("pgrep -f 'xl create .*pe2e-k' >/dev/null")).code === 0;
      if (!creating) await new Promise((r) => setTimeout(r, 250));
    }
    expect(ended, `the apply ended before xl create started:\n${ended?.output ?? ""}`).toBeUndefined();
    expect(creating).toBe(true);
    await new Promise((r) => setTimeout(r, 3000));
    const killed = await start("pkill", ["-KILL", "-f", "dist/src/provider/main.js"], outdir).done;
    expect(killed.code, "pkill signalled the provider").toBe(0);
    const r1 = await first;
    expect(r1.code).not.toBe(0);
    const again = await apply();
    expect(again.code, again.output).toBe(0);
    expect(await dom0.domain("pe2e-k")).not.toBeNull();
    expect((await dom0.sh("xl list | grep -c '^pe2e-k '")).stdout.trim()).toBe("1");
    expect((await plan()).code).toBe(0);
    const destroy = await tf(dir, ["destroy", "-input=false", "-auto-approve", "-no-color"]);
    expect(destroy.code, destroy.output).toBe(0);
    expect(await dom0.domain("pe2e-k")).toBeNull();
    expect(await dom0.domain("pe2e-web")).toBeNull();
    expect((await dom0.lvs(l.volumeGroup))["pe2e-k-root"]).toBeUndefined();
  }, STEP);
});
