/**
 * The repository root is a cdktf app (`cdktf.json` at the top level, app `examples/app/main.ts`):
 * `npx cdktf synth` run there, as a user who just cloned the repository would, writes every
 * example's stack under its own name, as the example's own app writes it.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { App } from "../../src/cdktf.js";
import type { TerraformStack } from "../../src/cdktf.js";
import { readStack } from "../../src/testing.js";
import { FleetStack } from "../../examples/fleet/stack.js";
import { QuickstartStack } from "../../examples/quickstart/stack.js";

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const tmp = mkdtempSync(join(tmpdir(), "cdktf-xen-root-app-"));
const out = join(tmp, "cdktf.out");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A fresh clone: no lab state file, whether or not a lab is up in this checkout.
beforeAll(async () => {
  const env = { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_XEN_LAB_STATE: join(tmp, "no-lab.json"), CI: "1" };
  await run("npx", ["cdktf", "synth", "--output", out], { cwd: root, env, timeout: 240_000 });
}, 300_000);

/** The stack as the example's own main.ts builds it, synthesized in this process. */
function exampleSynth(name: string, make: (app: App) => TerraformStack): string {
  const app = new App({ outdir: join(tmp, `example-${name}`) });
  make(app);
  app.synth();
  return readFileSync(join(tmp, `example-${name}`, "stacks", name, "cdk.tf.json"), "utf8");
}

describe("the repository root as a cdktf app", () => {
  it("`npx cdktf synth` at the root writes the quickstart and fleet stacks, and lists both in its manifest", () => {
    expect(readdirSync(join(out, "stacks")).sort()).toEqual(["fleet", "quickstart"]);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { stacks: Record<string, unknown> };
    expect(Object.keys(manifest.stacks).sort()).toEqual(["fleet", "quickstart"]);
  });

  it.each([
    ["quickstart", (app: App) => new QuickstartStack(app, "quickstart")],
    ["fleet", (app: App) => new FleetStack(app, "fleet")],
  ] as const)("the root's %s stack is byte for byte the one its example's own app synthesizes, with no absolute path", (name, make) => {
    const text = readFileSync(join(out, "stacks", name, "cdk.tf.json"), "utf8");
    expect(text).toBe(exampleSynth(name, make));
    expect(text).not.toContain(root);
    expect(text).not.toContain(tmp);
    const stack = readStack(JSON.parse(text));
    expect(stack.issues).toEqual([]);
    expect(stack.hosts.length).toBeGreaterThan(0);
  });
});
