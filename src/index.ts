export * from "./model/spec.js";
export * from "./model/canonical.js";
export * from "./model/hash.js";
export * from "./model/errors.js";
export * from "./model/size.js";
export * from "./model/cpuset.js";
export * from "./model/names.js";
export * from "./model/validate.js";
export * from "./constructs/host.js";
export * from "./constructs/storage-pool.js";
export * from "./constructs/volume.js";
export * from "./constructs/domain.js";
export * from "./constructs/vcpu-pin.js";
export {
  LifecycleResource,
  LIFECYCLE_RESOURCE_CONTEXT_KEY,
  ResourceKind,
  ProvisionerCommand,
  MARKER_KEY,
  CLI_ENV,
  INPUT_ENV,
  EXPECT_ENV,
} from "./constructs/resources.js";
export type { HostManagedRecord, HostResourceInput, DomainResourceInput, DomainConfigTriggers, VolumeResourceInput } from "./constructs/resources.js";
export * from "./constructs/stack-reader.js";
export { escapeTemplate, unescapeTemplate } from "./constructs/template-escape.js";
export { XenConstructError } from "./constructs/errors.js";
// The cdktf classes a program needs next to ours, from the one module that imports cdktf: a
// program built with them cannot mix cdktf with its fork cdktn by accident.
export { App, TerraformStack, LocalBackend } from "./cdktf.js";
