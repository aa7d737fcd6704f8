/**
 * The `cdktf-xen` program: what Terraform's provisioners run, and what people run to see a
 * fleet's plan. Commands load their modules lazily so that `--version` and argument errors
 * start as fast as node itself (provisioners start one process per run).
 */
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";

/** Options also accepted in Terraform's single-dash spelling (`-out=FILE`, `-auto-approve`). */
const TERRAFORM_SPELLINGS = ["out", "auto-approve", "detailed-exitcode", "parallelism", "lock-timeout", "json", "no-color"];

/** `-out=plan` → `--out=plan`, `-auto-approve` → `--auto-approve`: what Terraform users type. */
export function terraformSpellings(argv: readonly string[]): string[] {
  const end = argv.indexOf("--");
  return argv.map((arg, i) => {
    if (end !== -1 && i > end) return arg;
    const name = /^-([a-z-]+)(=.*)?$/.exec(arg)?.[1];
    return name !== undefined && TERRAFORM_SPELLINGS.includes(name) ? `-${arg}` : arg;
  });
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command("cdktf-xen")
    .description("Reconcile Xen hosts (xl toolstack) with a synthesized cdktf-xen stack.")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .showHelpAfterError();
  let exitCode = 0;
  const setExit = (code: number): void => {
    exitCode = code;
  };
  const { registerCommands } = await import("./commands.js");
  registerCommands(program, setExit);
  try {
    await program.parseAsync(terraformSpellings(argv), { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with code 0.
      return err.exitCode === 0 ? 0 : 1;
    }
    throw err;
  }
  return exitCode;
}
