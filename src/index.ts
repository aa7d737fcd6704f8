/**
 * cdktf-xen's public API: the constructs, their props, the value objects and enumerations
 * the props take, the errors a program can catch, the spec types the constructs' `toSpec()`
 * return, and the cdktf classes a program needs next to them. Everything else is internal:
 * code inside this package imports it from its own module, never from here. Helpers for a
 * user's own tests are in `cdktf-xen/testing`.
 * @packageDocumentation
 */

// Constructs and their props.
export { XenHost } from "./constructs/host.js";
export type { XenHostProps, XenHostMigrationProps, XenJumpHostProps } from "./constructs/host.js";
export { XenStoragePool } from "./constructs/storage-pool.js";
export type { XenStoragePoolProps } from "./constructs/storage-pool.js";
export { XenVolume } from "./constructs/volume.js";
export type { IXenVolume, XenVolumeProps, ExistingXenVolumeProps } from "./constructs/volume.js";
export { XenDomain } from "./constructs/domain.js";
export type {
  XenDomainProps,
  XenDiskConfig,
  XenVolumeDisk,
  XenVolumeDiskOptions,
  XenPathDisk,
  XenPathDiskOptions,
  XenNetworkConfig,
  XenSchedulerConfig,
} from "./constructs/domain.js";
export { XenVcpuPin } from "./constructs/vcpu-pin.js";
export type { XenVcpuPinProps, VcpuAffinityMap, CpuListValue } from "./constructs/vcpu-pin.js";
// The native provider's resource, as XenHost.resource returns it (for dependsOn, attributes).
export type { XenHostResource } from "./constructs/provider-resources.js";

// Value objects.
export { Size } from "./model/size.js";
export { CpuSet, MAX_CPU_NUMBER } from "./model/cpuset.js";
export type { CpuTopology } from "./model/cpuset.js";

// Enumerations (each a constant object and the union type of its values).
export { DomainType, ShutdownAction, UpdatePolicy, MigrationPolicy, RetentionPolicy, DiskFormat } from "./model/spec.js";
export { MAX_JUMP_HOSTS } from "./model/spec.js";
export type { DiskAccess } from "./model/spec.js";
export { LifecycleResource, LIFECYCLE_RESOURCE_CONTEXT_KEY } from "./constructs/resources.js";

// Errors a program can catch.
export { XenConstructError } from "./constructs/errors.js";
export type { ProblemDetails } from "./constructs/errors.js";
export { XenModelError } from "./model/errors.js";
export type { XenModelErrorDetails } from "./model/errors.js";

// The desired state the constructs compute (`toSpec()`, `connection`, `migration`, `facts`).
export type {
  HostSpec,
  HostConnection,
  JumpHostConnection,
  SshConfigUse,
  HostMigration,
  DomainSpec,
  BootSpec,
  KernelBoot,
  BootloaderBoot,
  FirmwareBoot,
  HvmSpec,
  DiskSpec,
  VifSpec,
  PinSpec,
  SchedulerSpec,
  PoolSpec,
  LvmPoolSpec,
  DirPoolSpec,
  VolumeSpec,
} from "./model/spec.js";
export type { HostFacts } from "./model/validate.js";

// The cdktf classes a program needs next to ours, from the one module that imports cdktf: a
// program built with them cannot mix cdktf with its fork cdktn by accident.
export { App, TerraformStack, TerraformOutput, LocalBackend } from "./cdktf.js";
