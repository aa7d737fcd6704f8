/**
 * Parser of LVM's JSON report (`lvs --reportformat json`), the logical volumes backing LVM
 * storage pools. cdktf-xen runs `lvs --reportformat json --units b --nosuffix -o
 * lv_name,vg_name,lv_size`, which gives exact byte sizes; the default human form (`256.00m`)
 * is accepted too, as long as it is exact.
 *
 * @see https://man7.org/linux/man-pages/man8/lvs.8.html
 */
import { type ParseIssue, type ParseResult, failed, parsed } from "./result.js";

/** One logical volume. */
export interface LvsEntry {
  readonly vg: string;
  readonly name: string;
  readonly sizeBytes: number;
}

const UNITS: Readonly<Record<string, number>> = {
  "": 1, b: 1, B: 1,
  s: 512, S: 512,
  k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5, e: 1024 ** 6,
  K: 1000, M: 1000 ** 2, G: 1000 ** 3, T: 1000 ** 4, P: 1000 ** 5, E: 1000 ** 6,
};

/**
 * Bytes of an LVM size field: `268435456`, `268435456B`, `256.00m` (lower case = binary units,
 * upper case = decimal, as LVM prints them). `null` when the value is unreadable or only
 * approximate (LVM marks rounded values with `<` or `>`).
 */
export function lvmSizeBytes(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([bBsSkKmMgGtTpPeE]?)$/.exec(text.trim());
  if (!m) return null;
  const bytes = Number(m[1]) * UNITS[m[2]!]!;
  const rounded = Math.round(bytes);
  // "256.00m" is exact; "1.33g" is not a whole number of bytes, so it is not a size to trust.
  if (!Number.isSafeInteger(rounded) || Math.abs(bytes - rounded) > 1e-3) return null;
  return rounded;
}

/**
 * Parses `lvs --reportformat json`. Empty output is no volumes (some LVM versions print
 * nothing when a VG has no LVs).
 *
 * @see https://man7.org/linux/man-pages/man8/lvs.8.html
 */
export function parseLvsJson(text: string): ParseResult<LvsEntry[]> {
  if (text.trim() === "") return parsed([]);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return failed([{ path: "$", message: `not JSON: ${(e as Error).message}` }]);
  }
  const report = (data as { report?: unknown } | null)?.report;
  if (!Array.isArray(report)) return failed([{ path: "$.report", message: "expected LVM's { report: [ … ] }" }]);
  const issues: ParseIssue[] = [];
  const out: LvsEntry[] = [];
  report.forEach((r: unknown, i) => {
    const lvs = (r as { lv?: unknown } | null)?.lv;
    if (lvs === undefined) return;
    if (!Array.isArray(lvs)) {
      issues.push({ path: `$.report[${i}].lv`, message: "expected an array" });
      return;
    }
    lvs.forEach((lv: unknown, j) => {
      const path = `$.report[${i}].lv[${j}]`;
      const o = lv as { lv_name?: unknown; vg_name?: unknown; lv_size?: unknown } | null;
      if (typeof o?.lv_name !== "string" || typeof o.vg_name !== "string" || typeof o.lv_size !== "string") {
        issues.push({ path, message: "expected string lv_name, vg_name and lv_size" });
        return;
      }
      const size = lvmSizeBytes(o.lv_size);
      if (size === null) {
        issues.push({ path: `${path}.lv_size`, message: `size "${o.lv_size}" is not exact; run lvs with --units b --nosuffix` });
        return;
      }
      out.push({ vg: o.vg_name, name: o.lv_name, sizeBytes: size });
    });
  });
  return issues.length > 0 ? failed(issues) : parsed(out);
}
