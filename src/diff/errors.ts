/**
 * Errors of the diff layer. The diff never fails on a difference (a difference is an action,
 * possibly a refused one); it fails only when the declared state contradicts itself (a volume
 * in a pool the host does not declare, pins beyond maxVcpus, …): such a spec cannot be planned
 * safely, so every problem is reported at once, each with its path in the spec.
 */
import { formatSpecIssue, type SpecIssue } from "../model/validate.js";

/**
 * The declared state of a host is not valid (see `validateHostSpec`), so no plan can be made.
 * The message has one line per issue: `path: message` (the message says what and the fix).
 */
export class DiffInputError extends Error {
  /** The host whose spec was refused. */
  readonly host: string;
  /** Every issue found, in spec order. */
  readonly issues: readonly SpecIssue[];

  constructor(host: string, issues: readonly SpecIssue[]) {
    super(
      `cannot plan host ${JSON.stringify(host)}: its declared state is not valid\n` +
        issues.map((i) => `  ${formatSpecIssue(i)}`).join("\n"),
    );
    this.name = "DiffInputError";
    this.host = host;
    this.issues = issues;
  }
}
