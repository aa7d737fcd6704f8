/**
 * Every subcommand. Definitions only: each action imports its module when it runs, so that
 * `--version`, `--help` and usage errors never load ssh2 or cdktf.
 */
import type { Command } from "commander";
import { registerDiffCommand } from "./diff-command.js";

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
    .description("Show what apply would change on every host of a synthesized stack, drift included (exit 0: none, 2: changes, 1: error).")
    .argument("[stack-dir]", "directory holding cdk.tf.json (cdktf.out/stacks/NAME)", ".")
    .option("--host <id...>", "only these hosts (XenHost construct paths)")
    .option("--json", "print the plans as JSON (docs/plan-schema.md)")
    .option("--no-color", "no ANSI colours even on a terminal")
    .action(
      run(async (dir: string, opts: FleetOptions) => {
        const { planFleet } = await import("./fleet.js");
        return planFleet(dir, opts);
      }),
    );

  program
    .command("apply")
    .description("Make every host of a synthesized stack match it, and print what was done (exit 0: done, 1: error).")
    .argument("[stack-dir]", "directory holding cdk.tf.json (cdktf.out/stacks/NAME)", ".")
    .option("--host <id...>", "only these hosts (XenHost construct paths)")
    .option("--json", "print the plans and results as JSON")
    .option("--no-color", "no ANSI colours even on a terminal")
    .action(
      run(async (dir: string, opts: FleetOptions) => {
        const { applyFleet } = await import("./fleet.js");
        return applyFleet(dir, opts);
      }),
    );

  registerDiffCommand(program, setExit);

  program
    .command("apply-host")
    .description("Provisioner entry point: reconcile one host (CDKTF_XEN_INPUT, CDKTF_XEN_EXPECT) from ./cdk.tf.json.")
    .option("--stack-dir <dir>", "directory holding cdk.tf.json", ".")
    .action(
      run(async (opts: { stackDir: string }) => {
        const { applyHostCommand } = await import("./provisioners.js");
        return applyHostCommand(opts.stackDir);
      }),
    );

  program
    .command("destroy-domain")
    .description("Provisioner entry point: stop a domain (graceful, then forced) and remove its config and autostart link.")
    .option("--stack-dir <dir>", "directory holding cdk.tf.json", ".")
    .action(
      run(async (opts: { stackDir: string }) => {
        const { destroyDomainCommand } = await import("./provisioners.js");
        return destroyDomainCommand(opts.stackDir);
      }),
    );

  program
    .command("prune-host")
    .description("Provisioner entry point: remove the domains and DELETE volumes a host's reconcile resource recorded but ./cdk.tf.json no longer declares.")
    .option("--stack-dir <dir>", "directory holding cdk.tf.json", ".")
    .action(
      run(async (opts: { stackDir: string }) => {
        const { pruneHostCommand } = await import("./provisioners.js");
        return pruneHostCommand(opts.stackDir);
      }),
    );

  program
    .command("destroy-volume")
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
}
