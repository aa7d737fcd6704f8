/**
 * Parse results as values: every parser in `xl/` returns either the parsed value or the full
 * list of problems it found, each with a path into its input, instead of throwing on the first.
 * The reconciler turns a failed result into one report; tests assert on the issues.
 */

/** One problem found while parsing, with where it is in the input. */
export interface ParseIssue {
  /**
   * Where in the input: `line 3` for line-oriented text, a JSON path such as
   * `$[1].config.b_info.max_memkb` for JSON, or `section lvs:vg0` for a snapshot section.
   */
  readonly path: string;
  /** What is wrong, in words an operator can act on. */
  readonly message: string;
}

/** Success-or-issues, like zod's `safeParse`. */
export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly ParseIssue[] };

/** A successful {@link ParseResult}. */
export function parsed<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

/** A failed {@link ParseResult}; `issues` must not be empty. */
export function failed<T = never>(issues: readonly ParseIssue[]): ParseResult<T> {
  if (issues.length === 0) throw new Error("failed() needs at least one issue");
  return { ok: false, issues };
}

/** `value` when there were no issues, else a failure with all of them. */
export function resultOf<T>(value: T, issues: readonly ParseIssue[]): ParseResult<T> {
  return issues.length === 0 ? parsed(value) : failed(issues);
}
