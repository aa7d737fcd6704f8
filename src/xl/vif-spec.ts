/**
 * Network interface specs (the items of xl.cfg's `vif = [ … ]`, and the arguments of
 * `xl network-attach`) and vif rate limits. xl splits a vif spec at every comma and reads
 * `key=value` pairs, so no value can contain a comma; rates follow libxlu_vif.c.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/misc/xl-network-configuration.html
 */
import type { VifSpec } from "../model/spec.js";
import { bridgeProblem, macProblem } from "../model/names.js";
import { XlRenderError } from "./errors.js";
import { type ParseIssue, type ParseResult, failed, parsed } from "./result.js";

/** libxl's bridge when a vif names none. */
export const DEFAULT_BRIDGE = "xenbr0";

/** A vif rate as libxl stores it (`rate_bytes_per_interval`, `rate_interval_usecs`). */
export interface VifRate {
  readonly bytesPerInterval: number;
  readonly intervalUsecs: number;
}

/**
 * Parses an xl vif rate (`10Mb/s`, `1GB/s@20ms`) into what libxl stores, exactly as
 * `xlu_vif_parse_rate` computes it (default interval 50 ms, `b` = bits, `B` = bytes, K/M/G
 * decimal), or `null` when xl would reject it. Leading zeros are refused: xl reads them as octal.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/misc/xl-network-configuration.html (rate)
 */
export function parseVifRate(rate: string): VifRate | null {
  const m = /^([1-9][0-9]*)([GMK]?)([Bb])\/s(?:@([1-9][0-9]*)([mu]?)s?)?$/.exec(rate);
  if (!m) return null;
  let bytesPerSec = BigInt(m[1]!);
  if (bytesPerSec > 0xffffffffn) return null;
  bytesPerSec *= m[2] === "G" ? 1_000_000_000n : m[2] === "M" ? 1_000_000n : m[2] === "K" ? 1000n : 1n;
  if (m[3] === "b") bytesPerSec /= 8n;
  let interval = 50_000n;
  if (m[4] !== undefined) {
    interval = BigInt(m[4]);
    if (interval > 0xffffffffn) return null;
    interval *= m[5] === "m" ? 1000n : m[5] === "u" ? 1n : 1_000_000n;
    if (interval > 0xffffffffn) return null;
  }
  const perInterval = (bytesPerSec * interval) / 1_000_000n;
  if (perInterval > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return { bytesPerInterval: Number(perInterval), intervalUsecs: Number(interval) };
}

/**
 * The one spelling of a rate that both sides of a comparison use. Normally `NB/s@Ius` (or
 * `NKB/s`, `NMB/s`, `NGB/s` when N bytes would exceed xl's 32-bit limit), where N is the
 * smallest rate libxl turns into the same bytes-per-interval: a valid xl rate, so a domain's
 * live value can be written back to its config unchanged. When no xl spelling yields exactly
 * these numbers, it is `NB@Ius` (N bytes per interval), still canonical but not xl syntax.
 */
export function formatVifRate(rate: VifRate): string {
  const { bytesPerInterval: bpi, intervalUsecs: iu } = rate;
  const lo = BigInt(bpi) * 1_000_000n;
  // Every per-second rate r with floor(r * iu / 1e6) == bpi lies in [ceil(lo / iu), ceil((lo + 1e6) / iu)).
  const first = (lo + BigInt(iu) - 1n) / BigInt(iu);
  const end = (lo + 1_000_000n + BigInt(iu) - 1n) / BigInt(iu);
  for (const [unit, mult] of [["", 1n], ["K", 1000n], ["M", 1_000_000n], ["G", 1_000_000_000n]] as const) {
    const n = (first + mult - 1n) / mult;
    if (n * mult < end && n > 0n && n <= 0xffffffffn) return `${n}${unit}B/s@${iu}us`;
  }
  return `${bpi}B@${iu}us`;
}

/** The canonical form ({@link formatVifRate}) of an xl rate string, or `null` if xl rejects it. */
export function canonicalVifRate(rate: string): string | null {
  const r = parseVifRate(rate);
  return r === null ? null : formatVifRate(r);
}

const MAC = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/;

/** The rate syntax, quoted in every rate message. */
export const VIF_RATE_SYNTAX =
  'write RATE[@INTERVAL] as xl reads it: a whole number without leading zeros, an optional K, M or G (decimal), b (bits) or B (bytes), "/s", and optionally "@" and an interval in s, ms or us (no unit: seconds), e.g. "10Mb/s", "100MB/s@20ms", "10Mb/s@20"';

/**
 * Why `rate` is not a vif rate cdktf-xen can give xl, or undefined when it is one: the rule
 * synth validation, the plan and {@link renderVifTokens} share. It is {@link parseVifRate}
 * (libxlu's grammar, leading zeros refused because xl reads them as octal) plus one refusal
 * xl does not make: a rate below one byte per interval, which libxl stores as 0 — "no limit",
 * the opposite of the intent.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/misc/xl-network-configuration.html (rate)
 */
export function vifRateProblem(rate: string): string | undefined {
  const parsedRate = typeof rate === "string" ? parseVifRate(rate) : null;
  if (parsedRate === null && typeof rate === "string" && /(?:^|@)0+[1-9]/.test(rate) && parseVifRate(rate.replace(/(^|@)0+(?=[1-9])/g, "$1")) !== null) {
    return `rate ${JSON.stringify(rate)} has a leading zero, which xl reads as octal (010 is 8): write the number without leading zeros`;
  }
  if (parsedRate === null) return `rate ${JSON.stringify(rate)} is not a rate xl accepts: ${VIF_RATE_SYNTAX}`;
  if (parsedRate.bytesPerInterval === 0) {
    return `rate ${JSON.stringify(rate)} is less than one byte per interval, which libxl treats as unlimited: raise the rate or lengthen the interval`;
  }
  return undefined;
}

/**
 * Why `model` cannot be an emulated NIC model, or undefined: a QEMU device name (ASCII
 * letters, digits, `_`, `.`, `-`, starting with a letter or digit), e.g. `e1000`, `rtl8139`.
 */
export function nicModelProblem(model: string): string | undefined {
  if (typeof model === "string" && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(model) && model.length <= 64) return undefined;
  return `NIC model ${JSON.stringify(model)} is not an emulated NIC model name (ASCII letters, digits, '_', '.', '-', starting with a letter or digit): use a QEMU model name such as e1000 or rtl8139`;
}

/** Splits a `what: fix` problem sentence for an XlRenderError. */
function renderError(field: string, sentence: string): XlRenderError {
  const at = sentence.indexOf(": ");
  return at < 0 ? new XlRenderError(field, sentence, "change the value") : new XlRenderError(field, sentence.slice(0, at), sentence.slice(at + 2));
}

/**
 * The `key=value` tokens of one vif, in a fixed order: `bridge`, then `mac`, `model`, `rate`
 * when set. xl.cfg joins them with commas; `xl network-attach` takes them as separate arguments.
 * MAC addresses are written in lower case, as libxl reports them. Every value is checked with
 * the rule synth validation uses ({@link bridgeProblem}, {@link macProblem},
 * {@link nicModelProblem}, {@link vifRateProblem}), so what synth accepts renders and what it
 * refuses does not.
 *
 * @param field spec path used in errors, e.g. `vifs[1]`.
 * @throws XlRenderError when a value cannot be passed through xl's comma-split vif parser.
 * @see https://xenbits.xen.org/docs/4.17-testing/misc/xl-network-configuration.html
 */
export function renderVifTokens(vif: VifSpec, field: string): string[] {
  const bridge = bridgeProblem(vif.bridge);
  if (bridge !== undefined) throw renderError(`${field}.bridge`, bridge);
  const tokens = [`bridge=${vif.bridge}`];
  if (vif.mac !== null) {
    const mac = macProblem(vif.mac);
    if (mac !== undefined) throw renderError(`${field}.mac`, mac);
    tokens.push(`mac=${vif.mac.toLowerCase()}`);
  }
  if (vif.model !== null) {
    const model = nicModelProblem(vif.model);
    if (model !== undefined) throw renderError(`${field}.model`, model);
    tokens.push(`model=${vif.model}`);
  }
  if (vif.rate !== null) {
    const rate = vifRateProblem(vif.rate);
    if (rate !== undefined) throw renderError(`${field}.rate`, rate);
    tokens.push(`rate=${vif.rate}`);
  }
  return tokens;
}

/**
 * Reads one vif spec the way xl does (split at commas, leading spaces skipped, `key=value`),
 * keeping what the model knows: bridge (default {@link DEFAULT_BRIDGE}), mac (lower case),
 * model, rate (as written). Other keys xl knows (`script`, `ip`, …) are ignored.
 */
export function parseVifSpec(spec: string, path = "vif"): ParseResult<VifSpec> {
  const issues: ParseIssue[] = [];
  let bridge = DEFAULT_BRIDGE;
  let mac: string | null = null;
  let model: string | null = null;
  let rate: string | null = null;
  for (const raw of spec.split(",")) {
    const token = raw.replace(/^ +/, "");
    if (token === "") continue;
    const eq = token.indexOf("=");
    const key = eq < 0 ? token : token.slice(0, eq);
    const value = eq < 0 ? "" : token.slice(eq + 1);
    if (key === "bridge") bridge = value;
    else if (key === "mac") {
      if (!MAC.test(value)) issues.push({ path, message: `invalid mac "${value}" in vif spec ${JSON.stringify(spec)}` });
      mac = value.toLowerCase();
    } else if (key === "model") model = value;
    else if (key === "rate") {
      if (parseVifRate(value) === null) issues.push({ path, message: `invalid rate "${value}" in vif spec ${JSON.stringify(spec)}` });
      rate = value;
    }
  }
  return issues.length > 0 ? failed(issues) : parsed({ bridge, mac, model, rate });
}
