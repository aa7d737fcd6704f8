/**
 * The null_resource option cannot be planned here (the hashicorp/null provider cannot be
 * downloaded), so the two Terraform behaviours it relies on are checked on terraform_data,
 * which shares Terraform's lifecycle and expression evaluation:
 * - a replacement with create_before_destroy skips the old instance's destroy-time
 *   provisioner, while a plain destroy runs it (why null_resource volumes use it);
 * - the provisioner environment that decodes every JSON-string trigger gives the CLI the same
 *   input object terraform_data's `self.input` does.
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataResource } from "../../src/cdktf.js";
import { nullTriggers } from "../../src/constructs/resources.js";
import { type HostConnection } from "../../src/index.js";
import { hostSpecHash } from "../../src/model/hash.js";
import { TerraformWorkspace, terraformGate } from "./support.js";

const gate = terraformGate();

const connection: HostConnection = {
  address: "10.0.0.11",
  port: 22,
  user: "root",
  privateKeyPath: "~/.ssh/${id}",
  passphraseEnv: null,
  hostKey: null,
  knownHostsFile: "/etc/ssh/known_hosts",
};

describe.skipIf(gate.skip)(`Terraform behaviour behind the null_resource option${gate.note}`, () => {
  const workspaces: TerraformWorkspace[] = [];
  afterAll(() => {
    for (const ws of workspaces) rmSync(dirname(ws.dir), { recursive: true, force: true });
  });

  it("skips the destroy-time provisioner when create_before_destroy replaces, and runs it on a plain destroy", async () => {
    const ws = new TerraformWorkspace();
    workspaces.push(ws);
    const version = (size: number) => () =>
      ws.synth((stack) => {
        new DataResource(stack, "volume", {
          triggersReplace: { size },
          lifecycle: { createBeforeDestroy: true },
          provisioners: [
            {
              type: "local-exec",
              when: "destroy",
              command: "$${CDKTF_XEN_CLI} destroy-volume",
              environment: { CDKTF_XEN_INPUT: "${jsonencode(self.triggers_replace)}" },
            },
          ],
        });
      });
    version(1)();
    await ws.init();
    await ws.plan();
    expect(await ws.apply()).toEqual([]);
    version(2)();
    expect(Object.values(await ws.plan())).toEqual([["create", "delete"]]);
    expect(await ws.apply()).toEqual([]);
    await ws.plan(true);
    const records = await ws.apply();
    expect(records.map((r) => [r.argv, r.input])).toEqual([[["destroy-volume"], { size: 2 }]]);
  }, 120_000);

  it("decodes JSON-string triggers into the input object the CLI reads, template sequences intact, at creation and in the destroy-time prune-host", async () => {
    const ws = new TerraformWorkspace();
    workspaces.push(ws);
    const spec = { version: 1 as const, host: "s/xen-a", pools: [], volumes: [], domains: [] };
    const hash = hostSpecHash(spec);
    const managed = {
      domains: ["db", "web"],
      deleteVolumes: [
        { pool: { kind: "dir", name: "images", path: "/srv/${images}" }, volume: { name: "scratch", pool: "images", sizeMiB: 256, format: "raw", retention: "delete" } },
      ],
    };
    const decodeAll = "${jsonencode({ for k, v in self.triggers_replace : k => jsondecode(v) })}";
    ws.synth((stack) => {
      new DataResource(stack, "reconcile", {
        triggersReplace: nullTriggers({ cdktf_xen: "host", host: "s/xen-a", spec_hash: hash, connection, managed }),
        provisioners: [
          {
            type: "local-exec",
            when: "destroy",
            command: "$${CDKTF_XEN_CLI} prune-host",
            environment: { CDKTF_XEN_INPUT: decodeAll },
          },
          {
            type: "local-exec",
            command: "$${CDKTF_XEN_CLI} apply-host",
            environment: {
              CDKTF_XEN_INPUT: decodeAll,
              CDKTF_XEN_EXPECT: "${jsondecode(self.triggers_replace.spec_hash)}",
            },
          },
        ],
      });
    });
    await ws.init();
    await ws.plan();
    const [record] = await ws.apply();
    expect(record?.argv).toEqual(["apply-host"]);
    expect(record?.input).toEqual({ cdktf_xen: "host", host: "s/xen-a", spec_hash: hash, connection, managed });
    expect(record?.expect).toBe(hash);
    await ws.plan(true);
    const [pruned, ...more] = await ws.apply();
    expect(more).toEqual([]);
    expect(pruned?.argv).toEqual(["prune-host"]);
    expect(pruned?.input).toEqual({ cdktf_xen: "host", host: "s/xen-a", spec_hash: hash, connection, managed });
  }, 120_000);
});
