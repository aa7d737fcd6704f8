/**
 * The syntax layer of xl.cfg(5), as Xen's libxlutil reads it (tools/libs/util/libxlu_cfg_l.l,
 * libxlu_cfg_y.y, libxlu_cfg.c): `KEY = VALUE` settings separated by newlines or `;`, values
 * that are numbers, quoted strings or (nested) lists, `#` comments. The last assignment of a
 * key wins, as in libxlu.
 *
 * Strings: libxlu accepts `"…"` and `'…'` with backslash escapes `\" \' \\ \a \b \f \n \r \t \v`;
 * any other escape is a parse error, and its octal/hex escapes are broken (they drop the
 * character), so the writer here only ever emits `\"` and `\\`. Every other byte, including
 * `$` and UTF-8, stands for itself inside double quotes.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html#SYNTAX
 */
import { textProblem } from "../model/text.js";
import { XlRenderError } from "./errors.js";
import { type ParseIssue } from "./result.js";

/**
 * Why `value` cannot be an xl.cfg string that cdktf-xen writes, or `null` when it can: the
 * model's one rule for declared text ({@link textProblem}: no NUL, no line break, no other
 * control character — tab included — and no lone UTF-16 surrogate). libxlu cannot hold a raw
 * newline in a string, and no field we render has a use for control characters.
 */
export function xlStringProblem(value: string): string | null {
  return textProblem(value);
}

/**
 * Writes `value` as a double-quoted xl.cfg string that libxlu reads back byte for byte.
 *
 * @param field spec field named in the error, e.g. `boot.cmdline`.
 * @throws XlRenderError when {@link xlStringProblem} refuses the value.
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html#SYNTAX
 */
export function quoteXlCfgString(value: string, field: string): string {
  const problem = xlStringProblem(value);
  if (problem !== null) {
    throw new XlRenderError(field, problem, "remove that character from the value");
  }
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A value as libxlu stores it: every atom (number or string) is kept as text. */
export type XlCfgValue =
  | { readonly kind: "atom"; readonly text: string; readonly quoted: boolean; readonly line: number }
  | { readonly kind: "list"; readonly items: readonly XlCfgValue[]; readonly line: number };

/** The settings of a file; a key assigned twice keeps its last value (libxlu's rule). */
export type XlCfgSettings = ReadonlyMap<string, XlCfgValue>;

type Token =
  | { readonly t: "ident" | "number" | "string"; readonly text: string; readonly line: number }
  | { readonly t: "=" | "[" | "]" | "," | ";" | "nl" | "+="; readonly line: number };

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"', "'": "'", "\\": "\\", a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v",
};

function tokenize(text: string, issues: ParseIssue[]): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t") { i++; continue; }
    if (c === "\n") { tokens.push({ t: "nl", line }); line++; i++; continue; }
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (c === "+" && text[i + 1] === "=") { tokens.push({ t: "+=", line }); i += 2; continue; }
    if (c === "=" || c === "[" || c === "]" || c === "," || c === ";") {
      tokens.push({ t: c, line });
      i++;
      continue;
    }
    let m = /^[a-z][_0-9a-z]*/.exec(text.slice(i, i + 256));
    if (m) { tokens.push({ t: "ident", text: m[0], line }); i += m[0].length; continue; }
    m = /^[0-9][0-9a-fx]*/.exec(text.slice(i, i + 256));
    if (m) { tokens.push({ t: "number", text: m[0], line }); i += m[0].length; continue; }
    if (c === '"' || c === "'") {
      let out = "";
      let j = i + 1;
      let closed = false;
      while (j < text.length && text[j] !== "\n") {
        const d = text[j]!;
        if (d === c) { closed = true; break; }
        if (d === "\\") {
          const e = text[j + 1];
          if (e === undefined || e === "\n") break;
          const mapped = ESCAPES[e];
          if (mapped === undefined) {
            issues.push({
              path: `line ${line}`,
              message: `escape \\${e} in a quoted string: xl rejects it or misreads it (only \\" \\' \\\\ \\a \\b \\f \\n \\r \\t \\v work)`,
            });
          } else {
            out += mapped;
          }
          j += 2;
          continue;
        }
        out += d;
        j++;
      }
      if (!closed) {
        issues.push({ path: `line ${line}`, message: "unterminated quoted string" });
        while (i < text.length && text[i] !== "\n") i++;
        continue;
      }
      // A bad escape is already an issue; the string is still a token so parsing goes on
      // and reports every other problem of the file too.
      tokens.push({ t: "string", text: out, line });
      i = j + 1;
      continue;
    }
    issues.push({ path: `line ${line}`, message: `unexpected character ${JSON.stringify(c)}` });
    while (i < text.length && text[i] !== "\n") i++;
  }
  return tokens;
}

/**
 * Parses xl.cfg text into its settings, following libxlu's grammar. Issues carry `line N`.
 * Only the syntax is checked here; which keys mean what is {@link parseXlCfg}'s job.
 */
export function parseXlCfgSettings(text: string): { settings: XlCfgSettings; issues: ParseIssue[] } {
  const issues: ParseIssue[] = [];
  const tokens = tokenize(text, issues);
  const settings = new Map<string, XlCfgValue>();
  let p = 0;
  const peek = (): Token | undefined => tokens[p];
  const skipToEol = (): void => {
    while (p < tokens.length && tokens[p]!.t !== "nl" && tokens[p]!.t !== ";") p++;
    p++;
  };
  const skipNewlines = (): void => {
    while (peek()?.t === "nl") p++;
  };

  const parseValue = (): XlCfgValue | null => {
    const tok = peek();
    if (tok === undefined) return null;
    if (tok.t === "number" || tok.t === "string") {
      p++;
      return { kind: "atom", text: tok.text, quoted: tok.t === "string", line: tok.line };
    }
    if (tok.t === "[") {
      p++;
      const items: XlCfgValue[] = [];
      skipNewlines();
      while (peek() !== undefined && peek()!.t !== "]") {
        const item = parseValue();
        if (item === null) return null;
        items.push(item);
        skipNewlines();
        if (peek()?.t === ",") {
          p++;
          skipNewlines();
        } else if (peek()?.t !== "]") {
          return null;
        }
      }
      if (peek()?.t !== "]") return null;
      p++;
      return { kind: "list", items, line: tok.line };
    }
    return null;
  };

  while (p < tokens.length) {
    const tok = tokens[p]!;
    if (tok.t === "nl" || tok.t === ";") { p++; continue; }
    if (tok.t !== "ident") {
      issues.push({ path: `line ${tok.line}`, message: "expected a setting name (lowercase letters, digits, _)" });
      skipToEol();
      continue;
    }
    const op = tokens[p + 1];
    if (op?.t === "+=") {
      issues.push({ path: `line ${tok.line}`, message: `"${tok.text} +=" is not supported here; write the whole value with =` });
      p += 2;
      skipToEol();
      continue;
    }
    if (op?.t !== "=") {
      issues.push({ path: `line ${tok.line}`, message: `expected "=" after ${tok.text}` });
      skipToEol();
      continue;
    }
    p += 2;
    const value = parseValue();
    const end = peek();
    if (value === null || (end !== undefined && end.t !== "nl" && end.t !== ";")) {
      issues.push({ path: `line ${tok.line}`, message: `malformed value for ${tok.text}` });
      skipToEol();
      continue;
    }
    settings.set(tok.text, value);
  }
  return { settings, issues };
}

/**
 * A number as libxlu's `xlu_cfg_get_long` reads it: C `strtol(text, &end, 0)` with nothing
 * left over, so `0x10` is 16 and `010` is 8 (octal). `null` when it is not a number.
 */
export function xlCfgLong(text: string): number | null {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return null;
  const body = m[2]!;
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (body.startsWith("0")) n = body.length === 1 ? 0 : parseInt(body.slice(1), 8);
  else n = parseInt(body, 10);
  if (!Number.isSafeInteger(n)) return null;
  return m[1] === "-" ? -n : n;
}
