/**
 * Structural decoding of the diff's two inputs when they come from JSON files (the CLI's
 * `--desired SPEC.json` and `--live LIVE.json`): every field is checked for presence and type,
 * unknown fields are refused (a typo would otherwise be silently ignored), and every problem
 * is reported at once with its JSON path (`$.domains[0].memoryMiB`).
 *
 * This is shape only; what a well-shaped spec may not say (duplicate names, memory above
 * maxMemory, …) is `validateHostSpec`'s job, which `diffHost` runs.
 */
import type {
  BootSpec,
  DiskSpec,
  DomainSpec,
  HostSpec,
  PinSpec,
  PoolSpec,
  VifSpec,
  VolumeSpec,
} from "../model/spec.js";
import type {
  HostInfo,
  LiveConfigFile,
  LiveDisk,
  LiveDomain,
  LiveHost,
  LiveVcpu,
  LiveVif,
  LiveVolume,
} from "../xl/live.js";
import { resultOf, type ParseIssue, type ParseResult } from "../xl/result.js";

/** Marks a value that did not decode; its issue is already recorded. */
const BAD: unique symbol = Symbol("bad");
type Out<T> = T | typeof BAD;
type Decoder<T> = (value: unknown, path: string, issues: ParseIssue[]) => Out<T>;

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function bad(issues: ParseIssue[], path: string, message: string): typeof BAD {
  issues.push({ path, message });
  return BAD;
}

const str: Decoder<string> = (v, p, is) => (typeof v === "string" ? v : bad(is, p, `expected a string, got ${show(v)}`));

const bool: Decoder<boolean> = (v, p, is) => (typeof v === "boolean" ? v : bad(is, p, `expected true or false, got ${show(v)}`));

function int(min: number): Decoder<number> {
  return (v, p, is) =>
    typeof v === "number" && Number.isSafeInteger(v) && v >= min ? v : bad(is, p, `expected a whole number ≥ ${min}, got ${show(v)}`);
}

const count = int(0);

function oneOf<T extends string>(values: readonly T[]): Decoder<T> {
  return (v, p, is) =>
    typeof v === "string" && (values as readonly string[]).includes(v)
      ? (v as T)
      : bad(is, p, `expected one of ${values.map((x) => JSON.stringify(x)).join(", ")}, got ${show(v)}`);
}

function nullable<T>(d: Decoder<T>): Decoder<T | null> {
  return (v, p, is) => (v === null ? null : d(v, p, is));
}

function list<T>(d: Decoder<T>): Decoder<readonly T[]> {
  return (v, p, is) => {
    if (!Array.isArray(v)) return bad(is, p, `expected a list, got ${show(v)}`);
    const out: T[] = [];
    let ok = true;
    v.forEach((item, i) => {
      const r = d(item, `${p}[${i}]`, is);
      if (r === BAD) ok = false;
      else out.push(r);
    });
    return ok ? out : BAD;
  };
}

type Fields<T> = { readonly [K in keyof T]-?: Decoder<T[K]> };

/** Default values of fields added after format version 1, so older spec files still decode. */
const FALLBACK = Symbol("fallback");
type WithFallback<T> = Decoder<T> & { readonly [FALLBACK]: T };

/** A field that may be missing (files written before it existed), meaning `value`. */
function optional<T>(decoder: Decoder<T>, value: T): WithFallback<T> {
  return Object.assign(((v, p, is) => decoder(v, p, is)) as Decoder<T>, { [FALLBACK]: value });
}

/** An object with exactly these fields. */
function object<T>(fields: Fields<T>): Decoder<T> {
  return (v, p, is) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return bad(is, p, `expected an object, got ${show(v)}`);
    const rec = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const key of Object.keys(fields) as (keyof T & string)[]) {
      if (!(key in rec)) {
        const d = fields[key] as Partial<WithFallback<unknown>>;
        if (FALLBACK in d) {
          out[key] = d[FALLBACK];
          continue;
        }
        bad(is, `${p}.${key}`, "missing field");
        ok = false;
        continue;
      }
      const r = (fields[key] as Decoder<unknown>)(rec[key], `${p}.${key}`, is);
      if (r === BAD) ok = false;
      else out[key] = r;
    }
    for (const key of Object.keys(rec)) {
      if (!(key in fields)) {
        bad(is, `${p}.${key}`, `unknown field (expected ${Object.keys(fields).join(", ")})`);
        ok = false;
      }
    }
    return ok ? (out as T) : BAD;
  };
}

/** A union discriminated by `kind`. */
function byKind<T extends { readonly kind: string }>(cases: { readonly [K in T["kind"]]: Decoder<Extract<T, { kind: K }>> }): Decoder<T> {
  return (v, p, is) => {
    const kinds = Object.keys(cases);
    if (v === null || typeof v !== "object" || Array.isArray(v)) return bad(is, p, `expected an object, got ${show(v)}`);
    const kind = (v as { kind?: unknown }).kind;
    if (typeof kind !== "string" || !kinds.includes(kind)) {
      return bad(is, `${p}.kind`, `expected one of ${kinds.map((k) => JSON.stringify(k)).join(", ")}, got ${show(kind)}`);
    }
    return (cases as Record<string, Decoder<T>>)[kind]!(v, p, is);
  };
}

const DISK_FORMATS = ["raw", "qcow2", "qcow", "vhd", "qed"] as const;
const SHUTDOWN_ACTIONS = ["destroy", "restart", "rename_restart", "preserve", "coredump_destroy", "coredump_restart", "soft_reset"] as const;
const DOMAIN_TYPES = ["pv", "pvh", "hvm"] as const;

const poolSpec: Decoder<PoolSpec> = byKind<PoolSpec>({
  lvm: object({ kind: oneOf(["lvm"] as const), name: str, volumeGroup: str, shared: optional(bool, false) }),
  dir: object({ kind: oneOf(["dir"] as const), name: str, path: str, shared: optional(bool, false) }),
});

const volumeSpec: Decoder<VolumeSpec> = object<VolumeSpec>({
  name: str,
  pool: str,
  sizeMiB: int(1),
  format: oneOf(DISK_FORMATS),
  retention: oneOf(["retain", "delete"] as const),
});

const diskSpec: Decoder<DiskSpec> = object<DiskSpec>({
  vdev: str,
  target: str,
  format: oneOf(DISK_FORMATS),
  access: oneOf(["rw", "ro"] as const),
  devtype: oneOf(["disk", "cdrom"] as const),
  volume: nullable(str),
});

const vifSpec: Decoder<VifSpec> = object<VifSpec>({ bridge: str, mac: nullable(str), model: nullable(str), rate: nullable(str) });

const pinSpec: Decoder<PinSpec> = object<PinSpec>({ vcpu: count, hard: str, soft: str });

const bootSpec: Decoder<BootSpec> = byKind<BootSpec>({
  kernel: object({ kind: oneOf(["kernel"] as const), kernel: str, ramdisk: nullable(str), cmdline: nullable(str) }),
  bootloader: object({ kind: oneOf(["bootloader"] as const), bootloader: str, bootloaderArgs: list(str) }),
  firmware: object({ kind: oneOf(["firmware"] as const), firmware: str, bootOrder: str }),
});

const domainSpec: Decoder<DomainSpec> = object<DomainSpec>({
  name: str,
  type: oneOf(DOMAIN_TYPES),
  vcpus: int(1),
  maxVcpus: int(1),
  memoryMiB: int(1),
  maxMemoryMiB: int(1),
  boot: bootSpec,
  disks: list(diskSpec),
  vifs: list(vifSpec),
  onPoweroff: oneOf(SHUTDOWN_ACTIONS),
  onReboot: oneOf(SHUTDOWN_ACTIONS),
  onCrash: oneOf(SHUTDOWN_ACTIONS),
  autostart: bool,
  scheduler: object({ weight: int(1), cap: count }),
  cpupool: nullable(str),
  pins: list(pinSpec),
  cpuid: nullable(str),
  hvm: nullable(object({ serial: nullable(str), vnc: bool })),
  updatePolicy: oneOf(["pending", "restart"] as const),
  migration: optional(oneOf(["live", "cold", "refuse"] as const), "live"),
});

const hostSpec: Decoder<HostSpec> = object<HostSpec>({
  version: (v, p, is) => (v === 1 ? 1 : bad(is, p, `expected spec version 1, got ${show(v)}`)),
  host: str,
  pools: list(poolSpec),
  volumes: list(volumeSpec),
  domains: list(domainSpec),
});

/** Decodes a {@link HostSpec} from parsed JSON (see docs/spec-format.md); issue paths start at `$`. */
export function decodeHostSpec(value: unknown): ParseResult<HostSpec> {
  const issues: ParseIssue[] = [];
  const out = hostSpec(value, "$", issues);
  return resultOf(out as HostSpec, issues);
}

const liveVcpu: Decoder<LiveVcpu> = object<LiveVcpu>({ vcpu: count, cpu: nullable(count), online: bool, hard: str, soft: str });

const liveDisk: Decoder<LiveDisk> = object<LiveDisk>({
  vdev: str,
  target: str,
  format: oneOf(DISK_FORMATS),
  access: oneOf(["rw", "ro"] as const),
  devtype: oneOf(["disk", "cdrom"] as const),
});

const liveVif: Decoder<LiveVif> = object<LiveVif>({ devid: count, bridge: str, mac: nullable(str), model: nullable(str), rate: nullable(str) });

const liveDomain: Decoder<LiveDomain> = object<LiveDomain>({
  name: str,
  domid: count,
  uuid: nullable(str),
  state: oneOf(["running", "blocked", "paused", "shutdown", "crashed", "dying", "idle"] as const),
  type: oneOf(DOMAIN_TYPES),
  memoryMiB: count,
  targetMemoryMiB: count,
  maxMemoryMiB: count,
  vcpus: count,
  maxVcpus: count,
  kernel: nullable(str),
  ramdisk: nullable(str),
  cmdline: nullable(str),
  bootloader: nullable(str),
  disks: list(liveDisk),
  vifs: list(liveVif),
  onPoweroff: oneOf(SHUTDOWN_ACTIONS),
  onReboot: oneOf(SHUTDOWN_ACTIONS),
  onCrash: oneOf(SHUTDOWN_ACTIONS),
  scheduler: object({ weight: count, cap: count }),
  cpupool: nullable(str),
  vcpuList: list(liveVcpu),
});

const liveVolume: Decoder<LiveVolume> = object<LiveVolume>({ pool: str, name: str, path: str, sizeBytes: count });

const hostInfo: Decoder<HostInfo> = object<HostInfo>({
  nrCpus: int(1),
  totalMemoryMiB: count,
  freeMemoryMiB: count,
  scheduler: str,
  xenVersion: str,
  virtCaps: list(str),
});

const liveConfigFile: Decoder<LiveConfigFile> = object<LiveConfigFile>({ name: str, path: str, content: str });

const liveHost: Decoder<LiveHost> = object<LiveHost>({
  info: hostInfo,
  domains: list(liveDomain),
  volumes: list(liveVolume),
  configFiles: list(liveConfigFile),
  autostart: list(str),
  bridges: list(str),
});

/** Decodes a {@link LiveHost} from parsed JSON (the form `JSON.stringify(liveHost)` writes); issue paths start at `$`. */
export function decodeLiveHost(value: unknown): ParseResult<LiveHost> {
  const issues: ParseIssue[] = [];
  const out = liveHost(value, "$", issues);
  return resultOf(out as LiveHost, issues);
}
