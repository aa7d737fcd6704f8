/**
 * Quickstart: one Xen host, one PV guest on an LVM volume, its first vCPU pinned, one network
 * interface on the host's bridge.
 *
 * With a lab host (see lab.ts) the stack targets it and deploys for real; without one it
 * targets the placeholder host below, which synthesizes and plans but cannot be deployed
 * until you put in your own host's address, key and host-key fingerprint.
 */
import type { Construct } from "constructs";
import {
  DomainType,
  LIFECYCLE_RESOURCE_CONTEXT_KEY,
  LifecycleResource,
  LocalBackend,
  Size,
  TerraformStack,
  XenDomain,
  XenHost,
  XenStoragePool,
  XenVcpuPin,
  XenVolume,
} from "../../src/index.js";
import type { LabHost } from "./lab.js";

/** The placeholder host: edit these for your own dom0. */
export const PLACEHOLDER_HOST = {
  address: "10.0.0.11",
  user: "root",
  privateKeyPath: "~/.ssh/id_ed25519",
  // `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on dom0 prints the real one.
  hostKey: "SHA256:PLACEHOLDER+run+ssh+keygen+lf+on+dom0+00000",
  guestKernel: "/var/lib/xen/boot/vmlinuz-guest",
  volumeGroup: "vg0",
  bridge: "xenbr0",
} as const;

/** Builds the quickstart stack; `lab` is the lab host when there is one. */
export class QuickstartStack extends TerraformStack {
  readonly host: XenHost;
  readonly domain: XenDomain;

  constructor(scope: Construct, id: string, lab?: LabHost) {
    super(scope, id);
    // The native provider (`npx cdktf-xen provider install` puts it where terraform init finds
    // it offline); the context key "cdktf-xen:lifecycleResource" in cdktf.json switches to the
    // provisioner resources ("terraform_data" or "null_resource").
    this.node.setContext(LIFECYCLE_RESOURCE_CONTEXT_KEY, this.node.tryGetContext(LIFECYCLE_RESOURCE_CONTEXT_KEY) ?? LifecycleResource.PROVIDER);
    // State next to cdk.tf.json, by a relative path: no absolute path lands in the JSON.
    new LocalBackend(this, { path: "terraform.tfstate" });

    this.host = lab
      ? new XenHost(this, "xen-a", {
          address: lab.address,
          port: lab.port,
          user: lab.user,
          privateKeyPath: lab.privateKeyPath,
          ...(lab.hostKey !== undefined ? { hostKey: lab.hostKey } : { knownHostsFile: lab.knownHostsFile }),
          cpus: lab.cpus,
          memory: Size.mebibytes(lab.memoryMiB),
          dom0Memory: Size.mebibytes(lab.dom0MemoryMiB),
          // The lab host boots clean every time (`npm run lab:up`). The provider sees that at
          // its refresh; the provisioner resources need a reconcile at every deploy for it.
          reconcileEveryDeploy: this.node.tryGetContext(LIFECYCLE_RESOURCE_CONTEXT_KEY) !== LifecycleResource.PROVIDER,
        })
      : new XenHost(this, "xen-a", {
          address: PLACEHOLDER_HOST.address,
          user: PLACEHOLDER_HOST.user,
          privateKeyPath: PLACEHOLDER_HOST.privateKeyPath,
          hostKey: PLACEHOLDER_HOST.hostKey,
        });

    const pool = new XenStoragePool(this, "vg0", {
      host: this.host,
      lvmVolumeGroup: lab?.volumeGroup ?? PLACEHOLDER_HOST.volumeGroup,
    });
    const root = new XenVolume(this, "web-1-root", { pool, size: Size.mebibytes(256) });

    this.domain = new XenDomain(this, "web-1", {
      host: this.host,
      // PV boots everywhere, including a Xen host without hardware virtualization (the lab).
      type: DomainType.PV,
      vcpus: 1,
      maxVcpus: 2,
      memory: Size.mebibytes(128),
      maxMemory: Size.mebibytes(256),
      kernel: lab?.guestKernel ?? PLACEHOLDER_HOST.guestKernel,
      ...(lab?.guestRamdisk !== undefined ? { ramdisk: lab.guestRamdisk } : {}),
      cmdline: "console=hvc0 root=/dev/xvda",
      disks: [{ volume: root, vdev: "xvda" }],
      networks: [{ bridge: lab?.bridge ?? PLACEHOLDER_HOST.bridge }],
    });

    new XenVcpuPin(this, "web-1-pins", { domain: this.domain, pins: { 0: "0" } });
  }
}
