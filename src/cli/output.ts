/** Where the CLI writes, and how errors become lines a person can act on. */
import { CliError } from "./errors.js";

/** Writes a line to stdout. */
export const out = (line: string): void => {
  process.stdout.write(line.endsWith("\n") ? line : `${line}\n`);
};

/** Writes a line to stderr. */
export const err = (line: string): void => {
  process.stderr.write(line.endsWith("\n") ? line : `${line}\n`);
};

/** Prints an error (its message already names what, where, why and fix) and returns exit code 1. */
export function reportError(e: unknown): number {
  if (e instanceof Error) {
    err(`Error: ${e.message}`);
    if (!(e instanceof CliError) && process.env.CDKTF_XEN_DEBUG && e.stack) err(e.stack);
  } else {
    err(`Error: ${String(e)}`);
  }
  return 1;
}
