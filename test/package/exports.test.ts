/**
 * The package's public surface, as values at run time: an explicit list, so that a wholesale
 * re-export of an internal module cannot widen it unnoticed. Types are checked by typedoc
 * (docs.test.ts: every public type exported and documented).
 */
import { describe, expect, it } from "vitest";
import * as api from "../../src/index.js";
import * as testing from "../../src/testing.js";

describe("public exports", () => {
  it("GIVEN cdktf-xen THEN it exports the constructs, value objects, enumerations, errors and cdktf classes, nothing else", () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        "XenHost",
        "XenStoragePool",
        "XenVolume",
        "XenDomain",
        "XenVcpuPin",
        "Size",
        "CpuSet",
        "MAX_CPU_NUMBER",
        "MAX_JUMP_HOSTS",
        "DomainType",
        "ShutdownAction",
        "UpdatePolicy",
        "MigrationPolicy",
        "RetentionPolicy",
        "DiskFormat",
        "LifecycleResource",
        "LIFECYCLE_RESOURCE_CONTEXT_KEY",
        "XenConstructError",
        "XenModelError",
        "App",
        "TerraformStack",
        "TerraformOutput",
        "LocalBackend",
      ].sort(),
    );
  });

  it("GIVEN cdktf-xen/testing THEN it exports the stack-reading helpers", () => {
    expect(Object.keys(testing).sort()).toEqual(["readStack", "synthHosts", "synthProblems"]);
  });
});
