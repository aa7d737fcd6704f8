/**
 * Xen CPU lists (`all`, `2`, `0-3,5`, `0-3,^1`, `nodes:0`) in their one canonical spelling, the
 * form `xl vcpu-list` prints and `PinSpec`/`LiveVcpu` carry, so two lists compare as strings.
 * The rules live in `model/cpuset.ts` (`CpuSet`); this file gives the parsers a non-throwing
 * entry point and turns libxl bitmaps into lists.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html (cpus="CPULIST")
 */
import { CpuSet, canonicalCpuList as modelCanonicalCpuList } from "../model/cpuset.js";

/**
 * The canonical spelling of a CPU list (`"3,0-1,2"` -> `"0-3"`, `"all"` -> `"all"`,
 * `"1,^1"` -> `"none"`), or `null` when xl would not accept it (`"3-1"`, `""`).
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html (cpus="CPULIST")
 */
export function canonicalCpuList(text: string): string | null {
  try {
    return modelCanonicalCpuList(text);
  } catch {
    return null;
  }
}

/**
 * A libxl bitmap (the JSON array of set bits in `xl list -l`) as a canonical CPU list:
 * `[5,0,1,2]` -> `0-2,5`, `[]` -> `none`.
 */
export function formatCpuRanges(cpus: readonly number[]): string {
  return CpuSet.of(...cpus).toString();
}
