import { describe, expect, it } from "vitest";
import {
  DiskFormat,
  DomainType,
  MigrationPolicy,
  ShutdownAction,
  Size,
  UpdatePolicy,
  XenDomain,
  XenStoragePool,
  XenVcpuPin,
  XenVolume,
  type DomainSpec,
} from "../../src/index.js";
import { INPUT_ENV } from "../../src/constructs/resources.js";
import { TerraformVariable } from "../../src/cdktf.js";
import { newHost, newStack, problems, problemsOf, resourceOf, synth } from "./support.js";

describe("XenDomain", () => {
  it("renders an identity that runs destroy-domain with only its own input, and a configuration holding the spec", () => {
    const stack = newStack();
    const host = newHost(stack);
    const web = new XenDomain(stack, "web-1", { host, memory: Size.mebibytes(512), kernel: "/boot/vmlinuz" });
    const json = synth(stack);
    const identity = resourceOf(json, web, "identity");
    const config = resourceOf(json, web, "config");

    expect(identity.type).toBe("terraform_data");
    expect(identity.triggers_replace).toEqual({ cdktf_xen: "domain", host: "s/xen-a", name: "web-1" });
    expect(identity.input).toEqual({ cdktf_xen: "domain", host: "s/xen-a", name: "web-1", connection: host.connection });
    expect(identity.provisioner).toEqual([
      {
        "local-exec": {
          command: "$${CDKTF_XEN_CLI:-cdktf-xen} destroy-domain",
          when: "destroy",
          working_dir: "${path.module}",
          environment: { [INPUT_ENV]: "${jsonencode(self.input)}" },
        },
      },
    ]);

    expect(config.type).toBe("terraform_data");
    expect(config.triggers_replace).toEqual({ cdktf_xen: "domain-config", host: "s/xen-a", spec: web.toSpec() });
    expect(config.input).toBeUndefined();
    expect(config.provisioner).toBeUndefined();
    expect(config.depends_on).toEqual([identity.address]);
  });

  it("fills in every default: PVH, one vCPU, maxima equal to the boot values, xl's shutdown actions, autostart, pending updates", () => {
    const stack = newStack();
    const host = newHost(stack);
    const d = new XenDomain(stack, "Web Server #1", { host, memory: Size.gibibytes(1), kernel: "/boot/vmlinuz" });
    expect(d.toSpec()).toEqual<DomainSpec>({
      name: "web-server-1",
      type: "pvh",
      vcpus: 1,
      maxVcpus: 1,
      memoryMiB: 1024,
      maxMemoryMiB: 1024,
      boot: { kind: "kernel", kernel: "/boot/vmlinuz", ramdisk: null, cmdline: null },
      disks: [],
      vifs: [],
      onPoweroff: "destroy",
      onReboot: "restart",
      onCrash: "destroy",
      autostart: true,
      scheduler: { weight: 256, cap: 0 },
      cpupool: null,
      pins: [],
      cpuid: null,
      hvm: null,
      updatePolicy: "pending",
      migration: "live",
    });
  });

  it("spells out every prop in the spec, disks in vdev order and vifs in declaration order", () => {
    const stack = newStack();
    const host = newHost(stack);
    const vg = new XenStoragePool(stack, "vg0", { host, lvmVolumeGroup: "vg0" });
    const images = new XenStoragePool(stack, "images", { host, directory: "/srv/images/" });
    const root = new XenVolume(stack, "root", { pool: vg, size: Size.gibibytes(4) });
    const data = new XenVolume(stack, "data", { pool: images, name: "data.qcow2", format: DiskFormat.QCOW2, size: Size.gibibytes(8) });
    const iso = XenVolume.fromExisting(stack, "iso", { pool: images, name: "install.iso" });
    const d = new XenDomain(stack, "db", {
      host,
      name: "db-main",
      type: DomainType.HVM,
      vcpus: 2,
      maxVcpus: 4,
      memory: Size.gibibytes(2),
      maxMemory: Size.gibibytes(4),
      firmware: "uefi",
      bootOrder: "dc",
      serial: "pty",
      vnc: true,
      disks: [
        { volume: data, vdev: "xvdaa" },
        { volume: root, vdev: "xvda" },
      ],
      networks: [{ bridge: "xenbr1", mac: "00:16:3E:AA:BB:CC", model: "e1000", rate: "10Mb/s" }],
      onPoweroff: ShutdownAction.PRESERVE,
      onReboot: ShutdownAction.RENAME_RESTART,
      onCrash: ShutdownAction.COREDUMP_RESTART,
      autostart: false,
      scheduler: { weight: 512, cap: 150 },
      cpupool: "fast",
      cpuid: "host,rdtscp=0",
      updatePolicy: UpdatePolicy.RESTART,
    });
    d.addPathDisk(iso.path, { vdev: "hdc", devtype: "cdrom", access: "ro" });
    d.addDisk(root, { vdev: "xvdb", access: "ro" });
    d.addNetwork({ bridge: "xenbr0" });

    const spec = d.toSpec();
    expect(spec).toMatchObject({
      name: "db-main",
      type: "hvm",
      vcpus: 2,
      maxVcpus: 4,
      memoryMiB: 2048,
      maxMemoryMiB: 4096,
      boot: { kind: "firmware", firmware: "uefi", bootOrder: "dc" },
      onPoweroff: "preserve",
      onReboot: "rename_restart",
      onCrash: "coredump_restart",
      autostart: false,
      scheduler: { weight: 512, cap: 150 },
      cpupool: "fast",
      cpuid: "host,rdtscp=0",
      hvm: { serial: "pty", vnc: true },
      updatePolicy: "restart",
    });
    expect(spec.disks).toEqual([
      { vdev: "hdc", target: "/srv/images/install.iso", format: "raw", access: "ro", devtype: "cdrom", volume: null },
      { vdev: "xvda", target: "/dev/vg0/root", format: "raw", access: "rw", devtype: "disk", volume: "vg0/root" },
      { vdev: "xvdb", target: "/dev/vg0/root", format: "raw", access: "ro", devtype: "disk", volume: "vg0/root" },
      { vdev: "xvdaa", target: "/srv/images/data.qcow2", format: "qcow2", access: "rw", devtype: "disk", volume: "images/data.qcow2" },
    ]);
    expect(spec.vifs).toEqual([
      { bridge: "xenbr1", mac: "00:16:3e:aa:bb:cc", model: "e1000", rate: "10Mb/s" },
      { bridge: "xenbr0", mac: null, model: null, rate: null },
    ]);
    expect(problems(stack)).toEqual([]);
  });

  it.each([
    ["live", MigrationPolicy.LIVE],
    ["cold", MigrationPolicy.COLD],
    ["refuse", MigrationPolicy.REFUSE],
  ])("records migration policy %s in the spec its configuration resource carries", (spelled, migration) => {
    const stack = newStack();
    const host = newHost(stack);
    const d = new XenDomain(stack, "web", { host, memory: Size.mebibytes(256), kernel: "/k", migration });
    expect(d.toSpec().migration).toBe(spelled);
    const config = resourceOf(synth(stack), d, "config").triggers_replace as { spec: DomainSpec };
    expect(config.spec.migration).toBe(spelled);
    expect(problemsOf(stack, d)).toEqual([]);
  });

  it("moves live unless told otherwise", () => {
    const stack = newStack();
    const d = new XenDomain(stack, "web", { host: newHost(stack), memory: Size.mebibytes(256), kernel: "/k" });
    expect(d.toSpec().migration).toBe(MigrationPolicy.LIVE);
  });

  it("replaces only the configuration and the host's reconcile when the migration policy changes, never the identity", () => {
    const build = (migration: MigrationPolicy) => {
      const stack = newStack();
      const host = newHost(stack);
      const d = new XenDomain(stack, "web", { host, memory: Size.mebibytes(256), kernel: "/k", migration });
      const json = synth(stack);
      return {
        identity: resourceOf(json, d, "identity").triggers_replace,
        config: resourceOf(json, d, "config").triggers_replace,
        reconcile: resourceOf(json, host, "reconcile").triggers_replace,
      };
    };
    const live = build(MigrationPolicy.LIVE);
    const cold = build(MigrationPolicy.COLD);
    expect(cold.identity).toEqual(live.identity);
    expect(cold.config).not.toEqual(live.config);
    expect(cold.reconcile).not.toEqual(live.reconcile);
  });

  it("boots an HVM domain from SeaBIOS, disk then cdrom, when no boot is given", () => {
    const stack = newStack();
    const d = new XenDomain(stack, "win", { host: newHost(stack), type: DomainType.HVM, memory: Size.gibibytes(2) });
    expect(d.toSpec().boot).toEqual({ kind: "firmware", firmware: "bios", bootOrder: "cd" });
    expect(d.toSpec().hvm).toEqual({ serial: null, vnc: false });
  });

  it("orders its identity after the managed volumes it uses (so destroys run domain first), added late or not", () => {
    const stack = newStack();
    const host = newHost(stack);
    const vg = new XenStoragePool(stack, "vg0", { host, lvmVolumeGroup: "vg0" });
    const root = new XenVolume(stack, "root", { pool: vg, size: Size.gibibytes(4) });
    const swap = new XenVolume(stack, "swap", { pool: vg, size: Size.gibibytes(1) });
    const existing = XenVolume.fromExisting(stack, "old", { pool: vg, name: "legacy" });
    const d = new XenDomain(stack, "web", { host, memory: Size.gibibytes(1), kernel: "/k", disks: [{ volume: root, vdev: "xvda" }] });
    d.addDisk(swap, { vdev: "xvdb" });
    d.addDisk(existing, { vdev: "xvdc" });
    const json = synth(stack);
    expect(resourceOf(json, d, "identity").depends_on).toEqual([resourceOf(json, root, "volume").address, resourceOf(json, swap, "volume").address]);
  });

  it("escapes Terraform template sequences in every data string, so a kernel command line with ${x} survives", () => {
    const stack = newStack();
    const host = newHost(stack);
    const cmdline = "root=${ROOT} init=%{if x}y%{endif} keep=$${literal} cost=$5";
    const d = new XenDomain(stack, "web", { host, memory: Size.gibibytes(1), kernel: "/k", cmdline });
    const spec = (resourceOf(synth(stack), d, "config").triggers_replace as { spec: DomainSpec }).spec;
    expect(spec.boot).toMatchObject({ cmdline: "root=$${ROOT} init=%%{if x}y%%{endif} keep=$$${literal} cost=$5" });
    expect(d.toSpec().boot).toMatchObject({ cmdline });
  });

  describe("validation", () => {
    it("reports HVM-only options on a PV domain, each with the fix", () => {
      const stack = newStack();
      const d = new XenDomain(stack, "pv", {
        host: newHost(stack),
        type: DomainType.PV,
        memory: Size.mebibytes(256),
        kernel: "/k",
        serial: "pty",
        vnc: true,
        networks: [{ bridge: "xenbr0", model: "e1000" }],
      });
      d.addPathDisk("/srv/x.iso", { vdev: "hdc", devtype: "cdrom" });
      const found = problemsOf(stack, d);
      expect(found).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^serial is an HVM-only option, and this domain is pv .*: remove serial, or make the domain HVM/),
          expect.stringMatching(/^vnc is an HVM-only option/),
          expect.stringMatching(/^domains\[pv\]\.vifs\[0\]\.model: NIC model "e1000" is only emulated for HVM domains/),
          expect.stringMatching(/^domains\[pv\]\.disks\[0\]\.devtype: a cdrom drive needs an emulated device model/),
        ]),
      );
    });

    it("reports a PV domain with no way to boot, and one with two", () => {
      const stack = newStack();
      const host = newHost(stack);
      const none = new XenDomain(stack, "none", { host, type: DomainType.PV, memory: Size.mebibytes(256) });
      const two = new XenDomain(stack, "two", { host, type: DomainType.PV, memory: Size.mebibytes(256), kernel: "/k", bootloader: "pygrub" });
      expect(problemsOf(stack, none)).toEqual([expect.stringMatching(/^a pv domain needs a way to boot, and none is given: give kernel/)]);
      expect(problemsOf(stack, two)).toEqual([expect.stringMatching(/^kernel and bootloader are all ways to boot; a domain boots one way: keep one of kernel, bootloader/)]);
      expect(() => none.toSpec()).toThrow(/\[s\/none\] the spec of domain none cannot be built/);
    });

    it("reports memory that is not a whole number of MiB, with both neighbours as the fix", () => {
      const stack = newStack();
      const d = new XenDomain(stack, "web", { host: newHost(stack), memory: Size.kibibytes(262_400), kernel: "/k" });
      expect(problemsOf(stack, d)).toEqual([
        "memory 262400 KiB is not a whole number of MiB (xl.cfg counts memory in MiB and cdktf-xen never rounds silently): declare Size.mebibytes(257) or Size.mebibytes(256)",
      ]);
    });

    it("reports a disk on a volume of another host, on the domain, naming both hosts", () => {
      const stack = newStack();
      const a = newHost(stack, "xen-a");
      const b = newHost(stack, "xen-b", { address: "10.0.0.12" });
      const vgB = new XenStoragePool(stack, "vg-b", { host: b, lvmVolumeGroup: "vg0" });
      const vol = new XenVolume(stack, "root", { pool: vgB, size: Size.gibibytes(1) });
      const d = new XenDomain(stack, "web", { host: a, memory: Size.mebibytes(256), kernel: "/k", disks: [{ volume: vol, vdev: "xvda" }] });
      expect(problemsOf(stack, d)).toEqual([
        "disk xvda uses volume s/root in pool vg-b of host s/xen-b, but this domain runs on host s/xen-a (a domain can only use storage of its own host's dom0): put the volume in a pool of s/xen-a, or move the domain to s/xen-b",
      ]);
    });

    it("reports two disks on one vdev", () => {
      const stack = newStack();
      const d = new XenDomain(stack, "web", {
        host: newHost(stack),
        memory: Size.mebibytes(256),
        kernel: "/k",
        disks: [
          { path: "/dev/vg0/a", vdev: "xvda" },
          { path: "/dev/vg0/b", vdev: "xvda", access: "ro" },
        ],
      });
      expect(problemsOf(stack, d)).toEqual([expect.stringMatching(/^domains\[web\]\.disks\[1\]\.vdev: vdev "xvda" is already used by disks\[0\]/)]);
    });

    it("reports two domains of one name on a host on both of them, and one name on two hosts on all three: a name identifies a domain across hosts", () => {
      const stack = newStack();
      const a = newHost(stack, "xen-a");
      const b = newHost(stack, "xen-b", { address: "10.0.0.12" });
      const one = new XenDomain(stack, "web-1", { host: a, memory: Size.mebibytes(256), kernel: "/k" });
      const two = new XenDomain(stack, "web_1", { host: a, name: "web-1", memory: Size.mebibytes(256), kernel: "/k" });
      const elsewhere = new XenDomain(stack, "web-1-b", { host: b, name: "web-1", memory: Size.mebibytes(256), kernel: "/k" });
      const dup = /^domains\[web-1\]\.name: domain name "web-1" is declared twice on host "s\/xen-a"/;
      const clash = (path: string) => new RegExp(`domain name "web-1" is also used on another host by [^:]*${path}.*a domain whose host changes is moved there by name.*give each domain its own name`);
      expect(problemsOf(stack, one)).toEqual([expect.stringMatching(dup), expect.stringMatching(clash("s/web-1-b"))]);
      expect(problemsOf(stack, two)).toEqual([expect.stringMatching(dup), expect.stringMatching(clash("s/web-1-b"))]);
      expect(problemsOf(stack, elsewhere)).toEqual([expect.stringMatching(clash("s/web-1, s/web_1"))]);
    });

    it("reports a value that is a Terraform token instead of a literal", () => {
      const stack = newStack();
      const kernel = new TerraformVariable(stack, "kernel", { type: "string" });
      const d = new XenDomain(stack, "web", { host: newHost(stack), memory: Size.mebibytes(256), kernel: kernel.stringValue });
      expect(problemsOf(stack, d)).toEqual([expect.stringMatching(/^domain\.boot\.kernel is a Terraform token .*: pass a plain value/)]);
    });

    it("reports invalid names, bridges and MACs from the spec validator with their spec path", () => {
      const stack = newStack();
      const d = new XenDomain(stack, "web", {
        host: newHost(stack),
        name: "Domain-0",
        memory: Size.mebibytes(256),
        kernel: "/k",
        networks: [{ bridge: "br with space", mac: "01:00:5e:00:00:01", rate: "fast" }],
      });
      const found = problemsOf(stack, d);
      expect(found).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^domains\[Domain-0\]\.name: domain name "Domain-0" is dom0's name/),
          expect.stringMatching(/^domains\[Domain-0\]\.vifs\[0\]\.bridge: bridge name "br with space" contains " "/),
          expect.stringMatching(/^domains\[Domain-0\]\.vifs\[0\]\.mac: MAC address "01:00:5e:00:00:01" is a multicast address/),
          expect.stringMatching(/^domains\[Domain-0\]\.vifs\[0\]\.rate: rate "fast" is not a rate xl accepts/),
        ]),
      );
    });

    it("lists every problem of a broken program at once, each under its own construct path", () => {
      const stack = newStack();
      const host = newHost(stack, "xen-a", { hostKey: undefined, cpus: 2 });
      const vg = new XenStoragePool(stack, "vg0", { host, lvmVolumeGroup: "vg0", directory: "/srv" });
      const vol = new XenVolume(stack, "root", { pool: vg, size: Size.kibibytes(100) });
      const d = new XenDomain(stack, "web", { host, type: DomainType.PV, memory: Size.mebibytes(8), kernel: "boot/k", vnc: true, disks: [{ volume: vol, vdev: "vda" }] });
      const pin = new XenVcpuPin(stack, "pins", { domain: d, pins: { 0: "5" } });
      const paths = new Set(problems(stack).map((l) => /^\[([^\]]+)\]/.exec(l)?.[1]));
      expect(paths).toEqual(new Set([host.node.path, vg.node.path, vol.node.path, d.node.path, pin.node.path]));
    });
  });
});
