/**
 * tfplugin6.Provider: every RPC as an async function from the decoded request (protobuf
 * fields, snake_case) to the response object. Values are decoded and encoded here with the
 * schema's types; the handlers of the ProviderDefinition see only Values. Nothing here is
 * serialized: Terraform's concurrent calls run concurrently.
 */
import { CtyError, blockType, decodeJson, decodeMsgpack, encodeMsgpack, fromJson, unknownsToNull } from "./cty.js";
import { checkSchema, defaultPlan, schemaMessage } from "./schema.js";
import type { AttributePath, CtyType, Diagnostic, ProviderDefinition, Schema, Value } from "./types.js";

type Msg = Record<string, unknown>;
interface DynamicValueMsg {
  msgpack?: Uint8Array | null;
  json?: Uint8Array | null;
}

/** Where the layer logs (stderr by default; Terraform shows it with TF_LOG). */
export type Logger = (level: "error" | "warn" | "info" | "debug" | "trace", message: string) => void;

const SEVERITY = { error: 1, warning: 2 } as const;

function pathMessage(path: AttributePath): Msg {
  return {
    steps: path.map((step) => {
      if (typeof step === "string") return { attribute_name: step };
      if ("key" in step) return { element_key_string: step.key };
      return { element_key_int: step.index };
    }),
  };
}

export function diagnosticMessage(d: Diagnostic): Msg {
  return {
    severity: SEVERITY[d.severity],
    summary: d.summary,
    detail: d.detail ?? "",
    attribute: d.attribute === undefined || d.attribute.length === 0 ? null : pathMessage(d.attribute),
  };
}

function diags(list: readonly Diagnostic[] | undefined): Msg[] {
  return (list ?? []).map(diagnosticMessage);
}

function errorDiag(summary: string, detail = ""): Msg {
  return { severity: 1, summary, detail, attribute: null };
}

function decodeDynamic(type: CtyType, dv: DynamicValueMsg | null | undefined): Value {
  if (dv === null || dv === undefined) return null;
  if (dv.msgpack !== undefined && dv.msgpack !== null && dv.msgpack.length > 0) return decodeMsgpack(type, dv.msgpack);
  if (dv.json !== undefined && dv.json !== null && dv.json.length > 0) return decodeJson(type, dv.json);
  return null;
}

function dynamic(type: CtyType, value: Value): Msg {
  return { msgpack: encodeMsgpack(type, value) };
}

function buf(b: Uint8Array | null | undefined): Buffer {
  return b === null || b === undefined ? Buffer.alloc(0) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** One RPC's implementation. */
export type Rpc = (req: Msg) => Promise<Msg>;

export interface ProviderServiceOptions {
  readonly log: Logger;
  /** Called after every RPC with its name and the milliseconds spent in it (decode, handler, encode). */
  readonly onCall?: (rpc: string, ms: number) => void;
}

/** Builds the Provider service's RPCs for `def`. Throws on an invalid schema. */
export function providerService(def: ProviderDefinition, options: ProviderServiceOptions): Record<string, Rpc> {
  const { log } = options;
  checkSchema(def.providerSchema, "provider");
  for (const [t, s] of Object.entries(def.resources)) checkSchema(s, t);
  for (const [t, s] of Object.entries(def.dataSources ?? {})) checkSchema(s, t);

  const types = new Map<Schema, CtyType>();
  const typeOf = (s: Schema): CtyType => {
    let t = types.get(s);
    if (t === undefined) {
      t = blockType(s);
      types.set(s, t);
    }
    return t;
  };
  const providerType = typeOf(def.providerSchema);
  const resource = (name: unknown): Schema => {
    const s = def.resources[String(name)];
    if (s === undefined) throw new Error(`this provider has no resource type "${String(name)}"`);
    return s;
  };
  const dataSource = (name: unknown): Schema => {
    const s = def.dataSources?.[String(name)];
    if (s === undefined) throw new Error(`this provider has no data source "${String(name)}"`);
    return s;
  };

  const capabilities = { plan_destroy: true, get_provider_schema_optional: true, move_resource_state: false };

  const rpcs: Record<string, Rpc> = {
    async GetMetadata() {
      return {
        server_capabilities: capabilities,
        diagnostics: [],
        resources: Object.keys(def.resources).map((type_name) => ({ type_name })),
        data_sources: Object.keys(def.dataSources ?? {}).map((type_name) => ({ type_name })),
        functions: [],
        ephemeral_resources: [],
      };
    },

    async GetProviderSchema() {
      const map = (m: { readonly [k: string]: Schema } | undefined): Msg =>
        Object.fromEntries(Object.entries(m ?? {}).map(([k, s]) => [k, schemaMessage(s)]));
      return {
        provider: schemaMessage(def.providerSchema),
        resource_schemas: map(def.resources),
        data_source_schemas: map(def.dataSources),
        functions: {},
        ephemeral_resource_schemas: {},
        diagnostics: [],
        server_capabilities: capabilities,
      };
    },

    async ValidateProviderConfig(req) {
      const config = decodeDynamic(providerType, req.config as DynamicValueMsg);
      return { diagnostics: diags(def.validateProvider ? await def.validateProvider(config) : []) };
    },

    async ValidateResourceConfig(req) {
      const s = resource(req.type_name);
      const config = decodeDynamic(typeOf(s), req.config as DynamicValueMsg);
      return { diagnostics: diags(def.validateResource ? await def.validateResource(String(req.type_name), config) : []) };
    },

    async ValidateDataResourceConfig(req) {
      const s = dataSource(req.type_name);
      const config = decodeDynamic(typeOf(s), req.config as DynamicValueMsg);
      return { diagnostics: diags(def.validateDataSource ? await def.validateDataSource(String(req.type_name), config) : []) };
    },

    async UpgradeResourceState(req) {
      const typeName = String(req.type_name);
      const s = resource(typeName);
      const rawState = (req.raw_state ?? {}) as { json?: Uint8Array | null; flatmap?: Record<string, string> };
      const json = buf(rawState.json);
      if (json.length === 0) {
        if (Object.keys(rawState.flatmap ?? {}).length > 0) {
          return { diagnostics: [errorDiag("Legacy flatmap state is not supported", `The state of this ${typeName} predates Terraform 0.12; this provider reads only JSON state.`)] };
        }
        return { upgraded_state: dynamic(typeOf(s), null), diagnostics: [] };
      }
      const version = Number(req.version ?? 0);
      const parsed = JSON.parse(json.toString("utf8")) as unknown;
      if (def.upgradeResourceState === undefined) {
        if (version > s.version) {
          return { diagnostics: [errorDiag(`State of ${typeName} is newer than this provider`, `The state has schema version ${version}; this provider knows versions up to ${s.version}. Use the newer provider that wrote it.`)] };
        }
        return { upgraded_state: dynamic(typeOf(s), fromJson(typeOf(s), parsed)), diagnostics: [] };
      }
      const res = await def.upgradeResourceState(typeName, version, parsed as Value);
      return { upgraded_state: dynamic(typeOf(s), res.state), diagnostics: diags(res.diagnostics) };
    },

    async ConfigureProvider(req) {
      const config = decodeDynamic(providerType, req.config as DynamicValueMsg);
      return { diagnostics: diags(def.configure ? await def.configure(config, String(req.terraform_version ?? "")) : []) };
    },

    async ReadResource(req) {
      const typeName = String(req.type_name);
      const s = resource(typeName);
      const t = typeOf(s);
      const state = decodeDynamic(t, req.current_state as DynamicValueMsg);
      const priv = buf(req.private as Uint8Array);
      if (def.readResource === undefined) return { new_state: dynamic(t, state), private: priv, diagnostics: [] };
      const res = await def.readResource(typeName, state, priv);
      return { new_state: dynamic(t, res.state), private: res.private ?? priv, diagnostics: diags(res.diagnostics) };
    },

    async PlanResourceChange(req) {
      const typeName = String(req.type_name);
      const s = resource(typeName);
      const t = typeOf(s);
      const prior = decodeDynamic(t, req.prior_state as DynamicValueMsg);
      const proposed = decodeDynamic(t, req.proposed_new_state as DynamicValueMsg);
      const config = decodeDynamic(t, req.config as DynamicValueMsg);
      const priorPrivate = buf(req.prior_private as Uint8Array);
      if (def.planResourceChange === undefined) {
        return { planned_state: dynamic(t, defaultPlan(s, prior, proposed)), requires_replace: [], planned_private: priorPrivate, diagnostics: [] };
      }
      const res = await def.planResourceChange(typeName, { prior, proposed, config, priorPrivate });
      return {
        planned_state: dynamic(t, res.planned),
        requires_replace: (res.requiresReplace ?? []).map(pathMessage),
        planned_private: res.private ?? priorPrivate,
        diagnostics: diags(res.diagnostics),
      };
    },

    async ApplyResourceChange(req) {
      const typeName = String(req.type_name);
      const s = resource(typeName);
      const t = typeOf(s);
      const prior = decodeDynamic(t, req.prior_state as DynamicValueMsg);
      const planned = decodeDynamic(t, req.planned_state as DynamicValueMsg);
      const config = decodeDynamic(t, req.config as DynamicValueMsg);
      const plannedPrivate = buf(req.planned_private as Uint8Array);
      if (def.applyResourceChange === undefined) {
        return { new_state: dynamic(t, unknownsToNull(planned)), private: plannedPrivate, diagnostics: [] };
      }
      const res = await def.applyResourceChange(typeName, { prior, planned, config, plannedPrivate });
      return { new_state: dynamic(t, res.state), private: res.private ?? plannedPrivate, diagnostics: diags(res.diagnostics) };
    },

    async ImportResourceState(req) {
      const typeName = String(req.type_name);
      resource(typeName);
      if (def.importResourceState === undefined) {
        return { imported_resources: [], diagnostics: [errorDiag(`Resource type ${typeName} does not support import`)] };
      }
      const res = await def.importResourceState(typeName, String(req.id ?? ""));
      return {
        imported_resources: res.resources.map((r) => ({
          type_name: r.type,
          state: dynamic(typeOf(resource(r.type)), r.state),
          private: r.private ?? Buffer.alloc(0),
        })),
        diagnostics: diags(res.diagnostics),
      };
    },

    async MoveResourceState(req) {
      return {
        diagnostics: [
          errorDiag(
            "Moving resource state is not supported",
            `This provider does not move state from ${String(req.source_provider_address)} ${String(req.source_type_name)} into ${String(req.target_type_name)}.`,
          ),
        ],
      };
    },

    async ReadDataSource(req) {
      const typeName = String(req.type_name);
      const s = dataSource(typeName);
      const t = typeOf(s);
      const config = decodeDynamic(t, req.config as DynamicValueMsg);
      if (def.readDataSource === undefined) return { diagnostics: [errorDiag(`Data source ${typeName} cannot be read`)] };
      const res = await def.readDataSource(typeName, config);
      return { state: dynamic(t, res.state), diagnostics: diags(res.diagnostics) };
    },

    async ValidateEphemeralResourceConfig(req) {
      return { diagnostics: [errorDiag(`This provider has no ephemeral resource "${String(req.type_name)}"`)] };
    },
    async OpenEphemeralResource(req) {
      return { diagnostics: [errorDiag(`This provider has no ephemeral resource "${String(req.type_name)}"`)] };
    },
    async RenewEphemeralResource(req) {
      return { diagnostics: [errorDiag(`This provider has no ephemeral resource "${String(req.type_name)}"`)] };
    },
    async CloseEphemeralResource(req) {
      return { diagnostics: [errorDiag(`This provider has no ephemeral resource "${String(req.type_name)}"`)] };
    },

    async GetFunctions() {
      return { functions: {}, diagnostics: [] };
    },
    async CallFunction(req) {
      return { error: { text: `This provider has no function "${String(req.name)}"` } };
    },

    async StopProvider() {
      try {
        if (def.stop) await def.stop();
        return { Error: "" };
      } catch (err) {
        return { Error: err instanceof Error ? err.message : String(err) };
      }
    },
  };

  // Every RPC: timed, and a thrown error becomes an error diagnostic (never a crash).
  const wrapped: Record<string, Rpc> = {};
  for (const [name, rpc] of Object.entries(rpcs)) {
    wrapped[name] = async (req) => {
      const start = performance.now();
      try {
        return await rpc(req);
      } catch (err) {
        const what = req.type_name === undefined ? name : `${name} (${String(req.type_name)})`;
        const message = err instanceof Error ? err.message : String(err);
        log("error", `${what} failed: ${err instanceof Error ? (err.stack ?? message) : message}`);
        const detail =
          err instanceof CtyError
            ? `The provider produced a value that does not fit its schema (a bug in the provider). ${what}.`
            : `${what}. The provider's log has the stack trace (TF_LOG=debug).`;
        if (name === "StopProvider") return { Error: message };
        if (name === "CallFunction") return { error: { text: message } };
        return { diagnostics: [errorDiag(message, detail)] };
      } finally {
        options.onCall?.(name, performance.now() - start);
      }
    };
  }
  return wrapped;
}
