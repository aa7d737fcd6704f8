/**
 * The one rule for free text in a declaration (a kernel command line, a path, a cpuid policy):
 * no control characters. No value cdktf-xen writes has a use for them, and they are where
 * formats break — NUL ends a C string, a line break ends an xl.cfg setting or a line of
 * `xl list`, an escape sequence rewrites an operator's terminal when a message is printed.
 * xl.cfg strings (xl/cfg-syntax.ts), paths and names all use this rule.
 */

/**
 * Why `value` cannot be declared text, or `null` when it can. Refused: NUL, line breaks,
 * every other C0 control character (tab included), DEL, the C1 controls U+0080–U+009F, and
 * lone UTF-16 surrogates (they have no UTF-8 encoding). The reason reads after "…: ".
 */
export function textProblem(value: string): string | null {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0) return "it contains a NUL character, which no C string can hold";
    if (c === 0x0a || c === 0x0d) return "it contains a line break, which an xl.cfg string cannot hold";
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
      return `it contains the control character U+${c.toString(16).padStart(4, "0").toUpperCase()}`;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return "it contains a lone UTF-16 surrogate (not valid Unicode)";
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return "it contains a lone UTF-16 surrogate (not valid Unicode)";
    }
  }
  return null;
}
