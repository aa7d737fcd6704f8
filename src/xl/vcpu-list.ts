/**
 * Parser of `xl vcpu-list`: one line per vCPU with the pCPU it runs on, its state and its
 * hard / soft affinity.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (vcpu-list)
 */
import { canonicalCpuList } from "./cpulist.js";
import { type ParseIssue, type ParseResult, failed, parsed } from "./result.js";

/** One row of `xl vcpu-list`. */
export interface XlVcpuEntry {
  readonly name: string;
  readonly domid: number;
  readonly vcpu: number;
  /** pCPU it runs on, null when offline (`-`). */
  readonly cpu: number | null;
  /** Online: xl prints `p` in the third state column for an offline vCPU. */
  readonly online: boolean;
  /** State as printed (`-b-`, `r--`, `--p`). */
  readonly stateFlags: string;
  readonly cpuSeconds: number;
  /** Hard affinity, canonical (`all` or merged ranges such as `0-2,5`). */
  readonly hard: string;
  /** Soft affinity, canonical. */
  readonly soft: string;
}

const HEADER = /^Name\s+ID\s+VCPU\s+CPU\s+State\s+Time\(s\)/;
const ROW = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+|-)\s+([rbp-]{3})\s+(\d+(?:\.\d+)?)\s+(\S+)\s+\/\s+(\S+)\s*$/;

/**
 * Parses `xl vcpu-list` (any domains). Affinities are canonicalised (`1`, `0-1`, `all`);
 * a list cdktf-xen cannot canonicalise, or any other unexpected line, is an issue.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (vcpu-list)
 */
export function parseXlVcpuList(text: string): ParseResult<XlVcpuEntry[]> {
  const issues: ParseIssue[] = [];
  const out: XlVcpuEntry[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "" || HEADER.test(line)) return;
    const m = ROW.exec(line);
    const path = `line ${i + 1}`;
    if (!m) {
      issues.push({ path, message: `not an xl vcpu-list row: ${JSON.stringify(line)}` });
      return;
    }
    const hard = canonicalCpuList(m[7]!);
    const soft = canonicalCpuList(m[8]!);
    if (hard === null) issues.push({ path, message: `unreadable hard affinity "${m[7]}"` });
    if (soft === null) issues.push({ path, message: `unreadable soft affinity "${m[8]}"` });
    out.push({
      name: m[1]!.trim(),
      domid: Number(m[2]),
      vcpu: Number(m[3]),
      cpu: m[4] === "-" ? null : Number(m[4]),
      online: m[5]![2] !== "p",
      stateFlags: m[5]!,
      cpuSeconds: Number(m[6]),
      hard: hard ?? m[7]!,
      soft: soft ?? m[8]!,
    });
  });
  return issues.length > 0 ? failed(issues) : parsed(out);
}
