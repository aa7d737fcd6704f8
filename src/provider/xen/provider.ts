/**
 * The Xen provider as the protocol layer sees it: its schemas and handlers, over one
 * {@link HostSessions} for the process (one Terraform operation).
 */
import type { ProviderDefinition, Value } from "../protocol/types.js";
import { HostResource, type ProviderLog } from "./host-resource.js";
import { HostSessions, type HostBackend } from "./host-sessions.js";
import { HOST_RESOURCE_TYPE, HOST_SCHEMA, PROVIDER_SCHEMA } from "./schema.js";
import type { TransportFactory } from "../../ssh/pool.js";

/** Options of {@link xenProvider}. */
export interface XenProviderOptions {
  /** @default - real SSH (ssh2) */
  readonly transports?: TransportFactory;
  /** Another backend than SSH to dom0 (the fleet benchmark's simulated hosts). @default - HostSessions over `transports` */
  readonly backend?: HostBackend;
  /** @default - stderr */
  readonly log?: ProviderLog;
}

/** The provider definition and the sessions it uses (closed by {@link XenProvider.close}). */
export interface XenProvider {
  readonly definition: ProviderDefinition;
  readonly sessions: HostBackend;
  close(): Promise<void>;
}

function unknownType(type: string): Error {
  return new Error(`resource type ${type} is not one this provider has (it has ${HOST_RESOURCE_TYPE})`);
}

export function xenProvider(options: XenProviderOptions = {}): XenProvider {
  const sessions = options.backend ?? new HostSessions(options.transports);
  const host = new HostResource(sessions, options.log);
  const definition: ProviderDefinition = {
    providerSchema: PROVIDER_SCHEMA,
    resources: { [HOST_RESOURCE_TYPE]: HOST_SCHEMA },
    async configure(config: Value) {
      return host.configure(config);
    },
    async readResource(type, state: Value) {
      if (type !== HOST_RESOURCE_TYPE) throw unknownType(type);
      return host.read(state);
    },
    async planResourceChange(type, req) {
      if (type !== HOST_RESOURCE_TYPE) throw unknownType(type);
      return host.plan(req);
    },
    async applyResourceChange(type, req) {
      if (type !== HOST_RESOURCE_TYPE) throw unknownType(type);
      return host.apply(req);
    },
    async importResourceState(type, id) {
      if (type !== HOST_RESOURCE_TYPE) throw unknownType(type);
      return host.importHost(id);
    },
    async stop() {
      await sessions.closeAll();
    },
  };
  return { definition, sessions, close: () => sessions.closeAll() };
}
