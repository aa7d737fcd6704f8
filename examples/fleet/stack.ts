/**
 * A small fleet: two hosts on one bridge, web and database tiers spread over them, each
 * domain with its own volume and pinned vCPUs, one HVM appliance, a directory pool of qcow2
 * images and an ISO that already exists on dom0.
 */
import type { Construct } from "constructs";
import {
  DiskFormat,
  LIFECYCLE_RESOURCE_CONTEXT_KEY,
  LifecycleResource,
  DomainType,
  LocalBackend,
  RetentionPolicy,
  Size,
  TerraformStack,
  UpdatePolicy,
  XenDomain,
  XenHost,
  XenStoragePool,
  XenVcpuPin,
  XenVolume,
} from "../../src/index.js";

const BRIDGE = "xenbr0";
const KERNEL = "/var/lib/xen/boot/vmlinuz-guest";
const RAMDISK = "/var/lib/xen/boot/initrd-guest.img";

/** Two hosts, seven domains. */
export class FleetStack extends TerraformStack {
  readonly hosts: readonly XenHost[];
  readonly domains: readonly XenDomain[];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // The native provider (`npx cdktf-xen provider install` puts it where terraform init finds
    // it offline); the context key "cdktf-xen:lifecycleResource" in cdktf.json switches to the
    // provisioner resources ("terraform_data" or "null_resource").
    this.node.setContext(LIFECYCLE_RESOURCE_CONTEXT_KEY, this.node.tryGetContext(LIFECYCLE_RESOURCE_CONTEXT_KEY) ?? LifecycleResource.PROVIDER);
    new LocalBackend(this, { path: "terraform.tfstate" });

    const hostA = new XenHost(this, "xen-a", {
      address: "10.0.0.11",
      privateKeyPath: "~/.ssh/xen_fleet_ed25519",
      passphraseEnv: "XEN_FLEET_KEY_PASSPHRASE",
      hostKey: "SHA256:REPLACE+ME+with+the+host+key+of+xen+a+00000",
      cpus: 16,
      memory: Size.gibibytes(64),
      dom0Memory: Size.gibibytes(4),
    });
    const hostB = new XenHost(this, "xen-b", {
      address: "10.0.0.12",
      // The SSH agent, and the host key from a known_hosts file.
      knownHostsFile: "~/.ssh/known_hosts",
      cpus: 8,
      memory: Size.gibibytes(32),
      dom0Memory: Size.gibibytes(2),
    });
    this.hosts = [hostA, hostB];

    const vgA = new XenStoragePool(this, "xen-a-vg0", { host: hostA, name: "vg0", lvmVolumeGroup: "vg0" });
    const vgB = new XenStoragePool(this, "xen-b-vg0", { host: hostB, name: "vg0", lvmVolumeGroup: "vg0" });
    const imagesB = new XenStoragePool(this, "xen-b-images", { host: hostB, name: "images", directory: "/var/lib/xen/images" });

    const domains: XenDomain[] = [];
    // Web tier on xen-a: 2 vCPUs each, pinned to their own pair of pCPUs (dom0 keeps 0-1).
    for (let i = 1; i <= 4; i++) {
      const root = new XenVolume(this, `web-${String(i)}-root`, { pool: vgA, size: Size.gibibytes(10) });
      const web = new XenDomain(this, `web-${String(i)}`, {
        host: hostA,
        vcpus: 2,
        memory: Size.gibibytes(2),
        maxMemory: Size.gibibytes(4),
        kernel: KERNEL,
        ramdisk: RAMDISK,
        cmdline: "console=hvc0 root=/dev/xvda ro",
        disks: [{ volume: root, vdev: "xvda" }],
        networks: [{ bridge: BRIDGE, mac: `00:16:3e:0a:00:0${String(i)}` }],
        scheduler: { weight: 256 },
      });
      const first = 2 * i;
      new XenVcpuPin(this, `web-${String(i)}-pins`, {
        domain: web,
        pins: { 0: String(first), 1: String(first + 1) },
      });
      domains.push(web);
    }

    // Database tier on xen-b: bigger guests, a data volume kept on removal, soft affinity.
    for (let i = 1; i <= 2; i++) {
      const root = new XenVolume(this, `db-${String(i)}-root`, { pool: vgB, size: Size.gibibytes(10) });
      const data = new XenVolume(this, `db-${String(i)}-data`, {
        pool: vgB,
        size: Size.gibibytes(100),
        retention: RetentionPolicy.RETAIN,
      });
      const db = new XenDomain(this, `db-${String(i)}`, {
        host: hostB,
        vcpus: 4,
        maxVcpus: 4,
        memory: Size.gibibytes(8),
        kernel: KERNEL,
        ramdisk: RAMDISK,
        cmdline: "console=hvc0 root=/dev/xvda ro",
        disks: [
          { volume: root, vdev: "xvda" },
          { volume: data, vdev: "xvdb" },
        ],
        networks: [{ bridge: BRIDGE, mac: `00:16:3e:0b:00:0${String(i)}` }],
        scheduler: { weight: 512 },
        // Databases get the new configuration at once, with a graceful restart.
        updatePolicy: UpdatePolicy.RESTART,
      });
      const base = 4 * (i - 1);
      new XenVcpuPin(this, `db-${String(i)}-pins`, {
        domain: db,
        pins: { "0-3": `${String(base)}-${String(base + 3)}` },
        soft: { 0: String(base) },
      });
      domains.push(db);
    }

    // An HVM appliance booting from a qcow2 image, with an installer ISO that already exists.
    const applianceDisk = new XenVolume(this, "appliance-disk", {
      pool: imagesB,
      name: "appliance.qcow2",
      format: DiskFormat.QCOW2,
      size: Size.gibibytes(8),
      retention: RetentionPolicy.DELETE,
    });
    const installer = XenVolume.fromExisting(this, "installer-iso", { pool: imagesB, name: "installer.iso" });
    const appliance = new XenDomain(this, "appliance", {
      host: hostB,
      type: DomainType.HVM,
      vcpus: 1,
      memory: Size.gibibytes(1),
      firmware: "bios",
      bootOrder: "dc",
      serial: "pty",
      disks: [{ volume: applianceDisk, vdev: "xvda" }],
      networks: [{ bridge: BRIDGE, model: "e1000" }],
      cpuid: "host,rdtscp=0",
      autostart: false,
    });
    appliance.addPathDisk(installer.path, { vdev: "hdc", devtype: "cdrom", access: "ro" });
    domains.push(appliance);

    this.domains = domains;
  }
}
