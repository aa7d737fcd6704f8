/**
 * Which xl.cfg settings differ between two config texts (the file on dom0 and the one
 * `renderXlCfg` writes now), for the reason of a config rewrite and the lines under it in
 * the text plan. Formatting does not count: values are compared as libxlu reads them.
 */
import { parseXlCfgSettings, type XlCfgValue } from "../xl/cfg-syntax.js";

/** One setting that differs; values in xl.cfg notation, null where the key is absent. */
export interface SettingChange {
  readonly key: string;
  readonly old: string | null;
  readonly new: string | null;
}

/** The settings that differ between two xl.cfg texts, sorted by key. */
export function changedSettings(oldText: string, newText: string): readonly SettingChange[] {
  const before = parseXlCfgSettings(oldText).settings;
  const after = parseXlCfgSettings(newText).settings;
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: SettingChange[] = [];
  for (const key of keys) {
    const o = before.get(key);
    const n = after.get(key);
    const ot = o === undefined ? null : valueText(o);
    const nt = n === undefined ? null : valueText(n);
    if (ot !== nt) out.push({ key, old: ot, new: nt });
  }
  return out;
}

/** A value in xl.cfg notation: strings double-quoted (JSON escaping), lists `[a, b]`. */
function valueText(v: XlCfgValue): string {
  return v.kind === "atom" ? (v.quoted ? JSON.stringify(v.text) : v.text) : `[${v.items.map(valueText).join(", ")}]`;
}
