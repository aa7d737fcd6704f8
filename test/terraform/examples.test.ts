import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { App } from "../../src/cdktf.js";
import { FleetStack } from "../../examples/fleet/stack.js";
import { QuickstartStack } from "../../examples/quickstart/stack.js";
import type { TerraformStack } from "../../src/cdktf.js";
import { installProvider } from "../../src/provider/xen/install.js";
import { TerraformWorkspace, terraformGate } from "./support.js";

const providerEntry = join(import.meta.dirname, "..", "..", "dist", "src", "provider", "main.js");

const gate = terraformGate();
const tmp = mkdtempSync(join(tmpdir(), "cdktf-xen-tf-examples-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Synthesizes an example stack as its main.ts does, into a fresh Terraform directory. */
function synthExample(name: string, make: (app: App) => TerraformStack): TerraformWorkspace {
  const outdir = join(tmp, name);
  const app = new App({ outdir });
  make(app);
  app.synth();
  const ws = new TerraformWorkspace();
  mkdirSync(ws.dir, { recursive: true });
  // The examples use the native provider: installed offline, as `cdktf-xen provider install` does.
  installProvider({ pluginsDir: join(ws.dir, "terraform.d", "plugins"), entry: providerEntry });
  writeFileSync(join(ws.dir, "cdk.tf.json"), readFileSync(join(outdir, "stacks", name, "cdk.tf.json")));
  return ws;
}

describe.skipIf(gate.skip)(`examples under real Terraform${gate.note}`, () => {
  it.each([
    // one xen_host per host, holding its volumes and domains
    ["quickstart", (app: App) => new QuickstartStack(app, "quickstart"), 1],
    ["fleet", (app: App) => new FleetStack(app, "fleet"), 2],
  ] as const)("%s initializes offline with the provider, validates and plans only creations, without a host", async (name, make, resources) => {
    const ws = synthExample(name, make);
    try {
      await ws.init();
      await ws.terraform("validate", "-no-color");
      const plan = await ws.plan();
      expect(Object.keys(plan)).toHaveLength(resources);
      expect(new Set(Object.values(plan).map((a) => a.join()))).toEqual(new Set(["create"]));
    } finally {
      rmSync(join(ws.dir, ".."), { recursive: true, force: true });
    }
  }, 240_000);
});
