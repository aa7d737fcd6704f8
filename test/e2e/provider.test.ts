/**
 * The native provider end to end on the real Xen 4.17 lab host, through real Terraform 1.11.4:
 * the plan says what will happen (in place, with the attribute), drift made by hand on dom0
 * shows as exit 2, a change that waits for the next boot is warned about before apply and
 * reboots nothing, and the guest's IP comes back as a Terraform output.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { App, DomainType, LifecycleResource, LocalBackend, Size, TerraformStack, XenDomain, XenHost, XenStoragePool, XenVolume } from "../../src/index.js";
import { TerraformOutput } from "../../src/cdktf.js";
import { Dom0, e2eLab, installTestProvider, labHostProps, terraform, type Run } from "./support.js";
import type { LabHost } from "../../examples/quickstart/lab.js";

const lab = e2eLab();
const STEP = 600_000;
const NAME = "e2e-pweb";

interface Decl {
  readonly memoryMiB: number;
  readonly maxMemoryMiB: number;
  /**
   * An output of the guest's IP addresses. Off until scenario 6: the address appears when the
   * guest has booted, after the apply, and a changed output alone makes a plan exit 2.
   */
  readonly ipOutput?: boolean;
}

function synthProvider(l: LabHost, outdir: string, d: Decl): string {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, "e2e-provider");
  new LocalBackend(stack, { path: "terraform.tfstate" });
  const host = new XenHost(stack, "lab", { ...labHostProps(l), lifecycleResource: LifecycleResource.PROVIDER });
  const pool = new XenStoragePool(stack, "vg0", { host, lvmVolumeGroup: l.volumeGroup });
  const root = new XenVolume(stack, `${NAME}-root`, { pool, size: Size.mebibytes(64) });
  const web = new XenDomain(stack, NAME, {
    host,
    type: DomainType.PV,
    vcpus: 1,
    maxVcpus: 2,
    memory: Size.mebibytes(d.memoryMiB),
    maxMemory: Size.mebibytes(d.maxMemoryMiB),
    kernel: l.guestKernel,
    ...(l.guestRamdisk !== undefined ? { ramdisk: l.guestRamdisk } : {}),
    cmdline: "console=hvc0",
    disks: [{ volume: root, vdev: "xvda" }],
    networks: [{ bridge: l.bridge }],
  });
  if (d.ipOutput === true) new TerraformOutput(stack, "web_ip", { value: web.ipAddresses });
  new TerraformOutput(stack, "web_domid", { value: web.domid });
  app.synth();
  const dir = join(outdir, "stacks", "e2e-provider");
  installTestProvider(dir);
  return dir;
}

const ok = (r: Run): string => {
  expect(r.code, r.output).toBe(0);
  return r.output;
};

describe.skipIf(lab === undefined)("the native provider end to end on the lab Xen host", () => {
  const l = lab!;
  let dom0: Dom0;
  let outdir: string;
  let dir: string;
  const deploy = async (d: Decl): Promise<string> => {
    dir = synthProvider(l, outdir, d);
    ok(await terraform(dir, "init", "-input=false", "-no-color"));
    return ok(await terraform(dir, "apply", "-input=false", "-auto-approve", "-no-color"));
  };
  const plan = (): Promise<Run> => terraform(dir, "plan", "-input=false", "-no-color", "-detailed-exitcode");

  beforeAll(async () => {
    dom0 = new Dom0(l);
    outdir = mkdtempSync(join(tmpdir(), "cdktf-xen-e2e-provider-"));
    await dom0.sh(`xl destroy ${NAME} 2>/dev/null; rm -f /etc/xen/cdktf-xen/${NAME}.cfg /etc/xen/auto/${NAME}.cfg; lvremove -y vg0/${NAME}-root >/dev/null 2>&1; true`);
  }, STEP);

  afterAll(async () => {
    await dom0?.sh(`xl destroy ${NAME} 2>/dev/null; rm -f /etc/xen/cdktf-xen/${NAME}.cfg /etc/xen/auto/${NAME}.cfg; lvremove -y vg0/${NAME}-root >/dev/null 2>&1; true`);
    await dom0?.close();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  }, STEP);

  it("1. GIVEN a program on the provider WHEN terraform applies it THEN the domain runs and its domid comes back", async () => {
    await deploy({ memoryMiB: 128, maxMemoryMiB: 256 });
    const d = await dom0.domain(NAME);
    expect(d?.targetMiB).toBe(128);
    const out = JSON.parse(ok(await terraform(dir, "output", "-json", "web_domid"))) as number;
    expect(out).toBe(d?.domid);
  }, STEP);

  it("2. GIVEN the deployed program WHEN planned again THEN nothing changes (exit 0)", async () => {
    const r = await plan();
    expect(r.code, r.output).toBe(0);
  }, STEP);

  it("3. GIVEN a memory change WHEN planned THEN it is an update in place of exactly memory_mib, applied live", async () => {
    dir = synthProvider(l, outdir, { memoryMiB: 192, maxMemoryMiB: 256 });
    const r = await plan();
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/~ update in-place/);
    expect(r.output).toMatch(/~ memory_mib\s+= 128 -> 192/);
    expect(r.output).not.toMatch(/must be replaced|forces replacement/);
    const before = (await dom0.domain(NAME))!.domid;
    ok(await terraform(dir, "apply", "-input=false", "-auto-approve", "-no-color"));
    const after = await dom0.domain(NAME);
    expect(after?.targetMiB).toBe(192);
    expect(after?.domid).toBe(before);
  }, STEP);

  it("4. GIVEN xl mem-set by hand on dom0 WHEN planned THEN the plan exits 2 naming memory_mib, and apply sets it back", async () => {
    await dom0.run("xl", "mem-set", NAME, "160m");
    const r = await plan();
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/~ memory_mib\s+= 160 -> 192/);
    ok(await terraform(dir, "apply", "-input=false", "-auto-approve", "-no-color"));
    expect((await dom0.domain(NAME))?.targetMiB).toBe(192);
    expect((await plan()).code).toBe(0);
  }, STEP);

  it("5. GIVEN a maxmem change under PENDING WHEN planned THEN a warning names the domain and attribute, and apply reboots nothing", async () => {
    dir = synthProvider(l, outdir, { memoryMiB: 192, maxMemoryMiB: 320 });
    const r = await plan();
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(new RegExp(`Warning: domain ${NAME}: max_memory_mib takes effect at the next boot`));
    const before = (await dom0.domain(NAME))!;
    ok(await terraform(dir, "apply", "-input=false", "-auto-approve", "-no-color"));
    const after = (await dom0.domain(NAME))!;
    expect(after.domid).toBe(before.domid);
    expect(after.maxMiB).toBe(before.maxMiB);
    const state = JSON.parse(ok(await terraform(dir, "show", "-json"))) as { values: { root_module: { resources: { values: { domain: Record<string, { pending_restart: string[] }> } }[] } } };
    expect(state.values.root_module.resources[0]?.values.domain[NAME]?.pending_restart).toEqual(["max_memory_mib"]);
    expect((await plan()).code).toBe(0);
  }, STEP);

  it("6. GIVEN the guest has its DHCP lease WHEN Terraform refreshes THEN terraform output shows its IP address", async () => {
    dir = synthProvider(l, outdir, { memoryMiB: 192, maxMemoryMiB: 320, ipOutput: true });
    let ips: string[] = [];
    for (let i = 0; i < 24 && ips.length === 0; i++) {
      ok(await terraform(dir, "apply", "-refresh-only", "-input=false", "-auto-approve", "-no-color"));
      ips = JSON.parse(ok(await terraform(dir, "output", "-json", "web_ip"))) as string[];
      if (ips.length === 0) await new Promise((r) => setTimeout(r, 5000));
    }
    expect(ips.length).toBeGreaterThan(0);
    expect(ips[0]).toMatch(/^10\.0\.2\.\d+$/);
  }, STEP);

  it("7. GIVEN the program WHEN terraform destroys it THEN the domain is gone and its retained volume kept", async () => {
    ok(await terraform(dir, "destroy", "-input=false", "-auto-approve", "-no-color"));
    expect(await dom0.domain(NAME)).toBeNull();
    expect(Object.keys(await dom0.lvs(l.volumeGroup))).toContain(`${NAME}-root`);
  }, STEP);
});
