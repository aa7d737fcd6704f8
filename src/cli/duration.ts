/**
 * Durations as Terraform's `-lock-timeout` takes them (Go's time.ParseDuration, the units a
 * lock wait needs): `0s`, `30s`, `5m`, `1h30m`, `1500ms`; a bare `0` is zero.
 */
import { CliError } from "./errors.js";

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds in `text`.
 * @throws CliError naming the option, what was given and the accepted spelling
 */
export function parseDuration(text: string, option = "--lock-timeout"): number {
  const t = text.trim();
  if (t === "0") return 0;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let ms = 0;
  let at = 0;
  while (at < t.length) {
    part.lastIndex = at;
    const m = part.exec(t);
    if (m === null) break;
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = part.lastIndex;
  }
  if (t.length === 0 || at !== t.length) {
    throw new CliError(`${option} ${JSON.stringify(text)} is not a duration`, "a duration is a number with a unit: ms, s, m or h", `write it like 0s, 30s, 5m or 1h30m`);
  }
  return Math.round(ms);
}
