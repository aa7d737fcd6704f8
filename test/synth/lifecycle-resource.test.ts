import { describe, expect, it } from "vitest";
import { NullProvider } from "@cdktf/provider-null/lib/provider/index.js";
import {
  LIFECYCLE_RESOURCE_CONTEXT_KEY,
  LifecycleResource,
  RetentionPolicy,
  Size,
  XenDomain,
  XenStoragePool,
  XenVolume,
} from "../../src/index.js";
import { EXPECT_ENV, INPUT_ENV } from "../../src/constructs/resources.js";
import { canonicalJson } from "../../src/model/canonical.js";
import { escapeTemplate } from "../../src/constructs/template-escape.js";
import { hostSpecHash } from "../../src/model/hash.js";
import type { TerraformStack } from "../../src/cdktf.js";
import { allResources, newHost, newStack, problems, resourceOf, synth } from "./support.js";

function fleet(stack: TerraformStack, lifecycleResource?: LifecycleResource) {
  const host = newHost(stack, "xen-a", lifecycleResource === undefined ? {} : { lifecycleResource });
  const pool = new XenStoragePool(stack, "vg0", { host, lvmVolumeGroup: "vg0" });
  const vol = new XenVolume(stack, "root", { pool, size: Size.gibibytes(1), retention: RetentionPolicy.DELETE });
  const domain = new XenDomain(stack, "web", { host, memory: Size.mebibytes(256), kernel: "/k", cmdline: "x=${y}", disks: [{ volume: vol, vdev: "xvda" }] });
  return { host, pool, vol, domain };
}

/** Decodes a null_resource's triggers the way Terraform's `jsondecode` would after template evaluation. */
function decodeTriggers(triggers: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(triggers as Record<string, string>)) out[k] = JSON.parse(v.replaceAll("$${", "${").replaceAll("%%{", "%{"));
  return out;
}

describe("the lifecycle resource option", () => {
  it("uses terraform_data with no provider by default", () => {
    const stack = newStack();
    fleet(stack);
    const json = synth(stack);
    expect(Object.keys(json.resource ?? {})).toEqual(["terraform_data"]);
    expect(json.provider).toBeUndefined();
  });

  it("renders null_resource with one triggers map of canonical JSON strings, connection ignored", () => {
    const stack = newStack();
    const { host, vol, domain } = fleet(stack, LifecycleResource.NULL_RESOURCE);
    const json = synth(stack);

    const reconcile = resourceOf(json, host, "reconcile");
    expect(reconcile.type).toBe("null_resource");
    expect(reconcile.triggers).toEqual({
      cdktf_xen: '"host"',
      host: '"s/xen-a"',
      spec_hash: JSON.stringify(hostSpecHash(host.toSpec())),
      connection: canonicalJson(host.connection),
      migration: canonicalJson({ address: null, port: null, identityFile: null }),
      managed: canonicalJson({ domains: ["web"], deleteVolumes: [{ pool: { kind: "lvm", name: "vg0", volumeGroup: "vg0", shared: false }, volume: vol.toSpec() }] }),
    });
    // `managed` stays a replacing trigger: it is derived from the host's spec, so it never
    // changes without spec_hash (which replaces anyway), and ignoring it would leave prune-host
    // a stale record that misses every domain added since the first apply.
    // `migration` (how other hosts reach this one) changes in place like the connection.
    expect(reconcile.lifecycle).toEqual({ ignore_changes: ['triggers["connection"]', 'triggers["migration"]'] });
    expect(reconcile.provisioner).toEqual([
      {
        "local-exec": {
          command: "$${CDKTF_XEN_CLI:-cdktf-xen} prune-host",
          when: "destroy",
          working_dir: "${path.module}",
          environment: { [INPUT_ENV]: "${jsonencode({ for k, v in self.triggers : k => jsondecode(v) })}" },
        },
      },
      {
        "local-exec": {
          command: "$${CDKTF_XEN_CLI:-cdktf-xen} apply-host",
          working_dir: "${path.module}",
          environment: {
            [INPUT_ENV]: "${jsonencode({ for k, v in self.triggers : k => jsondecode(v) })}",
            [EXPECT_ENV]: "${jsondecode(self.triggers.spec_hash)}",
          },
        },
      },
    ]);

    const identity = resourceOf(json, domain, "identity");
    expect(decodeTriggers(identity.triggers)).toEqual({ cdktf_xen: "domain", host: "s/xen-a", name: "web", connection: host.connection });
    expect(identity.lifecycle).toEqual({ ignore_changes: ['triggers["connection"]'] });

    const config = resourceOf(json, domain, "config");
    expect(decodeTriggers(config.triggers)).toEqual({ cdktf_xen: "domain-config", host: "s/xen-a", spec: domain.toSpec() });
    expect((config.triggers as Record<string, string>).spec).toBe(escapeTemplate(canonicalJson(domain.toSpec())));
    expect(config.lifecycle).toBeUndefined();

    const volume = resourceOf(json, vol, "volume");
    expect(decodeTriggers(volume.triggers)).toEqual({
      cdktf_xen: "volume",
      host: "s/xen-a",
      name: "root",
      pool: { kind: "lvm", name: "vg0", volumeGroup: "vg0", shared: false },
      volume: vol.toSpec(),
      connection: host.connection,
    });
    // A null_resource cannot update in place; create_before_destroy makes the replacement
    // skip destroy-volume, so growing a volume or changing its retention never deletes it.
    expect(volume.lifecycle).toEqual({ create_before_destroy: true, ignore_changes: ['triggers["connection"]'] });
    expect(identity.depends_on).toEqual([volume.address]);
  });

  it("adds the null provider once per stack, and reuses one the program declared", () => {
    const stack = newStack();
    fleet(stack, LifecycleResource.NULL_RESOURCE);
    newHost(stack, "xen-b", { address: "10.0.0.12", lifecycleResource: LifecycleResource.NULL_RESOURCE });
    const json = synth(stack);
    expect(json.provider).toEqual({ null: [{}] });
    expect(json.terraform).toMatchObject({ required_providers: { null: { source: "null" } } });
    expect(problems(stack)).toEqual([]);

    const own = newStack();
    new NullProvider(own, "mine");
    newHost(own, "xen-a", { lifecycleResource: LifecycleResource.NULL_RESOURCE });
    expect(synth(own).provider).toEqual({ null: [{}] });
  });

  it("takes the choice from the context key for every host below, and a host prop overrides it", () => {
    const stack = newStack({ [LIFECYCLE_RESOURCE_CONTEXT_KEY]: "null_resource" });
    const a = newHost(stack, "xen-a");
    const b = newHost(stack, "xen-b", { address: "10.0.0.12", lifecycleResource: LifecycleResource.TERRAFORM_DATA });
    const json = synth(stack);
    expect(a.lifecycleResource).toBe("null_resource");
    expect(resourceOf(json, a, "reconcile").type).toBe("null_resource");
    expect(resourceOf(json, b, "reconcile").type).toBe("terraform_data");
  });

  it("keeps every host's resources of one type", () => {
    const stack = newStack();
    fleet(stack, LifecycleResource.NULL_RESOURCE);
    expect(new Set(allResources(synth(stack)).map(([address]) => address.split(".")[0]))).toEqual(new Set(["null_resource"]));
  });
});
