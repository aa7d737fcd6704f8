/**
 * `cdktf-xen diff --desired SPEC.json --live LIVE [--json]`: the plan for one host, from a
 * declared HostSpec (docs/spec-format.md) and a live state that was read earlier — a LiveHost
 * JSON file, or a directory of captured command outputs (docs/diff-command.md). No SSH: this is
 * the pure diff engine behind a file interface, for people, CI and tests.
 *
 * Exit status, like `terraform plan -detailed-exitcode`: 0 nothing to do (pending notices and
 * reports may be printed), 2 the plan has actions to execute or refusals, 1 error.
 *
 * The diff modules are imported when the command runs, so that registering it costs nothing
 * to the other commands (provisioners start one process per run).
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import type { HostSpec, PoolSpec } from "../model/spec.js";
import type { LiveHost } from "../xl/live.js";
import type { ParseIssue } from "../xl/result.js";
import { shellCommand, shellQuote } from "../xl/shell.js";

/** Exit status: the host matches (nothing to execute, nothing refused). */
export const EXIT_NO_CHANGES = 0;
/** Exit status: an input could not be read or planned. */
export const EXIT_ERROR = 1;
/** Exit status: the plan has actions to execute, or refusals. */
export const EXIT_CHANGES = 2;

/** Where the command writes; the real program passes process.stdout/stderr. */
export interface CommandOutput {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Options of {@link runDiffCommand}, as the command line gives them. */
export interface DiffCommandOptions {
  /** Path of a HostSpec JSON file. */
  readonly desired: string;
  /** Path of a LiveHost JSON file, or of a directory of captured outputs. */
  readonly live: string;
  /**
   * Print the plan as JSON (docs/plan-schema.md) instead of text.
   * @default false
   */
  readonly json?: boolean;
  /**
   * Colour the text plan.
   * @default false - the registered command passes true when stdout is a terminal and NO_COLOR is unset
   */
  readonly color?: boolean;
}

/** Input files that cannot be used; each line says which file, where in it, and what is wrong. */
class InputError extends Error {
  constructor(readonly lines: readonly string[]) {
    super(lines.join("\n"));
    this.name = "InputError";
  }

  /** Problems of one file. */
  static in(file: string, problems: readonly string[]): InputError {
    return new InputError(problems.map((p) => `${file}: ${p}`));
  }
}

/**
 * Runs `diff` and resolves to its exit status ({@link EXIT_NO_CHANGES}, {@link EXIT_CHANGES},
 * {@link EXIT_ERROR}). Errors are printed on `out.stderr`, naming the file and the field.
 */
export async function runDiffCommand(options: DiffCommandOptions, out: CommandOutput): Promise<number> {
  try {
    const spec = await readDesired(options.desired);
    const live = await readLive(options.live, spec.pools);
    const { diffHost } = await import("../diff/diff.js");
    const { hasExecutableActions } = await import("../diff/plan.js");
    const { formatPlan, formatPlanJson } = await import("../diff/format.js");
    const plan = diffHost(spec, live);
    out.stdout(options.json === true ? formatPlanJson(plan) : formatPlan(plan, { color: options.color ?? false }));
    return hasExecutableActions(plan) || plan.summary.refused > 0 ? EXIT_CHANGES : EXIT_NO_CHANGES;
  } catch (err) {
    out.stderr(`cdktf-xen diff: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_ERROR;
  }
}

/**
 * Adds `diff` to `program`.
 *
 * @param setExit records the exit status. @default - sets process.exitCode
 */
export function registerDiffCommand(
  program: Command,
  setExit: (code: number) => void = (code) => {
    process.exitCode = code;
  },
): Command {
  return program
    .command("diff")
    .description(
      "Plan one host: compare a declared HostSpec with a captured live state. " +
        "Exit 0 when nothing is to be done, 2 when the plan has changes or refusals, 1 on error.",
    )
    .requiredOption("--desired <SPEC.json>", "HostSpec JSON file (docs/spec-format.md)")
    .requiredOption("--live <LIVE>", "LiveHost JSON file, or a directory of captured command outputs (docs/diff-command.md)")
    .option("--json", "print the plan as JSON (docs/plan-schema.md)")
    .option("--color", "colour the text plan even when stdout is not a terminal")
    .option("--no-color", "never colour the text plan")
    .action(async (opts: { desired: string; live: string; json?: boolean; color?: boolean }) => {
      const auto = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
      const code = await runDiffCommand(
        { desired: opts.desired, live: opts.live, json: opts.json === true, color: opts.color ?? auto },
        { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) },
      );
      setExit(code);
    });
}

// ---------------------------------------------------------------------------------------------
// Inputs

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw InputError.in(file, [`cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw InputError.in(file, [`not valid JSON: ${err instanceof Error ? err.message : String(err)}`]);
  }
}

function issueLines(issues: readonly ParseIssue[]): string[] {
  return issues.map((i) => `${i.path}: ${i.message}`);
}

/** Reads, decodes and validates a HostSpec file. */
async function readDesired(file: string): Promise<HostSpec> {
  const { decodeHostSpec } = await import("../diff/decode.js");
  const { validateHostSpec } = await import("../model/validate.js");
  const decoded = decodeHostSpec(parseJson(file, await readText(file)));
  if (!decoded.ok) throw InputError.in(file, issueLines(decoded.issues));
  const problems = validateHostSpec(decoded.value);
  if (problems.length > 0) throw InputError.in(file, problems.map((p) => `${p.path}: ${p.message}`));
  return decoded.value;
}

/** A LiveHost JSON file, or a directory of captured outputs. */
async function readLive(path: string, pools: readonly PoolSpec[]): Promise<LiveHost> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    throw InputError.in(path, [`cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  if (isDir) return loadLiveDirectory(path, pools);
  const { decodeLiveHost } = await import("../diff/decode.js");
  const decoded = decodeLiveHost(parseJson(path, await readText(path)));
  if (!decoded.ok) throw InputError.in(path, issueLines(decoded.issues));
  return decoded.value;
}

/** A captured output: which snapshot section it is, and whether it must be there. */
interface CapturedFile {
  readonly section: string;
  readonly file: string;
  readonly required: boolean;
  readonly what: string;
}

/**
 * The files of a live-state directory, by snapshot section (src/xl/snapshot.ts): what each
 * holds is the stdout of the command the snapshot script runs for that section.
 */
export function capturedFiles(pools: readonly PoolSpec[]): readonly CapturedFile[] {
  const files: CapturedFile[] = [
    { section: "info", file: "xl-info.out", required: true, what: "`xl info`" },
    { section: "list", file: "xl-list.out", required: true, what: "`xl list`" },
    { section: "list-l", file: "xl-list-l.out", required: true, what: "`xl list -l`" },
    { section: "vcpu-list", file: "xl-vcpu-list.out", required: true, what: "`xl vcpu-list`" },
    { section: "sched-credit2", file: "xl-sched-credit2.out", required: true, what: "`xl sched-credit2`" },
    { section: "cpupool-list", file: "xl-cpupool-list.out", required: true, what: "`xl cpupool-list`" },
    { section: "autostart", file: "autostart.out", required: false, what: "one `LINK<TAB>TARGET` line per entry of /etc/xen/auto" },
    { section: "bridges", file: "bridges.out", required: true, what: "one bridge name per line (the interfaces of /sys/class/net with a bridge/ directory)" },
  ];
  const vgs = new Set<string>();
  pools.forEach((p, i) => {
    if (p.kind === "lvm") {
      if (vgs.has(p.volumeGroup)) return;
      vgs.add(p.volumeGroup);
      files.push({ section: `lvs:${p.volumeGroup}`, file: `lvs-${p.volumeGroup}.json`, required: true, what: `\`${shellCommand(["lvs", "--reportformat", "json", p.volumeGroup])}\`` });
    } else {
      files.push({ section: `dir:${i}`, file: `dir-${p.name}.out`, required: false, what: `\`stat -c '%s %n' ${shellQuote(p.path)}/*\`` });
      files.push({ section: `qcow2:${i}`, file: `qcow2-${p.name}.out`, required: false, what: `one \`VIRTUAL-SIZE PATH\` line per qcow2 image in ${p.path}` });
    }
  });
  return files;
}

/** The subdirectory of a live-state directory holding copies of /etc/xen/cdktf-xen/*.cfg. */
export const CAPTURED_CONFIG_DIR = "cdktf-xen";

/**
 * Reads a directory of captured outputs (see {@link capturedFiles}) into a LiveHost with the
 * snapshot parser, as if the snapshot script had printed them. `lvs.json` stands for every
 * volume group's `lvs-VG.json` when that file is absent (a plain `lvs --reportformat json`
 * lists every VG). Config files are read from the `cdktf-xen/` subdirectory.
 *
 * @throws Error whose message has one line per problem: the file, the place in it, what is wrong.
 */
export async function loadLiveDirectory(dir: string, pools: readonly PoolSpec[]): Promise<LiveHost> {
  const { DEFAULT_SNAPSHOT_NONCE, SNAPSHOT_VERSION, parseSnapshot } = await import("../xl/snapshot.js");
  const { MANAGED_CONFIG_DIR } = await import("../xl/live.js");
  const present = new Set(await readdir(dir));
  const m = `#cdktf-xen:${DEFAULT_SNAPSHOT_NONCE}#`;
  const parts: string[] = [`${m} SNAPSHOT ${SNAPSHOT_VERSION}\n`];
  const fileOf = new Map<string, string>();
  const section = (name: string, stdout: string): void => {
    parts.push(`${m} BEGIN ${name}\n${stdout}\n${m} STDERR ${name}\n\n${m} END ${name} 0\n`);
  };
  const missing: string[] = [];
  for (const c of capturedFiles(pools)) {
    let file = c.file;
    if (!present.has(file) && c.section.startsWith("lvs:") && present.has("lvs.json")) file = "lvs.json";
    if (!present.has(file)) {
      if (c.required) missing.push(`${c.file}: missing (it holds the output of ${c.what})`);
      else section(c.section, "");
      continue;
    }
    fileOf.set(c.section, join(dir, file));
    section(c.section, await readText(join(dir, file)));
  }
  if (missing.length > 0) throw InputError.in(dir, missing);
  if (present.has(CAPTURED_CONFIG_DIR)) {
    const cfgDir = join(dir, CAPTURED_CONFIG_DIR);
    for (const name of (await readdir(cfgDir)).filter((n) => n.endsWith(".cfg")).sort()) {
      const content = await readFile(join(cfgDir, name));
      fileOf.set(`cfg:${name}`, join(cfgDir, name));
      section(`cfg:${name}`, content.toString("base64"));
    }
  }
  const parsed = parseSnapshot(parts.join(""), pools, { configDir: MANAGED_CONFIG_DIR });
  if (parsed.ok) return parsed.value;
  // Issues say `section NAME: path`; name the file instead.
  throw new InputError(
    parsed.issues.map((issue) => {
      const at = /^section ([^:]+?)(?:: (.*))?$/.exec(issue.path);
      const file = at === null ? undefined : fileOf.get(at[1]!);
      if (file === undefined) return `${dir}: ${issue.path}: ${issue.message}`;
      return at![2] === undefined ? `${file}: ${issue.message}` : `${file}: ${at![2]}: ${issue.message}`;
    }),
  );
}
