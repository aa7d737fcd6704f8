import { invalidSizeAmount, invalidSizeString, lossySizeConversion } from "./errors.js";

const KIB = 1024;
const MIB = KIB * 1024;
const GIB = MIB * 1024;
const TIB = GIB * 1024;

/** Units, largest first, for printing. */
const UNITS: readonly { readonly bytes: number; readonly symbol: string; readonly name: string }[] = [
  { bytes: TIB, symbol: "TiB", name: "tebibytes" },
  { bytes: GIB, symbol: "GiB", name: "gibibytes" },
  { bytes: MIB, symbol: "MiB", name: "mebibytes" },
  { bytes: KIB, symbol: "KiB", name: "kibibytes" },
];

/**
 * An amount of memory or storage, held as an exact whole number of bytes.
 *
 * Binary units only (KiB, MiB, …), as Xen and LVM count. Conversions that would have to round
 * throw instead: `Size.kibibytes(1536).toMebibytes()` is an error, not `1` or `2`, because a
 * silently rounded memory or disk size is a change the user did not ask for.
 *
 * Sizes are exact up to `Number.MAX_SAFE_INTEGER` bytes (8 PiB), far above any Xen host.
 *
 * @example
 * Size.gibibytes(4).toMebibytes(); // 4096
 * Size.parse("512M").equals(Size.mebibytes(512)); // true
 */
export class Size {
  /** `n` bytes. */
  static bytes(n: number): Size {
    return Size.of(n, 1, "bytes");
  }

  /** `n` KiB (1024 bytes). */
  static kibibytes(n: number): Size {
    return Size.of(n, KIB, "KiB");
  }

  /** `n` MiB (1024 KiB). */
  static mebibytes(n: number): Size {
    return Size.of(n, MIB, "MiB");
  }

  /** `n` GiB (1024 MiB). */
  static gibibytes(n: number): Size {
    return Size.of(n, GIB, "GiB");
  }

  /** `n` TiB (1024 GiB). */
  static tebibytes(n: number): Size {
    return Size.of(n, TIB, "TiB");
  }

  /**
   * Parses a size as xl's `mem-set`/`mem-max` read it: a whole number with an optional
   * one-letter binary unit, case-insensitive: `b` (bytes), `k`, `m`, `g`, `t`; no unit means
   * MiB, as for xl.cfg `memory`/`maxmem`. Also accepted, so that `toString()` parses back:
   * a space before the unit, `KiB`/`MiB`/`GiB`/`TiB`, and `B`/`bytes`.
   *
   * Decimal units (`4GB`) and fractions (`1.5G`) are refused rather than guessed.
   *
   * @throws XenModelError when `s` is not such a size.
   * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (mem-set)
   */
  static parse(s: string): Size {
    const m = /^\s*(\d+)\s*(?:([kmgt])(?:ib)?|(b|bytes?))?\s*$/i.exec(s);
    if (m === null) {
      throw invalidSizeString(s, reasonForBadSize(s));
    }
    const amount = Number(m[1]);
    if (m[3] !== undefined) return Size.bytes(amount);
    switch ((m[2] ?? "m").toLowerCase()) {
      case "k":
        return Size.kibibytes(amount);
      case "g":
        return Size.gibibytes(amount);
      case "t":
        return Size.tebibytes(amount);
      default:
        return Size.mebibytes(amount);
    }
  }

  private static of(amount: number, unitBytes: number, unit: string): Size {
    if (typeof amount !== "number" || Number.isNaN(amount)) {
      throw invalidSizeAmount(amount, unit, "it is not a number");
    }
    if (!Number.isFinite(amount)) throw invalidSizeAmount(amount, unit, "it is not finite");
    if (amount < 0) throw invalidSizeAmount(amount, unit, "it is negative");
    const bytes = amount * unitBytes;
    if (!Number.isSafeInteger(bytes)) {
      throw invalidSizeAmount(
        amount,
        unit,
        Number.isInteger(bytes) || bytes > Number.MAX_SAFE_INTEGER
          ? "it is too large to count exactly in bytes"
          : `it is not a whole number of bytes (${String(bytes)} bytes)`,
      );
    }
    return new Size(bytes);
  }

  private constructor(private readonly byteCount: number) {}

  /** The exact number of bytes. */
  toBytes(): number {
    return this.byteCount;
  }

  /** Whole KiB. @throws XenModelError when the size is not a multiple of 1 KiB. */
  toKibibytes(): number {
    return this.convert(KIB, "KiB", "toBytes()");
  }

  /** Whole MiB, the unit of xl.cfg `memory`/`maxmem`. @throws XenModelError when not a multiple of 1 MiB. */
  toMebibytes(): number {
    return this.convert(MIB, "MiB", "toKibibytes()");
  }

  /** Whole GiB. @throws XenModelError when not a multiple of 1 GiB. */
  toGibibytes(): number {
    return this.convert(GIB, "GiB", "toMebibytes()");
  }

  /** Whether the size is a whole number of MiB (what the spec's `…MiB` fields need). */
  isWholeMebibytes(): boolean {
    return this.byteCount % MIB === 0;
  }

  /** Same number of bytes. */
  equals(other: Size): boolean {
    return this.byteCount === other.byteCount;
  }

  /**
   * For people: the largest binary unit that holds the size exactly, e.g. `4 GiB`,
   * `1536 MiB`, `512 B`. `Size.parse` reads it back.
   */
  toString(): string {
    if (this.byteCount === 0) return "0 B";
    for (const u of UNITS) {
      if (this.byteCount % u.bytes === 0) return `${String(this.byteCount / u.bytes)} ${u.symbol}`;
    }
    return `${String(this.byteCount)} B`;
  }

  private convert(unitBytes: number, unit: string, finer: string): number {
    if (this.byteCount % unitBytes === 0) return this.byteCount / unitBytes;
    const exact = this.byteCount / unitBytes;
    const down = Math.floor(exact);
    const up = Math.ceil(exact);
    const name = UNITS.find((u) => u.bytes === unitBytes)?.name ?? unit;
    throw lossySizeConversion(
      this.toString(),
      unit,
      exact,
      `read it with ${finer}, or declare a whole number of ${unit} (Size.${name}(${String(up)}) or Size.${name}(${String(down)}))`,
    );
  }
}

function reasonForBadSize(s: string): string {
  const t = s.trim();
  if (t === "") return "it is empty";
  if (/^-/.test(t)) return "it is negative";
  if (/^\d*[.,]\d/.test(t)) return "fractions are not accepted";
  if (/^\d+\s*[kmgtp]b$/i.test(t)) return "decimal units (kB, MB, GB, TB) are ambiguous; use binary units";
  if (/^\d+\s*\S/.test(t)) return `the unit ${JSON.stringify(t.replace(/^\d+\s*/, ""))} is not one of b, k, m, g, t`;
  return "it does not start with a whole number";
}
