/**
 * The protocol layer through the REAL Terraform binary (1.11.4): the TEST PROVIDER
 * (fixture-provider.ts, objects only in the state) installed in an implied local mirror, found
 * offline by `terraform init`, and driven through validate, plan, apply, refresh, import and
 * destroy. Assertions are on Terraform's output, its JSON plans/state, and what the provider
 * recorded; none is on time.
 */
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Workspace, buildFixture, plain, terraformGate } from "./support.js";

const gate = terraformGate();
const T = 120_000;

const BASE = `
provider "testfixture" {
  label = "test"
  token = "provider-secret"
}

resource "testfixture_thing" "a" {
  name = "a"
  size = 3
  tags = { k = "v" }
  rule {
    port = 22
  }
}

resource "testfixture_thing" "b" {
  name   = "b"
  zone   = testfixture_thing.a.id
  secret = "hunter2"
  extra  = { x = [1, "two"] }
}

resource "testfixture_fleet" "h" {
  host = "h1"
  domain = {
    "web-1" = { memory = 512 }
    "web-2" = { memory = 256, vcpus = 2 }
  }
}

data "testfixture_info" "i" {
  input = "hello"
}

output "shout" {
  value = data.testfixture_info.i.output
}
`;

describe.skipIf(gate.skip)(`a provider on the protocol layer, driven by real Terraform${gate.note}`, () => {
  let fixture: { entry: string; cleanup: () => void };
  let ws: Workspace;

  beforeAll(() => {
    fixture = buildFixture();
    ws = new Workspace(fixture.entry);
  }, T);
  afterAll(() => {
    ws?.cleanup();
    fixture?.cleanup();
  });

  it("is refused when run by hand, like a Go provider", async () => {
    const { execFile } = await import("node:child_process");
    const r = await new Promise<{ code: number | null; stderr: string; stdout: string }>((res) => {
      const env = { ...process.env };
      delete env.TF_PLUGIN_MAGIC_COOKIE;
      execFile(process.execPath, [fixture.entry], { env }, (err, stdout, stderr) => res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("This binary is a plugin. These are not meant to be executed directly.");
  }, T);

  it("is found by an offline terraform init in terraform.d/plugins, which locks only an h1 hash", async () => {
    ws.write(BASE);
    const r = await ws.tf("init", "-input=false", "-no-color");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Installed cdktf-xen.test/test/testfixture v0.0.1 (unauthenticated)");
    const lock = readFileSync(join(ws.dir, ".terraform.lock.hcl"), "utf8");
    expect(lock).toMatch(/provider "cdktf-xen.test\/test\/testfixture"[\s\S]*version = "0.0.1"[\s\S]*"h1:[A-Za-z0-9+/=]+"/);
    expect(lock).not.toContain("zh:");
  }, T);

  it("validates a correct configuration", async () => {
    const r = await ws.tf("validate", "-no-color");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("The configuration is valid.");
  }, T);

  it("plans computed attributes as known after apply, another resource's id as unknown, and hides sensitive values", async () => {
    ws.clearLog();
    const r = await ws.tf("plan", "-no-color", "-input=false", "-out=create.tfplan", "-detailed-exitcode");
    expect(r.code, r.stderr).toBe(2);
    const out = plain(r.stdout);
    expect(out).toContain("Plan: 3 to add, 0 to change, 0 to destroy.");
    expect(out).toMatch(/\+ id\s+= \(known after apply\)/);
    expect(out).toMatch(/\+ zone\s+= \(known after apply\)/);
    expect(out).toMatch(/\+ domid\s+= \(known after apply\)/);
    expect(out).toMatch(/\+ secret\s+= \(sensitive value\)/);
    expect(out).not.toContain("hunter2");
    expect(out).toContain('+ shout = "HELLO"');

    const plan = (await ws.showJson("create.tfplan")) as {
      resource_changes: { address: string; change: { actions: string[]; after_unknown: Record<string, unknown>; after_sensitive: Record<string, unknown> } }[];
    };
    const b = plan.resource_changes.find((rc) => rc.address === "testfixture_thing.b")!;
    expect(b.change.actions).toEqual(["create"]);
    expect(b.change.after_unknown).toMatchObject({ zone: true, id: true, serial: true });
    expect(b.change.after_sensitive).toMatchObject({ secret: true });
    const h = plan.resource_changes.find((rc) => rc.address === "testfixture_fleet.h")!;
    expect(h.change.after_unknown).toMatchObject({ domain: { "web-1": { domid: true, uuid: true }, "web-2": { domid: true, uuid: true } } });

    // The provider saw the UNKNOWN itself: in validation and in the plan of b.
    const plansOfB = ws.log().filter((e) => e.rpc === "plan" && e.type === "testfixture_thing" && (e.unknown as string[]).includes("zone"));
    expect(plansOfB.length).toBeGreaterThan(0);
  }, T);

  it("applies the saved plan: computed attributes are set, the nested map's entries included", async () => {
    const r = await ws.tf("apply", "-no-color", "-input=false", "create.tfplan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Apply complete! Resources: 3 added, 0 changed, 0 destroyed.");
    const state = (await ws.showJson()) as { values: { root_module: { resources: { address: string; values: Record<string, unknown> }[] } } };
    const byAddress = Object.fromEntries(state.values.root_module.resources.map((res) => [res.address, res.values]));
    expect(byAddress["testfixture_thing.a"]).toMatchObject({ id: "thing-a", name: "a", size: 3, tags: { k: "v" }, rule: [{ port: 22, proto: null }] });
    expect(byAddress["testfixture_thing.b"]).toMatchObject({ id: "thing-b", zone: "thing-a", extra: { x: [1, "two"] } });
    expect(byAddress["testfixture_fleet.h"]).toMatchObject({
      domain: { "web-1": { memory: 512, vcpus: null, domid: 1, uuid: "uuid-h1-web-1" }, "web-2": { memory: 256, vcpus: 2, domid: 2, uuid: "uuid-h1-web-2" } },
    });
    // Private data handed back at apply comes back to ReadResource.
    ws.clearLog();
    const p = await ws.tf("plan", "-no-color", "-input=false");
    expect(p.code).toBe(0);
    expect(ws.log().filter((e) => e.rpc === "read").map((e) => e.private)).toContain("private-of-a");
  }, T);

  it("finds nothing to do in a no-op plan (-detailed-exitcode 0)", async () => {
    const r = await ws.tf("plan", "-no-color", "-input=false", "-detailed-exitcode");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("No changes.");
  }, T);

  it("plans a changed memory of one MAP-nested domain as an in-place update of that entry", async () => {
    ws.write(BASE.replace("memory = 512", "memory = 1024"));
    const r = await ws.tf("plan", "-no-color", "-input=false", "-detailed-exitcode", "-out=memory.tfplan");
    expect(r.code, r.stderr).toBe(2);
    const out = plain(r.stdout);
    expect(out).toContain('~ resource "testfixture_fleet" "h"');
    expect(out).toMatch(/~ "web-1" = \{\s+~ memory = 512 -> 1024/);
    expect(out).toContain("Plan: 0 to add, 1 to change, 0 to destroy.");
    expect(await ws.plannedActions("memory.tfplan")).toMatchObject({ "testfixture_fleet.h": ["update"], "testfixture_thing.a": ["no-op"] });
    const a = await ws.tf("apply", "-no-color", "-input=false", "memory.tfplan");
    expect(a.code, a.stderr).toBe(0);
    const state = (await ws.showJson()) as { values: { root_module: { resources: { address: string; values: Record<string, unknown> }[] } } };
    const h = state.values.root_module.resources.find((res) => res.address === "testfixture_fleet.h")!;
    // The entry kept its computed attributes (the prior values Terraform proposed).
    expect(h.values).toMatchObject({ domain: { "web-1": { memory: 1024, domid: 1, uuid: "uuid-h1-web-1" } } });
  }, T);

  it("plans a new MAP-nested entry with its computed attributes unknown and the others untouched", async () => {
    ws.write(BASE.replace("memory = 512", "memory = 1024").replace('"web-2" = { memory = 256, vcpus = 2 }', '"web-2" = { memory = 256, vcpus = 2 }\n    "web-3" = { memory = 128 }'));
    const r = await ws.tf("plan", "-no-color", "-input=false", "-out=add.tfplan");
    expect(r.code, r.stderr).toBe(0);
    const plan = (await ws.showJson("add.tfplan")) as { resource_changes: { address: string; change: { actions: string[]; after_unknown: Record<string, unknown> } }[] };
    const h = plan.resource_changes.find((rc) => rc.address === "testfixture_fleet.h")!;
    expect(h.change.actions).toEqual(["update"]);
    expect(h.change.after_unknown).toMatchObject({ domain: { "web-3": { domid: true, uuid: true } } });
    expect((h.change.after_unknown.domain as Record<string, Record<string, unknown>>)["web-1"]?.domid).toBeUndefined();
    ws.write(BASE.replace("memory = 512", "memory = 1024"));
  }, T);

  it("plans a change of a requires_replace attribute as -/+ (delete, then create)", async () => {
    ws.write(BASE.replace("memory = 512", "memory = 1024").replace("zone   = testfixture_thing.a.id", 'zone   = "elsewhere"'));
    const r = await ws.tf("plan", "-no-color", "-input=false", "-out=replace.tfplan");
    expect(r.code, r.stderr).toBe(0);
    const out = plain(r.stdout);
    expect(out).toContain('-/+ resource "testfixture_thing" "b"');
    expect(out).toMatch(/~ zone\s+= "thing-a" -> "elsewhere" # forces replacement/);
    expect(await ws.plannedActions("replace.tfplan")).toMatchObject({ "testfixture_thing.b": ["delete", "create"] });
    ws.write(BASE.replace("memory = 512", "memory = 1024"));
  }, T);

  it("shows drift that ReadResource reports in a refresh-only plan (exit 2), and a vanished object as a create", async () => {
    ws.drift({ sizes: { a: 99 } });
    const r = await ws.tf("plan", "-refresh-only", "-no-color", "-input=false", "-detailed-exitcode");
    expect(r.code, r.stderr).toBe(2);
    const out = plain(r.stdout);
    expect(out).toContain("Terraform detected the following changes made outside of Terraform");
    expect(out).toMatch(/~ size\s+= 3 -> 99/);

    ws.drift({ gone: ["a"] });
    const g = await ws.tf("plan", "-no-color", "-input=false", "-detailed-exitcode");
    expect(g.code, g.stderr).toBe(2);
    expect(plain(g.stdout)).toContain("# testfixture_thing.a has been deleted");
    expect(plain(g.stdout)).toContain("# testfixture_thing.a will be created");
    ws.drift(null);
  }, T);

  it("upgrades state written with an older schema version through UpgradeResourceState (JSON raw state)", async () => {
    const statePath = join(ws.dir, "terraform.tfstate");
    const state = JSON.parse(readFileSync(statePath, "utf8")) as { serial: number; resources: { type: string; name: string; instances: { schema_version: number; attributes: Record<string, unknown> }[] }[] };
    const a = state.resources.find((r) => r.type === "testfixture_thing" && r.name === "a")!;
    const inst = a.instances[0]!;
    inst.schema_version = 0;
    inst.attributes.old_size = inst.attributes.size;
    delete inst.attributes.size;
    state.serial += 1;
    writeFileSync(statePath, JSON.stringify(state, null, 2));
    ws.clearLog();
    const r = await ws.tf("plan", "-no-color", "-input=false", "-detailed-exitcode");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(ws.log().some((e) => e.rpc === "upgrade" && e.type === "testfixture_thing" && e.version === 0)).toBe(true);
  }, T);

  it("imports an object by id (ImportResourceState, then ReadResource) and refuses a bad id with the provider's error", async () => {
    const withImport = `${BASE.replace("memory = 512", "memory = 1024")}
resource "testfixture_thing" "imp" {
  name = "imp"
  size = 7
}
`;
    ws.write(withImport);
    const r = await ws.tf("import", "-no-color", "-input=false", "testfixture_thing.imp", "thing-imp");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Import successful!");
    const p = await ws.tf("plan", "-no-color", "-input=false", "-detailed-exitcode");
    expect(p.code, p.stdout + p.stderr).toBe(0);

    ws.write(`${withImport}
resource "testfixture_thing" "imp2" {
  name = "imp2"
}
`);
    const bad = await ws.tf("import", "-no-color", "-input=false", "testfixture_thing.imp2", "nonsense");
    expect(bad.code).toBe(1);
    expect(plain(bad.stderr)).toContain('Cannot import "nonsense"');
    ws.write(withImport);
  }, T);

  it("reports the provider's warnings and errors at the attribute they name, map keys included", async () => {
    ws.write(`${BASE}
resource "testfixture_thing" "big" {
  name = "big"
  size = 200
}
`);
    const w = await ws.tf("validate", "-json");
    expect(w.code).toBe(0);
    const warn = JSON.parse(w.stdout) as { valid: boolean; diagnostics: { severity: string; summary: string; snippet?: { code: string } }[] };
    expect(warn.valid).toBe(true);
    const big = warn.diagnostics.find((d) => d.summary === "A big size")!;
    expect(big.severity).toBe("warning");
    expect(big.snippet?.code).toContain("size = 200");

    ws.write(`${BASE}
resource "testfixture_thing" "bad" {
  name = "bad name"
  tags = { ok = "1", bad = "2" }
}
`);
    const e = await ws.tf("validate", "-no-color");
    expect(e.code).toBe(1);
    const out = plain(e.stderr);
    expect(out).toContain("Error: A name has no spaces");
    expect(out).toContain('with testfixture_thing.bad,');
    expect(out).toMatch(/name = "bad name"/);
    expect(out).toContain('Error: The tag "bad" is not allowed');
    // Terraform points at the map element itself.
    expect(out).toMatch(/tags = \{ ok = "1", bad = "2" \}/);
    ws.write(BASE.replace("memory = 512", "memory = 1024"));
  }, T);

  it("turns a handler's thrown error into an error diagnostic and still applies the other resources", async () => {
    ws.write(`${BASE.replace("memory = 512", "memory = 1024")}
resource "testfixture_thing" "explode" {
  name = "explode"
}
resource "testfixture_thing" "fine" {
  name = "fine"
}
`);
    const r = await ws.tf("apply", "-no-color", "-input=false", "-auto-approve");
    expect(r.code).toBe(1);
    expect(plain(r.stderr)).toContain("the fixture blew up on purpose");
    const state = (await ws.showJson()) as { values: { root_module: { resources: { address: string }[] } } };
    const addresses = state.values.root_module.resources.map((res) => res.address);
    expect(addresses).toContain("testfixture_thing.fine");
    expect(addresses).not.toContain("testfixture_thing.explode");
  }, T);

  it("serves Terraform's parallel applies concurrently, not one at a time", async () => {
    const many = ["p1", "p2", "p3", "p4"].map((n) => `resource "testfixture_thing" "${n}" {\n  name = "${n}"\n  sleep_ms = 1500\n}\n`).join("");
    ws.write(`${BASE.replace("memory = 512", "memory = 1024")}\n${many}`);
    ws.clearLog();
    const r = await ws.tf("apply", "-no-color", "-input=false", "-auto-approve");
    expect(r.code, r.stderr).toBe(0);
    const events = ws.log().filter((e) => (e.rpc === "apply-start" || e.rpc === "apply-end") && String(e.name).startsWith("p"));
    // Every one of the four started before the first of them ended.
    const firstEnd = events.findIndex((e) => e.rpc === "apply-end");
    expect(events.slice(0, firstEnd).filter((e) => e.rpc === "apply-start")).toHaveLength(4);
  }, T);

  it("destroys everything, planning each destroy through PlanResourceChange, and its processes exit", async () => {
    ws.clearLog();
    const r = await ws.tf("destroy", "-no-color", "-input=false", "-auto-approve");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Destroy complete! Resources: \d+ destroyed\./);
    const log = ws.log();
    expect(log.some((e) => e.rpc === "plan" && e.destroy === true)).toBe(true);
    expect(log.some((e) => e.rpc === "apply" && e.destroy === true)).toBe(true);
    const state = (await ws.showJson()) as { values?: { root_module?: { resources?: unknown[] } } };
    expect(state.values?.root_module?.resources ?? []).toHaveLength(0);
    // Terraform's Shutdown ended every provider process it started.
    await new Promise((res) => setTimeout(res, 500));
    for (const pid of new Set(log.map((e) => e.pid))) {
      expect(() => process.kill(pid, 0), `provider process ${pid} still running`).toThrow();
    }
  }, T);

  it("refuses to plan once the launcher changes under a locked hash (the lock pins the launcher's bytes)", async () => {
    const alias = join(ws.base, "node-alias");
    symlinkSync(process.execPath, alias);
    ws.install(fixture.entry, "workdir", alias);
    const r = await ws.tf("plan", "-no-color", "-input=false");
    expect(r.code).toBe(1);
    expect(plain(r.stderr)).toContain("does not match any of the checksums recorded in the dependency lock file");
    ws.install(fixture.entry, "workdir");
    const again = await ws.tf("plan", "-no-color", "-input=false");
    expect(again.code, again.stderr).toBe(0);
  }, T);
});

describe.skipIf(gate.skip)(`installing into the implied mirror of HOME${gate.note}`, () => {
  let fixture: { entry: string; cleanup: () => void };
  let ws: Workspace;
  beforeAll(() => {
    fixture = buildFixture();
    ws = new Workspace(fixture.entry, "home");
  }, T);
  afterAll(() => {
    ws?.cleanup();
    fixture?.cleanup();
  });

  it("lets terraform init find the provider in ~/.terraform.d/plugins and read a data source", async () => {
    ws.write(`data "testfixture_info" "i" {\n  input = "abc"\n}\noutput "o" {\n  value = data.testfixture_info.i.output\n}\n`);
    const init = await ws.tf("init", "-input=false", "-no-color");
    expect(init.code, init.stderr).toBe(0);
    const apply = await ws.tf("apply", "-no-color", "-input=false", "-auto-approve");
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain('o = "ABC"');
  }, T);
});
