import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diffHost } from "../../../src/diff/diff.js";
import { liveHostFromSpec } from "../../../src/diff/simulate.js";
import type { HostSpec } from "../../../src/model/spec.js";
import { domainAttributes, hostAttributes, hostFromValue } from "../../../src/provider/xen/convert.js";
import { parseGuestAddresses } from "../../../src/provider/xen/guest-addresses.js";
import { observeDomain, observeVolume } from "../../../src/provider/xen/observe.js";
import { arbHostSpec, hostSpec, pvDomain, rootVolume, withDomain } from "../diff/support.js";

const CONNECTION = { address: "10.0.0.11", port: 22, user: "root", privateKeyPath: null, passphraseEnv: null, hostKey: "SHA256:x", knownHostsFile: null };
const MIGRATION = { address: null, port: null, identityFile: null };

function sorted(spec: HostSpec): HostSpec {
  const by = <T>(key: (x: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  return {
    ...spec,
    pools: [...spec.pools].sort(by((p) => p.name)),
    volumes: [...spec.volumes].sort(by((v) => `${v.pool}/${v.name}`)),
    domains: [...spec.domains].sort(by((d) => d.name)),
  };
}

describe("xen_host attributes", () => {
  it("carry every declared setting of a host and read back as the same spec", () => {
    fc.assert(
      fc.property(arbHostSpec(), (spec) => {
        const attrs = JSON.parse(JSON.stringify(hostAttributes({ spec, connection: CONNECTION, migration: MIGRATION })));
        const back = hostFromValue(attrs);
        expect(sorted(back.spec)).toEqual(sorted(spec));
        expect(back.connection).toEqual(CONNECTION);
        expect(back.migration).toEqual(MIGRATION);
      }),
      { numRuns: 300, seed: 14 },
    );
  });
});

describe("a refresh of a xen_host", () => {
  it("reads an in-sync host as exactly the declaration, for every generated host", () => {
    fc.assert(
      fc.property(arbHostSpec(), (spec) => {
        const live = liveHostFromSpec(spec);
        const plan = diffHost(spec, live);
        for (const d of spec.domains) {
          const o = observeDomain(d, plan, live, new Map());
          expect(o).not.toBeNull();
          const { domid, uuid, state, mac_addresses, ip_addresses, pending_restart, ...declared } = o!;
          expect(declared).toEqual(domainAttributes(d));
          expect(state).toBe("running");
          expect(pending_restart).toEqual([]);
          void domid, uuid, mac_addresses, ip_addresses;
        }
        for (const v of spec.volumes) expect(observeVolume(v, plan)?.["size_mib"]).toBe(v.sizeMiB);
      }),
      { numRuns: 300, seed: 14 },
    );
  });

  it("shows memory set by hand with xl mem-set as the domain's memory_mib", () => {
    const spec = hostSpec([pvDomain({ memoryMiB: 128 })], [rootVolume("pv1")]);
    const live = withDomain(liveHostFromSpec(spec), "pv1", (d) => ({ ...d, memoryMiB: 200, targetMemoryMiB: 200 }));
    const o = observeDomain(spec.domains[0]!, diffHost(spec, live), live, new Map());
    expect(o?.["memory_mib"]).toBe(200);
    expect(o?.["vcpus"]).toBe(2);
  });

  it("drops a domain the host has neither running nor configured, so the plan creates it", () => {
    const spec = hostSpec([pvDomain()], [rootVolume("pv1")]);
    const live = { ...liveHostFromSpec(spec), domains: [], configFiles: [] };
    expect(observeDomain(spec.domains[0]!, diffHost(spec, live), live, new Map())).toBeNull();
  });

  it("keeps a declared kernel the running domain does not have yet and lists it in pending_restart", () => {
    const spec = hostSpec([pvDomain()], [rootVolume("pv1")]);
    const live = withDomain(liveHostFromSpec(spec), "pv1", (d) => ({ ...d, kernel: "/boot/old-vmlinuz" }));
    const o = observeDomain(spec.domains[0]!, diffHost(spec, live), live, new Map());
    expect(o?.["kernel"]).toBe("/root/guest/vmlinuz");
    expect(o?.["pending_restart"]).toEqual(["kernel"]);
  });

  it("shows a volume grown behind Terraform's back at the size it has", () => {
    const spec = hostSpec([], [rootVolume("pv1", 256)]);
    const live = liveHostFromSpec(spec);
    const bigger = { ...live, volumes: live.volumes.map((v) => ({ ...v, sizeBytes: 512 * 1024 * 1024 })) };
    expect(observeVolume(spec.volumes[0]!, diffHost(spec, bigger))?.["size_mib"]).toBe(512);
  });
});

describe("guest addresses", () => {
  const spec = hostSpec([pvDomain({ name: "web-1" }), pvDomain({ name: "web-2" })]);
  const live = liveHostFromSpec(spec);
  const [web1, web2] = live.domains;

  it("come from a guest agent's xenstore attr/vif entries first, then from dom0's neighbour table by MAC", () => {
    const out = [
      `/local/domain/${web1!.domid}/attr/vif/0/ipv4/0 = "10.0.2.16"`,
      `/local/domain/${web1!.domid}/attr/vif/0/ipv6/0 = "fe80::216:3eff:fe00:1"`,
      `/local/domain/${web1!.domid}/attr/vif/0/ipv6/1 = "2001:db8::16"`,
      "@@cdktf-xen-neigh",
      `10.0.2.99 dev xenbr0 lladdr ${web1!.vifs[0]!.mac} STALE`,
      `10.0.2.17 dev xenbr0 lladdr ${web2!.vifs[0]!.mac!.toUpperCase()} REACHABLE`,
      "10.0.2.50 dev xenbr0  FAILED",
      "",
    ].join("\n");
    const book = parseGuestAddresses(out, live);
    expect(book.get("web-1")).toEqual(["10.0.2.16", "2001:db8::16"]);
    expect(book.get("web-2")).toEqual(["10.0.2.17"]);
  });

  it("ignore what is not an address", () => {
    const out = `/local/domain/${web1!.domid}/attr/vif/0/ipv4/0 = "$(id)"\n@@cdktf-xen-neigh\n`;
    expect(parseGuestAddresses(out, live).get("web-1")).toBeUndefined();
  });
});
