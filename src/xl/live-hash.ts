/**
 * A hash of what was read from a host, for saved plans: `cdktf-xen apply FILE` reads the host
 * again and refuses the plan when this hash differs. Pure.
 *
 * Everything the snapshot read counts (domains and their configuration, volumes and sizes,
 * managed config files byte for byte, autostart links, bridges, host info) except the values
 * that change by themselves from one second to the next on an idle host and that no plan
 * action depends on: which pCPU a vCPU happens to run on, whether a domain is running or
 * blocked at the instant of the read, the memory a guest's balloon driver holds right now,
 * and the host's free memory. A shut-down, crashed or paused domain still counts as a change.
 * The plan itself is compared too (see the CLI), so a difference in a value left out here
 * that does change the plan is still caught.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../model/canonical.js";
import type { LiveHost, RunState } from "./live.js";

/** Run states that a healthy domain flips between by itself. */
const ACTIVE: ReadonlySet<RunState> = new Set(["running", "blocked", "idle"]);

/** The part of `live` that {@link liveStateHash} covers. */
export function stableLiveView(live: LiveHost): unknown {
  return {
    info: { ...live.info, freeMemoryMiB: undefined },
    domains: live.domains.map((d) => ({
      ...d,
      state: ACTIVE.has(d.state) ? "active" : d.state,
      memoryMiB: undefined,
      vcpuList: d.vcpuList.map((v) => ({ ...v, cpu: undefined })),
    })),
    volumes: live.volumes,
    configFiles: live.configFiles,
    autostart: live.autostart,
    bridges: live.bridges,
  };
}

/** SHA-256 (hex) of the canonical JSON of {@link stableLiveView}. */
export function liveStateHash(live: LiveHost): string {
  return createHash("sha256").update(canonicalJson(stableLiveView(live))).digest("hex");
}
