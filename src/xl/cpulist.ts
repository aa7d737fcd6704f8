/**
 * Xen CPU lists (`all`, `2`, `0-3,5`, `0-3,^1`) in one canonical spelling: `all`, or the CPUs
 * as sorted, merged ranges (`0-2,5`). It is the form `xl vcpu-list` prints and the form
 * `PinSpec`/`LiveVcpu` carry, so two lists compare as strings.
 *
 * A local helper of the xl layer: `model/cpuset.ts` (the `CpuSet` value object) follows the same
 * canonical form; this file exists so the parsers do not depend on constructs-facing code.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html (cpus="CPULIST")
 */

/**
 * The CPUs of a list, or `"all"`, or `null` when the text is not a CPU list this layer can
 * resolve without knowing the host (NUMA `node:` items, or `all` combined with exclusions).
 */
export function expandCpuList(text: string): readonly number[] | "all" | null {
  const s = text.trim();
  if (s === "all") return "all";
  if (s === "") return null;
  const cpus = new Set<number>();
  for (const raw of s.split(",")) {
    const item = raw.trim();
    const m = /^(\^?)(\d+)(?:-(\d+))?$/.exec(item);
    if (!m) return null;
    const from = Number(m[2]);
    const to = m[3] === undefined ? from : Number(m[3]);
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from) return null;
    // Xen caps CPU ids far below this; the bound keeps a hostile "0-999999999" from looping.
    if (to > 65535) return null;
    for (let c = from; c <= to; c++) {
      if (m[1] === "^") cpus.delete(c);
      else cpus.add(c);
    }
  }
  if (cpus.size === 0) return null;
  return [...cpus].sort((a, b) => a - b);
}

/** Formats CPU ids (any order, duplicates allowed) as merged ranges: `[5,0,1,2]` -> `0-2,5`. */
export function formatCpuRanges(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/**
 * The canonical spelling of a CPU list (`"1-0"` is invalid, `"3,0-1,2"` -> `"0-3"`,
 * `"all"` -> `"all"`), or `null` when it is not one (see {@link expandCpuList}).
 */
export function canonicalCpuList(text: string): string | null {
  const cpus = expandCpuList(text);
  if (cpus === null) return null;
  return cpus === "all" ? "all" : formatCpuRanges(cpus);
}
