import { describe, expect, expectTypeOf, it } from "vitest";
import { DiskFormat, DomainType, RetentionPolicy, ShutdownAction, UpdatePolicy } from "../../../src/model/spec.js";

describe("spec enums", () => {
  it.each([
    ["DomainType", DomainType, ["pv", "pvh", "hvm"]],
    [
      "ShutdownAction",
      ShutdownAction,
      ["destroy", "restart", "rename_restart", "preserve", "coredump_destroy", "coredump_restart", "soft_reset"],
    ],
    ["UpdatePolicy", UpdatePolicy, ["pending", "restart"]],
    ["RetentionPolicy", RetentionPolicy, ["retain", "delete"]],
    ["DiskFormat", DiskFormat, ["raw", "qcow2", "qcow", "vhd", "qed"]],
  ])("spells every %s value as libxl's JSON does", (_name, values, spelled) => {
    expect(Object.values(values)).toEqual(spelled);
  });

  it("names each constant after its value, upper-cased", () => {
    for (const values of [DomainType, ShutdownAction, UpdatePolicy, RetentionPolicy, DiskFormat]) {
      for (const [key, value] of Object.entries(values)) expect(key).toBe(value.toUpperCase());
    }
  });

  it("keeps each type the union of its values", () => {
    expectTypeOf<DomainType>().toEqualTypeOf<"pv" | "pvh" | "hvm">();
    expectTypeOf<UpdatePolicy>().toEqualTypeOf<"pending" | "restart">();
    expectTypeOf<RetentionPolicy>().toEqualTypeOf<"retain" | "delete">();
    expectTypeOf<DiskFormat>().toEqualTypeOf<"raw" | "qcow2" | "qcow" | "vhd" | "qed">();
    expectTypeOf<ShutdownAction>().toEqualTypeOf<
      "destroy" | "restart" | "rename_restart" | "preserve" | "coredump_destroy" | "coredump_restart" | "soft_reset"
    >();
  });
});
