/**
 * Moving a domain between hosts through the NATIVE PROVIDER, end to end on the two-host lab
 * (issue 14): real Terraform 1.11.4 and the provider from dist/; a PVH guest with its disk in
 * the shared pool is deployed on xenA, its host changes to xenB, and
 * - the plan is an in-place update of xenB's `xen_host` with a warning that the domain moves
 *   live (nothing replaced, nothing destroyed), and no `xl create` anywhere;
 * - the apply migrates it with `xl migrate` (the operator's agent forwarded to xenA for the
 *   hop): the guest keeps running (its uptime carries on) as a new domain of xenB, whose domid
 *   the state then holds;
 * - the next plan is empty (exit 0);
 * - a PV guest (Debian's Xen has no shadow paging for its log-dirty mode) is refused at plan
 *   time with the reason and fix, its apply refuses too, and nothing reaches xenB.
 *
 * Runs only with CDKTF_XEN_LAB2=1 and the two-host lab up (scripts/test.sh does both).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { App, DomainType, LifecycleResource, LocalBackend, MigrationPolicy, Size, TerraformStack, XenDomain, XenHost, XenStoragePool, XenVolume } from "../../src/index.js";
import { installProvider } from "../../src/provider/xen/install.js";
import { ROOT } from "./support.js";
import { CONSOLE_DIR, LabAgent, guests, lastUptime, sh, lab2HostProps, terraformWithAgent, twoHostLab, uptimeAfter, type Lab2Host } from "./two-hosts.js";

const lab = twoHostLab();
const STEP = 900_000;
const NAME = "pmv-1";
const PV = "pmv-pv";
const STACK = "e2e-provider-move";

/** The program: both hosts on the provider, `name` (PVH unless `pv`, shared disk) declared on `on`. */
function synth(l: { a: Lab2Host; b: Lab2Host }, outdir: string, on: "xenA" | "xenB", name = NAME, pv = false, stackName = STACK): string {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, stackName);
  new LocalBackend(stack, { path: "terraform.tfstate" });
  const shared = new Map<string, { host: XenHost; pool: XenStoragePool }>();
  for (const h of [l.a, l.b]) {
    const host = new XenHost(stack, h.name, {
      ...lab2HostProps(h),
      lifecycleResource: LifecycleResource.PROVIDER,
    });
    shared.set(h.name, { host, pool: new XenStoragePool(stack, `${h.name}-shared`, { host, name: "shared", directory: h.sharedPath, shared: true }) });
  }
  const where = shared.get(on)!;
  const root = new XenVolume(stack, `${name}-root`, { pool: where.pool, name: `${name}-root`, size: Size.mebibytes(32) });
  new XenDomain(stack, name, {
    host: where.host,
    type: pv ? DomainType.PV : DomainType.PVH,
    memory: Size.mebibytes(128),
    kernel: l.a.guestKernel,
    ramdisk: l.a.guestRamdisk,
    cmdline: "console=hvc0",
    // PVH under TCG crashes on RDTSCP without this (LAB-NOTES).
    ...(pv ? {} : { cpuid: "host,rdtscp=0" }),
    migration: MigrationPolicy.LIVE,
    disks: [{ volume: root, vdev: "xvda" }],
    networks: [{ bridge: l.a.bridge }],
  });
  app.synth();
  const dir = join(outdir, "stacks", stackName);
  installProvider({ pluginsDir: join(dir, "terraform.d", "plugins"), entry: join(ROOT, "dist", "src", "provider", "main.js") });
  return dir;
}

describe.skipIf(lab === undefined)("moving a domain between the lab hosts through the native provider", () => {
  const { a, b } = lab ?? ({} as { a: Lab2Host; b: Lab2Host });
  const agent = new LabAgent();
  let outdir: string;
  let dir: string;

  const clean = async (): Promise<void> => {
    for (const h of [a, b]) {
      for (const n of [NAME, PV]) {
        await sh(h, `xl destroy ${n} 2>/dev/null; xl destroy ${n}--incoming 2>/dev/null; rm -f /etc/xen/cdktf-xen/${n}.cfg /etc/xen/auto/${n}.cfg ${CONSOLE_DIR}/guest-${n}*.log; rm -f ${h.sharedPath}/${n}-root; true`);
      }
    }
  };
  const tf = async (...args: string[]) => terraformWithAgent(agent, dir, ...args);
  const plan = () => tf("plan", "-input=false", "-no-color", "-detailed-exitcode");

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), "cdktf-xen-e2e-provider-move-"));
    await agent.start(a.privateKeyPath);
    await clean();
  }, STEP);

  afterAll(async () => {
    await clean();
    agent.stop();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  }, STEP);

  let domidOnA = 0;
  let uptimeOnA = -1;

  it("1. GIVEN both hosts on the provider WHEN the PVH domain is deployed on xenA THEN it runs there, and the plan is then empty", async () => {
    dir = synth({ a, b }, outdir, "xenA");
    const init = await tf("init", "-input=false", "-no-color");
    expect(init.code, init.output).toBe(0);
    const applied = await tf("apply", "-input=false", "-auto-approve", "-no-color");
    expect(applied.code, applied.output).toBe(0);
    const onA = (await guests(a)).get(NAME);
    expect(onA).toBeDefined();
    domidOnA = onA!.domid;
    expect((await guests(b)).has(NAME)).toBe(false);
    uptimeOnA = await uptimeAfter(a, `${CONSOLE_DIR}/guest-${NAME}.log`, -1);
    const again = await plan();
    expect(again.code, again.output).toBe(0);
  }, STEP);

  it("2. WHEN its host changes to xenB THEN the plan is an in-place update with a warning that it moves live, nothing replaced or destroyed", async () => {
    dir = synth({ a, b }, outdir, "xenB");
    const r = await plan();
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(new RegExp(`Warning: domain ${NAME}: moves from ${STACK}/xenA to ${STACK}/xenB \\(live\\)`));
    expect(r.output).toMatch(/~ update in-place/);
    expect(r.output).not.toMatch(/must be replaced|forces replacement|will be destroyed/);
    expect(r.output).toMatch(/0 to add, 2 to change, 0 to destroy/);
    // Planning ran nothing: still on xenA, same domid, nothing on xenB.
    expect((await guests(a)).get(NAME)?.domid).toBe(domidOnA);
    const onB = await guests(b);
    expect(onB.has(NAME) || onB.has(`${NAME}--incoming`)).toBe(false);
  }, STEP);

  it("3. WHEN applied THEN xl migrate moves it live: the guest keeps running (uptime carries on) on xenB, whose domid the state holds, nothing left on xenA; the next plan is empty", async () => {
    await sh(b, `rm -f ${CONSOLE_DIR}/guest-${NAME}--incoming.log`);
    const before = (await lastUptime(a, `${CONSOLE_DIR}/guest-${NAME}.log`)) ?? uptimeOnA;
    const r = await tf("apply", "-input=false", "-auto-approve", "-no-color");
    expect(r.code, r.output).toBe(0);
    const [onA, onB] = await Promise.all([guests(a), guests(b)]);
    expect(onA.has(NAME)).toBe(false);
    const moved = onB.get(NAME);
    expect(moved?.state).toMatch(/^[rb-]+$/);
    // A new domain on xenB: its domid is xenB's (domids count per host, so it may equal xenA's).
    expect(moved?.domid).toBeGreaterThan(0);
    // The same guest: no reboot, its uptime continues in the console log xenB keeps under the incoming name.
    expect(await uptimeAfter(b, `${CONSOLE_DIR}/guest-${NAME}--incoming.log`, before)).toBeGreaterThan(before);
    expect((await sh(b, `readlink /etc/xen/auto/${NAME}.cfg`)).stdout.trim()).toBe(`/etc/xen/cdktf-xen/${NAME}.cfg`);
    expect((await sh(a, `ls /etc/xen/cdktf-xen/${NAME}.cfg /etc/xen/auto/${NAME}.cfg 2>/dev/null | wc -l`)).stdout.trim()).toBe("0");
    const state = JSON.parse((await tf("show", "-json")).output) as { values: { root_module: { resources: { values: { host_id: string; domain: Record<string, { domid: number }> } }[] } } };
    const hostB = state.values.root_module.resources.find((x) => x.values.host_id === `${STACK}/xenB`);
    expect(hostB?.values.domain[NAME]?.domid).toBe(moved?.domid);
    const after = await plan();
    expect(after.code, after.output).toBe(0);
  }, STEP);

  it("4. GIVEN a PV domain on xenA (Debian's Xen has no shadow paging) WHEN its host changes to xenB THEN the plan is an error with the reason and fix, the apply refuses, and it still runs on xenA only", async () => {
    dir = synth({ a, b }, outdir, "xenA", PV, true, `${STACK}-pv`);
    expect((await tf("init", "-input=false", "-no-color")).code).toBe(0);
    const created = await tf("apply", "-input=false", "-auto-approve", "-no-color");
    expect(created.code, created.output).toBe(0);
    const domid = (await guests(a)).get(PV)?.domid;
    expect(domid).toBeDefined();
    dir = synth({ a, b }, outdir, "xenB", PV, true, `${STACK}-pv`);
    const r = await plan();
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(new RegExp(`Error: domain ${PV}: moving it from ${STACK}-pv/xenA to ${STACK}-pv/xenB is refused \\(pv-shadow\\)`));
    expect(r.output).toMatch(/shadow paging/);
    expect(r.output).toMatch(/Make pmv-pv PVH/);
    const refused = await tf("apply", "-input=false", "-auto-approve", "-no-color");
    expect(refused.code, refused.output).not.toBe(0);
    expect((await guests(a)).get(PV)?.domid).toBe(domid);
    const onB = await guests(b);
    expect(onB.has(PV) || onB.has(`${PV}--incoming`)).toBe(false);
  }, STEP);
});
