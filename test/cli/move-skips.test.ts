/**
 * What the provisioners leave alone when a domain or volume moves to another host (issue #7):
 *
 * - `destinationOf`, on stacks synthesized for real with our constructs and read back with
 *   `loadStack` (as the provisioners read ./cdk.tf.json);
 * - `prune-host` and `destroy-volume` run as the real compiled program, the way Terraform's
 *   local-exec runs them (in the stack directory, the OLD instance's recorded input in
 *   CDKTF_XEN_INPUT), against a real sshd whose sessions run the FAKE Xen toolstack. Host xen-a
 *   is the fake; xen-b is declared at 127.0.0.1 port 1, where nothing listens: these commands
 *   must never connect to it, and any attempt would fail the run.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  App,
  DomainType,
  RetentionPolicy,
  Size,
  TerraformStack,
  XenDomain,
  XenHost,
  XenStoragePool,
  XenVolume,
} from "../../src/index.js";
import { describeMove, destinationOf } from "../../src/cli/move-runner.js";
import { loadStack } from "../../src/cli/stack-file.js";
import type { HostConnection } from "../../src/model/spec.js";
import { ensureBuilt, runCli } from "../helpers/cli.js";
import { FAKE_VG, hostPathsInUse } from "../helpers/fake-xen/index.js";
import { startFakeXenRig, type FakeXenRig } from "../helpers/fake-xen/rig.js";

const HOST_KEY = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8";
const A = "s/xen-a";
const B = "s/xen-b";
const C = "s/xen-c";
/** A second volume group on the fake, for the pool both hosts declare as shared. */
const SHARED_VG = "cdktfxenfakeshared";

/** The hosts of a test program. */
interface Hosts {
  readonly a: XenHost;
  readonly b: XenHost;
  readonly c: XenHost;
}

/**
 * Synthesizes `program` with real cdktf into a fresh directory; returns the stack directory.
 * Validation is on unless `validate` is false: a stack file cdktf-xen would not write (one name
 * on two hosts), as a hand-edited or merged one may be, is read defensively all the same.
 */
function synthesize(outdir: string, connectionA: HostConnection | null, program: (stack: TerraformStack, hosts: Hosts) => void, validate = true): string {
  const app = new App({ outdir, skipValidation: !validate });
  const stack = new TerraformStack(app, "s");
  const a =
    connectionA === null
      ? new XenHost(stack, "xen-a", { address: "10.0.0.11", hostKey: HOST_KEY })
      : new XenHost(stack, "xen-a", {
          address: connectionA.address,
          port: connectionA.port,
          user: connectionA.user,
          ...(connectionA.privateKeyPath === null ? {} : { privateKeyPath: connectionA.privateKeyPath }),
          ...(connectionA.hostKey === null ? { knownHostsFile: connectionA.knownHostsFile! } : { hostKey: connectionA.hostKey }),
        });
  const b = new XenHost(stack, "xen-b", { address: "127.0.0.1", port: 1, hostKey: HOST_KEY });
  const c = new XenHost(stack, "xen-c", { address: "127.0.0.1", port: 1, hostKey: HOST_KEY });
  program(stack, { a, b, c });
  app.synth();
  return join(outdir, "stacks", "s");
}

/** A PVH domain with an optional root disk. */
function domain(stack: TerraformStack, id: string, host: XenHost, props: { readonly name?: string; readonly root?: XenVolume } = {}): XenDomain {
  return new XenDomain(stack, id, {
    host,
    ...(props.name === undefined ? {} : { name: props.name }),
    type: DomainType.PVH,
    memory: Size.mebibytes(128),
    kernel: "/var/lib/xen/boot/vmlinuz-guest",
    cmdline: "console=hvc0 root=/dev/xvda",
    ...(props.root === undefined ? {} : { disks: [{ volume: props.root, vdev: "xvda" }] }),
  });
}

/** A 64 MiB volume with retention DELETE. */
function deleteVolume(stack: TerraformStack, id: string, pool: XenStoragePool, name = id): XenVolume {
  return new XenVolume(stack, id, { pool, name, size: Size.mebibytes(64), retention: RetentionPolicy.DELETE });
}

/** A cdktf-xen lifecycle resource of the stack in `dir`: its recorded input and replace triggers. */
function resource(dir: string, match: (input: Record<string, unknown>) => boolean): { input: Record<string, unknown>; triggers: Record<string, unknown> } {
  const json = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as {
    resource: { terraform_data: Record<string, { input?: Record<string, unknown>; triggers_replace?: Record<string, unknown> }> };
  };
  for (const r of Object.values(json.resource.terraform_data)) {
    if (r.input !== undefined && r.triggers_replace !== undefined && match(r.input)) return { input: r.input, triggers: r.triggers_replace };
  }
  throw new Error(`no matching cdktf-xen resource in ${dir}/cdk.tf.json`);
}
const hostResource = (dir: string, hostId: string) => resource(dir, (i) => i.cdktf_xen === "host" && i.host === hostId);
const volumeResource = (dir: string, hostId: string, name: string) =>
  resource(dir, (i) => i.cdktf_xen === "volume" && i.host === hostId && (i.volume as { name?: unknown }).name === name);

describe("destinationOf on stacks synthesized with the real constructs", () => {
  let root: string;
  let n = 0;
  const synth = (program: (stack: TerraformStack, hosts: Hosts) => void, validate = true): string => synthesize(join(root, `out-${++n}`), null, program, validate);

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "cdktf-xen-destination-test-"));
  });
  afterAll(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it("GIVEN a stack file (unvalidated) where web-1 left xen-a for xen-b, db-1 is on xen-b AND xen-c, and cache-1 stayed on xen-a THEN one, many and none", async () => {
    const dir = synth((stack, { a, b, c }) => {
      // Construct ids differ from the xl names: destinationOf goes by the xl name.
      domain(stack, "web", b, { name: "web-1" });
      domain(stack, "db-on-b", b, { name: "db-1" });
      domain(stack, "db-on-c", c, { name: "db-1" });
      domain(stack, "cache", a, { name: "cache-1" });
      domain(stack, "cache-b", b, { name: "cache-1" });
    }, false);
    const hosts = await loadStack(dir);
    expect(hosts.map((h) => h.hostId)).toEqual([A, B, C]);

    const web = destinationOf(hosts, A, "web-1");
    expect(web.kind).toBe("one");
    expect(web.kind === "one" ? web.host.hostId : undefined).toBe(B);
    expect(web.kind === "one" ? web.host.spec.domains.map((d) => d.name) : undefined).toEqual(["cache-1", "db-1", "web-1"]);

    const db = destinationOf(hosts, A, "db-1");
    expect(db.kind === "many" ? db.hosts.map((h) => h.hostId) : db.kind).toEqual([B, C]);

    // Still declared on xen-a: it stays, whatever other hosts declare.
    expect(destinationOf(hosts, A, "cache-1")).toEqual({ kind: "none" });
    // Declared nowhere: a plain removal.
    expect(destinationOf(hosts, A, "gone-1")).toEqual({ kind: "none" });
    // A construct id is not a domain name.
    expect(destinationOf(hosts, A, "web")).toEqual({ kind: "none" });
    // Seen from xen-b, web-1 is still at home.
    expect(destinationOf(hosts, B, "web-1")).toEqual({ kind: "none" });
  });

  it("GIVEN a source host the stack no longer declares at all WHEN its domain is declared on xen-b THEN the destination is xen-b", async () => {
    const dir = synth((stack, { b }) => {
      domain(stack, "web-1", b);
    });
    const hosts = await loadStack(dir);
    const d = destinationOf(hosts, "s/xen-gone", "web-1");
    expect(d.kind === "one" ? d.host.hostId : d.kind).toBe(B);
    expect(destinationOf(hosts, "s/xen-gone", "db-1")).toEqual({ kind: "none" });
  });

  it("GIVEN no stack file could be read (no hosts) THEN every domain has no destination", () => {
    expect(destinationOf([], A, "web-1")).toEqual({ kind: "none" });
  });

  it.each([
    [{ kind: "moved", method: "live", seconds: 41.25, migrateSeconds: 36.04, copied: [] } as const, "domain web-1: moved s/xen-a → s/xen-b live in 41.3 s (xl migrate 36.0 s)"],
    [{ kind: "finished-earlier-move" } as const, "domain web-1: already on s/xen-b; finished the earlier move from s/xen-a"],
    [{ kind: "absent" } as const, "domain web-1: not on s/xen-a; s/xen-b creates it"],
  ])("describeMove(%j) reads as one line", (outcome, line) => {
    expect(describeMove("web-1", A, B, outcome)).toBe(line);
  });
});

const busy = hostPathsInUse([FAKE_VG, SHARED_VG]);
if (busy !== null) console.warn(`skipping the move-aware provisioner tests against the fake Xen host: ${busy}`);

describe.skipIf(busy !== null)("prune-host and destroy-volume leave what moved to another host alone (fake Xen host)", { timeout: 120_000 }, () => {
  let rig: FakeXenRig;
  let root: string;
  let n = 0;
  const synth = (program: (stack: TerraformStack, hosts: Hosts) => void, validate = true): string =>
    synthesize(join(root, `out-${++n}`), rig.connection(), program, validate);
  const run = (command: string, dir: string, input: Record<string, unknown>, expectHash?: unknown) =>
    runCli([command], {
      cwd: dir,
      env: {
        CDKTF_XEN_INPUT: JSON.stringify(input),
        CDKTF_XEN_EXPECT: expectHash === undefined ? undefined : String(expectHash),
      },
    });
  /** Applies xen-a's declaration of the stack in `dir` to the fake. */
  const applyA = async (dir: string): Promise<void> => {
    const host = hostResource(dir, A);
    const r = await run("apply-host", dir, host.input, host.triggers.spec_hash);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  };
  const lvs = (): string[] => rig.fake.state().lvs.map((lv) => `${lv.vg}/${lv.name}`).sort();

  beforeAll(async () => {
    ensureBuilt();
    rig = await startFakeXenRig({ volumeGroups: { [FAKE_VG]: 262_144, [SHARED_VG]: 262_144 } });
    root = mkdtempSync(join(tmpdir(), "cdktf-xen-move-skips-test-"));
  }, 180_000);
  afterAll(async () => {
    await rig?.stop();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    rig.fake.reset();
  });

  it("GIVEN web-1 now declared on xen-b and gone-1 declared nowhere WHEN xen-a's prune-host runs THEN web-1 keeps running (it says so) with its DELETE volume, and gone-1 and its volume are removed", async () => {
    const before = synth((stack, { a }) => {
      const vg = new XenStoragePool(stack, "vg-a", { host: a, name: "vg", lvmVolumeGroup: FAKE_VG });
      domain(stack, "web-1", a, { root: deleteVolume(stack, "web-1-root", vg) });
      domain(stack, "gone-1", a, { root: deleteVolume(stack, "gone-1-root", vg) });
    });
    await applyA(before);
    expect(rig.fake.state().domains.map((d) => d.name).sort()).toEqual(["gone-1", "web-1"]);

    const after = synth((stack, { a, b }) => {
      new XenStoragePool(stack, "vg-a", { host: a, name: "vg", lvmVolumeGroup: FAKE_VG });
      const vgB = new XenStoragePool(stack, "vg-b", { host: b, name: "vg", lvmVolumeGroup: "vg0" });
      domain(stack, "web-1", b, { root: deleteVolume(stack, "web-1-root", vgB) });
    });
    const mark = rig.fake.mark();
    const r = await run("prune-host", after, hostResource(before, A).input);

    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`cdktf-xen: host ${A}: domain web-1 is declared on another host now: left to its move, not removed\n`);
    expect(r.stdout).toContain(`cdktf-xen: host ${A}: domain gone-1 is no longer declared: stopped and removed\n`);
    expect(r.stdout).toContain(`cdktf-xen: host ${A}: volume vg/gone-1-root is no longer declared: deleted\n`);
    expect(r.stdout).not.toMatch(/web-1-root/);

    expect(rig.fake.state().domains.map((d) => d.name)).toEqual(["web-1"]);
    expect(lvs()).toEqual([`${FAKE_VG}/web-1-root`]);
    expect(rig.fake.changingCallsSince(mark).filter((c) => c.includes("web-1"))).toEqual([]);
  });

  it("GIVEN DELETE volumes xen-a no longer declares WHEN prune-host runs THEN one declared on xen-b in a pool of the same name is kept, one xen-b has in a pool of another name is deleted", async () => {
    const before = synth((stack, { a }) => {
      const vg = new XenStoragePool(stack, "vg-a", { host: a, name: "vg", lvmVolumeGroup: FAKE_VG });
      deleteVolume(stack, "data-1", vg);
      deleteVolume(stack, "data-2", vg);
    });
    await applyA(before);
    expect(lvs()).toEqual([`${FAKE_VG}/data-1`, `${FAKE_VG}/data-2`]);

    const after = synth((stack, { a, b }) => {
      new XenStoragePool(stack, "vg-a", { host: a, name: "vg", lvmVolumeGroup: FAKE_VG });
      deleteVolume(stack, "data-1", new XenStoragePool(stack, "vg-b", { host: b, name: "vg", lvmVolumeGroup: "vg0" }));
      deleteVolume(stack, "data-2", new XenStoragePool(stack, "other-b", { host: b, name: "other", lvmVolumeGroup: "vg1" }));
    });
    const r = await run("prune-host", after, hostResource(before, A).input);

    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toContain(`cdktf-xen: host ${A}: volume vg/data-2 is no longer declared: deleted\n`);
    expect(r.stdout).not.toContain("data-1");
    expect(lvs()).toEqual([`${FAKE_VG}/data-1`]);
  });

  it("GIVEN everything recorded moved to xen-b WHEN prune-host runs THEN it names the moving domain and does not connect to xen-a at all", async () => {
    const before = synth((stack, { a }) => {
      const vg = new XenStoragePool(stack, "vg-a", { host: a, name: "vg", lvmVolumeGroup: FAKE_VG });
      domain(stack, "web-1", a, { root: deleteVolume(stack, "web-1-root", vg) });
    });
    await applyA(before);
    const after = synth((stack, { b }) => {
      domain(stack, "web-1", b, { root: deleteVolume(stack, "web-1-root", new XenStoragePool(stack, "vg-b", { host: b, name: "vg", lvmVolumeGroup: "vg0" })) });
    });
    const mark = rig.fake.mark();
    const r = await run("prune-host", after, hostResource(before, A).input);
    expect(r).toEqual({ code: 0, stdout: `cdktf-xen: host ${A}: domain web-1 is declared on another host now: left to its move, not removed\n`, stderr: "" });
    expect(rig.fake.callsSince(mark)).toEqual([]);
  });

  it("GIVEN web-1 left xen-a and a stack file (unvalidated) declares it on xen-b AND xen-c WHEN xen-a's destroy-domain runs THEN exit 1, naming both hosts, and nothing is touched", async () => {
    const before = synth((stack, { a }) => {
      domain(stack, "web-1", a);
    });
    await applyA(before);
    const after = synth((stack, { b, c }) => {
      domain(stack, "web-on-b", b, { name: "web-1" });
      domain(stack, "web-on-c", c, { name: "web-1" });
    }, false);
    const mark = rig.fake.mark();
    const r = await run("destroy-domain", after, resource(before, (i) => i.cdktf_xen === "domain" && i.name === "web-1").input);

    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^Error: domain web-1 left s\/xen-a but is declared on s\/xen-b and s\/xen-c: .*nothing was changed\nFix: declare web-1 on one host only/);
    expect(rig.fake.callsSince(mark)).toEqual([]);
    expect(rig.fake.domain("web-1")).toBeDefined();
  });

  // A name identifies a domain across hosts (a move goes by name), so worker-1 on xen-a and
  // another worker-1 on xen-b — whose removal from xen-a prune-host would take for a move — is
  // refused when the program is synthesized, before any host is touched.
  it("GIVEN worker-1 declared on xen-a AND on xen-b THEN synthesis fails naming both, so prune-host can never take a removal for a move", () => {
    expect(() =>
      synth((stack, { a, b }) => {
        domain(stack, "worker-a", a, { name: "worker-1" });
        domain(stack, "worker-b", b, { name: "worker-1" });
      }),
    ).toThrow(/domain name "worker-1" is also used on another host by s\/worker-(a|b)/);
  });

  describe("destroy-volume of a DELETE volume xen-a no longer declares", () => {
    /** xen-a before: sh-1 in its shared pool, loc-1 in its local pool, both DELETE; applied. */
    const applyBefore = async (): Promise<string> => {
      const before = synth((stack, { a }) => {
        deleteVolume(stack, "sh-1", new XenStoragePool(stack, "shared-a", { host: a, name: "shared", lvmVolumeGroup: SHARED_VG, shared: true }));
        deleteVolume(stack, "loc-1", new XenStoragePool(stack, "vg-a", { host: a, name: "vg", lvmVolumeGroup: FAKE_VG }));
      });
      await applyA(before);
      expect(lvs()).toEqual([`${SHARED_VG}/sh-1`, `${FAKE_VG}/loc-1`]);
      return before;
    };

    it("GIVEN xen-b declares sh-1 in its shared pool on the same volume group THEN it is kept (same data), without connecting; loc-1, which xen-b has in a local pool, is deleted", async () => {
      const before = await applyBefore();
      const after = synth((stack, { a, b }) => {
        new XenStoragePool(stack, "shared-a", { host: a, name: "shared", lvmVolumeGroup: SHARED_VG, shared: true });
        new XenStoragePool(stack, "vg-a", { host: a, name: "vg", lvmVolumeGroup: FAKE_VG });
        deleteVolume(stack, "sh-1", new XenStoragePool(stack, "shared-b", { host: b, name: "shared", lvmVolumeGroup: SHARED_VG, shared: true }));
        deleteVolume(stack, "loc-1", new XenStoragePool(stack, "vg-b", { host: b, name: "vg", lvmVolumeGroup: FAKE_VG }));
      });

      const mark = rig.fake.mark();
      const kept = await run("destroy-volume", after, volumeResource(before, A, "sh-1").input);
      expect(kept).toEqual({
        code: 0,
        stdout: `cdktf-xen: host ${A}: volume shared/sh-1 is on shared storage and still declared on ${B}: kept\n`,
        stderr: "",
      });
      expect(rig.fake.callsSince(mark)).toEqual([]);
      expect(lvs()).toContain(`${SHARED_VG}/sh-1`);

      const deleted = await run("destroy-volume", after, volumeResource(before, A, "loc-1").input);
      expect([deleted.code, deleted.stderr]).toEqual([0, ""]);
      expect(deleted.stdout.trim().split("\n").at(-1)).toBe(`cdktf-xen: host ${A}: volume vg/loc-1 deleted (retention: delete)`);
      expect(lvs()).toEqual([`${SHARED_VG}/sh-1`]);
    });

    it.each([
      ["in a pool of that name that is NOT shared", { lvmVolumeGroup: SHARED_VG, shared: false }],
      ["in a shared pool of that name on ANOTHER volume group", { lvmVolumeGroup: "elsewhere", shared: true }],
      ["in a shared directory pool of that name", { directory: "/srv/shared", shared: true }],
    ])("GIVEN xen-b declares sh-1 %s THEN it is not the same data: xen-a's copy is deleted", async (_what, poolB) => {
      const before = await applyBefore();
      const after = synth((stack, { a, b }) => {
        new XenStoragePool(stack, "shared-a", { host: a, name: "shared", lvmVolumeGroup: SHARED_VG, shared: true });
        deleteVolume(stack, "sh-1", new XenStoragePool(stack, "shared-b", { host: b, name: "shared", ...poolB }));
      });
      const r = await run("destroy-volume", after, volumeResource(before, A, "sh-1").input);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(r.stdout.trim().split("\n").at(-1)).toBe(`cdktf-xen: host ${A}: volume shared/sh-1 deleted (retention: delete)`);
      expect(lvs()).toEqual([`${FAKE_VG}/loc-1`]);
    });
  });
});
