import { describe, expect, it } from "vitest";
import { DiskFormat, RetentionPolicy, Size, XenDomain, XenStoragePool, XenVolume } from "../../src/index.js";
import { INPUT_ENV } from "../../src/constructs/resources.js";
import { allResources, newHost, newStack, problemsOf, resourceOf, synth } from "./support.js";

describe("XenVolume and XenStoragePool", () => {
  it("renders a volume replaced only by its identity, with pool, spec and connection as in-place input", () => {
    const stack = newStack();
    const host = newHost(stack);
    const pool = new XenStoragePool(stack, "fast", { host, lvmVolumeGroup: "vg_fast" });
    const vol = new XenVolume(stack, "web-root", { pool, size: Size.gibibytes(20) });
    const r = resourceOf(synth(stack), vol, "volume");

    expect(r.type).toBe("terraform_data");
    expect(r.triggers_replace).toEqual({ cdktf_xen: "volume", host: "s/xen-a", pool: "fast", name: "web-root" });
    expect(r.input).toEqual({
      cdktf_xen: "volume",
      host: "s/xen-a",
      pool: { kind: "lvm", name: "fast", volumeGroup: "vg_fast", shared: false },
      volume: { name: "web-root", pool: "fast", sizeMiB: 20480, format: "raw", retention: "retain" },
      connection: host.connection,
    });
    expect(r.provisioner).toEqual([
      {
        "local-exec": {
          command: "$${CDKTF_XEN_CLI:-cdktf-xen} destroy-volume",
          when: "destroy",
          working_dir: "${path.module}",
          environment: { [INPUT_ENV]: "${jsonencode(self.input)}" },
        },
      },
    ]);
    expect(vol.path).toBe("/dev/vg_fast/web-root");
  });

  it("records the retention where destroy-volume reads it: retain by default, delete when asked", () => {
    const stack = newStack();
    const pool = new XenStoragePool(stack, "vg0", { host: newHost(stack), lvmVolumeGroup: "vg0" });
    const kept = new XenVolume(stack, "kept", { pool, size: Size.gibibytes(1) });
    const scratch = new XenVolume(stack, "scratch", { pool, size: Size.gibibytes(1), retention: RetentionPolicy.DELETE });
    const json = synth(stack);
    expect((resourceOf(json, kept, "volume").input as { volume: { retention: string } }).volume.retention).toBe("retain");
    expect((resourceOf(json, scratch, "volume").input as { volume: { retention: string } }).volume.retention).toBe("delete");
  });

  it("puts qcow2 files in a directory pool under the directory", () => {
    const stack = newStack();
    const pool = new XenStoragePool(stack, "images", { host: newHost(stack), directory: "/var/lib/xen/images/" });
    const vol = new XenVolume(stack, "img", { pool, name: "img.qcow2", format: DiskFormat.QCOW2, size: Size.mebibytes(512) });
    expect(vol.path).toBe("/var/lib/xen/images/img.qcow2");
    expect(pool.toSpec()).toEqual({ kind: "dir", name: "images", path: "/var/lib/xen/images/", shared: false });
    expect(problemsOf(stack, vol)).toEqual([]);
  });

  it.each([
    ["an LVM", { lvmVolumeGroup: "vg_cluster" }, { kind: "lvm", name: "san", volumeGroup: "vg_cluster" }],
    ["a directory", { directory: "/srv/nfs" }, { kind: "dir", name: "san", path: "/srv/nfs" }],
  ])("marks %s pool declared shared as shared in its spec, the host's spec and its volumes' recorded input", (_kind, location, spec) => {
    const stack = newStack();
    const host = newHost(stack);
    const pool = new XenStoragePool(stack, "san", { host, ...location, shared: true });
    const vol = new XenVolume(stack, "web-root", { pool, size: Size.gibibytes(1) });
    expect(pool.toSpec()).toEqual({ ...spec, shared: true });
    expect(host.toSpec().pools).toEqual([{ ...spec, shared: true }]);
    expect((resourceOf(synth(stack), vol, "volume").input as { pool: unknown }).pool).toEqual({ ...spec, shared: true });
    expect(problemsOf(stack, pool)).toEqual([]);
  });

  it("keeps a pool local unless it is declared shared, and shared: false says the same", () => {
    const stack = newStack();
    const host = newHost(stack);
    const implicit = new XenStoragePool(stack, "vg0", { host, lvmVolumeGroup: "vg0" });
    const explicit = new XenStoragePool(stack, "vg1", { host, lvmVolumeGroup: "vg1", shared: false });
    expect(implicit.toSpec()).toMatchObject({ shared: false });
    expect(explicit.toSpec()).toMatchObject({ shared: false });
  });

  it("replaces no volume when a pool becomes shared: the volume's input changes in place and the host's spec hash changes", () => {
    const build = (shared: boolean) => {
      const stack = newStack();
      const host = newHost(stack);
      const pool = new XenStoragePool(stack, "images", { host, directory: "/srv/images", shared });
      const vol = new XenVolume(stack, "root", { pool, size: Size.gibibytes(1) });
      const web = new XenDomain(stack, "web", { host, memory: Size.mebibytes(256), kernel: "/k", disks: [{ volume: vol, vdev: "xvda" }] });
      const json = synth(stack);
      return { volume: resourceOf(json, vol, "volume"), identity: resourceOf(json, web, "identity"), hash: host.specHash() };
    };
    const local = build(false);
    const shared = build(true);
    expect(shared.volume.triggers_replace).toEqual(local.volume.triggers_replace);
    expect(shared.identity.triggers_replace).toEqual(local.identity.triggers_replace);
    expect(shared.volume.input).not.toEqual(local.volume.input);
    expect(shared.hash).not.toBe(local.hash);
  });

  it("lets two hosts declare the same shared pool, same name and path, each in its own spec", () => {
    const stack = newStack();
    const a = newHost(stack, "xen-a");
    const b = newHost(stack, "xen-b", { address: "10.0.0.12" });
    const onA = new XenStoragePool(stack, "shared-a", { host: a, name: "shared", directory: "/srv/shared", shared: true });
    const onB = new XenStoragePool(stack, "shared-b", { host: b, name: "shared", directory: "/srv/shared", shared: true });
    new XenVolume(stack, "a-root", { pool: onA, size: Size.gibibytes(1) });
    new XenVolume(stack, "b-root", { pool: onB, size: Size.gibibytes(1) });
    expect(a.toSpec().pools).toEqual(b.toSpec().pools);
    expect(problemsOf(stack, onA)).toEqual([]);
    expect(problemsOf(stack, onB)).toEqual([]);
  });

  it("renders nothing for an existing volume and gives its path to the disk, outside the host's spec", () => {
    const stack = newStack();
    const host = newHost(stack);
    const pool = new XenStoragePool(stack, "vg0", { host, lvmVolumeGroup: "vg0" });
    const existing = XenVolume.fromExisting(stack, "legacy", { pool, name: "old-root", size: Size.gibibytes(8) });
    const d = new XenDomain(stack, "web", { host, memory: Size.mebibytes(256), kernel: "/k", disks: [{ volume: existing, vdev: "xvda" }] });
    const json = synth(stack);

    expect(existing.managed).toBe(false);
    expect(allResources(json).filter(([, body]) => JSON.stringify(body).includes("old-root")).map(([a]) => a)).toEqual([
      resourceOf(json, d, "config").address,
    ]);
    expect(d.toSpec().disks).toEqual([{ vdev: "xvda", target: "/dev/vg0/old-root", format: "raw", access: "rw", devtype: "disk", volume: null }]);
    expect(host.toSpec().volumes).toEqual([]);
    expect(host.toSpec().pools).toEqual([]);
  });

  it("refuses fromExisting without a name at once", () => {
    const stack = newStack();
    const pool = new XenStoragePool(stack, "vg0", { host: newHost(stack), lvmVolumeGroup: "vg0" });
    expect(() => XenVolume.fromExisting(stack, "x", { pool, name: "" })).toThrow(/\[s\/x\] XenVolume.fromExisting needs the existing volume's name/);
  });

  describe("validation", () => {
    it("reports a size that is not a whole number of MiB on the volume", () => {
      const stack = newStack();
      const pool = new XenStoragePool(stack, "vg0", { host: newHost(stack), lvmVolumeGroup: "vg0" });
      const vol = new XenVolume(stack, "root", { pool, size: Size.kibibytes(1536) });
      expect(problemsOf(stack, vol)).toEqual([
        "size 1536 KiB is not a whole number of MiB (volumes are created in MiB and cdktf-xen never rounds silently): declare Size.mebibytes(2) or Size.mebibytes(1)",
      ]);
      expect(() => vol.toSpec()).toThrow(/not a whole number of MiB/);
    });

    it("reports qcow2 in an LVM pool, and a bad volume name, with the spec path", () => {
      const stack = newStack();
      const pool = new XenStoragePool(stack, "vg0", { host: newHost(stack), lvmVolumeGroup: "vg0" });
      const vol = new XenVolume(stack, "root", { pool, name: "root_tmeta", format: DiskFormat.QCOW2, size: Size.gibibytes(1) });
      expect(problemsOf(stack, vol)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^volumes\[vg0\/root_tmeta\]\.name: volume name "root_tmeta" contains "_tmeta"/),
          expect.stringMatching(/^volumes\[vg0\/root_tmeta\]\.format: format "qcow2" is not possible in LVM pool "vg0"/),
        ]),
      );
    });

    it("reports two volumes of one name in a pool on both", () => {
      const stack = newStack();
      const pool = new XenStoragePool(stack, "vg0", { host: newHost(stack), lvmVolumeGroup: "vg0" });
      const a = new XenVolume(stack, "a", { pool, name: "root", size: Size.gibibytes(1) });
      const b = new XenVolume(stack, "b", { pool, name: "root", size: Size.gibibytes(2) });
      expect(problemsOf(stack, a)).toEqual([expect.stringMatching(/^volumes\[vg0\/root\]\.name: volume "vg0\/root" is declared twice/)]);
      expect(problemsOf(stack, b)).toEqual(problemsOf(stack, a));
    });

    it("reports a pool with both or neither location on the pool", () => {
      const stack = newStack();
      const host = newHost(stack);
      const both = new XenStoragePool(stack, "both", { host, lvmVolumeGroup: "vg0", directory: "/srv" });
      const neither = new XenStoragePool(stack, "neither", { host });
      expect(problemsOf(stack, both)).toEqual([expect.stringMatching(/^both lvmVolumeGroup and directory are given: give exactly one/)]);
      expect(problemsOf(stack, neither)).toEqual([expect.stringMatching(/^neither lvmVolumeGroup nor directory is given: give exactly one/)]);
    });

    it("reports a relative directory and a bad volume group even on a pool no volume uses yet", () => {
      const stack = newStack();
      const host = newHost(stack);
      const dir = new XenStoragePool(stack, "dir", { host, directory: "images" });
      const vg = new XenStoragePool(stack, "vg", { host, lvmVolumeGroup: "-vg" });
      expect(problemsOf(stack, dir)).toEqual([expect.stringMatching(/^pools\[dir\]\.path: directory pool path "images" is not absolute/)]);
      expect(problemsOf(stack, vg)).toEqual([expect.stringMatching(/^pools\[vg\]\.volumeGroup: volume group name "-vg"/)]);
    });

    it("reports a bad name of an existing volume on it", () => {
      const stack = newStack();
      const pool = new XenStoragePool(stack, "vg0", { host: newHost(stack), lvmVolumeGroup: "vg0" });
      const existing = XenVolume.fromExisting(stack, "legacy", { pool, name: "../etc/passwd" });
      expect(problemsOf(stack, existing)).toEqual([expect.stringMatching(/^volume name "..\/etc\/passwd" contains "\/"/)]);
    });
  });
});
