/**
 * The stacks `npx cdktf synth` writes at the repository root, under real Terraform: each one
 * initializes offline (with the native provider installed into the workspace's terraform.d/plugins,
 * as `cdktf-xen provider install` does) and validates.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installProvider } from "../../src/provider/xen/install.js";
import { TerraformWorkspace, terraformGate } from "./support.js";

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const gate = terraformGate();
const tmp = mkdtempSync(join(tmpdir(), "cdktf-xen-tf-root-app-"));
const out = join(tmp, "cdktf.out");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(gate.skip)(`the repository root's stacks under real Terraform${gate.note}`, () => {
  // A fresh clone: no lab state file, whether or not a lab is up in this checkout.
  beforeAll(async () => {
    const env = { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_XEN_LAB_STATE: join(tmp, "no-lab.json"), CI: "1" };
    await run("npx", ["cdktf", "synth", "--output", out], { cwd: root, env, timeout: 240_000 });
  }, 300_000);

  it("`npx cdktf synth` at the root writes one stack per example", () => {
    expect(readdirSync(join(out, "stacks")).sort()).toEqual(["fleet", "quickstart"]);
  });

  it.each(["quickstart", "fleet"])("the root's %s stack initializes without a backend and validates", async (name) => {
    const ws = new TerraformWorkspace();
    installProvider({ pluginsDir: join(ws.dir, "terraform.d", "plugins"), entry: join(root, "dist", "src", "provider", "main.js") });
    try {
      copyFileSync(join(out, "stacks", name, "cdk.tf.json"), join(ws.dir, "cdk.tf.json"));
      await ws.terraform("init", "-backend=false", "-input=false", "-no-color");
      expect(await ws.terraform("validate", "-no-color")).toContain("The configuration is valid.");
    } finally {
      rmSync(join(ws.dir, ".."), { recursive: true, force: true });
    }
  }, 120_000);
});
