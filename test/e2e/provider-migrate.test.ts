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
 *   time with the reason and fix, its apply refuses too, and nothing reaches xenB;
 * - a cold move of local LVM volumes (RETAIN and DELETE) runs on xenB from verified copies; the
 *   RETAIN source stays on xenA, the DELETE one goes once the domain has left xenA (the two
 *   `xen_host` applies run in parallel);
 * - a bridge only xenA has: the plan refuses the move;
 * - the migration network down: the apply fails clearly, the domain still runs on xenA, and the
 *   next apply completes;
 * - the provider killed while xl migrate runs: the migration carries on, the next apply
 *   converges with the domain on exactly one host.
 *
 * Runs only with CDKTF_XEN_LAB2=1 and the two-host lab up (scripts/test.sh does both).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { App, DomainType, LifecycleResource, LocalBackend, MigrationPolicy, Size, TerraformStack, XenDomain, XenHost, XenStoragePool, XenVolume } from "../../src/index.js";
import { flat, installTestProvider } from "./support.js";
import {
  CONSOLE_DIR,
  LabAgent,
  applyWithAgent,
  awaitMigrationJob,
  dom0,
  guests,
  lastUptime,
  lvSum,
  sh,
  lab2HostProps,
  synthTwo,
  terraformWithAgent,
  twoHostLab,
  uptimeAfter,
  type Lab2Host,
  type MoveDomainDecl,
} from "./two-hosts.js";

const lab = twoHostLab();
const STEP = 900_000;
const NAME = "pmv-1";
const PV = "pmv-pv";
const STACK = "e2e-provider-move";
/** The domains of scenarios 5 to 8 (synthTwo programs, each in its own stack). */
const MORE = ["pmv-cold", "pmv-br", "pmv-un", "pmv-kill"];


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
  installTestProvider(dir);
  return dir;
}

describe.skipIf(lab === undefined)("moving a domain between the lab hosts through the native provider", () => {
  const { a, b } = lab ?? ({} as { a: Lab2Host; b: Lab2Host });
  const agent = new LabAgent();
  let outdir: string;
  let dir: string;

  const clean = async (): Promise<void> => {
    for (const h of [a, b]) {
      for (const n of [NAME, PV, ...MORE]) {
        await sh(
          h,
          `xl destroy ${n} 2>/dev/null; xl destroy ${n}--incoming 2>/dev/null; rm -f /etc/xen/cdktf-xen/${n}.cfg /etc/xen/auto/${n}.cfg ${CONSOLE_DIR}/guest-${n}*.log; ` +
            `rm -f ${h.sharedPath}/${n}-root; lvremove -y ${h.volumeGroup}/${n}-root ${h.volumeGroup}/${n}-data >/dev/null 2>&1; true`,
        );
      }
      await sh(h, `tc qdisc del dev ${h.migrationBridge} ingress 2>/dev/null; ip link del xenbr7 2>/dev/null; true`);
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

  /** Applies `domains` as stack `stack` through the provider (synthTwo, PROVIDER). */
  const applyTwo = async (stack: string, domains: readonly MoveDomainDecl[], ...extra: string[]) => {
    const stackDir = synthTwo({ a, b }, outdir, stack, domains, LifecycleResource.PROVIDER);
    return { dir: stackDir, run: await applyWithAgent(agent, stackDir, ...extra) };
  };
  /** Deploys `decl` on xenA through the provider; returns its domid there. */
  const createOnA = async (stack: string, decl: MoveDomainDecl): Promise<number> => {
    const created = await applyTwo(stack, [decl]);
    expect(created.run.code, created.run.output).toBe(0);
    const domid = (await guests(a)).get(decl.name)?.domid;
    expect(domid, `${decl.name} runs on xenA`).toBeDefined();
    return domid!;
  };
  const planTwo = (stackDir: string) => terraformWithAgent(agent, stackDir, "plan", "-input=false", "-no-color", "-detailed-exitcode");

  it("5. GIVEN a domain with local LVM volumes (RETAIN root, DELETE data) WHEN its host changes with the cold policy THEN it runs on xenB from verified copies; xenA keeps the RETAIN source and deletes the DELETE one once the domain has left", async () => {
    const name = "pmv-cold";
    const stack = "pmove-cold";
    const decl: MoveDomainDecl = {
      name,
      host: "xenA",
      migration: MigrationPolicy.COLD,
      disks: [
        { id: "root", pool: "local", sizeMiB: 16, retention: "retain" },
        { id: "data", pool: "local", sizeMiB: 8, retention: "delete" },
      ],
    };
    await createOnA(stack, decl);
    // Data only this volume has: the copy on xenB must carry it.
    await dom0(a, `head -c 1048576 /dev/urandom | dd of=/dev/${a.volumeGroup}/${name}-data bs=1M conv=notrunc,fsync status=none`);
    const dataSum = await lvSum(a, `${name}-data`);
    const rootSum = await lvSum(a, `${name}-root`);

    const movedDir = synthTwo({ a, b }, outdir, stack, [{ ...decl, host: "xenB" }], LifecycleResource.PROVIDER);
    const planned = flat((await planTwo(movedDir)).output);
    expect(planned).toMatch(new RegExp(`Warning: domain ${name}: moves from ${stack}/xenA to ${stack}/xenB \\(cold`));
    expect(planned).not.toMatch(/must be replaced|forces replacement/);
    const cold = await applyTwo(stack, [{ ...decl, host: "xenB" }]);
    expect(cold.run.code, cold.run.output).toBe(0);
    expect((await guests(a)).has(name)).toBe(false);
    expect((await guests(b)).get(name)?.state).toMatch(/^[rb-]+$/);
    expect(await lvSum(b, `${name}-data`)).toBe(dataSum);
    expect(await lvSum(b, `${name}-root`)).toBe(rootSum);
    const lvsA = await dom0(a, `lvs --noheadings -o lv_name ${a.volumeGroup}`);
    expect(lvsA).toContain(`${name}-root`); // retain: the source copy stays
    expect(lvsA).not.toContain(`${name}-data`); // delete: removed after the move
    await uptimeAfter(b, `${CONSOLE_DIR}/guest-${name}.log`, -1);
    const after = await planTwo(cold.dir);
    expect(after.code, after.output).toBe(0);
  }, STEP);

  it("6. GIVEN a domain on a bridge only xenA has WHEN its host changes THEN the plan is an error naming the bridge, the apply refuses, and nothing is sent", async () => {
    const name = "pmv-br";
    const stack = "pmove-bridge";
    await dom0(a, "ip link add xenbr7 type bridge 2>/dev/null; ip link set xenbr7 up");
    const decl: MoveDomainDecl = { name, host: "xenA", bridge: "xenbr7", disks: [{ id: "root", pool: "shared", sizeMiB: 16 }] };
    const domid = await createOnA(stack, decl);
    const movedDir = synthTwo({ a, b }, outdir, stack, [{ ...decl, host: "xenB" }], LifecycleResource.PROVIDER);
    const r = await planTwo(movedDir);
    expect(r.code, r.output).toBe(1);
    const text = flat(r.output);
    expect(text).toMatch(new RegExp(`Error: domain ${name}: moving it from ${stack}/xenA to ${stack}/xenB is refused`));
    expect(text).toMatch(/xenbr7/);
    expect(text).toMatch(/Fix: /);
    const refused = await applyWithAgent(agent, movedDir);
    expect(refused.code, refused.output).not.toBe(0);
    expect((await guests(a)).get(name)?.domid).toBe(domid);
    const onB = await guests(b);
    expect(onB.has(name) || onB.has(`${name}--incoming`)).toBe(false);
  }, STEP);

  it("7. GIVEN the migration network to xenB down WHEN the move runs THEN the apply fails clearly and the domain still runs on xenA; with the network back the next apply completes", async () => {
    const name = "pmv-un";
    const stack = "pmove-unreachable";
    const decl: MoveDomainDecl = { name, host: "xenA", disks: [{ id: "root", pool: "shared", sizeMiB: 16 }] };
    const domid = await createOnA(stack, decl);
    // Drop SSH (and only SSH: the NFS pool keeps working) arriving on xenB's migration bridge.
    await dom0(b, `tc qdisc add dev ${b.migrationBridge} ingress && tc filter add dev ${b.migrationBridge} parent ffff: protocol ip u32 match ip dport 22 0xffff action drop`);
    let failed;
    try {
      failed = await applyTwo(stack, [{ ...decl, host: "xenB" }]);
    } finally {
      await dom0(b, `tc qdisc del dev ${b.migrationBridge} ingress`);
    }
    const text = flat(failed.run.output);
    expect(failed.run.code, failed.run.output).not.toBe(0);
    expect(text).toMatch(/could not log in to .*xenB|could not reach|timed out/i);
    expect(text).toMatch(/still runs on .*xenA/);
    expect((await guests(a)).get(name)?.domid).toBe(domid);
    expect((await guests(b)).has(name)).toBe(false);
    const retried = await applyWithAgent(agent, failed.dir);
    expect(retried.code, retried.output).toBe(0);
    expect((await guests(b)).has(name)).toBe(true);
    expect((await guests(a)).has(name)).toBe(false);
    const after = await planTwo(failed.dir);
    expect(after.code, after.output).toBe(0);
  }, STEP);

  it("8. WHEN the provider is killed while xl migrate runs THEN the migration carries on, the apply fails, and the next apply converges with the domain running on exactly one host", async () => {
    const name = "pmv-kill";
    const stack = "pmove-kill";
    const decl: MoveDomainDecl = { name, host: "xenA", disks: [{ id: "root", pool: "shared", sizeMiB: 16 }] };
    await createOnA(stack, decl);
    await uptimeAfter(a, `${CONSOLE_DIR}/guest-${name}.log`, -1);
    const uptimeBefore = (await lastUptime(a, `${CONSOLE_DIR}/guest-${name}.log`))!;
    const movedDir = synthTwo({ a, b }, outdir, stack, [{ ...decl, host: "xenB" }], LifecycleResource.PROVIDER);
    const running = applyWithAgent(agent, movedDir);
    const { jobRuns, ended } = await awaitMigrationJob(a, name, running);
    expect(ended, `the apply ended before xl migrate started:\n${ended?.output ?? ""}`).toBeUndefined();
    expect(jobRuns, "xl migrate of the migration job runs on xenA within 10 minutes").toBe(true);
    // The provider process Terraform started (not Terraform itself); pkill exits 0 when it signalled one.
    expect(() => execFileSync("pkill", ["-KILL", "-f", "dist/src/provider/main.js"])).not.toThrow();
    const failed = await running;
    expect(failed.code).not.toBe(0);
    const retried = await applyWithAgent(agent, movedDir);
    expect(retried.code, retried.output).toBe(0);
    const [onA, onB] = await Promise.all([guests(a), guests(b)]);
    expect(onA.has(name)).toBe(false);
    expect(onA.has(`${name}--incoming`) || onB.has(`${name}--incoming`)).toBe(false);
    expect(onB.get(name)?.state).toMatch(/^[rb-]+$/);
    // The same guest, not a fresh boot: its uptime carried on.
    expect(await uptimeAfter(b, `${CONSOLE_DIR}/guest-${name}--incoming.log`, uptimeBefore)).toBeGreaterThan(uptimeBefore);
    expect((await sh(a, `ls /etc/xen/cdktf-xen/${name}.cfg 2>/dev/null | wc -l`)).stdout.trim()).toBe("0");
    const after = await planTwo(movedDir);
    expect(after.code, after.output).toBe(0);
  }, STEP);
});
