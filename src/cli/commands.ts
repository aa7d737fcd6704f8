/**
 * Every subcommand. Definitions only: each action imports its module when it runs, so that
 * `--version`, `--help` and usage errors never load ssh2 or cdktf.
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import { registerDiffCommand } from "./diff-command.js";
import { parseDuration } from "./duration.js";
import { DEFAULT_PARALLELISM } from "./limit.js";

/** Longest wait for another applier's host lock unless --lock-timeout says otherwise, ms. */
export const DEFAULT_LOCK_TIMEOUT_MS = 600_000;

function positiveInteger(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("a whole number of hosts, at least 1.");
  return n;
}

function lockTimeout(text: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw new InvalidArgumentError("a duration such as 0s, 30s, 5m or 1h30m.");
  }
}

/** Registers every subcommand on `program`; `setExit` records the process exit code. */
export function registerCommands(program: Command, setExit: (code: number) => void): void {
  const run =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> => {
      setExit(await fn(...args));
    };

  const provider = program.command("provider").description("The native Terraform provider for Xen (xen_host resources).");
  provider
    .command("install")
    .description("Put the provider where `terraform init` finds it without a registry (default ~/.terraform.d/plugins).")
    .option("--dir <plugins-dir>", "another implied local mirror, e.g. terraform.d/plugins in a stack directory")
    .action(
      run(async (opts: { dir?: string }) => {
        const { installProvider } = await import("../provider/xen/install.js");
        const r = installProvider(opts.dir === undefined ? {} : { pluginsDir: opts.dir });
        process.stdout.write(`cdktf-xen: provider ${r.changed ? "installed" : "already installed"}: ${r.executable}\n`);
        return 0;
      }),
    );

  program
    .command("plan")
    .description("Show what apply would change on every host of a synthesized stack, drift included (exit 0, 1 on error; with --detailed-exitcode 2 on changes).")
    .argument("[stack-dir]", "directory holding cdk.tf.json (cdktf.out/stacks/NAME)", ".")
    .option("--host <id...>", "only show these hosts (XenHost construct paths); every host is still read, for moves")
    .option("--out <file>", "save the plan to FILE, for `cdktf-xen apply FILE` (Terraform's -out)")
    .option("--detailed-exitcode", "exit 0 when nothing would change, 2 when something would, 1 on error")
    .option("--parallelism <n>", "hosts read at once", positiveInteger, DEFAULT_PARALLELISM)
    .option("--json", "print the plans as JSON (docs/plan-schema.md)")
    .option("--no-color", "no ANSI colours even on a terminal")
    .action(
      run(async (dir: string, opts: PlanOptions) => {
        const { planFleet } = await import("./fleet.js");
        return planFleet(dir, opts);
      }),
    );

  program
    .command("apply")
    .description("Make every host of a synthesized stack match it: show the plan, ask for approval, apply; or apply a saved plan exactly (exit 0: done, 1: error).")
    .argument("[stack-dir|plan-file]", "directory holding cdk.tf.json (cdktf.out/stacks/NAME), or a plan saved by `cdktf-xen plan -out FILE`", ".")
    .option("--host <id...>", "only these hosts (XenHost construct paths); not with a saved plan")
    .option("--auto-approve", "apply without asking (needed without a terminal, e.g. in CI)")
    .option("--parallelism <n>", "hosts applied at once", positiveInteger, DEFAULT_PARALLELISM)
    .addOption(
      new Option("--lock-timeout <duration>", "longest wait for another applier's host lock, e.g. 0s, 30s, 10m").argParser(lockTimeout).default(DEFAULT_LOCK_TIMEOUT_MS, "10m"),
    )
    .option("--json", "print the plans and results as JSON (with --auto-approve or a saved plan)")
    .option("--no-color", "no ANSI colours even on a terminal")
    .action(
      run(async (target: string, opts: ApplyOptions) => {
        const { applyFleet } = await import("./fleet.js");
        return applyFleet(target, opts);
      }),
    );

  registerDiffCommand(program, setExit);

  program
    .command("apply-host", { hidden: true })
    .description("Provisioner entry point: reconcile one host (CDKTF_XEN_INPUT, CDKTF_XEN_EXPECT) from ./cdk.tf.json.")
    .option("--stack-dir <dir>", "directory holding cdk.tf.json", ".")
    .action(
      run(async (opts: { stackDir: string }) => {
        const { applyHostCommand } = await import("./provisioners.js");
        return applyHostCommand(opts.stackDir);
      }),
    );

  program
    .command("destroy-domain", { hidden: true })
    .description("Provisioner entry point: stop a domain (graceful, then forced) and remove its config and autostart link.")
    .option("--stack-dir <dir>", "directory holding cdk.tf.json", ".")
    .action(
      run(async (opts: { stackDir: string }) => {
        const { destroyDomainCommand } = await import("./provisioners.js");
        return destroyDomainCommand(opts.stackDir);
      }),
    );

  program
    .command("prune-host", { hidden: true })
    .description("Provisioner entry point: remove the domains and DELETE volumes a host's reconcile resource recorded but ./cdk.tf.json no longer declares.")
    .option("--stack-dir <dir>", "directory holding cdk.tf.json", ".")
    .action(
      run(async (opts: { stackDir: string }) => {
        const { pruneHostCommand } = await import("./provisioners.js");
        return pruneHostCommand(opts.stackDir);
      }),
    );

  program
    .command("destroy-volume", { hidden: true })
    .description("Provisioner entry point: delete a volume if its retention is DELETE; keep it otherwise.")
    .option("--stack-dir <dir>", "directory holding cdk.tf.json", ".")
    .action(
      run(async (opts: { stackDir: string }) => {
        const { destroyVolumeCommand } = await import("./provisioners.js");
        return destroyVolumeCommand(opts.stackDir);
      }),
    );
}

/** Options of `plan` and `apply`. */
export interface FleetOptions {
  readonly host?: string[];
  readonly json?: boolean;
  readonly color: boolean;
  /** Hosts at once. @default 10 */
  readonly parallelism?: number;
}

/** Options of `plan`. */
export interface PlanOptions extends FleetOptions {
  /** Where to save the plan. @default - not saved */
  readonly out?: string;
  /** Exit 2 when something would change. @default false */
  readonly detailedExitcode?: boolean;
}

/** Options of `apply`. */
export interface ApplyOptions extends FleetOptions {
  /** Apply without asking. @default false */
  readonly autoApprove?: boolean;
  /** Longest wait for a host lock, ms (`--lock-timeout`, parsed). @default 600000 */
  readonly lockTimeout?: number;
}
