/**
 * Parsers for the files of directory storage pools: `stat -c '%s %n'` (size and name of each
 * file) and `qemu-img info --output=json` (the virtual size of a qcow2 image, which is not its
 * file size).
 *
 * @see https://man7.org/linux/man-pages/man1/stat.1.html
 * @see https://www.qemu.org/docs/master/tools/qemu-img.html (info)
 */
import { type ParseIssue, type ParseResult, failed, parsed } from "./result.js";

/** One file: size in bytes and path as stat printed it. */
export interface StatEntry {
  readonly path: string;
  readonly sizeBytes: number;
}

/**
 * Parses `stat -c '%s %n' FILE…` output: one `SIZE PATH` line per file. The path is the
 * rest of the line after the first space, so paths with spaces are kept whole.
 */
export function parseStatSizes(text: string): ParseResult<StatEntry[]> {
  const issues: ParseIssue[] = [];
  const out: StatEntry[] = [];
  text.split("\n").forEach((line, i) => {
    if (line === "") return;
    const m = /^(\d+) (.+)$/.exec(line);
    if (!m || !Number.isSafeInteger(Number(m[1]))) {
      issues.push({ path: `line ${i + 1}`, message: `not a "SIZE PATH" line: ${JSON.stringify(line)}` });
      return;
    }
    out.push({ sizeBytes: Number(m[1]), path: m[2]! });
  });
  return issues.length > 0 ? failed(issues) : parsed(out);
}

/** What cdktf-xen needs from `qemu-img info --output=json`. */
export interface QemuImgInfo {
  readonly format: string;
  /** Size the guest sees, bytes. */
  readonly virtualSizeBytes: number;
}

/** Parses `qemu-img info --output=json FILE`. */
export function parseQemuImgInfo(text: string): ParseResult<QemuImgInfo> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return failed([{ path: "$", message: `not JSON: ${(e as Error).message}` }]);
  }
  const o = data as { format?: unknown; "virtual-size"?: unknown } | null;
  const size = o?.["virtual-size"];
  if (typeof o?.format !== "string" || typeof size !== "number" || !Number.isSafeInteger(size)) {
    return failed([{ path: "$", message: 'expected { "format": string, "virtual-size": integer }' }]);
  }
  return parsed({ format: o.format, virtualSizeBytes: size });
}
