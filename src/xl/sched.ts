/**
 * Parser of `xl sched-credit2` (listing form): weight and cap of every domain, grouped under
 * `Cpupool NAME: ratelimit=…` headers, one per cpupool that runs credit2.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (sched-credit2)
 */
import { type ParseIssue, type ParseResult, failed, parsed } from "./result.js";

/** One domain row of `xl sched-credit2`. */
export interface XlSchedEntry {
  readonly name: string;
  readonly domid: number;
  readonly weight: number;
  /** Percent of one pCPU, 0 = no cap. */
  readonly cap: number;
  /** The cpupool header the row was listed under; null for `-d DOMAIN` output (no header). */
  readonly cpupool: string | null;
}

/** The cpupools named by the headers. */
export interface XlSchedPool {
  readonly name: string;
  /** `ratelimit=…us`, null when not printed. */
  readonly ratelimitUs: number | null;
}

/** Parsed `xl sched-credit2`. */
export interface XlSchedCredit2 {
  readonly domains: readonly XlSchedEntry[];
  readonly pools: readonly XlSchedPool[];
}

const POOL = /^Cpupool (\S+):\s*(?:ratelimit=(\d+)us)?/;
const HEADER = /^Name\s+ID\s+Weight\s+Cap\s*$/;
const ROW = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/;

/**
 * Parses `xl sched-credit2` or `xl sched-credit2 -d NAME`. Empty output (no pool runs credit2)
 * is an empty result.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (sched-credit2)
 */
export function parseXlSchedCredit2(text: string): ParseResult<XlSchedCredit2> {
  const issues: ParseIssue[] = [];
  const domains: XlSchedEntry[] = [];
  const pools: XlSchedPool[] = [];
  let pool: string | null = null;
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "" || HEADER.test(line)) return;
    const p = POOL.exec(line);
    if (p) {
      pool = p[1]!;
      pools.push({ name: pool, ratelimitUs: p[2] === undefined ? null : Number(p[2]) });
      return;
    }
    const m = ROW.exec(line);
    if (!m) {
      issues.push({ path: `line ${i + 1}`, message: `not an xl sched-credit2 row: ${JSON.stringify(line)}` });
      return;
    }
    domains.push({ name: m[1]!.trim(), domid: Number(m[2]), weight: Number(m[3]), cap: Number(m[4]), cpupool: pool });
  });
  return issues.length > 0 ? failed(issues) : parsed({ domains, pools });
}
