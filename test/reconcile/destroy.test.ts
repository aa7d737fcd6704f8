/**
 * destroyDomain and destroyVolume (what the destroy-time provisioners run) against a real
 * sshd whose sessions run the FAKE Xen toolstack: graceful stop then forced, files removed,
 * what cdktf-xen does not manage left alone, volumes kept or deleted per retention.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { destroyDomain, destroyVolume } from "../../src/reconcile/destroy.js";
import { ReconcileError } from "../../src/reconcile/errors.js";
import { applyHost } from "../../src/reconcile/reconciler.js";
import type { Ssh2Transport } from "../../src/ssh/ssh2-transport.js";
import { FAKE_VG, hostPathsInUse } from "../helpers/fake-xen/index.js";
import { FAKE_HOST_ID, FAKE_POOL, fakeDomain, fakeHostSpec, fakeRootVolume, startFakeXenRig, type FakeXenRig } from "../helpers/fake-xen/rig.js";

const busy = hostPathsInUse();
if (busy !== null) console.warn(`skipping the destroy tests against the fake Xen host: ${busy}`);

const cfgPath = (name: string): string => `/etc/xen/cdktf-xen/${name}.cfg`;
const linkPath = (name: string): string => `/etc/xen/auto/${name}.cfg`;

describe.skipIf(busy !== null)("destroy provisioners against a real sshd and the fake Xen toolstack", { timeout: 90_000 }, () => {
  let rig: FakeXenRig;
  let t: Ssh2Transport;

  beforeAll(async () => {
    rig = await startFakeXenRig();
  });
  afterAll(async () => {
    await rig?.stop();
  });
  beforeEach(async () => {
    rig.fake.reset();
    t = rig.transport();
    await applyHost(t, fakeHostSpec([fakeDomain("web-1")], [fakeRootVolume("web-1")]));
  });
  afterEach(async () => {
    await t.close();
  });

  it("GIVEN a guest that ignores shutdown WHEN destroy-domain runs THEN the graceful shutdown times out, xl destroy stops it, config file and autostart link are removed", async () => {
    await rig.fake.update((s) => {
      s.domains[0]!.guest.ignoresShutdown = true;
    });
    const mark = rig.fake.mark();

    const outcome = await destroyDomain(t, "web-1", { shutdownSec: 2 });

    expect(outcome).toBe("stopped-and-removed");
    const calls = rig.fake.callsSince(mark).filter((c) => c.argv[1] === "shutdown" || c.argv[1] === "destroy");
    expect(calls.map((c) => [c.argv.join(" "), c.signal])).toEqual([
      ["xl shutdown web-1", null],
      ["xl destroy web-1", null],
    ]);
    expect(rig.fake.domain("web-1")).toBeUndefined();
    expect([existsSync(cfgPath("web-1")), existsSync(linkPath("web-1"))]).toEqual([false, false]);
    // The domain's volume is not the domain's to delete.
    expect(rig.fake.state().lvs.map((lv) => lv.name)).toEqual(["web-1-root"]);
  });

  it("GIVEN a guest that shuts down WHEN destroy-domain runs THEN the graceful shutdown is enough; run again it finds nothing", async () => {
    const mark = rig.fake.mark();

    expect(await destroyDomain(t, "web-1", { shutdownSec: 20 })).toBe("stopped-and-removed");

    expect(rig.fake.changingCallsSince(mark)).toEqual(["xl shutdown web-1"]);
    expect(rig.fake.domain("web-1")).toBeUndefined();
    expect(await destroyDomain(t, "web-1")).toBe("absent");
  });

  it("GIVEN a stopped managed domain WHEN destroy-domain runs THEN only its files are removed", async () => {
    await t.exec("xl destroy web-1");
    const mark = rig.fake.mark();
    expect(await destroyDomain(t, "web-1")).toBe("removed-files");
    expect(rig.fake.changingCallsSince(mark)).toEqual([]);
    expect([existsSync(cfgPath("web-1")), existsSync(linkPath("web-1"))]).toEqual([false, false]);
  });

  it("GIVEN a running domain cdktf-xen did not create WHEN destroy-domain names it THEN it is left running", async () => {
    const cfgDir = join(rig.fake.dir, "hand-written");
    mkdirSync(cfgDir, { recursive: true });
    writeFileSync(join(cfgDir, "legacy.cfg"), 'name = "legacy"\nkernel = "/boot/vmlinuz"\nmemory = 128\n');
    expect((await t.exec(`xl create ${join(cfgDir, "legacy.cfg")}`)).code).toBe(0);
    const mark = rig.fake.mark();

    expect(await destroyDomain(t, "legacy", { shutdownSec: 2 })).toBe("unmanaged-left-alone");

    expect(rig.fake.changingCallsSince(mark)).toEqual([]);
    expect(rig.fake.domain("legacy")).toBeDefined();
  });

  it("GIVEN retention retain WHEN destroy-volume runs THEN the LV is kept and LVM is not asked to remove anything", async () => {
    await destroyDomain(t, "web-1");
    const mark = rig.fake.mark();
    expect(await destroyVolume(t, FAKE_POOL, fakeRootVolume("web-1", 256, "retain"))).toBe("retained");
    expect(rig.fake.changingCallsSince(mark)).toEqual([]);
    expect(existsSync(`/dev/${FAKE_VG}/web-1-root`)).toBe(true);
  });

  it("GIVEN retention delete WHEN destroy-volume runs THEN lvremove deletes the LV; run again it is absent", async () => {
    await destroyDomain(t, "web-1");
    const mark = rig.fake.mark();
    expect(await destroyVolume(t, FAKE_POOL, fakeRootVolume("web-1", 256, "delete"))).toBe("deleted");
    expect(rig.fake.changingCallsSince(mark)).toEqual([`lvremove -y ${FAKE_VG}/web-1-root`]);
    expect(rig.fake.state().lvs).toEqual([]);
    expect(existsSync(`/dev/${FAKE_VG}/web-1-root`)).toBe(false);
    expect(await destroyVolume(t, FAKE_POOL, fakeRootVolume("web-1", 256, "delete"))).toBe("absent");
  });

  it("GIVEN retention delete and a running domain using the LV WHEN destroy-volume runs THEN it refuses, naming host, volume, step, cause and fix", async () => {
    const mark = rig.fake.mark();
    const error = await destroyVolume(t, FAKE_POOL, fakeRootVolume("web-1", 256, "delete")).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ReconcileError);
    expect((error as Error).message).toBe(
      `could not delete volume /dev/${FAKE_VG}/web-1-root [host ${FAKE_HOST_ID}, volume vg/web-1-root, step "delete volume"]: ` +
        `/dev/${FAKE_VG}/web-1-root is in use by a running domain\n` +
        "Fix: destroy or detach the domain that uses it first (Terraform does this when the domain is destroyed in the same apply)",
    );
    expect(rig.fake.changingCallsSince(mark)).toEqual([]);
    expect(rig.fake.state().lvs.map((lv) => lv.name)).toEqual(["web-1-root"]);
  });
});
