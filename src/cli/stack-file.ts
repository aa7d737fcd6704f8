/**
 * Reading a synthesized stack from disk: `cdk.tf.json` in a stack directory
 * (`cdktf.out/stacks/NAME`, or the current directory when a provisioner runs).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { readStack, type StackHost } from "../constructs/stack-reader.js";
import { CliError } from "./errors.js";

/** Every host of the stack in `dir`; problems in the file are one error listing them all. */
export async function loadStack(dir: string): Promise<StackHost[]> {
  const path = join(dir, "cdk.tf.json");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new CliError(
      `cannot read ${path}`,
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "the file does not exist" : String(err),
      "run `cdktf synth` first and pass the stack directory (cdktf.out/stacks/NAME)",
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(`cannot parse ${path}`, String(err), "synthesize the stack again with `cdktf synth`");
  }
  const { hosts, issues } = readStack(json);
  if (issues.length > 0) {
    throw new CliError(
      `${path} holds cdktf-xen resources that cannot be read`,
      issues.map((i) => `${i.path}: ${i.message}`).join("; "),
      "synthesize the stack again with the same cdktf-xen version as this CLI",
    );
  }
  return hosts;
}
