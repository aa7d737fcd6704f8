/**
 * The one place where strings become remote shell syntax. Every command the reconciler sends
 * to dom0 is built from argv arrays through {@link shellCommand}, so no value from a spec
 * (domain name, path, kernel command line) can ever be read by the shell as syntax.
 *
 * POSIX sh single quotes take every byte literally except `'` itself, which is written as
 * `'\''` (close, escaped quote, reopen). That is the only escaping rule needed, and it holds
 * for `$`, backticks, `;`, newlines, globs, backslashes and non-ASCII bytes alike.
 *
 * @see https://pubs.opengroup.org/onlinepubs/9699919799/utilities/V3_chap02.html#tag_02_02_02
 */
import { ShellQuoteError } from "./errors.js";

/**
 * Quotes one argument for a POSIX shell so that the shell passes exactly these bytes (UTF-8)
 * to the program. The empty string becomes `''`.
 *
 * @throws ShellQuoteError when `arg` contains NUL, which no program argument can hold.
 * @see https://pubs.opengroup.org/onlinepubs/9699919799/utilities/V3_chap02.html#tag_02_02_02
 */
export function shellQuote(arg: string): string {
  if (arg.includes("\0")) throw new ShellQuoteError(arg.replace(/\0/g, "\\0"));
  // A word of only these characters means nothing special to sh as an argument, so it can
  // stay bare: the common case (xl, mem-set, /etc/xen/x.cfg) stays readable in logs. `=` is
  // left out because `a=b` in command position is an assignment.
  if (/^[A-Za-z0-9_@%+:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Words the shell reads as syntax when they stand where a command name is expected. */
const RESERVED = new Set([
  "!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in",
  "then", "until", "while", "function", "select", "time", "[[", "]]",
]);

/**
 * Joins an argv into one shell command line, quoting every element with {@link shellQuote}.
 * The first element is the program; a reserved word there (`if`, `time`, …) is quoted so the
 * shell runs a program of that name instead of parsing syntax.
 *
 * @throws ShellQuoteError when any element contains NUL.
 * @throws Error when `argv` is empty.
 */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error("shellCommand needs at least the program name");
  const [program, ...args] = argv as [string, ...string[]];
  const head = RESERVED.has(program) ? `'${program}'` : shellQuote(program);
  return [head, ...args.map(shellQuote)].join(" ");
}
