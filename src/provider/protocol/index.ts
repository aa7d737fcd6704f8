/**
 * A native Terraform provider in TypeScript: plugin protocol 6 (Terraform ≥ 1.0; tested with
 * 1.11.4) over go-plugin's gRPC handshake with AutoMTLS. Resource authors write a
 * ProviderDefinition (schemas + handlers on plain Values) and call serveProvider from the
 * provider's entry point; installProvider puts a launcher where Terraform finds it offline.
 *
 * An entry point (compiled to .js; Terraform starts it through the launcher):
 *
 *   import { serveProvider, defaultPlan, UNKNOWN } from "cdktf-xen/…/provider/protocol/index.js";
 *   await serveProvider({
 *     providerSchema: { version: 0, attributes: {} },
 *     resources: { xen_thing: { version: 0, attributes: { name: { type: "string", required: true }, id: { type: "string", computed: true } } } },
 *     async applyResourceChange(type, { planned }) { … return { state } },
 *   });
 *
 * and, once, where Terraform looks (see install.ts for the directories and the lock file):
 *
 *   installProvider({ pluginsDir: "<workdir>/terraform.d/plugins", hostname: "cdktf-xen.local",
 *     namespace: "cdktf-xen", type: "xen", version: "0.1.0", entry: "/abs/dist/…/entry.js" });
 *
 * with `required_providers { xen = { source = "cdktf-xen.local/cdktf-xen/xen" } }` in the
 * configuration. Log with console.error (stderr; TF_LOG shows it); stdout belongs to the
 * handshake and go-plugin's stdio stream.
 */
export { UNKNOWN } from "./types.js";
export type {
  ApplyRequest,
  ApplyResponse,
  Attribute,
  AttributeNesting,
  AttributePath,
  AttributePathStep,
  Block,
  BlockNesting,
  CtyType,
  Diagnostic,
  ImportResponse,
  NestedAttributes,
  NestedBlock,
  PlanRequest,
  PlanResponse,
  ProviderDefinition,
  ReadResponse,
  Schema,
  Unknown,
  Value,
} from "./types.js";
export { serveProvider, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, type ServeOptions } from "./server.js";
export { defaultPlan } from "./schema.js";
export { blockType, stateFromJson, containsUnknown, unknownsToNull, valuesEqual, CtyError } from "./cty.js";
export { installProvider, terraformPlatform, type InstallOptions, type InstalledProvider, type ProviderAddress } from "./install.js";
export type { Logger } from "./service.js";
