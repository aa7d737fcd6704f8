/**
 * Parser of `xl list` (and `xl list -v`, `xl list -n`): one line per domain with its current
 * memory, online vCPUs and run state flags.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (list)
 */
import type { RunState } from "./live.js";
import { type ParseIssue, type ParseResult, failed, parsed } from "./result.js";

/** One row of `xl list`. */
export interface XlListEntry {
  readonly name: string;
  readonly domid: number;
  /** Current memory in MiB (the `Mem` column). */
  readonly memoryMiB: number;
  /** Online vCPUs (the `VCPUs` column). */
  readonly vcpus: number;
  /** The six flags as printed, e.g. `-b----`. */
  readonly flags: string;
  /** The flags summed up in one state (see {@link runStateFromFlags}). */
  readonly state: RunState;
  /** CPU time used, seconds. */
  readonly cpuSeconds: number;
  /** UUID, when the listing is `xl list -v`; null otherwise. */
  readonly uuid: string | null;
}

/**
 * One run state from xl's flags `r b p s c d` (running, blocked, paused, shutdown, crashed,
 * dying). A domain can show several (`--ps--`: paused while shutting down); the one that
 * matters most to a reconciler wins: dying > crashed > shutdown > paused > running > blocked.
 * No flag at all is `idle`.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (list, STATES)
 */
export function runStateFromFlags(flags: string): RunState {
  const has = (c: string): boolean => flags.includes(c);
  if (has("d")) return "dying";
  if (has("c")) return "crashed";
  if (has("s")) return "shutdown";
  if (has("p")) return "paused";
  if (has("r")) return "running";
  if (has("b")) return "blocked";
  return "idle";
}

const HEADER = /^Name\s+ID\s+Mem\s+VCPUs\s+State\s+Time\(s\)/;
const ROW = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+([rbpscd-]{6})\s+(\d+(?:\.\d+)?)(?:\s+([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))?(?:\s.*)?$/;

/**
 * Parses `xl list` output, all domains including Domain-0. Header lines are skipped (a
 * capture may hold several listings); any other line that is not a domain row is an issue.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (list)
 */
export function parseXlList(text: string): ParseResult<XlListEntry[]> {
  const issues: ParseIssue[] = [];
  const out: XlListEntry[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "" || HEADER.test(line)) return;
    const m = ROW.exec(line.replace(/\r$/, ""));
    if (!m) {
      issues.push({ path: `line ${i + 1}`, message: `not an xl list row: ${JSON.stringify(line)}` });
      return;
    }
    out.push({
      name: m[1]!.trim(),
      domid: Number(m[2]),
      memoryMiB: Number(m[3]),
      vcpus: Number(m[4]),
      flags: m[5]!,
      state: runStateFromFlags(m[5]!),
      cpuSeconds: Number(m[6]),
      uuid: m[7] ?? null,
    });
  });
  return issues.length > 0 ? failed(issues) : parsed(out);
}
