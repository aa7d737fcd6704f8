/**
 * `cdktf-xen diff`, in process: real files in a temp directory, real captured outputs as the
 * live state, the exit status Terraform's -detailed-exitcode convention gives, and errors that
 * name the file and the field.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  EXIT_CHANGES,
  EXIT_ERROR,
  EXIT_NO_CHANGES,
  loadLiveDirectory,
  registerDiffCommand,
  runDiffCommand,
} from "../../../src/cli/diff-command.js";
import type { PlanDocument } from "../../../src/diff/format.js";
import type { HostSpec } from "../../../src/model/spec.js";
import { renderXlCfg } from "../../../src/xl/render.js";
import { hostSpec, POOL, pvDomain, rootVolume } from "../diff/support.js";

const CAPTURE = "test/fixtures/diff/capture2-pv1";
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "cdktf-xen-diff-"));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

let counter = 0;
function file(name: string, content: string): string {
  const path = join(tmp, `${counter++}-${name}`);
  writeFileSync(path, content);
  return path;
}

function specFile(spec: HostSpec): string {
  return file("spec.json", JSON.stringify(spec));
}

/** A copy of the real capture whose config file is the one cdktf-xen renders for `pv1`. */
function managedCapture(): string {
  const dir = join(tmp, `${counter++}-live`);
  cpSync(CAPTURE, dir, { recursive: true });
  writeFileSync(join(dir, "cdktf-xen", "pv1.cfg"), renderXlCfg(pvDomain()));
  return dir;
}

async function run(desired: string, live: string, json = false): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runDiffCommand({ desired, live, json }, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const matching = hostSpec([pvDomain()], [rootVolume("pv1")]);

describe("cdktf-xen diff", () => {
  it("GIVEN a spec that matches the captured host THEN exit 0 and 'No changes'", async () => {
    const r = await run(specFile(matching), managedCapture());
    expect(r).toEqual({ code: EXIT_NO_CHANGES, stdout: "No changes. The host matches its declared state.\n", stderr: "" });
  });

  it("GIVEN a memory change THEN exit 2 and the text plan shows it", async () => {
    const r = await run(specFile(hostSpec([pvDomain({ memoryMiB: 96 })], [rootVolume("pv1")])), managedCapture());
    expect(r.code).toBe(EXIT_CHANGES);
    expect(r.stdout).toContain("~ memory: 128 MiB → 96 MiB (xl mem-set)");
    expect(r.stdout).toContain("Plan: 2 to change in place.");
  });

  it("GIVEN --json THEN the plan document is printed", async () => {
    const r = await run(specFile(hostSpec([pvDomain({ memoryMiB: 96 })], [rootVolume("pv1")])), managedCapture(), true);
    const doc = JSON.parse(r.stdout) as PlanDocument;
    expect(doc.formatVersion).toBe(1);
    expect(doc.actions.map((a) => a.kind)).toEqual(["write-config", "mem-set"]);
  });

  it("GIVEN only a pending change THEN exit 0: nothing is to be applied", async () => {
    const r = await run(specFile(hostSpec([pvDomain({ onCrash: "preserve" })], [rootVolume("pv1")])), managedCapture());
    // The config rewrite is a change to apply; once it is done only the notice remains.
    expect(r.code).toBe(EXIT_CHANGES);
    const live = managedCapture();
    writeFileSync(join(live, "cdktf-xen", "pv1.cfg"), renderXlCfg(pvDomain({ onCrash: "preserve" })));
    const after = await run(specFile(hostSpec([pvDomain({ onCrash: "preserve" })], [rootVolume("pv1")])), live);
    expect(after.code).toBe(EXIT_NO_CHANGES);
    expect(after.stdout).toContain("Nothing to apply: 1 pending.");
  });

  it("GIVEN a refusal only THEN exit 2: the user must act", async () => {
    const r = await run(specFile(hostSpec([pvDomain()], [rootVolume("pv1", 128)])), managedCapture());
    expect(r.code).toBe(EXIT_CHANGES);
    expect(r.stdout).toContain("Nothing to apply: 1 refused.");
  });

  it("GIVEN the live state as a LiveHost JSON file THEN it plans the same as from the directory", async () => {
    const dir = managedCapture();
    const liveJson = file("live.json", JSON.stringify(await loadLiveDirectory(dir, [POOL])));
    const spec = specFile(hostSpec([pvDomain({ vcpus: 1 })], [rootVolume("pv1")]));
    expect(await run(spec, liveJson, true)).toEqual(await run(spec, dir, true));
  });

  it("GIVEN the real capture with its hand-written pv1.cfg THEN the config rewrite is planned (adoption)", async () => {
    const r = await run(specFile(matching), CAPTURE);
    expect(r.code).toBe(EXIT_CHANGES);
    expect(r.stdout).toContain("~ config file /etc/xen/cdktf-xen/pv1.cfg");
  });

  describe("errors name the file and the field", () => {
    it.each([
      ["a missing spec file", () => join(tmp, "nope.json"), /nope\.json: cannot be read \(ENOENT\)/],
      ["a spec that is not JSON", () => file("bad.json", "{ version: 1"), /bad\.json: not valid JSON/],
      [
        "a field of the wrong type",
        () => specFile({ ...matching, domains: [{ ...matching.domains[0]!, memoryMiB: "4G" as unknown as number }] }),
        /spec\.json: \$\.domains\[0\]\.memoryMiB: expected a whole number ≥ 1, got "4G"/,
      ],
      [
        "an unknown field (a typo)",
        () => file("spec.json", JSON.stringify({ ...matching, domains: [{ ...matching.domains[0]!, memroyMiB: 4 }] })),
        /spec\.json: \$\.domains\[0\]\.memroyMiB: unknown field/,
      ],
      [
        "a spec that contradicts itself",
        () => specFile(hostSpec([pvDomain({ vcpus: 3 })], [rootVolume("pv1")])),
        /spec\.json: domains\[pv1\]\.vcpus: vcpus \(3\) is above maxVcpus \(2\)/,
      ],
    ])("GIVEN %s THEN exit 1 with the file and the field", async (_, desired, message) => {
      const r = await run(desired(), managedCapture());
      expect(r.code).toBe(EXIT_ERROR);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
    });

    it("GIVEN a live directory without xl-info.out THEN the error names the missing file and what it holds", async () => {
      const dir = managedCapture();
      rmSync(join(dir, "xl-info.out"));
      const r = await run(specFile(matching), dir);
      expect(r.code).toBe(EXIT_ERROR);
      expect(r.stderr).toContain(`${dir}: xl-info.out: missing (it holds the output of \`xl info\`)`);
    });

    it("GIVEN a broken xl list -l capture THEN the error names that file and the JSON path", async () => {
      const dir = managedCapture();
      const text = readFileSync(join(dir, "xl-list-l.out"), "utf8").replace('"max_memkb": 262144', '"max_memkb": "lots"');
      writeFileSync(join(dir, "xl-list-l.out"), text);
      const r = await run(specFile(matching), dir);
      expect(r.code).toBe(EXIT_ERROR);
      expect(r.stderr).toMatch(new RegExp(`${join(dir, "xl-list-l.out").replace(/[.]/g, "\\.")}: \\$\\[1\\]\\.config\\.b_info\\.max_memkb`));
    });

    it("GIVEN a LiveHost JSON file with a wrong field THEN the error names the file and the path", async () => {
      const live = await loadLiveDirectory(managedCapture(), [POOL]);
      const bad = file("live.json", JSON.stringify({ ...live, domains: [{ ...live.domains[0], state: "sleeping" }] }));
      const r = await run(specFile(matching), bad);
      expect(r.code).toBe(EXIT_ERROR);
      expect(r.stderr).toMatch(/live\.json: \$\.domains\[0\]\.state: expected one of "running", .*got "sleeping"/);
    });
  });

  it("GIVEN the command registered on a program THEN `diff --desired --live` runs it and records exit 2", async () => {
    const program = new Command("cdktf-xen").exitOverride();
    const codes: number[] = [];
    registerDiffCommand(program, (c) => codes.push(c));
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const spec = specFile(hostSpec([pvDomain({ memoryMiB: 96 })], [rootVolume("pv1")]));
      await program.parseAsync(["diff", "--desired", spec, "--live", managedCapture(), "--no-color"], { from: "user" });
    } finally {
      spy.mockRestore();
    }
    expect(codes).toEqual([EXIT_CHANGES]);
    expect(written.join("")).toContain("~ memory: 128 MiB → 96 MiB");
    expect(written.join("")).not.toContain("\u001b[");
  });

  it("GIVEN the example of docs/spec-format.md THEN it is a valid spec", async () => {
    const doc = readFileSync("docs/spec-format.md", "utf8");
    const example = /```json\n([\s\S]*?)```/.exec(doc)![1]!;
    const live = await loadLiveDirectory(managedCapture(), [POOL]);
    const r = await run(file("example.json", example), file("live.json", JSON.stringify(live)));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(EXIT_CHANGES);
    expect(r.stdout).toContain("vcpu 0 affinity: all / all → 1 / all");
  });

  const compiled = resolve("dist/src/cli/diff-command.js");
  it.skipIf(!existsSync(compiled))(
    "GIVEN the compiled command run as a real process (not a terminal) THEN exit status 2, the plan on stdout, no colour",
    async () => {
      const script = [
        `import { Command } from "commander";`,
        `const { registerDiffCommand } = await import(${JSON.stringify(pathToFileURL(compiled).href)});`,
        `const program = new Command("cdktf-xen");`,
        `registerDiffCommand(program);`,
        `await program.parseAsync(process.argv.slice(1), { from: "user" });`,
      ].join("\n");
      const spec = specFile(hostSpec([pvDomain({ memoryMiB: 96 })], [rootVolume("pv1")]));
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
        const child = execFile(
          process.execPath,
          ["--input-type=module", "-e", script, "diff", "--desired", spec, "--live", managedCapture()],
          { cwd: process.cwd(), env: { ...process.env, NO_COLOR: undefined } },
          (_error, stdout, stderr) => done({ code: child.exitCode, stdout, stderr }),
        );
      });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(EXIT_CHANGES);
      expect(result.stdout).toContain("~ memory: 128 MiB → 96 MiB (xl mem-set)");
      expect(result.stdout).not.toContain("\u001b[");
    },
  );
});
