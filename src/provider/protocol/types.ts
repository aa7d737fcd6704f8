/**
 * The types a resource author sees: values, cty types, schemas, diagnostics and the provider
 * definition. Nothing here knows about gRPC, protobuf or msgpack.
 */

/** A value not known until apply (cty's unknown). On the wire: msgpack extension 0 (or 12, refined). */
export const UNKNOWN: unique symbol = Symbol.for("cdktf-xen.provider.unknown");
export type Unknown = typeof UNKNOWN;

/**
 * A cty value as the handlers see it. Numbers are JS numbers (a number Terraform sends as a
 * decimal string, beyond float64's mantissa, is parsed and may lose precision). Lists, sets and
 * tuples are arrays; maps and objects are plain objects. A value of a `dynamic` attribute is
 * the bare value: its runtime type is kept for values that came from Terraform and inferred
 * (string/number/bool/tuple/object) for new ones.
 */
export type Value = null | Unknown | string | number | boolean | Value[] | { [k: string]: Value };

/** A cty type, in the same shape as Terraform's JSON type constraints. */
export type CtyType =
  | "string"
  | "number"
  | "bool"
  | "dynamic"
  | readonly ["list" | "set" | "map", CtyType]
  | readonly ["object", { readonly [name: string]: CtyType }]
  | readonly ["tuple", readonly CtyType[]];

/** How a nested attribute (protocol v6 `nested_type`) or a nested block collects its objects. */
export type AttributeNesting = "single" | "list" | "set" | "map";
export type BlockNesting = AttributeNesting | "group";

export interface NestedAttributes {
  readonly nesting: AttributeNesting;
  readonly attributes: { readonly [name: string]: Attribute };
}

/** One attribute: exactly one of `type` and `nested`. */
export interface Attribute {
  readonly type?: CtyType;
  readonly nested?: NestedAttributes;
  readonly description?: string;
  readonly required?: boolean;
  readonly optional?: boolean;
  readonly computed?: boolean;
  /** Hidden in plan output; Terraform marks it (marks are not on the wire). */
  readonly sensitive?: boolean;
  readonly deprecated?: boolean;
}

export interface Block {
  readonly attributes: { readonly [name: string]: Attribute };
  readonly blocks?: { readonly [typeName: string]: NestedBlock };
  readonly description?: string;
  readonly deprecated?: boolean;
}

export interface NestedBlock {
  readonly nesting: BlockNesting;
  readonly block: Block;
  readonly minItems?: number;
  readonly maxItems?: number;
}

/** A resource's, data source's or the provider's schema. */
export interface Schema extends Block {
  /** The schema version stored with the state; a change makes Terraform call upgradeResourceState. */
  readonly version: number;
}

/** A path into a value: attribute name, map/element key, or list index. */
export type AttributePathStep = string | { readonly key: string } | { readonly index: number };
export type AttributePath = readonly AttributePathStep[];

export interface Diagnostic {
  readonly severity: "error" | "warning";
  readonly summary: string;
  readonly detail?: string;
  readonly attribute?: AttributePath;
}

export interface PlanRequest {
  /** null when the resource is being created. */
  readonly prior: Value;
  /** null when the resource is being destroyed (then `planned` must be null too). */
  readonly proposed: Value;
  /** null when the resource is being destroyed. */
  readonly config: Value;
  readonly priorPrivate: Buffer;
}

export interface PlanResponse {
  readonly planned: Value;
  readonly requiresReplace?: readonly AttributePath[];
  readonly private?: Buffer;
  readonly diagnostics?: readonly Diagnostic[];
}

export interface ApplyRequest {
  /** null when the resource is being created. */
  readonly prior: Value;
  /** null when the resource is being destroyed. */
  readonly planned: Value;
  readonly config: Value;
  readonly plannedPrivate: Buffer;
}

export interface ApplyResponse {
  /** null after a destroy. Must hold no UNKNOWN. */
  readonly state: Value;
  readonly private?: Buffer;
  readonly diagnostics?: readonly Diagnostic[];
}

export interface ReadResponse {
  /** null: the object is gone (Terraform plans to create it again). */
  readonly state: Value;
  readonly private?: Buffer;
  readonly diagnostics?: readonly Diagnostic[];
}

export interface ImportResponse {
  readonly resources: readonly { readonly type: string; readonly state: Value; readonly private?: Buffer }[];
  readonly diagnostics?: readonly Diagnostic[];
}

/**
 * A provider: schemas and handlers. Every handler is optional; the defaults are documented on
 * each. A thrown error becomes an error diagnostic (its stack goes to stderr). Handlers run
 * concurrently: Terraform's -parallelism reaches them unserialized.
 */
export interface ProviderDefinition {
  readonly providerSchema: Schema;
  readonly resources: { readonly [type: string]: Schema };
  readonly dataSources?: { readonly [type: string]: Schema };

  /** Default: accepted. */
  configure?(config: Value, terraformVersion: string): Promise<readonly Diagnostic[]>;
  /** Default: no diagnostics. Config may hold UNKNOWN. */
  validateProvider?(config: Value): Promise<readonly Diagnostic[]>;
  /** Default: no diagnostics. Config may hold UNKNOWN. */
  validateResource?(type: string, config: Value): Promise<readonly Diagnostic[]>;
  /** Default: no diagnostics. */
  validateDataSource?(type: string, config: Value): Promise<readonly Diagnostic[]>;
  /**
   * `raw` is the stored JSON as parsed, in the shape of schema `version` (not normalized: a
   * dynamic attribute is still wrapped as {"type", "value"}); `stateFromJson(schema, raw)` reads
   * it with the current schema once the handler has moved things into place.
   * Default: the raw state read with the current schema (missing attributes null, unknown ones dropped).
   */
  upgradeResourceState?(type: string, version: number, raw: Value): Promise<{ state: Value; diagnostics?: readonly Diagnostic[] }>;
  /** Default: the state as it is (no drift detected). */
  readResource?(type: string, state: Value, priv: Buffer): Promise<ReadResponse>;
  /** Default: {@link defaultPlan} (computed attributes of new objects UNKNOWN). */
  planResourceChange?(type: string, req: PlanRequest): Promise<PlanResponse>;
  /** Default: the planned state with UNKNOWN made null; null on destroy. */
  applyResourceChange?(type: string, req: ApplyRequest): Promise<ApplyResponse>;
  /** Default: an error ("does not support import"). Terraform reads each imported object next. */
  importResourceState?(type: string, id: string): Promise<ImportResponse>;
  /** Default: an error. */
  readDataSource?(type: string, config: Value): Promise<{ state: Value; diagnostics?: readonly Diagnostic[] }>;
  /** Terraform asks running operations to stop (Ctrl-C). */
  stop?(): Promise<void>;
}
