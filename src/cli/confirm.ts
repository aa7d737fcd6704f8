/**
 * The approval `cdktf-xen apply` asks for before it changes hosts, as `terraform apply` does:
 * only `yes` approves; without a terminal on stdin there is nobody to ask, and the apply is
 * refused unless `--auto-approve` says so. Provisioner entry points never come here.
 */
import { createInterface } from "node:readline";
import { CliError } from "./errors.js";

/** The question, in Terraform's words. */
export const APPROVAL_PROMPT = [
  "Do you want to perform these actions?",
  "  cdktf-xen will perform the actions described above.",
  "  Only 'yes' will be accepted to approve.",
  "",
  "  Enter a value: ",
].join("\n");

/** The refusal when stdin is not a terminal and --auto-approve was not given. */
export function noTerminalError(target: string): CliError {
  return new CliError(
    "cdktf-xen apply needs your approval and standard input is not a terminal, so nothing was applied",
    "apply changes hosts only after a person types `yes`, or with --auto-approve",
    `review the plan, then run \`cdktf-xen apply ${target} --auto-approve\`; or save it with \`cdktf-xen plan ${target} -out FILE\` and run \`cdktf-xen apply FILE\``,
  );
}

/**
 * Asks for approval on the terminal; true only for the answer `yes`.
 * @throws CliError when stdin is not a terminal
 */
export async function askApproval(target: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stdout): Promise<boolean> {
  if (input.isTTY !== true) throw noTerminalError(target);
  const rl = createInterface({ input, output, terminal: true });
  try {
    const answer = await new Promise<string | null>((resolve) => {
      rl.once("close", () => resolve(null));
      // Ctrl-C at the prompt cancels (readline would only pause the input otherwise).
      rl.once("SIGINT", () => rl.close());
      rl.question(`\n${APPROVAL_PROMPT}`, resolve);
    });
    return answer?.trim() === "yes";
  } finally {
    rl.close();
  }
}
