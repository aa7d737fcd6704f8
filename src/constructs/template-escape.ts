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

/**
 * A deep copy of `value` with {@link escapeTemplate} applied to every string, object keys
 * included (Terraform reads JSON property names in expressions as templates too).
 */
export function escapeTemplateDeep<T>(value: T): T {
  return mapStrings(value, escapeTemplate);
}

/** A deep copy of `value` with {@link unescapeTemplate} applied to every string and key. */
export function unescapeTemplateDeep<T>(value: T): T {
  return mapStrings(value, unescapeTemplate);
}

function mapStrings<T>(value: T, f: (s: string) => string): T {
  if (typeof value === "string") return f(value) as unknown as T;
  if (Array.isArray(value)) return value.map((v: unknown) => mapStrings(v, f)) as unknown as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[f(k)] = mapStrings(v, f);
    return out as T;
  }
  return value;
}
