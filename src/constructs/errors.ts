/**
 * Problems the constructs report. Validation messages (returned from `node.addValidation`,
 * printed by `cdktf synth` as `[construct path] message`) and the few errors thrown while a
 * program is being built all read `what (why): fix`, as the model's errors do.
 */

/** The parts of a construct-level problem. */
export interface ProblemDetails {
  /** What is wrong, quoting the offending value. */
  readonly what: string;
  /**
   * Why it matters, when that is not obvious from `what`.
   * @default - no explanation beyond `what`
   */
  readonly why?: string;
  /** What the user can do about it. */
  readonly fix: string;
}

/** `what (why): fix`, the one shape of every construct message. */
export function problem(d: ProblemDetails): string {
  const why = d.why !== undefined && d.why !== "" ? ` (${d.why})` : "";
  return `${d.what}${why}: ${d.fix}`;
}

/**
 * Thrown while a program is being built, for mistakes that leave no construct to validate
 * (a wrong argument to a factory method). Everything else is a validation message, so that one
 * `cdktf synth` lists every problem at once.
 */
export class XenConstructError extends Error {
  constructor(where: string, details: ProblemDetails) {
    super(`[${where}] ${problem(details)}`);
    this.name = "XenConstructError";
  }
}

/** A prop holding a Terraform token where cdktf-xen needs a value known at synth time. */
export function unresolvedToken(field: string): string {
  return problem({
    what: `${field} is a Terraform token (a variable, a resource attribute or a function), not a literal value`,
    why: "the host's desired state is hashed at synth time and read back from cdk.tf.json by cdktf-xen, so every value must be known when the program runs",
    fix: "pass a plain value, e.g. read it from process.env or a file in the program itself",
  });
}
