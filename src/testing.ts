/**
 * `cdktf-xen/testing`: what a program's own tests need to check what its stacks declare,
 * without Terraform or a Xen host.
 *
 * ```ts
 * import { Testing } from "cdktf";
 * import { readStack } from "cdktf-xen/testing";
 *
 * const { hosts, issues } = readStack(JSON.parse(Testing.synth(stack, true)));
 * expect(issues).toEqual([]);
 * expect(hosts[0]?.spec.domains.map((d) => d.name)).toEqual(["web-1"]);
 * ```
 * @packageDocumentation
 */
import { Testing, type TerraformStack } from "./cdktf.js";
import { readStack, type StackReadResult } from "./constructs/stack-reader.js";

export { readStack } from "./constructs/stack-reader.js";
export type { StackHost, StackIssue, StackReadResult } from "./constructs/stack-reader.js";

/**
 * Synthesizes `stack` with validation on (as `cdktf synth` does) and reads every cdktf-xen
 * host back from the result: each host's connection and `HostSpec`, as the CLI and the
 * provider will see them.
 * @throws Error when validation fails: its message lists every problem as `[construct path] message`
 *   (see {@link synthProblems} to get them as a list)
 */
export function synthHosts(stack: TerraformStack): StackReadResult {
  return readStack(JSON.parse(Testing.synth(stack, true)) as unknown);
}

/**
 * The problems `cdktf synth` would report for `stack`, one `[construct path] message` line
 * each; empty when the stack synthesizes.
 */
export function synthProblems(stack: TerraformStack): string[] {
  try {
    Testing.synth(stack, true);
    return [];
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    if (!text.startsWith("Validation failed")) throw e;
    return text
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith("["));
  }
}
