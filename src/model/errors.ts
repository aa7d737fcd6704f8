/**
 * Errors of the model layer. Value objects (Size, CpuSet) and name assertions throw these;
 * validators never throw, they return {@link SpecIssue}s (see `validate.ts`).
 *
 * Every error says what is wrong (with the offending value), optionally where, and what to do.
 */

/** The parts of a {@link XenModelError}. */
export interface XenModelErrorDetails {
  /** What is wrong, quoting the offending value. */
  readonly what: string;
  /**
   * Where the value came from (a construct path, a spec path such as `domains[web-1].pins[0]`).
   * @default - no location: the message starts with `what`
   */
  readonly where?: string;
  /**
   * Why it matters, when that is not obvious from `what`.
   * @default - no explanation beyond `what`
   */
  readonly why?: string;
  /** What the user can do about it. */
  readonly fix: string;
}

/**
 * A value that the model refuses: a malformed size, CPU list or name, or a conversion that
 * would lose precision. The message reads `[where: ]what[ (why)]: fix`.
 */
export class XenModelError extends Error {
  /** What is wrong, quoting the offending value. */
  readonly what: string;
  /** Where the value came from, when known. */
  readonly where: string | undefined;
  /** Why it matters, when given. */
  readonly why: string | undefined;
  /** What the user can do about it. */
  readonly fix: string;

  /** An error whose message is built from `details` (see the class description). */
  constructor(details: XenModelErrorDetails) {
    super(formatModelError(details));
    this.name = "XenModelError";
    this.what = details.what;
    this.where = details.where;
    this.why = details.why;
    this.fix = details.fix;
  }

  /** The same error, located at `where` (a construct or spec path). */
  at(where: string): XenModelError {
    return new XenModelError({ what: this.what, where, why: this.why, fix: this.fix });
  }
}

function formatModelError(d: XenModelErrorDetails): string {
  const where = d.where !== undefined && d.where !== "" ? `${d.where}: ` : "";
  const why = d.why !== undefined && d.why !== "" ? ` (${d.why})` : "";
  return `${where}${d.what}${why}: ${d.fix}`;
}

/** The CPU-list syntax xl accepts, quoted in every CPU-list error. */
export const CPU_LIST_SYNTAX =
  'write a comma-separated list as xl does: "all", "3", "0-3", "0-3,^1", "2,5-7", "nodes:0", "nodes:0-1,^node:1" ' +
  '(a leading "^" excludes, "node:"/"nodes:" select whole NUMA nodes)';

/** A CPU list that does not parse; `item` is the comma-separated element at fault. */
export function invalidCpuList(text: string, item: string, reason: string): XenModelError {
  return new XenModelError({
    what: `CPU list ${JSON.stringify(text)} is not valid: ${JSON.stringify(item)} ${reason}`,
    fix: CPU_LIST_SYNTAX,
  });
}

/** A size string that does not parse. */
export function invalidSizeString(text: string, reason: string): XenModelError {
  return new XenModelError({
    what: `size ${JSON.stringify(text)} is not valid: ${reason}`,
    fix: 'write a whole number with an optional binary unit as xl does: "512M", "4G", "1024k", "2T", "4 GiB" (a plain number is MiB)',
  });
}

/** A size built from an amount that is not a whole, non-negative, exact number of bytes. */
export function invalidSizeAmount(amount: number, unit: string, reason: string): XenModelError {
  return new XenModelError({
    what: `size of ${String(amount)} ${unit} is not valid: ${reason}`,
    fix: "give a non-negative amount that is a whole number of bytes (e.g. Size.mebibytes(1536) instead of Size.gibibytes(1.4))",
  });
}

/** A conversion that would have to round. */
export function lossySizeConversion(size: string, unit: string, exact: number, suggestion: string): XenModelError {
  return new XenModelError({
    what: `size ${size} is not a whole number of ${unit} (it is ${String(exact)} ${unit})`,
    why: "cdktf-xen never rounds sizes silently",
    fix: suggestion,
  });
}

/** A name (domain, volume, …) refused by its rule: `what` quotes the name, `fix` says what is allowed. */
export function invalidName(what: string, fix: string, where?: string): XenModelError {
  return new XenModelError({ what, where, fix });
}

/** A NUMA node that the host's topology does not have. */
export function unknownNumaNode(text: string, node: number, nodes: readonly number[]): XenModelError {
  return new XenModelError({
    what: `CPU list ${JSON.stringify(text)} names NUMA node ${String(node)}, which the host does not have (it has ${
      nodes.length === 0 ? "no NUMA information" : `nodes ${nodes.join(", ")}`
    })`,
    fix: "name a node listed by `xl info -n`, or pin to CPU numbers instead",
  });
}
