/**
 * A native Terraform provider in TypeScript: plugin protocol 6 (Terraform ≥ 1.0; tested with
 * 1.11.4) over go-plugin's gRPC handshake with AutoMTLS. Resource authors write a
 * ProviderDefinition (schemas + handlers on plain Values) and call serveProvider from the
 * provider's entry point; installProvider puts a launcher where Terraform finds it offline.
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
