import { describe, expect, it } from "vitest";
import {
  DiskFormat,
  DomainType,
  LifecycleResource,
  MigrationPolicy,
  RetentionPolicy,
  Size,
  XenDomain,
  XenStoragePool,
  XenVcpuPin,
  XenVolume,
  type XenHost,
} from "../../src/index.js";
import { hostSpecHash } from "../../src/model/hash.js";
import { readStack } from "../../src/testing.js";
import type { TerraformStack } from "../../src/cdktf.js";
import { newHost, newStack, synth, type SynthJson } from "./support.js";

/** Two hosts with everything a spec can hold, including strings Terraform would evaluate. */
function program(stack: TerraformStack, lifecycleResource: LifecycleResource): XenHost[] {
  const a = newHost(stack, "xen-a", { lifecycleResource, cpus: 8, privateKeyPath: "~/.ssh/${weird}%{key}" });
  const b = newHost(stack, "xen-b", { lifecycleResource, address: "10.0.0.12", knownHostsFile: "/etc/ssh/known", hostKey: undefined });
  const vgA = new XenStoragePool(stack, "vg-a", { host: a, name: "vg0", lvmVolumeGroup: "vg0" });
  const dirA = new XenStoragePool(stack, "dir-a", { host: a, name: "images", directory: "/srv/images" });
  new XenStoragePool(stack, "unused", { host: a, lvmVolumeGroup: "vg9" });
  const vgB = new XenStoragePool(stack, "vg-b", { host: b, name: "vg0", lvmVolumeGroup: "vg0" });
  const zRoot = new XenVolume(stack, "z-root", { pool: vgA, size: Size.gibibytes(2) });
  const aRoot = new XenVolume(stack, "a-root", { pool: vgA, size: Size.gibibytes(3), retention: RetentionPolicy.DELETE });
  const img = new XenVolume(stack, "img", { pool: dirA, name: "img.qcow2", format: DiskFormat.QCOW2, size: Size.mebibytes(700) });
  const bRoot = new XenVolume(stack, "b-root", { pool: vgB, size: Size.gibibytes(1) });
  const zeta = new XenDomain(stack, "zeta", {
    host: a,
    type: DomainType.PV,
    vcpus: 4,
    memory: Size.mebibytes(512),
    kernel: "/k",
    cmdline: "root=${ROOT} %{if} $${lit}",
    disks: [
      { volume: zRoot, vdev: "xvda" },
      { volume: img, vdev: "xvdb" },
    ],
    networks: [{ bridge: "xenbr0", mac: "00:16:3e:00:00:01" }],
  });
  new XenVcpuPin(stack, "zeta-pins", { domain: zeta, pins: { "0-3": "4-7" }, soft: { 0: "4" } });
  new XenDomain(stack, "alpha", { host: a, memory: Size.mebibytes(256), kernel: "/k", disks: [{ volume: aRoot, vdev: "xvda" }] });
  new XenDomain(stack, "other", { host: b, type: DomainType.HVM, memory: Size.gibibytes(1), disks: [{ volume: bRoot, vdev: "xvda" }] });
  return [a, b];
}

describe("readStack", () => {
  it.each([LifecycleResource.TERRAFORM_DATA, LifecycleResource.NULL_RESOURCE])(
    "gives back exactly each host's spec, connection and hash from %s resources",
    (type) => {
      const stack = newStack();
      const hosts = program(stack, type);
      const { hosts: read, issues } = readStack(synth(stack));
      expect(issues).toEqual([]);
      expect(read.map((h) => h.hostId)).toEqual(["s/xen-a", "s/xen-b"]);
      for (const [i, host] of hosts.entries()) {
        const r = read[i];
        expect(r?.spec).toEqual(host.toSpec());
        expect(r?.connection).toEqual(host.connection);
        expect(r?.specHash).toBe(hostSpecHash(host.toSpec()));
        expect(r?.expectedHash).toBe(host.specHash());
        expect(r?.lifecycleResource).toBe(type);
      }
    },
  );

  it.each([LifecycleResource.TERRAFORM_DATA, LifecycleResource.NULL_RESOURCE])(
    "gives back from %s resources each host's migration settings, shared pools and domains' migration policies",
    (lifecycleResource) => {
      const stack = newStack();
      const a = newHost(stack, "xen-a", { lifecycleResource, migration: { address: "192.168.77.11", port: 2222, identityFile: "/root/.ssh/id_migration" } });
      const b = newHost(stack, "xen-b", { lifecycleResource, address: "10.0.0.12" });
      const pool = new XenStoragePool(stack, "shared-a", { host: a, name: "shared", directory: "/srv/shared", shared: true });
      new XenStoragePool(stack, "shared-b", { host: b, name: "shared", directory: "/srv/shared", shared: true });
      const root = new XenVolume(stack, "root", { pool, size: Size.gibibytes(1) });
      new XenDomain(stack, "web", { host: a, memory: Size.mebibytes(256), kernel: "/k", disks: [{ volume: root, vdev: "xvda" }] });
      new XenDomain(stack, "db", { host: b, memory: Size.mebibytes(256), kernel: "/k", migration: MigrationPolicy.REFUSE });
      const { hosts, issues } = readStack(synth(stack));
      expect(issues).toEqual([]);
      expect(hosts.map((h) => h.migration)).toEqual([
        { address: "192.168.77.11", port: 2222, identityFile: "/root/.ssh/id_migration" },
        { address: null, port: null, identityFile: null },
      ]);
      expect(hosts[0]?.spec.pools).toEqual([{ kind: "dir", name: "shared", path: "/srv/shared", shared: true }]);
      expect(hosts.map((h) => h.spec.domains.map((d) => d.migration))).toEqual([["live"], ["refuse"]]);
      expect(hosts.map((h) => h.spec)).toEqual([a.toSpec(), b.toSpec()]);
    },
  );

  it("rebuilds the spec in canonical order: pools and domains by name, volumes by pool then name", () => {
    const stack = newStack();
    const [a] = program(stack, LifecycleResource.TERRAFORM_DATA);
    const spec = readStack(synth(stack)).hosts[0]?.spec;
    expect(spec?.pools.map((p) => p.name)).toEqual(["images", "vg0"]);
    expect(spec?.volumes.map((v) => `${v.pool}/${v.name}`)).toEqual(["images/img.qcow2", "vg0/a-root", "vg0/z-root"]);
    expect(spec?.domains.map((d) => d.name)).toEqual(["alpha", "zeta"]);
    expect(spec?.domains[1]?.boot).toEqual({ kind: "kernel", kernel: "/k", ramdisk: null, cmdline: "root=${ROOT} %{if} $${lit}" });
    expect(a?.toSpec().pools.map((p) => p.name)).toEqual(["images", "vg0"]);
  });

  it("reads the cdk.tf.json that App.synth writes, metadata and all", async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { App, TerraformStack } = await import("../../src/cdktf.js");
    const outdir = mkdtempSync(join(tmpdir(), "cdktf-xen-reader-"));
    try {
      const app = new App({ outdir });
      const stack = new TerraformStack(app, "s");
      const hosts = program(stack, LifecycleResource.TERRAFORM_DATA);
      app.synth();
      const json: unknown = JSON.parse(readFileSync(join(outdir, "stacks", "s", "cdk.tf.json"), "utf8"));
      const { hosts: read, issues } = readStack(json);
      expect(issues).toEqual([]);
      expect(read.map((h) => h.spec)).toEqual(hosts.map((h) => h.toSpec()));
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  describe("issues", () => {
    function tamper(fn: (json: SynthJson & { resource: Record<string, Record<string, Record<string, unknown>>> }) => void) {
      const stack = newStack();
      program(stack, LifecycleResource.TERRAFORM_DATA);
      const json = structuredClone(synth(stack)) as SynthJson & { resource: Record<string, Record<string, Record<string, unknown>>> };
      fn(json);
      return readStack(json);
    }
    const byPrefix = (json: { resource: Record<string, Record<string, Record<string, unknown>>> }, prefix: string) => {
      const entry = Object.entries(json.resource.terraform_data ?? {}).find(([name]) => name.startsWith(prefix));
      if (entry === undefined) throw new Error(`no resource ${prefix}`);
      return entry[1];
    };

    it("reports a spec edited by hand: the recomputed hash differs from the recorded one", () => {
      const { hosts, issues } = tamper((json) => {
        const config = byPrefix(json, "alpha_config") as { triggers_replace: { spec: { memoryMiB: number } } };
        config.triggers_replace.spec.memoryMiB = 999;
      });
      expect(hosts[0]?.specHash).not.toBe(hosts[0]?.expectedHash);
      expect(issues).toEqual([
        {
          path: expect.stringMatching(/^resource\.terraform_data\.xen-a_reconcile_[0-9A-F]+\.spec_hash$/),
          message: expect.stringMatching(/does not match the declared state .*cdk\.tf\.json was edited by hand/),
        },
      ]);
    });

    it("reports domains whose host has no reconcile resource", () => {
      const { hosts, issues } = tamper((json) => {
        for (const name of Object.keys(json.resource.terraform_data ?? {})) {
          if (name.startsWith("xen-b_reconcile")) delete json.resource.terraform_data?.[name];
        }
      });
      expect(hosts.map((h) => h.hostId)).toEqual(["s/xen-a"]);
      expect(issues).toEqual([{ path: expect.stringMatching(/^resource\.terraform_data\./), message: expect.stringMatching(/host "s\/xen-b" has domains or volumes but no reconcile resource/) }]);
    });

    it("reports an identity without configuration", () => {
      const { issues } = tamper((json) => {
        for (const name of Object.keys(json.resource.terraform_data ?? {})) {
          if (name.startsWith("alpha_config")) delete json.resource.terraform_data?.[name];
        }
      });
      expect(issues.map((i) => i.message)).toEqual(
        expect.arrayContaining([expect.stringMatching(/domain "alpha" has an identity but no configuration resource/)]),
      );
    });

    it("reports a malformed connection and a null_resource trigger that is not JSON, and ignores resources that are not ours", () => {
      const stack = newStack();
      program(stack, LifecycleResource.NULL_RESOURCE);
      const json = structuredClone(synth(stack)) as { resource: Record<string, Record<string, Record<string, unknown>>> };
      const nulls = json.resource.null_resource ?? {};
      const reconcile = Object.entries(nulls).find(([n]) => n.startsWith("xen-b_reconcile"))?.[1] as { triggers: Record<string, string> };
      reconcile.triggers.connection = "{not json";
      (json.resource.terraform_data ??= {}).unrelated = { triggers_replace: { something: "else" } };
      const { hosts, issues } = readStack(json);
      expect(hosts.map((h) => h.hostId)).toEqual(["s/xen-a"]);
      expect(issues).toEqual(
        expect.arrayContaining([
          { path: expect.stringMatching(/\.triggers\.connection$/), message: expect.stringMatching(/not canonical JSON/) },
        ]),
      );
    });

    it("returns no hosts and no issues for a stack without cdktf-xen resources, or for no JSON object at all", () => {
      expect(readStack({ resource: { terraform_data: { x: { input: { a: 1 } } } } })).toEqual({ hosts: [], issues: [] });
      expect(readStack(null)).toEqual({ hosts: [], issues: [] });
    });
  });
});
