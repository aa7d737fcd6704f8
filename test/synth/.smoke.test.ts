import { it } from "vitest";
import { App, TerraformStack, Testing } from "../../src/cdktf.js";
import { XenHost, XenStoragePool, XenVolume, XenDomain, XenVcpuPin, Size, DomainType, readStack } from "../../src/index.js";
it("smoke", () => {
  const app = Testing.app();
  const stack = new TerraformStack(app, "s");
  const host = new XenHost(stack, "xen-a", { address: "10.0.0.11", hostKey: "SHA256:" + "A".repeat(43), cpus: 4, memory: Size.gibibytes(8) });
  const pool = new XenStoragePool(stack, "vg0", { host, lvmVolumeGroup: "vg0" });
  const vol = new XenVolume(stack, "web-1-root", { pool, size: Size.gibibytes(20) });
  const web = new XenDomain(stack, "web-1", { host, type: DomainType.PV, vcpus: 2, memory: Size.gibibytes(1), kernel: "/boot/vmlinuz", cmdline: "root=${ROOT} %{x}", disks: [{ volume: vol, vdev: "xvda" }], networks: [{ bridge: "xenbr0" }] });
  new XenVcpuPin(stack, "pins", { domain: web, pins: { 0: "2", 1: "3" } });
  const out = Testing.synth(stack, true);
  console.log(out);
  console.log(JSON.stringify(readStack(JSON.parse(out)), null, 1).slice(0, 3000));
});
