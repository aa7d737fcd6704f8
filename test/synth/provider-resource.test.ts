import { describe, expect, it } from "vitest";
import { TerraformOutput } from "../../src/cdktf.js";
import { LifecycleResource, Size, XenDomain, XenStoragePool, XenVolume } from "../../src/index.js";
import { hostFromValue } from "../../src/provider/xen/convert.js";
import { newHost, newStack, problems, synth } from "./support.js";

function fleet(lifecycleResource: LifecycleResource = LifecycleResource.PROVIDER) {
  const stack = newStack();
  const a = newHost(stack, "xen-a", { lifecycleResource });
  const b = newHost(stack, "xen-b", { address: "10.0.0.12", lifecycleResource });
  const pool = new XenStoragePool(stack, "vg0", { host: a, lvmVolumeGroup: "vg0" });
  const root = new XenVolume(stack, "web-1-root", { pool, size: Size.gibibytes(2) });
  const web = new XenDomain(stack, "web-1", {
    host: a,
    memory: Size.mebibytes(512),
    kernel: "/boot/vmlinuz",
    cmdline: "console=hvc0 note=${not-a-template}",
    disks: [{ volume: root, vdev: "xvda" }],
    networks: [{ bridge: "xenbr0" }],
  });
  new XenDomain(stack, "db-1", { host: b, memory: Size.mebibytes(256), kernel: "/boot/vmlinuz" });
  return { stack, a, b, web };
}

describe("a program on the native provider", () => {
  it("synthesizes one xen_host per host and no provisioner resources", () => {
    const { stack } = fleet();
    const json = synth(stack);
    expect(Object.keys(json.resource ?? {})).toEqual(["xen_host"]);
    expect(Object.keys(json.resource?.["xen_host"] ?? {})).toHaveLength(2);
    expect(problems(stack)).toEqual([]);
  });

  it("requires the xen provider from its offline source and version", () => {
    const json = synth(fleet().stack);
    expect((json.terraform?.["required_providers"] as Record<string, unknown>)["xen"]).toEqual({ source: "registry.terraform.io/cdktf-xen/xen", version: "0.1.0" });
    expect(json.provider?.["xen"]).toBeDefined();
  });

  it("holds each host's whole declaration, read back by the provider as the host's spec", () => {
    const { stack, a } = fleet();
    const json = synth(stack);
    const resource = Object.values(json.resource?.["xen_host"] ?? {}).find((r) => r["host_id"] === a.hostId)!;
    // Terraform unescapes $${ to ${ before the provider sees it.
    const seen = JSON.parse(JSON.stringify(resource).replaceAll("$${", "${")) as Record<string, unknown>;
    const decl = hostFromValue(seen);
    expect(decl.spec).toEqual(a.toSpec());
    expect(decl.connection).toEqual(a.connection);
    expect((resource["domain"] as Record<string, { cmdline: string }>)["web-1"]?.cmdline).toBe("console=hvc0 note=$${not-a-template}");
  });

  it("tells the provider which domains each host declares, so a domain that moved is not removed by its old host", () => {
    const { stack, a, b } = fleet();
    const json = synth(stack);
    const hosts = (json.provider?.["xen"] as { hosts: Record<string, { domains: string[] }> }[])[0]!.hosts;
    expect(hosts[a.hostId]?.domains).toEqual(["web-1"]);
    expect(hosts[b.hostId]?.domains).toEqual(["db-1"]);
  });

  it("exposes a domain's IP addresses as a reference to its host's xen_host", () => {
    const { stack, web, a } = fleet();
    new TerraformOutput(stack, "web-ip", { value: web.ipAddresses });
    const json = synth(stack) as { output?: Record<string, { value: string }> };
    const address = `xen_host.${a.resource!.friendlyUniqueId}`;
    expect(json.output?.["web-ip"]?.value).toBe(`\${${address}.domain["web-1"].ip_addresses}`);
  });

  it("refuses a domain's IP addresses on the provisioner resources, naming the construct and the fix", () => {
    const { web } = fleet(LifecycleResource.TERRAFORM_DATA);
    expect(() => web.ipAddresses).toThrow(/web-1.*native provider[\s\S]*LifecycleResource\.PROVIDER/);
  });
});
