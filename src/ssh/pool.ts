/**
 * One transport per host per process. A CLI run that touches a host several times (read
 * live state, lock, apply steps) shares one SSH connection, and the hosts behind one bastion
 * share one connection to it (jump.ts); tests and the reconciler's own
 * tests inject another {@link TransportFactory}.
 */
import { canonicalJson } from "../model/canonical.js";
import type { HostConnection } from "../model/spec.js";
import { TransportConfigError } from "./errors.js";
import { JumpConnections } from "./jump.js";
import { Ssh2Transport, type Ssh2TransportOptions } from "./ssh2-transport.js";
import type { Transport } from "./transport.js";

/** Makes the transport for a host; called at most once per host id by a {@link TransportPool}. */
export interface TransportFactory {
  create(hostId: string, connection: HostConnection): Transport;
}

/**
 * The real factory: an {@link Ssh2Transport} per host, with shared `options`.
 * @param options settings for every transport it makes @default - Ssh2Transport's defaults
 */
export function ssh2TransportFactory(options: Omit<Ssh2TransportOptions, "hostId" | "connection"> = {}): TransportFactory {
  // The hosts this factory makes share their bastions: one connection per bastion too.
  const jumps =
    options.jumps ??
    new JumpConnections(
      {
        connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
        keepaliveIntervalMs: options.keepaliveIntervalMs ?? 10_000,
        keepaliveCountMax: options.keepaliveCountMax ?? 3,
      },
      options.env ?? process.env,
      options.log,
    );
  return {
    create: (hostId, connection) => new Ssh2Transport({ ...options, jumps, hostId, connection }),
  };
}

/** Transports by host id, created on first use and closed together. */
export class TransportPool {
  readonly #factory: TransportFactory;
  readonly #transports = new Map<string, { readonly transport: Transport; readonly connection: string }>();
  #closed = false;

  /** @param factory makes each host's transport @default ssh2TransportFactory() */
  constructor(factory: TransportFactory = ssh2TransportFactory()) {
    this.#factory = factory;
  }

  /**
   * The transport of `hostId`, made on first call. Asking again with different connection
   * settings for the same host is refused: two ways to reach one host in one run means two
   * stacks disagree, and silently picking one would hide that.
   */
  get(hostId: string, connection: HostConnection): Transport {
    if (this.#closed) throw new Error(`TransportPool.get(${hostId}): the pool is closed`);
    const key = canonicalJson(connection);
    const existing = this.#transports.get(hostId);
    if (existing !== undefined) {
      if (existing.connection !== key) {
        throw new TransportConfigError(
          { hostId, address: connection.address, port: connection.port, step: null },
          {
            what: "one host, two connection settings",
            why: `host ${hostId} was already opened with ${existing.connection}, now asked for with ${key}`,
            fix: "declare each host once (one XenHost per dom0), or give the hosts different ids",
          },
        );
      }
      return existing.transport;
    }
    const transport = this.#factory.create(hostId, connection);
    this.#transports.set(hostId, { transport, connection: key });
    return transport;
  }

  /** Host ids with a transport, in the order they were first asked for. */
  hostIds(): string[] {
    return [...this.#transports.keys()];
  }

  /** Closes every transport (in parallel); the pool cannot be used afterwards. Idempotent. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    const all = [...this.#transports.values()];
    this.#transports.clear();
    await Promise.allSettled(all.map((t) => t.transport.close()));
  }
}
