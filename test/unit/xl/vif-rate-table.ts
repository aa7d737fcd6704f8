/**
 * The vif `rate` grammar as a table: values xl 4.17 accepts and rejects, read from xl.cfg(5),
 * xl-network-configuration(5) and libxlu's parser (tools/libs/util/libxlu_vif.c:
 * `^[0-9]+[GMK]?[Bb]/s$`, an optional `@` and `^[0-9]+[mu]?s?$` (no unit: seconds), both
 * numbers read by `strtoull(…, 0)`, zero and more than UINT32_MAX refused, K/M/G decimal,
 * `b` divides by 8, 50 ms by default).
 *
 * `cdktf` is cdktf-xen's verdict. It differs from xl's in two documented ways only: a leading
 * zero (xl reads the number as octal, so `010Mb/s` is 8 Mb/s — refused as misleading), and a
 * rate below one byte per interval (libxl stores 0, which means "unlimited" — refused as the
 * opposite of the intent). Shared by the unit (parse/render) and synth tables.
 */
export interface RateRow {
  readonly rate: string;
  /** What xl does with it: the libxl numbers, or "rejects". */
  readonly xl: { readonly bytesPerInterval: number; readonly intervalUsecs: number } | "rejects";
  readonly cdktf: "accepts" | "refuses";
  /** Why, for the test name. */
  readonly note: string;
}

const ok = (rate: string, bytesPerInterval: number, intervalUsecs: number, note: string): RateRow => ({ rate, xl: { bytesPerInterval, intervalUsecs }, cdktf: "accepts", note });
const no = (rate: string, note: string): RateRow => ({ rate, xl: "rejects", cdktf: "refuses", note });

export const RATE_TABLE: readonly RateRow[] = [
  ok("10Mb/s", 62_500, 50_000, "megabits per second, the default 50 ms interval"),
  ok("100MB/s@20ms", 2_000_000, 20_000, "megabytes with an interval in ms"),
  ok("10Mb/s@20", 25_000_000, 20_000_000, "an interval without a unit is in seconds"),
  ok("10Mb/s@20s", 25_000_000, 20_000_000, "an interval in seconds"),
  ok("10Mb/s@20m", 25_000, 20_000, "'m' alone is milliseconds"),
  ok("10Mb/s@20us", 25, 20, "an interval in microseconds"),
  ok("10Mb/s@20u", 25, 20, "'u' alone is microseconds"),
  ok("1Gb/s@1s", 125_000_000, 1_000_000, "gigabits"),
  ok("5000B/s", 250, 50_000, "plain bytes"),
  ok("3KB/s@300ms", 900, 300_000, "kilobytes (decimal)"),
  ok("1Kb/s@50000us", 6, 50_000, "kilobits, rounded down per interval as libxl does"),
  ok("4294967295B/s", 214_748_364, 50_000, "the largest number xl takes (UINT32_MAX)"),
  ok("1B/s@4294s", 4294, 4_294_000_000, "the longest interval that fits in 32 bits of microseconds"),
  no("10Tb/s", "T is not a unit xl knows"),
  no("10kb/s", "lower-case k is not a unit"),
  no("10mb/s", "lower-case m is not a unit"),
  no("10 Mb/s", "a space"),
  no("10Mbit/s", "bit is not a unit"),
  no("10Mb", "no /s"),
  no("10Mb/s ", "a trailing space"),
  no("+10Mb/s", "a sign"),
  no("0x10Mb/s", "hex is not in xl's pattern"),
  no("1.5Mb/s", "a fraction"),
  no("0Mb/s", "zero"),
  no("4294967296B/s", "above UINT32_MAX"),
  no("10Mb/s@", "an empty interval"),
  no("@20ms", "no rate"),
  no("", "the empty string"),
  no("fast", "not a rate"),
  no("10Mb/s@0ms", "a zero interval"),
  no("10Mb/s@20ns", "ns is not an interval unit"),
  no("10Mb/s@20ms@5", "two intervals"),
  no("1B/s@4295s", "an interval beyond 32 bits of microseconds"),
  no("10Mb/s;reboot", "shell syntax after the rate"),
  no("10Mb/s,bridge=x", "a comma, where xl splits a vif spec"),
  { rate: "010Mb/s", xl: { bytesPerInterval: 50_000, intervalUsecs: 50_000 }, cdktf: "refuses", note: "a leading zero: xl reads 010 as octal 8" },
  { rate: "10Mb/s@020ms", xl: { bytesPerInterval: 20_000, intervalUsecs: 16_000 }, cdktf: "refuses", note: "a leading zero in the interval: octal 16 ms" },
  { rate: "1B/s", xl: { bytesPerInterval: 0, intervalUsecs: 50_000 }, cdktf: "refuses", note: "below one byte per interval: libxl stores 0, which means unlimited" },
  { rate: "7b/s@1s", xl: { bytesPerInterval: 0, intervalUsecs: 1_000_000 }, cdktf: "refuses", note: "7 bits is 0 whole bytes per second: unlimited for libxl" },
];
