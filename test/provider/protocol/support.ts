/**
 * Helpers for the protocol layer's tests against the real Terraform binary: compiling the
 * TEST PROVIDER (fixture-provider.ts) with the project's tsc, installing it into a working
 * directory's implied local mirror, and running Terraform offline with a private HOME.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { installProvider } from "../../../src/provider/protocol/install.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export const FIXTURE_ADDRESS = { hostname: "cdktf-xen.test", namespace: "test", type: "testfixture", version: "0.0.1" } as const;

/** Whether `terraform` is on PATH (the suite is skipped without it, unless CDKTF_XEN_REQUIRE_TERRAFORM=1). */
export function terraformGate(): { skip: boolean; note: string } {
  try {
    execFileSync("terraform", ["version"], { stdio: "pipe", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
    return { skip: false, note: "" };
  } catch {
    if (process.env.CDKTF_XEN_REQUIRE_TERRAFORM === "1") return { skip: false, note: "" };
    const note = " (SKIPPED: terraform is not on PATH)";
    process.stderr.write(`protocol tests${note}\n`);
    return { skip: true, note };
  }
}

/**
 * Compiles the test provider (and the layer it imports) into a fresh directory under
 * node_modules/.cache, where node finds the project's dependencies. Returns the entry .js.
 */
export function buildFixture(): { entry: string; cleanup: () => void } {
  const cache = join(repo, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, "cdktf-xen-protocol-fixture-"));
  const out = join(dir, "out");
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      extends: join(repo, "tsconfig.json"),
      compilerOptions: { outDir: out, rootDir: repo, declaration: false, sourceMap: false, incremental: false },
      include: [],
      files: [join(repo, "test/provider/protocol/fixture-provider.ts")],
    }),
  );
  execFileSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json")], { stdio: "pipe" });
  writeFileSync(join(out, "package.json"), '{"type":"module"}\n');
  return { entry: join(out, "test/provider/protocol/fixture-provider.js"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TfResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface LogEntry {
  readonly rpc: string;
  readonly type?: string;
  readonly pid: number;
  readonly [k: string]: unknown;
}

/** A Terraform working directory with the test provider in `terraform.d/plugins` and its own HOME. */
export class Workspace {
  readonly base: string;
  readonly dir: string;
  readonly home: string;
  readonly logFile: string;
  readonly driftFile: string;

  constructor(entry: string, where: "workdir" | "home" = "workdir") {
    this.base = mkdtempSync(join(tmpdir(), "cdktf-xen-protocol-"));
    this.dir = join(this.base, "work");
    this.home = join(this.base, "home");
    mkdirSync(this.dir);
    mkdirSync(this.home);
    writeFileSync(join(this.base, "empty.tfrc"), "");
    this.logFile = join(this.base, "provider.jsonl");
    this.driftFile = join(this.base, "drift.json");
    this.install(entry, where);
  }

  install(entry: string, where: "workdir" | "home" = "workdir", node?: string): void {
    const pluginsDir = where === "workdir" ? join(this.dir, "terraform.d", "plugins") : join(this.home, ".terraform.d", "plugins");
    installProvider({ ...FIXTURE_ADDRESS, pluginsDir, entry, ...(node ? { node } : {}) });
  }

  write(mainTf: string): void {
    writeFileSync(join(this.dir, "main.tf"), `terraform {\n  required_providers {\n    testfixture = { source = "cdktf-xen.test/test/testfixture" }\n  }\n}\n${mainTf}`);
  }

  env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("TF_")) env[k] = v;
    return {
      ...env,
      HOME: this.home,
      XDG_DATA_HOME: join(this.home, ".local", "share"),
      TF_CLI_CONFIG_FILE: join(this.base, "empty.tfrc"),
      TF_IN_AUTOMATION: "1",
      CHECKPOINT_DISABLE: "1",
      FIXTURE_LOG: this.logFile,
      FIXTURE_DRIFT_FILE: this.driftFile,
    };
  }

  tf(...args: string[]): Promise<TfResult> {
    return new Promise((resolvePromise) => {
      execFile("terraform", [...args], { cwd: this.dir, env: this.env(), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1;
        resolvePromise({ code, stdout, stderr });
      });
    });
  }

  /** `terraform show -json <plan file>` parsed. */
  async showJson(planFile?: string): Promise<Record<string, unknown>> {
    const r = await this.tf("show", "-json", ...(planFile ? [planFile] : []));
    if (r.code !== 0) throw new Error(`terraform show failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }

  /** Resource address → planned actions, from a saved plan. */
  async plannedActions(planFile: string): Promise<Record<string, string[]>> {
    const plan = (await this.showJson(planFile)) as { resource_changes?: { address: string; change: { actions: string[] } }[] };
    return Object.fromEntries((plan.resource_changes ?? []).map((rc) => [rc.address, rc.change.actions]));
  }

  /** The RPCs the test provider recorded (all processes), oldest first. */
  log(): LogEntry[] {
    if (!existsSync(this.logFile)) return [];
    return readFileSync(this.logFile, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as LogEntry);
  }

  clearLog(): void {
    rmSync(this.logFile, { force: true });
  }

  drift(d: { sizes?: Record<string, number>; gone?: string[] } | null): void {
    if (d === null) rmSync(this.driftFile, { force: true });
    else writeFileSync(this.driftFile, JSON.stringify(d));
  }

  cleanup(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** Terraform's output without colour codes and with runs of spaces kept (alignment matters little). */
export function plain(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, "");
}
