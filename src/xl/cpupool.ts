/**
 * Parser of `xl cpupool-list` and `xl cpupool-list -c`.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (cpupool-list)
 */
import { canonicalCpuList } from "./cpulist.js";
import { type ParseIssue, type ParseResult, failed, parsed } from "./result.js";

/** One cpupool. Fields the listing form did not print are null. */
export interface XlCpupool {
  readonly name: string;
  /** Number of pCPUs (plain form). */
  readonly cpuCount: number | null;
  /** Scheduler, e.g. `credit2` (plain form). */
  readonly scheduler: string | null;
  /** Active flag (plain form). */
  readonly active: boolean | null;
  /** Domains in the pool (plain form). */
  readonly domainCount: number | null;
  /** Canonical CPU list (`-c` form), e.g. `0-1`. */
  readonly cpus: string | null;
}

const PLAIN_HEADER = /^Name\s+CPUs\s+Sched\s+Active\s+Domain count\s*$/;
const CPU_HEADER = /^Name\s+CPU list\s*$/;

/**
 * Parses either form of `xl cpupool-list`; the header says which one it is.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (cpupool-list)
 */
export function parseXlCpupoolList(text: string): ParseResult<XlCpupool[]> {
  const issues: ParseIssue[] = [];
  const out: XlCpupool[] = [];
  let form: "plain" | "cpus" | null = null;
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    const path = `line ${i + 1}`;
    if (line.trim() === "") return;
    if (PLAIN_HEADER.test(line)) { form = "plain"; return; }
    if (CPU_HEADER.test(line)) { form = "cpus"; return; }
    if (form === "plain") {
      const m = /^(\S+)\s+(\d+)\s+(\S+)\s+([yn])\s+(\d+)\s*$/.exec(line);
      if (!m) { issues.push({ path, message: `not a cpupool-list row: ${JSON.stringify(line)}` }); return; }
      out.push({ name: m[1]!, cpuCount: Number(m[2]), scheduler: m[3]!, active: m[4] === "y", domainCount: Number(m[5]), cpus: null });
    } else if (form === "cpus") {
      const m = /^(\S+)(?:\s+(\S+))?\s*$/.exec(line);
      const cpus = m?.[2] === undefined ? null : canonicalCpuList(m[2]);
      if (!m || (m[2] !== undefined && cpus === null)) {
        issues.push({ path, message: `not a cpupool-list -c row: ${JSON.stringify(line)}` });
        return;
      }
      out.push({ name: m[1]!, cpuCount: null, scheduler: null, active: null, domainCount: null, cpus: cpus ?? "" });
    } else {
      issues.push({ path, message: "cpupool-list row before its header" });
    }
  });
  return issues.length > 0 ? failed(issues) : parsed(out);
}
