/**
 * Parser of `xl info` and `xl info -n`: `key : value` lines about the host and hypervisor, plus
 * (with `-n`) the cpu_topology and numa_info tables.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (info)
 */
import type { HostInfo } from "./live.js";
import { type ParseIssue, type ParseResult, failed, parsed } from "./result.js";

/** A row of `xl info -n`'s cpu_topology table. */
export interface XlCpuTopology {
  readonly cpu: number;
  readonly core: number;
  readonly socket: number;
  readonly node: number;
}

/** A row of `xl info -n`'s numa_info table. */
export interface XlNumaNode {
  readonly node: number;
  readonly memsizeMiB: number;
  readonly memfreeMiB: number;
  readonly distances: readonly number[];
}

/** Parsed `xl info`: the {@link HostInfo} the diff needs, plus every field as printed. */
export interface XlInfo extends HostInfo {
  /** Every `key : value` line, trimmed; later duplicates win. */
  readonly fields: Readonly<Record<string, string>>;
  /** `-n` only; empty otherwise. */
  readonly cpuTopology: readonly XlCpuTopology[];
  /** `-n` only; empty otherwise. */
  readonly numaInfo: readonly XlNumaNode[];
}

// xl prints "%-23s: %s"; the padding guarantees blanks before the colon, which the table
// rows ("cpu:    core …", "  0:       0 …") do not have.
const FIELD = /^([a-z][a-z_ ]*?)\s+: ?(.*)$/;

/**
 * Parses `xl info` (with or without `-n`). nr_cpus, total_memory, free_memory, xen_version
 * and xen_scheduler are required; their absence is an issue.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (info)
 */
export function parseXlInfo(text: string): ParseResult<XlInfo> {
  const issues: ParseIssue[] = [];
  const fields: Record<string, string> = {};
  const cpuTopology: XlCpuTopology[] = [];
  const numaInfo: XlNumaNode[] = [];
  let table: string | null = null;
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    const path = `line ${i + 1}`;
    if (line.trim() === "") return;
    const f = FIELD.exec(line);
    if (f) {
      fields[f[1]!] = f[2]!.trim();
      table = f[2]!.trim() === "" ? f[1]! : null;
      return;
    }
    if (table === "cpu_topology") {
      if (/^cpu:\s+core\s+socket\s+node\s*$/.test(line)) return;
      const m = /^\s*(\d+):\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
      if (m) { cpuTopology.push({ cpu: Number(m[1]), core: Number(m[2]), socket: Number(m[3]), node: Number(m[4]) }); return; }
    } else if (table === "numa_info") {
      if (/^node:\s+memsize\s+memfree\s+distances\s*$/.test(line)) return;
      const m = /^\s*(\d+):\s+(\d+)\s+(\d+)\s+([\d,\s]+)$/.exec(line);
      if (m) {
        numaInfo.push({
          node: Number(m[1]),
          memsizeMiB: Number(m[2]),
          memfreeMiB: Number(m[3]),
          distances: m[4]!.split(/[\s,]+/).filter((d) => d !== "").map(Number),
        });
        return;
      }
    } else if (table === "device topology") {
      return; // free text ("No device topology data available") about PCI devices
    }
    issues.push({ path, message: `not an xl info line: ${JSON.stringify(line)}` });
  });

  const num = (key: string): number => {
    const v = fields[key];
    if (v === undefined) {
      issues.push({ path: key, message: `xl info has no ${key}` });
      return 0;
    }
    if (!/^\d+$/.test(v)) {
      issues.push({ path: key, message: `${key} is not a number: "${v}"` });
      return 0;
    }
    return Number(v);
  };
  const str = (key: string): string => {
    const v = fields[key];
    if (v === undefined) issues.push({ path: key, message: `xl info has no ${key}` });
    return v ?? "";
  };
  const info: XlInfo = {
    nrCpus: num("nr_cpus"),
    totalMemoryMiB: num("total_memory"),
    freeMemoryMiB: num("free_memory"),
    scheduler: str("xen_scheduler"),
    xenVersion: str("xen_version"),
    virtCaps: (fields["virt_caps"] ?? "").split(/\s+/).filter((c) => c !== ""),
    fields,
    cpuTopology,
    numaInfo,
  };
  return issues.length > 0 ? failed(issues) : parsed(info);
}
