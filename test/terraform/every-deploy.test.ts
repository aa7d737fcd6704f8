import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainType, Size, XenDomain, XenHost } from "../../src/index.js";
import type { TerraformStack } from "../../src/cdktf.js";
import { TerraformWorkspace, terraformGate } from "./support.js";

const HOST_KEY = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8";

function program(everyDeploy: boolean) {
  return (stack: TerraformStack): void => {
    const host = new XenHost(stack, "xen-a", {
      address: "10.0.0.11",
      privateKeyPath: "~/.ssh/id_ed25519",
      hostKey: HOST_KEY,
      reconcileEveryDeploy: everyDeploy,
    });
    new XenDomain(stack, "web", { host, type: DomainType.PV, memory: Size.mebibytes(256), kernel: "/var/lib/xen/boot/vmlinuz" });
  };
}

const gate = terraformGate();

describe.skipIf(gate.skip)(`reconcileEveryDeploy on real Terraform${gate.note}`, () => {
  const quiet = new TerraformWorkspace();
  const every = new TerraformWorkspace();
  afterAll(() => {
    for (const ws of [quiet, every]) rmSync(dirname(ws.dir), { recursive: true, force: true });
  });
  beforeAll(async () => {
    quiet.synth(program(false));
    every.synth(program(true));
    await Promise.all([quiet.init(), every.init()]);
  }, 120_000);

  it("GIVEN the default WHEN an unchanged program is applied twice THEN apply-host runs only the first time", async () => {
    await quiet.plan();
    expect((await quiet.apply()).map((r) => r.argv.join(" "))).toEqual(["apply-host"]);
    await quiet.plan();
    expect((await quiet.apply()).map((r) => r.argv.join(" "))).toEqual([]);
  }, 120_000);

  it("GIVEN reconcileEveryDeploy WHEN an unchanged program is applied twice THEN every apply reconciles the host, and nothing else is replaced", async () => {
    await every.plan();
    expect((await every.apply()).map((r) => r.argv.join(" "))).toEqual(["apply-host"]);
    // plantimestamp() has a resolution of one second: two plans within the same second agree.
    await new Promise((r) => setTimeout(r, 1100));
    const plan = await every.plan();
    const replaced = Object.entries(plan).filter(([, a]) => a.includes("delete") || a.includes("create")).map(([addr]) => addr);
    expect(replaced).toHaveLength(1);
    expect(replaced[0]).toMatch(/^terraform_data\.xen-a_reconcile_/);
    // The replaced reconcile prunes (nothing: everything is still declared), then applies.
    expect((await every.apply()).map((r) => r.argv.join(" "))).toEqual(["prune-host", "apply-host"]);
  }, 120_000);
});
