/**
 * Terraform reads every string of a JSON configuration as a template: `${…}` interpolates and
 * `%{…}` is a directive. Data that merely contains those characters (a kernel command line
 * `root=${ROOT}`, a path with `%{`) must be escaped as `$${` / `%%{`, or Terraform would try
 * to evaluate it. Synthesis escapes every data string; `readStack` un-escapes them.
 *
 * @see https://developer.hashicorp.com/terraform/language/expressions/strings#escape-sequences-1
 */

/** `s` with each `${` written `$${` and each `%{` written `%%{`: Terraform reads back `s`. */
export function escapeTemplate(s: string): string {
  // Scanning left to right and doubling the sigil in front of each `{` is exactly what
  // Terraform's template scanner undoes: it reads `$${` as a literal `${` wherever it starts.
  if (!s.includes("{")) return s;
  return s.replace(/([$%])\{/g, (_m, sigil: string) => `${sigil}${sigil}{`);
}

/** The inverse of {@link escapeTemplate}: `$${` → `${`, `%%{` → `%{`. */
export function unescapeTemplate(s: string): string {
  if (!s.includes("{")) return s;
  return s.replace(/\$\$\{|%%\{/g, (m) => m.slice(1));
}

/** Options of {@link escapeTemplateDeep}. */
export interface DeepOptions {
  /**
   * Also put every object's keys in sorted order (and drop undefined values), as
   * `canonicalJson` does, in the same pass.
   * @default false
   */
  readonly sortKeys?: boolean;
}

/**
 * A deep copy of `value` with {@link escapeTemplate} applied to every string, object keys
 * included (Terraform reads JSON property names in expressions as templates too).
 */
export function escapeTemplateDeep<T>(value: T, options: DeepOptions = {}): T {
  return mapStrings(value, escapeTemplate, options.sortKeys === true);
}

/** A deep copy of `value` with {@link unescapeTemplate} applied to every string and key. */
export function unescapeTemplateDeep<T>(value: T): T {
  return mapStrings(value, unescapeTemplate, false);
}

function mapStrings<T>(value: T, f: (s: string) => string, sort: boolean): T {
  if (typeof value === "string") return f(value) as unknown as T;
  if (Array.isArray(value)) return value.map((v: unknown) => mapStrings(v, f, sort)) as unknown as T;
  if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const keys = sort ? Object.keys(o).sort() : Object.keys(o);
    for (const k of keys) {
      const v = o[k];
      if (sort && v === undefined) continue;
      out[f(k)] = mapStrings(v, f, sort);
    }
    return out as T;
  }
  return value;
}
