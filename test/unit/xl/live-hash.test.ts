/**
 * The live-state hash of saved plans, on a real Xen 4.17 capture: what changes by itself on an
 * idle host leaves it alone; anything a plan depends on changes it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadLiveDirectory } from "../../../src/cli/diff-command.js";
import type { LiveHost } from "../../../src/xl/live.js";
import { liveStateHash } from "../../../src/xl/live-hash.js";
import { DIR_POOL, POOL, withDomain } from "../diff/support.js";

let live: LiveHost;
let name: string;
beforeAll(async () => {
  live = await loadLiveDirectory("test/fixtures/diff/capture2-pv1", [POOL, DIR_POOL]);
  name = live.domains[0]!.name;
});

describe("liveStateHash", () => {
  it("GIVEN the same reading twice THEN the same hash", () => {
    expect(liveStateHash(structuredClone(live))).toBe(liveStateHash(live));
  });

  it("GIVEN only what moves by itself changed (pCPU of a vCPU, running↔blocked, ballooned memory, free memory) THEN the same hash", () => {
    const moved = withDomain({ ...live, info: { ...live.info, freeMemoryMiB: live.info.freeMemoryMiB + 3 } }, name, (d) => ({
      ...d,
      state: d.state === "running" ? "blocked" : "running",
      memoryMiB: d.memoryMiB - 1,
      vcpuList: d.vcpuList.map((v) => ({ ...v, cpu: v.cpu === null ? 0 : v.cpu + 1 })),
    }));
    expect(liveStateHash(moved)).toBe(liveStateHash(live));
  });

  it.each<[string, (l: LiveHost) => LiveHost]>([
    ["a memory target set by hand (xl mem-set)", (l) => withDomain(l, name, (d) => ({ ...d, targetMemoryMiB: d.targetMemoryMiB + 32 }))],
    ["a domain paused", (l) => withDomain(l, name, (d) => ({ ...d, state: "paused" }))],
    ["a hard pin", (l) => withDomain(l, name, (d) => ({ ...d, vcpuList: d.vcpuList.map((v) => ({ ...v, hard: "3" })) }))],
    ["a config file edited", (l) => ({ ...l, configFiles: [...l.configFiles, { name: "x", path: "/etc/xen/cdktf-xen/x.cfg", content: "name = 'x'\n" }] })],
    ["an autostart link added", (l) => ({ ...l, autostart: [...l.autostart, "x"] })],
    ["a bridge added", (l) => ({ ...l, bridges: [...l.bridges, "xenbr9"] })],
    ["a volume grown", (l) => ({ ...l, volumes: l.volumes.map((v, i) => (i === 0 ? { ...v, sizeBytes: v.sizeBytes + 4194304 } : v)) })],
    ["a domain gone", (l) => ({ ...l, domains: l.domains.slice(1) })],
  ])("GIVEN %s THEN another hash", (_, change) => {
    expect(liveStateHash(change(live))).not.toBe(liveStateHash(live));
  });
});
