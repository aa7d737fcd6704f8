/**
 * The JSON a provisioner hands the CLI in CDKTF_XEN_INPUT (`jsonencode(self.input)`), checked
 * field by field: a destroy-time provisioner may only see `self`, so everything it needs is here.
 */
import type { HostConnection, PoolSpec, VolumeSpec } from "../model/spec.js";
import { HOST_ADDRESS_SYNTAX, hostAddressIssue, showValue } from "../model/address.js";
import { connectionOptionsFrom } from "../model/connection.js";
import { loginNameProblem } from "../model/names.js";
import { CliError } from "./errors.js";

/** Input of `apply-host`. */
export interface HostInput {
  readonly host: string;
  readonly connection: HostConnection;
}
/** Input of `prune-host`: the host input plus what the stack managed on the host when it was recorded. */
export interface PruneInput extends HostInput {
  readonly managed: {
    readonly domains: readonly string[];
    readonly deleteVolumes: readonly { readonly pool: PoolSpec; readonly volume: VolumeSpec }[];
  };
}
/** Input of `destroy-domain`. */
export interface DomainInput extends HostInput {
  readonly name: string;
}
/** Input of `destroy-volume`. */
export interface VolumeInput extends HostInput {
  readonly pool: PoolSpec;
  readonly volume: VolumeSpec;
}

const INPUT_ENV = "CDKTF_XEN_INPUT";

function fail(why: string): never {
  throw new CliError(
    `${INPUT_ENV} is not a cdktf-xen resource input`,
    why,
    "this command is run by the provisioners of a synthesized cdktf-xen stack; run `cdktf-xen plan <stack-dir>` or `apply <stack-dir>` by hand instead",
  );
}

function object(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) fail(`${what} is not an object`);
  return v as Record<string, unknown>;
}

function str(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== "string" || v === "") fail(`field "${key}" is missing or not a string`);
  return v;
}

function connection(v: unknown): HostConnection {
  const c = object(v, "connection");
  const opt = (k: string): string | null => (typeof c[k] === "string" ? (c[k] as string) : null);
  if (typeof c.port !== "number") fail(`connection.port is not a number`);
  // Inputs do not come through synth (Terraform state, a hand-edited cdk.tf.json): the address
  // and user are checked again before anything dials them or prints them into a fix.
  const addressIssue = hostAddressIssue(c.address);
  if (addressIssue !== undefined) {
    throw new CliError(
      `${INPUT_ENV} names a host address ${showValue(c.address)} that is not a host name or IP address`,
      addressIssue,
      `set the XenHost's address to ${HOST_ADDRESS_SYNTAX.replace(/^give /, "")}, synthesize and deploy again (cdktf-xen never dials such an address nor prints it into a command)`,
    );
  }
  const userIssue = typeof c.user === "string" ? loginNameProblem(c.user) : undefined;
  if (userIssue !== undefined) fail(`connection.${userIssue.slice(0, userIssue.indexOf(": "))}`);
  // Bastions and the ssh config file (present only when the host uses them), checked the same way.
  const options = connectionOptionsFrom(c);
  if (!options.ok) fail(options.message);
  return {
    address: str(c, "address"),
    port: c.port,
    user: str(c, "user"),
    privateKeyPath: opt("privateKeyPath"),
    passphraseEnv: opt("passphraseEnv"),
    hostKey: opt("hostKey"),
    knownHostsFile: opt("knownHostsFile"),
    ...options.value,
  };
}

/** Parses CDKTF_XEN_INPUT for a resource of kind `kind`. */
export function readInput(env: NodeJS.ProcessEnv, kind: "host"): HostInput;
export function readInput(env: NodeJS.ProcessEnv, kind: "prune"): PruneInput;
export function readInput(env: NodeJS.ProcessEnv, kind: "domain"): DomainInput;
export function readInput(env: NodeJS.ProcessEnv, kind: "volume"): VolumeInput;
export function readInput(
  env: NodeJS.ProcessEnv,
  kind: "host" | "prune" | "domain" | "volume",
): HostInput | PruneInput | DomainInput | VolumeInput {
  const raw = env[INPUT_ENV];
  if (raw === undefined || raw === "") fail("the variable is not set");
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    fail("it is not JSON");
  }
  const o = object(json, "the input");
  const marker = kind === "prune" ? "host" : kind;
  if (o.cdktf_xen !== marker) fail(`it describes a "${String(o.cdktf_xen)}" resource, not a "${marker}"`);
  const base = { host: str(o, "host"), connection: connection(o.connection) };
  switch (kind) {
    case "host":
      return base;
    case "prune": {
      // Recorded by cdktf-xen ≥ 0.1; a resource without the record has nothing to prune.
      const m = o.managed === undefined ? { domains: [], deleteVolumes: [] } : object(o.managed, "managed");
      const domains = m.domains;
      const deleteVolumes = m.deleteVolumes;
      if (!Array.isArray(domains) || !domains.every((d) => typeof d === "string")) fail("managed.domains is not a list of names");
      if (!Array.isArray(deleteVolumes)) fail("managed.deleteVolumes is not a list");
      return {
        ...base,
        managed: {
          domains: domains as string[],
          deleteVolumes: (deleteVolumes as unknown[]).map((v, i) => {
            const e = object(v, `managed.deleteVolumes[${i}]`);
            return { pool: object(e.pool, "pool") as unknown as PoolSpec, volume: object(e.volume, "volume") as unknown as VolumeSpec };
          }),
        },
      };
    }
    case "domain":
      return { ...base, name: str(o, "name") };
    case "volume": {
      const pool = object(o.pool, "pool") as unknown as PoolSpec;
      const volume = object(o.volume, "volume") as unknown as VolumeSpec;
      if (typeof volume.name !== "string" || typeof volume.retention !== "string") fail("volume.name or volume.retention missing");
      if (pool.kind !== "lvm" && pool.kind !== "dir") fail(`pool.kind "${String((pool as { kind: unknown }).kind)}" is unknown`);
      return { ...base, pool, volume };
    }
  }
}
