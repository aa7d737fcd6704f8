/**
 * The synthesized resource shape: the contract between the constructs (which write it) and
 * the CLI (which reads it back from cdk.tf.json with `readStack`, and from `CDKTF_XEN_INPUT`
 * in its provisioners).
 *
 * Each construct states its resource as two objects computed at synthesis — `replace` (a
 * change replaces the resource) and `input` (changes in place) — and this module renders them
 * as either a `terraform_data` (`triggers_replace` / `input`) or a `null_resource` (one
 * `triggers` map of canonical JSON strings; `connection` under `lifecycle.ignore_changes`).
 * Every data string is escaped for Terraform's templates; keys are in canonical order.
 */
import { sortKeys } from "../model/canonical.js";
import { createRequire } from "node:module";
import type * as NullProviderModule from "@cdktf/provider-null";
import type { Construct } from "constructs";
import {
  Token,
  TerraformResource,
  TerraformStack,
  anyToHclTerraform,
  anyToTerraform,
  hashMapper,
  hashMapperHcl,
  type IResolvable,
  type LocalExecProvisioner,
} from "../cdktf.js";
import { canonicalJson } from "../model/canonical.js";
import type { DomainSpec, HostConnection, HostMigration, PoolSpec, VolumeSpec } from "../model/spec.js";
import { escapeTemplate, escapeTemplateDeep } from "./template-escape.js";
import { XenConstructError } from "./errors.js";

/**
 * @cdktf/provider-null, loaded on first use: it is an optional peer dependency, needed only by
 * programs that choose `null_resource`. Loaded with the program's own module resolution, so it
 * is the program's copy (the one whose classes `instanceof` sees).
 */
let nullModule: typeof NullProviderModule | undefined;
function loadNullProvider(where: string): typeof NullProviderModule {
  if (nullModule === undefined) {
    try {
      nullModule = createRequire(import.meta.url)("@cdktf/provider-null") as typeof NullProviderModule;
    } catch (e) {
      throw new XenConstructError(where, {
        what: `lifecycleResource "null_resource" needs the package @cdktf/provider-null, which cannot be loaded (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`,
        fix: 'install it next to cdktf (npm install @cdktf/provider-null@^11), or use the default lifecycleResource "terraform_data"',
      });
    }
  }
  return nullModule;
}

/**
 * Which Terraform resource type carries the lifecycle of hosts, domains and volumes.
 * - `terraform_data` (the default): built into Terraform ≥ 1.4, no provider to download;
 *   `input` changes in place, so a new host address or retention policy updates the state
 *   without replacing anything.
 * - `null_resource`: for teams whose policy or tooling expects it; needs the
 *   `hashicorp/null` provider (added to the stack automatically).
 * - `xen_host`: the native provider (no provisioners).
 */
export const LifecycleResource = {
  /** `terraform_data`, built into Terraform ≥ 1.4 (the default). */
  TERRAFORM_DATA: "terraform_data",
  /** `null_resource` of the `hashicorp/null` provider; needs the package @cdktf/provider-null. */
  NULL_RESOURCE: "null_resource",
  /**
   * The native `xen` provider: one `xen_host` resource per host carries every domain and
   * volume, with honest plans, drift and computed attributes (README, "The native provider").
   * Installed offline by `npx cdktf-xen provider install`.
   */
  PROVIDER: "xen_host",
} as const;
/** See {@link LifecycleResource} (the constant). */
export type LifecycleResource = (typeof LifecycleResource)[keyof typeof LifecycleResource];

/**
 * Context key choosing the lifecycle resource for every host below the scope that sets it,
 * e.g. `"context": { "cdktf-xen:lifecycleResource": "null_resource" }` in cdktf.json (the whole
 * app) or `stack.node.setContext(LIFECYCLE_RESOURCE_CONTEXT_KEY, "null_resource")` before the
 * stack's constructs are added (one stack). `XenHostProps.lifecycleResource` overrides it.
 */
export const LIFECYCLE_RESOURCE_CONTEXT_KEY = "cdktf-xen:lifecycleResource";

/** The key every cdktf-xen resource carries in its triggers, saying what it is. */
export const MARKER_KEY = "cdktf_xen";

/** The values of {@link MARKER_KEY}. */
export const ResourceKind = {
  /** A host's reconcile resource; its replacement runs `apply-host`. */
  HOST: "host",
  /** A domain's identity (host + name); its destruction runs `destroy-domain`. */
  DOMAIN: "domain",
  /** A domain's configuration (its DomainSpec); replacing it only marks the change in plans. */
  DOMAIN_CONFIG: "domain-config",
  /** A managed volume; its destruction runs `destroy-volume`. */
  VOLUME: "volume",
} as const;
/** See {@link ResourceKind} (the constant). */
export type ResourceKind = (typeof ResourceKind)[keyof typeof ResourceKind];

/** Environment variable naming the CLI the provisioners run; default `cdktf-xen` on PATH. */
export const CLI_ENV = "CDKTF_XEN_CLI";
/** Environment variable carrying the resource's recorded input (JSON) to the CLI. */
export const INPUT_ENV = "CDKTF_XEN_INPUT";
/** Environment variable carrying the spec hash Terraform planned with, for `apply-host`. */
export const EXPECT_ENV = "CDKTF_XEN_EXPECT";

/** The CLI subcommands provisioners run. */
export const ProvisionerCommand = {
  APPLY_HOST: "apply-host",
  PRUNE_HOST: "prune-host",
  DESTROY_DOMAIN: "destroy-domain",
  DESTROY_VOLUME: "destroy-volume",
} as const;
/** See {@link ProvisionerCommand} (the constant). */
export type ProvisionerCommand = (typeof ProvisionerCommand)[keyof typeof ProvisionerCommand];

/**
 * What a host's reconcile resource records of the stack's own domains and deletable volumes
 * on that host. Terraform drops a resource's provisioners together with its block, so a
 * domain removed from the program gets no destroy-domain run; instead the replaced reconcile
 * resource's destroy-time `prune-host` compares this record with the new stack file and
 * removes what is no longer declared. Volumes with retention RETAIN are never deleted and
 * so are not listed (this also keeps the record small: it travels in an environment variable).
 */
export interface HostManagedRecord {
  /** Domain names declared on the host, sorted. */
  readonly domains: readonly string[];
  /** Volumes with retention DELETE, sorted by pool then name. */
  readonly deleteVolumes: readonly { readonly pool: PoolSpec; readonly volume: VolumeSpec }[];
}

/** `CDKTF_XEN_INPUT` of a host's `apply-host` and `prune-host` (null_resource adds `spec_hash`). */
export interface HostResourceInput {
  readonly cdktf_xen: "host";
  readonly host: string;
  readonly connection: HostConnection;
  /** Missing in stacks synthesized before migration existed: {@link DEFAULT_HOST_MIGRATION}. */
  readonly migration: HostMigration;
  readonly managed: HostManagedRecord;
}

/** `CDKTF_XEN_INPUT` of a domain's `destroy-domain`. */
export interface DomainResourceInput {
  readonly cdktf_xen: "domain";
  readonly host: string;
  readonly name: string;
  readonly connection: HostConnection;
}

/** `triggers_replace` of a domain's configuration resource. */
export interface DomainConfigTriggers {
  readonly cdktf_xen: "domain-config";
  readonly host: string;
  readonly spec: DomainSpec;
}

/** `CDKTF_XEN_INPUT` of a volume's `destroy-volume` (null_resource adds `name`). */
export interface VolumeResourceInput {
  readonly cdktf_xen: "volume";
  readonly host: string;
  readonly pool: PoolSpec;
  readonly volume: VolumeSpec;
  readonly connection: HostConnection;
}

/** A provisioner a lifecycle resource runs. */
interface ProvisionerSpec {
  readonly command: ProvisionerCommand;
  /** `create`: runs when the resource is created (or re-created); `destroy`: when destroyed. */
  readonly when: "create" | "destroy";
  /** Whether to pass the planned spec hash in {@link EXPECT_ENV}. */
  readonly expectHash?: boolean;
}

/** What a construct declares for its lifecycle resource. */
export interface LifecycleResourceOptions {
  /** `terraform_data` or `null_resource`. */
  readonly type: LifecycleResource;
  /**
   * A counter that changes whenever what `replace`/`input` depend on changes: their rendered
   * values are reused while it stays the same (cdktf resolves every resource twice).
   */
  readonly generation: () => number;
  /** Keys whose change replaces the resource; computed at synthesis. */
  readonly replace: () => Record<string, unknown>;
  /**
   * Replacing keys whose values are Terraform expressions (not data): added after escaping,
   * e.g. `"${plantimestamp()}"` to replace the resource at every apply.
   * @default - none
   */
  readonly replaceExpressions?: () => Record<string, string>;
  /**
   * Keys that change in place; computed at synthesis.
   * @default - none
   */
  readonly input?: () => Record<string, unknown>;
  /**
   * null_resource only: input keys kept out of replacement with `lifecycle.ignore_changes`.
   * @default - none
   */
  readonly nullIgnoreChanges?: readonly string[];
  /**
   * null_resource only: `create_before_destroy`, so that a replacement skips the old
   * instance's destroy-time provisioner (Terraform runs them only on a plain destroy then).
   * @default false
   */
  readonly nullCreateBeforeDestroy?: boolean;
  /**
   * The CLI commands the resource runs, and when.
   * @default - no provisioner
   */
  readonly provisioner?: ProvisionerSpec | readonly ProvisionerSpec[];
}

/**
 * One lifecycle resource (`terraform_data` or `null_resource`) and the resources it must
 * come after. Dependencies are added while the program is built, so a disk added later still
 * orders its volume before the domain.
 */
export class LifecycleResourceHandle {
  /** The Terraform resource; undefined with the native provider, whose `xen_host` carries it all. */
  readonly resource: TerraformResource | undefined;
  private readonly deps = new Set<TerraformResource>();

  constructor(scope: Construct, id: string, options: LifecycleResourceOptions) {
    this.resource =
      options.type === LifecycleResource.PROVIDER
        ? undefined
        : options.type === LifecycleResource.NULL_RESOURCE
          ? createNullResource(scope, id, options)
          : createDataResource(scope, id, options);
  }

  /**
   * Orders this resource after `other` (creation after, destruction before). The address is
   * taken now: a logical id overridden later is not followed.
   */
  dependOn(other: LifecycleResourceHandle): void {
    if (this.resource === undefined || other.resource === undefined) return;
    if (this.deps.has(other.resource)) return;
    this.deps.add(other.resource);
    const list = this.resource.dependsOn ?? [];
    list.push(address(other.resource));
    this.resource.dependsOn = list;
  }
}

/**
 * A value computed at synthesis, like cdktf's `Lazy.anyValue` but without the stack trace
 * `Lazy` captures at creation (a third of the construction time of a large fleet), and
 * memoized per generation of the host's declarations.
 */
class Deferred implements IResolvable {
  readonly creationStack: string[] = [];
  private cache: { readonly generation: number; readonly value: unknown } | undefined;

  constructor(
    private readonly generation: () => number,
    private readonly produce: () => unknown,
  ) {}

  resolve(): unknown {
    const generation = this.generation();
    if (this.cache?.generation !== generation) this.cache = { generation, value: this.produce() };
    return this.cache.value;
  }

  toString(): string {
    return Token.asString(this);
  }
}

/** `terraform_data.NAME`, the address depends_on takes. */
function address(r: TerraformResource): string {
  return `${r.terraformResourceType}.${r.friendlyUniqueId}`;
}

/** Canonical key order and template escaping: what every data object goes through. */
function renderData(value: Record<string, unknown>): Record<string, unknown> {
  return escapeTemplateDeep(value, { sortKeys: true });
}

/**
 * A `terraform_data` resource: the JSON cdktf's `DataResource` writes, without its
 * validation. `DataResource` checks the Terraform version by running `terraform version` in
 * a child process for every instance when a stack is validated (about 40 ms each here): three
 * per domain would make synthesizing 1,000 domains take two minutes, 10,000 twenty. Terraform
 * older than 1.4 still fails clearly, at plan: it does not know the resource type.
 */
class TerraformDataResource extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly triggersReplace: unknown,
    private readonly input: unknown,
    provisioners: LocalExecProvisioner[] | undefined,
  ) {
    super(scope, id, {
      terraformResourceType: "terraform_data",
      terraformGeneratorMetadata: { providerName: "terraform" },
      ...(provisioners === undefined ? {} : { provisioners }),
    });
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      input: hashMapper(anyToTerraform)(this.input) as unknown,
      triggers_replace: hashMapper(anyToTerraform)(this.triggersReplace) as unknown,
    };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return {
      input: hashMapperHcl(anyToHclTerraform)(this.input) as unknown,
      triggers_replace: hashMapperHcl(anyToHclTerraform)(this.triggersReplace) as unknown,
    };
  }
}

function createDataResource(scope: Construct, id: string, o: LifecycleResourceOptions): TerraformResource {
  const env = (p: ProvisionerSpec): Record<string, string> => ({
    [INPUT_ENV]: "${jsonencode(self.input)}",
    ...(p.expectHash === true ? { [EXPECT_ENV]: "${self.triggers_replace.spec_hash}" } : {}),
  });
  const input = o.input;
  return new TerraformDataResource(
    scope,
    id,
    new Deferred(o.generation, () => sortKeys({ ...renderData(o.replace()), ...(o.replaceExpressions?.() ?? {}) })),
    input === undefined ? undefined : new Deferred(o.generation, () => renderData(input())),
    provisionersOf(o, env).provisioners,
  );
}

function provisionersOf(o: LifecycleResourceOptions, env: (p: ProvisionerSpec) => Record<string, string>) {
  if (o.provisioner === undefined) return {};
  const list: readonly ProvisionerSpec[] = Array.isArray(o.provisioner) ? o.provisioner : [o.provisioner as ProvisionerSpec];
  return { provisioners: list.map((p) => localExec(p, env(p))) };
}

function createNullResource(scope: Construct, id: string, o: LifecycleResourceOptions): TerraformResource {
  ensureNullProvider(scope);
  // Terraform state holds each trigger as the string we wrote; decoding them all gives the
  // CLI the same object terraform_data's `self.input` would.
  const env = (p: ProvisionerSpec): Record<string, string> => ({
    [INPUT_ENV]: "${jsonencode({ for k, v in self.triggers : k => jsondecode(v) })}",
    ...(p.expectHash === true ? { [EXPECT_ENV]: "${jsondecode(self.triggers.spec_hash)}" } : {}),
  });
  const ignore = o.nullIgnoreChanges ?? [];
  const lifecycle = {
    ...(ignore.length > 0 ? { ignoreChanges: ignore.map((k) => `triggers[${JSON.stringify(k)}]`) } : {}),
    ...(o.nullCreateBeforeDestroy === true ? { createBeforeDestroy: true } : {}),
  };
  const input = o.input;
  const { Resource } = loadNullProvider(scope.node.path).resource;
  return new Resource(scope, id, {
    triggers: new Deferred(o.generation, () =>
      sortKeys({ ...nullTriggers({ ...o.replace(), ...(input === undefined ? {} : input()) }), ...(o.replaceExpressions?.() ?? {}) }),
    ) as unknown as Record<string, string>,
    ...(Object.keys(lifecycle).length > 0 ? { lifecycle } : {}),
    ...provisionersOf(o, env),
  });
}

/** A null_resource's `triggers`: each value as escaped canonical JSON, keys sorted. */
export function nullTriggers(fields: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(fields).sort()) {
    const v = fields[key];
    if (v !== undefined) out[escapeTemplate(key)] = escapeTemplate(canonicalJson(v));
  }
  return out;
}

function localExec(p: ProvisionerSpec, environment: Record<string, string>): LocalExecProvisioner {
  return {
    type: "local-exec" as const,
    // `$${` is Terraform's escape for a literal `${`: the shell sees ${CDKTF_XEN_CLI:-cdktf-xen}.
    command: `$\${${CLI_ENV}:-cdktf-xen} ${p.command}`,
    workingDir: "${path.module}",
    environment,
    ...(p.when === "destroy" ? { when: "destroy" as const } : {}),
  };
}

const NULL_PROVIDER_ID = "cdktf-xen-null-provider";
const nullProviders = new WeakMap<TerraformStack, boolean>();

/**
 * Adds the `null` provider to the stack once. A default (un-aliased) null provider the user
 * declared directly in the stack before the first host is reused: Terraform refuses two.
 */
function ensureNullProvider(scope: Construct): void {
  const stack = TerraformStack.of(scope);
  if (nullProviders.get(stack) === true) return;
  const { NullProvider } = loadNullProvider(scope.node.path).provider;
  const existing = stack.node.children.some((c) => c instanceof NullProvider && c.alias === undefined);
  if (!existing) new NullProvider(stack, NULL_PROVIDER_ID);
  nullProviders.set(stack, true);
}
