import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { XenModelError } from "../../../src/model/errors.js";
import { Size } from "../../../src/model/size.js";

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;
const TIB = 1024 * GIB;

describe("Size", () => {
  describe("GIVEN a size built from a unit", () => {
    it.each([
      ["Size.bytes(512)", Size.bytes(512), 512],
      ["Size.kibibytes(1)", Size.kibibytes(1), KIB],
      ["Size.mebibytes(128)", Size.mebibytes(128), 128 * MIB],
      ["Size.mebibytes(0.5)", Size.mebibytes(0.5), 512 * KIB],
      ["Size.gibibytes(4)", Size.gibibytes(4), 4 * GIB],
      ["Size.tebibytes(2)", Size.tebibytes(2), 2 * TIB],
      ["Size.bytes(0)", Size.bytes(0), 0],
    ])("WHEN %s is read in bytes THEN it is exact", (_label, size, bytes) => {
      expect(size.toBytes()).toBe(bytes);
    });

    it.each([
      ["Size.mebibytes(1).toKibibytes()", () => Size.mebibytes(1).toKibibytes(), 1024],
      ["Size.gibibytes(4).toMebibytes()", () => Size.gibibytes(4).toMebibytes(), 4096],
      ["Size.tebibytes(2).toGibibytes()", () => Size.tebibytes(2).toGibibytes(), 2048],
      ["Size.kibibytes(2048).toMebibytes()", () => Size.kibibytes(2048).toMebibytes(), 2],
      ["Size.mebibytes(0.5).toKibibytes()", () => Size.mebibytes(0.5).toKibibytes(), 512],
      ["Size.bytes(0).toGibibytes()", () => Size.bytes(0).toGibibytes(), 0],
    ])("WHEN %s converts without remainder THEN it returns the whole amount", (_label, convert, expected) => {
      expect(convert()).toBe(expected);
    });
  });

  describe("GIVEN a conversion that would have to round", () => {
    it.each([
      ["1536 KiB to MiB", () => Size.kibibytes(1536).toMebibytes(), ["1536 KiB", "1.5 MiB", "toKibibytes()", "Size.mebibytes(2)"]],
      ["1 B to KiB", () => Size.bytes(1).toKibibytes(), ["1 B", "KiB", "toBytes()"]],
      ["1536 MiB to GiB", () => Size.mebibytes(1536).toGibibytes(), ["1536 MiB", "1.5 GiB", "toMebibytes()", "Size.gibibytes(1)"]],
      ["1.25 GiB to GiB", () => Size.mebibytes(1280).toGibibytes(), ["1280 MiB", "1.25 GiB"]],
    ])("WHEN %s is asked for THEN it throws a XenModelError naming the size and the fix", (_label, convert, parts) => {
      expect(convert).toThrow(XenModelError);
      for (const part of parts) expect(convert).toThrow(part);
    });
  });

  describe("GIVEN an amount that is not a whole, non-negative number of bytes", () => {
    it.each([
      ["a negative amount", () => Size.mebibytes(-1), "negative"],
      ["NaN", () => Size.gibibytes(Number.NaN), "not a number"],
      ["Infinity", () => Size.gibibytes(Number.POSITIVE_INFINITY), "not finite"],
      ["0.3 KiB", () => Size.kibibytes(0.3), "not a whole number of bytes"],
      ["1.5 bytes", () => Size.bytes(1.5), "not a whole number of bytes"],
      ["0.1 GiB", () => Size.gibibytes(0.1), "not a whole number of bytes"],
      ["an amount beyond exact counting", () => Size.tebibytes(2 ** 20), "too large"],
    ])("WHEN it is %s THEN building the size throws and says what to give instead", (_label, build, reason) => {
      expect(build).toThrow(XenModelError);
      expect(build).toThrow(reason);
      expect(build).toThrow("whole number of bytes (e.g.");
    });
  });

  describe("GIVEN a size string as xl reads it", () => {
    it.each([
      ["512M", 512 * MIB],
      ["4G", 4 * GIB],
      ["256m", 256 * MIB],
      ["1024k", 1024 * KIB],
      ["2T", 2 * TIB],
      ["128", 128 * MIB],
      ["100b", 100],
      [" 8g ", 8 * GIB],
      ["4 GiB", 4 * GIB],
      ["1536 MiB", 1536 * MIB],
      ["64KiB", 64 * KIB],
      ["512 B", 512],
      ["1 byte", 1],
      ["3 bytes", 3],
    ])("WHEN %j is parsed THEN it is that many bytes", (text, bytes) => {
      expect(Size.parse(text).toBytes()).toBe(bytes);
    });

    it.each([
      ["", "empty"],
      ["   ", "empty"],
      ["4GB", "decimal units"],
      ["1.5G", "fractions"],
      ["-1G", "negative"],
      ["4X", 'the unit "X"'],
      ["G", "does not start with a whole number"],
      ["four gigs", "does not start with a whole number"],
    ])("WHEN %j is parsed THEN it is refused with the reason %j and the accepted forms", (text, reason) => {
      const parse = () => Size.parse(text);
      expect(parse).toThrow(XenModelError);
      expect(parse).toThrow(reason);
      expect(parse).toThrow(JSON.stringify(text));
      expect(parse).toThrow('"512M", "4G"');
    });
  });

  describe("GIVEN sizes to show to people", () => {
    it.each([
      [Size.gibibytes(4), "4 GiB"],
      [Size.mebibytes(1536), "1536 MiB"],
      [Size.tebibytes(1), "1 TiB"],
      [Size.kibibytes(3), "3 KiB"],
      [Size.bytes(512), "512 B"],
      [Size.bytes(0), "0 B"],
      [Size.mebibytes(1024), "1 GiB"],
    ])("WHEN %s is printed THEN it reads %j in the largest exact unit", (size, text) => {
      expect(size.toString()).toBe(text);
    });

    it("WHEN any size is printed and parsed back THEN it is the same size", () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (bytes) => {
          const size = Size.bytes(bytes);
          expect(Size.parse(size.toString()).equals(size)).toBe(true);
        }),
      );
    });
  });

  describe("GIVEN two sizes", () => {
    it("WHEN they hold the same bytes in different units THEN they are equal", () => {
      expect(Size.gibibytes(1).equals(Size.mebibytes(1024))).toBe(true);
      expect(Size.gibibytes(1).equals(Size.mebibytes(1023))).toBe(false);
    });

    it.each([
      [Size.mebibytes(3), true],
      [Size.gibibytes(2), true],
      [Size.kibibytes(1536), false],
      [Size.bytes(1), false],
      [Size.bytes(0), true],
    ])("WHEN %s is checked for whole MiB THEN the answer is %s", (size, whole) => {
      expect(size.isWholeMebibytes()).toBe(whole);
    });
  });
});
