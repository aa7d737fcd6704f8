/**
 * Grammars of single xl.cfg(5) values that cdktf-xen declares as free strings: the HVM boot
 * order and the cpuid policy. Synth validation (model/validate.ts), the plan and the renderer
 * (render.ts) all call these, so what `cdktf synth` accepts is what xl is given.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html
 */

/**
 * Why `order` is not an HVM boot order, or undefined: 1–4 of the letters `a` (floppy), `c`
 * (disk), `d` (CD-ROM), `n` (network), each at most once (QEMU refuses a device given twice).
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html (boot)
 */
export function bootOrderProblem(order: string): string | undefined {
  if (typeof order === "string" && /^[acdn]{1,4}$/.test(order) && new Set(order).size === order.length) return undefined;
  return `boot order ${JSON.stringify(order)} is not a sequence of HVM boot devices: use letters c (disk), d (cdrom), n (network), a (floppy), each at most once, e.g. "c" or "dc"`;
}

/**
 * Why `policy` is not a cpuid policy in xl's libxl format, or undefined: the word `host`, then
 * comma-separated `KEY=VALUE` pairs, KEY a feature or field name (lower-case letters, digits,
 * `_`, `.`, `-`, e.g. `rdtscp`, `avx512-4fmaps`), VALUE one of `0 1 x k s` or a number for the
 * few numeric keys (`family`, `model`, …). xl's older "xend" format is a list, which cdktf-xen
 * does not declare.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html (cpuid)
 */
export function cpuidProblem(policy: string): string | undefined {
  if (typeof policy === "string" && /^host(?:,[a-z0-9][a-z0-9_.-]*=(?:[01xks]|[0-9]+|0x[0-9a-fA-F]+))*$/.test(policy)) return undefined;
  return `cpuid policy ${JSON.stringify(policy)} is not in xl's libxl format: write "host" followed by comma-separated KEY=VALUE pairs, e.g. "host,rdtscp=0" (VALUE is 0, 1, x, k or s, or a number for the numeric keys)`;
}
