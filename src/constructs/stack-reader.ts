/**
 * The pure inverse of synthesis: reads a synthesized stack (the parsed cdk.tf.json) back into
 * each host's connection and {@link HostSpec}. The CLI uses it for `cdktf-xen plan
 * <stack-dir>` and in `apply-host`, where the recomputed hash must equal the one Terraform
 * planned with (`CDKTF_XEN_EXPECT`).
 *
 * Like the model's parsers it returns results, not exceptions: a stack it cannot fully read
 * gives the hosts it could read and an issue for each problem, with a path into the JSON.
 */
import { HOST_RESOURCE_TYPE } from "../provider/xen/schema.js";
import { HostValueError, hostFromValue } from "../provider/xen/convert.js";
import { hostSpecHash } from "../model/hash.js";
import { DEFAULT_HOST_MIGRATION, SPEC_VERSION, type DomainSpec, type HostConnection, type HostMigration, type HostSpec, type PoolSpec, type VolumeSpec } from "../model/spec.js";
import { canonicalJson } from "../model/canonical.js";
import { connectionOptionsFrom } from "../model/connection.js";
import { LifecycleResource, MARKER_KEY, ResourceKind } from "./resources.js";
import { unescapeTemplate, unescapeTemplateDeep } from "./template-escape.js";

/** One host as declared in a synthesized stack. */
export interface StackHost {
  /** The XenHost construct's path. */
  readonly hostId: string;
  /** How to reach dom0, as currently declared. */
  readonly connection: HostConnection;
  /** How domains migrate to and from the host. */
  readonly migration: HostMigration;
  /** The host's desired state, rebuilt from the domain, volume and pool data of the stack. */
  readonly spec: HostSpec;
  /** `hostSpecHash(spec)`, recomputed. */
  readonly specHash: string;
  /** The hash written into the host's reconcile resource at synthesis; equals specHash unless the file was edited. */
  readonly expectedHash: string;
  /** The resource type of the host's lifecycle resources. */
  readonly lifecycleResource: LifecycleResource;
  /** Address of the host's reconcile resource, e.g. `terraform_data.xen-a_reconcile_1A2B3C4D`. */
  readonly resourceAddress: string;
}

/** A problem found while reading a stack. */
export interface StackIssue {
  /** Where in cdk.tf.json, e.g. `resource.terraform_data.web-1_config_0A1B2C3D.triggers_replace.spec`. */
  readonly path: string;
  /** What is wrong and what to do. */
  readonly message: string;
}

/** What {@link readStack} returns: the hosts (sorted by id) and every problem found. */
export interface StackReadResult {
  /** Every cdktf-xen host of the stack, sorted by id. */
  readonly hosts: StackHost[];
  /** Every problem found; empty for a stack cdktf-xen synthesized and nobody edited. */
  readonly issues: StackIssue[];
}

/** A cdktf-xen resource with its triggers and input merged and un-escaped. */
interface Decoded {
  readonly path: string;
  readonly type: LifecycleResource;
  readonly kind: string;
  /** For terraform_data: the triggers (replace keys); for null_resource: every trigger. */
  readonly replace: Record<string, unknown>;
  /** Input keys (for null_resource, the same triggers). */
  readonly input: Record<string, unknown>;
}

/**
 * Reads every cdktf-xen host of a synthesized stack.
 * @param cdkTfJson the parsed content of cdk.tf.json
 */
export function readStack(cdkTfJson: unknown): StackReadResult {
  const issues: StackIssue[] = [];
  const issue = (path: string, message: string): void => {
    issues.push({ path, message });
  };

  const resources = isObject(cdkTfJson) && isObject(cdkTfJson.resource) ? cdkTfJson.resource : {};
  const decoded: Decoded[] = [];
  for (const type of [LifecycleResource.TERRAFORM_DATA, LifecycleResource.NULL_RESOURCE]) {
    const byName = resources[type];
    if (!isObject(byName)) continue;
    for (const [name, body] of Object.entries(byName)) {
      const d = decode(type, `resource.${type}.${name}`, body, issue);
      if (d !== undefined) decoded.push(d);
    }
  }

  interface HostEntry {
    readonly d: Decoded;
    readonly hostId: string;
    readonly connection: HostConnection;
    readonly migration: HostMigration;
    readonly expectedHash: string;
  }
  const hosts = new Map<string, HostEntry>();
  const domains = new Map<string, { d: Decoded; spec: DomainSpec }[]>();
  const identities = new Map<string, Map<string, Decoded>>();
  const volumes = new Map<string, { d: Decoded; pool: PoolSpec; volume: VolumeSpec }[]>();

  for (const d of decoded) {
    const hostId = d.replace.host;
    if (typeof hostId !== "string" || hostId === "") {
      issue(`${d.path}.host`, "the resource names no host: synthesize the stack again with cdktf synth");
      continue;
    }
    switch (d.kind) {
      case ResourceKind.HOST: {
        const connection = d.input.connection;
        const hash = d.replace.spec_hash;
        if (!isConnection(connection)) {
          issue(`${d.path}.connection`, "the host's connection is missing or malformed: synthesize the stack again with cdktf synth");
          break;
        }
        if (typeof hash !== "string") {
          issue(`${d.path}.spec_hash`, "the host's spec hash is missing: synthesize the stack again with cdktf synth");
          break;
        }
        const earlier = hosts.get(hostId);
        if (earlier !== undefined) {
          issue(d.path, `host ${JSON.stringify(hostId)} has two reconcile resources (also ${earlier.d.path}): synthesize the stack again`);
          break;
        }
        const migration = d.input.migration ?? DEFAULT_HOST_MIGRATION;
        if (!isMigration(migration)) {
          issue(`${d.path}.migration`, "the host's migration settings are malformed: synthesize the stack again with cdktf synth");
          break;
        }
        hosts.set(hostId, { d, hostId, connection, migration, expectedHash: hash });
        break;
      }
      case ResourceKind.DOMAIN_CONFIG: {
        const spec = d.replace.spec;
        if (!isObject(spec) || typeof spec.name !== "string") {
          issue(`${d.path}.spec`, "the domain's spec is missing or malformed: synthesize the stack again with cdktf synth");
          break;
        }
        push(domains, hostId, { d, spec: spec as unknown as DomainSpec });
        break;
      }
      case ResourceKind.DOMAIN: {
        const name = d.replace.name;
        if (typeof name !== "string") {
          issue(`${d.path}.name`, "the domain identity names no domain: synthesize the stack again with cdktf synth");
          break;
        }
        const byName = identities.get(hostId) ?? new Map<string, Decoded>();
        identities.set(hostId, byName);
        byName.set(name, d);
        break;
      }
      case ResourceKind.VOLUME: {
        const pool = d.input.pool;
        const volume = d.input.volume;
        if (!isObject(pool) || typeof pool.name !== "string" || !isObject(volume) || typeof volume.name !== "string") {
          issue(`${d.path}.input`, "the volume's pool or volume spec is missing or malformed: synthesize the stack again with cdktf synth");
          break;
        }
        // terraform_data keeps the pool's name in its triggers apart from the pool spec.
        const poolName = d.type === LifecycleResource.TERRAFORM_DATA ? d.replace.pool : pool.name;
        const volumeName = d.replace.name;
        if (poolName !== pool.name || volumeName !== volume.name || volume.pool !== pool.name) {
          issue(
            d.path,
            `the volume's identity (${String(poolName)}/${String(volumeName)}) does not match its spec (${String(volume.pool)}/${volume.name} in pool ${pool.name}): synthesize the stack again with cdktf synth`,
          );
          break;
        }
        push(volumes, hostId, { d, pool: pool as unknown as PoolSpec, volume: volume as unknown as VolumeSpec });
        break;
      }
      default:
        issue(`${d.path}.${MARKER_KEY}`, `unknown cdktf-xen resource kind ${JSON.stringify(d.kind)}: this cdk.tf.json was written by another version of cdktf-xen`);
    }
  }

  for (const hostId of new Set([...domains.keys(), ...identities.keys(), ...volumes.keys()])) {
    if (!hosts.has(hostId)) {
      const first = domains.get(hostId)?.[0]?.d ?? volumes.get(hostId)?.[0]?.d ?? [...(identities.get(hostId)?.values() ?? [])][0];
      issue(first?.path ?? "resource", `host ${JSON.stringify(hostId)} has domains or volumes but no reconcile resource: synthesize the stack again with cdktf synth`);
    }
  }

  const out: StackHost[] = readProviderHosts(resources, issue);
  for (const h of [...hosts.values()].sort((a, b) => compare(a.hostId, b.hostId))) {
    const hostDomains = (domains.get(h.hostId) ?? []).sort((a, b) => compare(a.spec.name, b.spec.name));
    const hostIdentities = identities.get(h.hostId) ?? new Map<string, Decoded>();
    for (const { d, spec } of hostDomains) {
      if (!hostIdentities.has(spec.name)) issue(d.path, `domain ${JSON.stringify(spec.name)} has a configuration but no identity resource: synthesize the stack again`);
    }
    const configured = new Set(hostDomains.map((e) => e.spec.name));
    for (const [name, d] of hostIdentities) {
      if (!configured.has(name)) issue(d.path, `domain ${JSON.stringify(name)} has an identity but no configuration resource: synthesize the stack again`);
    }

    const hostVolumes = (volumes.get(h.hostId) ?? []).sort(
      (a, b) => compare(a.volume.pool, b.volume.pool) || compare(a.volume.name, b.volume.name),
    );
    const pools = new Map<string, { pool: PoolSpec; json: string; path: string }>();
    for (const v of hostVolumes) {
      const json = canonicalJson(v.pool);
      const known = pools.get(v.pool.name);
      if (known === undefined) pools.set(v.pool.name, { pool: v.pool, json, path: v.d.path });
      else if (known.json !== json) {
        issue(`${v.d.path}.input.pool`, `pool ${JSON.stringify(v.pool.name)} is recorded differently here and in ${known.path}: synthesize the stack again`);
      }
    }

    const spec: HostSpec = {
      version: SPEC_VERSION,
      host: h.hostId,
      pools: [...pools.values()].map((p) => p.pool).sort((a, b) => compare(a.name, b.name)),
      volumes: hostVolumes.map((v) => v.volume),
      domains: hostDomains.map((e) => e.spec),
    };
    const specHash = hostSpecHash(spec);
    if (specHash !== h.expectedHash) {
      issue(
        `${h.d.path}.spec_hash`,
        `host ${JSON.stringify(h.hostId)}: the recorded spec hash ${h.expectedHash} does not match the declared state (${specHash}); cdk.tf.json was edited by hand: synthesize the stack again with cdktf synth`,
      );
    }
    out.push({
      hostId: h.hostId,
      connection: h.connection,
      migration: h.migration,
      spec,
      specHash,
      expectedHash: h.expectedHash,
      lifecycleResource: h.d.type,
      resourceAddress: h.d.path.replace(/^resource\./, ""),
    });
  }
  return { hosts: out.sort((a, b) => compare(a.hostId, b.hostId)), issues };
}

/** The native provider's `xen_host` resources: each holds its host's whole declaration. */
function readProviderHosts(resources: Record<string, unknown>, issue: (path: string, message: string) => void): StackHost[] {
  const byName = resources[HOST_RESOURCE_TYPE];
  if (!isObject(byName)) return [];
  const out: StackHost[] = [];
  for (const [name, body] of Object.entries(byName)) {
    const path = `resource.${HOST_RESOURCE_TYPE}.${name}`;
    try {
      const decl = hostFromValue(unescapeTemplateDeep(body));
      const specHash = hostSpecHash(decl.spec);
      out.push({
        hostId: decl.spec.host,
        connection: decl.connection,
        migration: decl.migration,
        spec: decl.spec,
        specHash,
        expectedHash: specHash,
        lifecycleResource: LifecycleResource.PROVIDER,
        resourceAddress: `${HOST_RESOURCE_TYPE}.${name}`,
      });
    } catch (e) {
      issue(e instanceof HostValueError ? `${path}.${e.path}` : path, `${e instanceof Error ? e.message : String(e)}: synthesize the stack again with cdktf synth`);
    }
  }
  return out;
}

function decode(type: LifecycleResource, path: string, body: unknown, issue: (path: string, message: string) => void): Decoded | undefined {
  if (!isObject(body)) return undefined;
  if (type === LifecycleResource.TERRAFORM_DATA) {
    const replace = body.triggers_replace;
    if (!isObject(replace) || !(MARKER_KEY in replace)) return undefined;
    const r = unescapeTemplateDeep(replace);
    const input = isObject(body.input) ? unescapeTemplateDeep(body.input) : {};
    return { path, type, kind: String(r[MARKER_KEY]), replace: r, input };
  }
  const triggers = body.triggers;
  if (!isObject(triggers) || !(MARKER_KEY in triggers)) return undefined;
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(triggers)) {
    if (typeof v !== "string") {
      issue(`${path}.triggers.${k}`, "a null_resource trigger is not a string: synthesize the stack again with cdktf synth");
      return undefined;
    }
    try {
      fields[unescapeTemplate(k)] = JSON.parse(unescapeTemplate(v)) as unknown;
    } catch {
      issue(`${path}.triggers.${k}`, "a null_resource trigger is not canonical JSON: synthesize the stack again with cdktf synth");
      return undefined;
    }
  }
  return { path, type, kind: String(fields[MARKER_KEY]), replace: fields, input: fields };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

function isMigration(x: unknown): x is HostMigration {
  return (
    isObject(x) &&
    (x.address === null || typeof x.address === "string") &&
    (x.port === null || typeof x.port === "number") &&
    (x.identityFile === null || typeof x.identityFile === "string")
  );
}

function isConnection(x: unknown): x is HostConnection {
  if (!isObject(x)) return false;
  const nullableString = (v: unknown): boolean => v === null || typeof v === "string";
  return (
    typeof x.address === "string" &&
    typeof x.port === "number" &&
    typeof x.user === "string" &&
    nullableString(x.privateKeyPath) &&
    nullableString(x.passphraseEnv) &&
    nullableString(x.hostKey) &&
    nullableString(x.knownHostsFile) &&
    connectionOptionsFrom(x).ok
  );
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
