/**
 * The lab host's connection and facts, as the lab scripts record them in `.lab/host.json`.
 * Reading it is the only I/O of the example; the stack itself is built from plain values.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

/** What the lab scripts write about a running lab host. */
export interface LabHost {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly privateKeyPath: string;
  readonly hostKey?: string;
  readonly knownHostsFile?: string;
  /** Kernel and initramfs on dom0 that test guests boot. */
  readonly guestKernel: string;
  readonly guestRamdisk?: string;
  readonly volumeGroup: string;
  readonly bridge: string;
  readonly cpus: number;
  readonly memoryMiB: number;
  readonly dom0MemoryMiB: number;
}

/**
 * Where the lab state is: `CDKTF_XEN_LAB_STATE`, else `../../.lab/host.json` — relative to the
 * working directory, which is the example's folder when `cdktf synth` runs it.
 */
export function labStatePath(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return resolve(cwd, env.CDKTF_XEN_LAB_STATE ?? "../../.lab/host.json");
}

/**
 * The lab host recorded at `path`, or undefined when there is none.
 * @throws Error naming the file and the field when the file exists but is not a lab state
 */
export function readLabHost(path: string): LabHost | undefined {
  if (!existsSync(path)) return undefined;
  const raw: unknown = JSON.parse(readFileSync(path, "utf8"));
  const bad = (field: string, expected: string): Error =>
    new Error(`${path}: ${field} is not ${expected}; rebuild the lab or unset CDKTF_XEN_LAB_STATE`);
  if (raw === null || typeof raw !== "object") throw bad("the content", "a JSON object");
  const o = raw as Record<string, unknown>;
  const str = (k: string): string => {
    const v = o[k];
    if (typeof v !== "string" || v === "") throw bad(k, "a non-empty string");
    return v;
  };
  const optStr = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") throw bad(k, "a string");
    return v;
  };
  const num = (k: string): number => {
    const v = o[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw bad(k, "a whole number");
    return v;
  };
  const hostKey = optStr("hostKey");
  const knownHostsFile = optStr("knownHostsFile");
  if (hostKey === undefined && knownHostsFile === undefined) throw bad("hostKey", "given (nor knownHostsFile)");
  return {
    address: str("address"),
    port: num("port"),
    user: str("user"),
    privateKeyPath: str("privateKeyPath"),
    // One source of truth for the host key: the pinned fingerprint wins.
    ...(hostKey !== undefined ? { hostKey } : { knownHostsFile }),
    guestKernel: str("guestKernel"),
    ...(optStr("guestRamdisk") === undefined ? {} : { guestRamdisk: optStr("guestRamdisk") }),
    volumeGroup: str("volumeGroup"),
    bridge: str("bridge"),
    cpus: num("cpus"),
    memoryMiB: num("memoryMiB"),
    dom0MemoryMiB: num("dom0MemoryMiB"),
  };
}
