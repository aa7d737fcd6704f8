import { it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, TerraformStack, LocalBackend, DataResource } from "../../src/cdktf.js";
import { XenHost, XenStoragePool, XenVolume, XenDomain, XenVcpuPin, Size, DomainType } from "../../src/index.js";
const N = 1000;
it("ours", () => {
  const t0 = performance.now();
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "p-")) });
  const stack = new TerraformStack(app, "s");
  new LocalBackend(stack, { path: "terraform.tfstate" });
  const perHost = 50;
  let host!: XenHost; let pool!: XenStoragePool;
  for (let i = 0; i < N; i++) {
    if (i % perHost === 0) {
      host = new XenHost(stack, `xen-${i / perHost}`, { address: `10.0.${i / perHost}.1`, hostKey: "SHA256:" + "A".repeat(43), cpus: 64, memory: Size.gibibytes(1024) });
      pool = new XenStoragePool(stack, `vg-${i / perHost}`, { host, name: "vg0", lvmVolumeGroup: "vg0" });
    }
    const vol = new XenVolume(stack, `d${i}-root`, { pool, size: Size.gibibytes(10) });
    const d = new XenDomain(stack, `d${i}`, { host, type: DomainType.PV, vcpus: 2, memory: Size.gibibytes(1), kernel: "/boot/vmlinuz", disks: [{ volume: vol, vdev: "xvda" }], networks: [{ bridge: "xenbr0" }] });
    new XenVcpuPin(stack, `d${i}-pins`, { domain: d, pins: { 0: String(i % 64), 1: String((i + 1) % 64) } });
  }
  const t1 = performance.now();
  app.synth();
  console.log("ours construct", (t1 - t0).toFixed(0), "synth", (performance.now() - t1).toFixed(0));
});
it("raw", () => {
  const t0 = performance.now();
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "p-")) });
  const stack = new TerraformStack(app, "s");
  new LocalBackend(stack, { path: "terraform.tfstate" });
  for (let i = 0; i < 3 * N + N / 50; i++) new DataResource(stack, `r${i}`, { triggersReplace: { name: `r${i}` } });
  const t1 = performance.now();
  app.synth();
  console.log("raw construct", (t1 - t0).toFixed(0), "synth", (performance.now() - t1).toFixed(0));
});
