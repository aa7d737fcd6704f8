/**
 * Real Terraform (1.11.4, `terraform_data` only: the registry is unreachable) on programs
 * synthesized by real cdktf, with the CLI replaced by a RECORDING FAKE that only writes down
 * what Terraform ran: its arguments, the resource input it got, the planned hash and the
 * directory it ran in. Nothing here talks to a Xen host.
 */
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { App, LocalBackend, TerraformStack } from "../../src/cdktf.js";

const run = promisify(execFile);

/**
 * Whether the tests can run: Terraform on PATH. Without it they are skipped, unless
 * CDKTF_XEN_REQUIRE_TERRAFORM=1 demands them (then they fail).
 */
export function terraformAvailable(): boolean {
  try {
    execFileSync("terraform", ["version"], { stdio: "pipe", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
    return true;
  } catch {
    return false;
  }
}

/** The title suffix and skip decision for a terraform test suite. */
export function terraformGate(): { readonly skip: boolean; readonly note: string } {
  const present = terraformAvailable();
  const required = process.env.CDKTF_XEN_REQUIRE_TERRAFORM === "1";
  if (present || required) return { skip: false, note: "" };
  const note = " (SKIPPED: `terraform` is not on PATH; install Terraform 1.11.4, or set CDKTF_XEN_REQUIRE_TERRAFORM=1 to make this a failure)";
  process.stderr.write(`cdktf-xen terraform tests${note}\n`);
  return { skip: true, note };
}

/** One run of the recording fake CLI, as it wrote it down. */
export interface FakeCliRecord {
  readonly argv: string[];
  /** CDKTF_XEN_INPUT, parsed. */
  readonly input: Record<string, unknown> & { host: string; name?: string };
  /** CDKTF_XEN_EXPECT, or null when unset. */
  readonly expect: string | null;
  readonly cwd: string;
  /** What ./cdk.tf.json held when the fake ran (what the real CLI would read). */
  readonly stackFile: string | null;
}

/** What a plan does to each resource address. */
export type PlannedActions = Record<string, string[]>;

/**
 * A Terraform working directory fed with successive versions of a program: each version is
 * synthesized by cdktf into its own outdir and its cdk.tf.json copied here, where the state
 * (local backend, relative path) carries over from one version to the next.
 */
export class TerraformWorkspace {
  readonly dir: string;
  private readonly logPath: string;
  private readonly env: NodeJS.ProcessEnv;
  private version = 0;
  private readRecords = 0;

  constructor() {
    const base = mkdtempSync(join(tmpdir(), "cdktf-xen-tf-"));
    this.dir = join(base, "stack");
    mkdirSync(this.dir);
    this.logPath = join(base, "fake-cli.jsonl");
    const fake = join(base, "fake-cdktf-xen.mjs");
    // The RECORDING FAKE of the cdktf-xen CLI: appends one JSON line per run and succeeds.
    writeFileSync(
      fake,
      [
        'import { appendFileSync, existsSync, readFileSync } from "node:fs";',
        "const env = process.env;",
        "appendFileSync(env.FAKE_CDKTF_XEN_LOG, JSON.stringify({",
        "  argv: process.argv.slice(2),",
        '  input: JSON.parse(env.CDKTF_XEN_INPUT ?? "null"),',
        "  expect: env.CDKTF_XEN_EXPECT ?? null,",
        "  cwd: process.cwd(),",
        '  stackFile: existsSync("cdk.tf.json") ? readFileSync("cdk.tf.json", "utf8") : null,',
        '}) + "\\n");',
        "",
      ].join("\n"),
    );
    const rc = join(base, "terraformrc");
    writeFileSync(rc, "");
    this.env = {
      ...process.env,
      TF_CLI_CONFIG_FILE: rc,
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
      CHECKPOINT_DISABLE: "1",
      CDKTF_XEN_CLI: `${process.execPath} ${fake}`,
      FAKE_CDKTF_XEN_LOG: this.logPath,
    };
  }

  /**
   * Synthesizes `build` (into a stack named "s" with a relative local backend) and makes it
   * the configuration Terraform sees. Returns the synthesized JSON text.
   */
  synth(build: (stack: TerraformStack) => void): string {
    this.version++;
    const outdir = join(this.dir, "..", `synth-${String(this.version)}`);
    const app = new App({ outdir });
    const stack = new TerraformStack(app, "s");
    new LocalBackend(stack, { path: "terraform.tfstate" });
    build(stack);
    app.synth();
    copyFileSync(join(outdir, "stacks", "s", "cdk.tf.json"), join(this.dir, "cdk.tf.json"));
    return readFileSync(join(this.dir, "cdk.tf.json"), "utf8");
  }

  /** Runs terraform with `args` here; rejects with its output when it fails. */
  async terraform(...args: string[]): Promise<string> {
    try {
      const { stdout } = await run("terraform", args, { cwd: this.dir, env: this.env, maxBuffer: 64 << 20 });
      return stdout;
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      throw new Error(`terraform ${args.join(" ")} failed: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
    }
  }

  /** `terraform init` (offline: terraform_data needs no provider). */
  async init(): Promise<void> {
    await this.terraform("init", "-input=false", "-no-color");
  }

  /** `terraform plan -out`, then the plan's actions per resource address. */
  async plan(destroy = false): Promise<PlannedActions> {
    await this.terraform("plan", "-input=false", "-no-color", "-out=plan.bin", ...(destroy ? ["-destroy"] : []));
    const show = JSON.parse(await this.terraform("show", "-json", "plan.bin")) as {
      resource_changes?: { address: string; change: { actions: string[] } }[];
    };
    const out: PlannedActions = {};
    for (const rc of show.resource_changes ?? []) out[rc.address] = rc.change.actions;
    return out;
  }

  /** Applies the last plan; returns what the fake CLI recorded during the apply. */
  async apply(): Promise<FakeCliRecord[]> {
    await this.terraform("apply", "-input=false", "-no-color", "-auto-approve", "plan.bin");
    return this.newRecords();
  }

  /** The state as `terraform show -json` gives it: resource address → values. */
  async state(): Promise<Record<string, Record<string, unknown>>> {
    const show = JSON.parse(await this.terraform("show", "-json")) as {
      values?: { root_module?: { resources?: { address: string; values: Record<string, unknown> }[] } };
    };
    const out: Record<string, Record<string, unknown>> = {};
    for (const r of show.values?.root_module?.resources ?? []) out[r.address] = r.values;
    return out;
  }

  private newRecords(): FakeCliRecord[] {
    if (!existsSync(this.logPath)) return [];
    const all = readFileSync(this.logPath, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as FakeCliRecord);
    const fresh = all.slice(this.readRecords);
    this.readRecords = all.length;
    return fresh;
  }
}

/** The actions of the resource whose address starts with `type.prefix`. */
export function actionsOf(plan: PlannedActions, prefix: string): string[] {
  const entries = Object.entries(plan).filter(([address]) => address.startsWith(prefix));
  if (entries.length !== 1) throw new Error(`expected one resource ${prefix}*, found ${entries.map(([a]) => a).join(", ") || "none"}`);
  return entries[0]?.[1] ?? [];
}
