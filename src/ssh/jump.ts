/**
 * Bastion connections shared by the hosts behind them. "One SSH connection per host per run"
 * holds for bastions too: the transports of one {@link TransportPool} (one CLI run, one
 * provider process) share a connection to each bastion — the same chain of hops, the same
 * settings — and it is closed when the last host behind it closes. A bastion whose connection
 * died is dialled again by the next host that needs it.
 */
import { canonicalJson } from "../model/canonical.js";
import type { TransportErrorContext } from "./errors.js";
import { connectHop, forwardTo, hopContext, loadHopCredentials, loadHopPolicies, type HopConnection, type HopOptions } from "./hop.js";
import type { RouteHop } from "./route.js";

interface Entry {
  readonly key: string;
  readonly label: string;
  readonly live: Promise<HopConnection>;
  refs: number;
}

/** A bastion's connection lent to one host, and how to give it back. */
export interface JumpLease {
  /** The innermost bastion, through which the host is reached. */
  readonly bastion: HopConnection;
  /** How messages name it: `jump host 2 of 2 "bastion-b"`. */
  readonly label: string;
  /** Gives the chain back; the last one to give a bastion back closes it. Idempotent. */
  release(): void;
}

/** Shared connections to bastions, keyed by the chain of hops that reaches each. */
export class JumpConnections {
  readonly #entries = new Map<string, Entry>();
  readonly #options: HopOptions;
  readonly #env: NodeJS.ProcessEnv;
  readonly #log: (message: string) => void;
  #opened = 0;

  constructor(options: HopOptions, env: NodeJS.ProcessEnv = process.env, log: (message: string) => void = () => undefined) {
    this.#options = options;
    this.#env = env;
    this.#log = log;
  }

  /** Bastion connections opened so far (for tests and benchmarks). */
  get opened(): number {
    return this.#opened;
  }

  /**
   * Connections to every bastion of `chain` (outermost first), opened where none is alive yet.
   * Each bastion's host key is checked as the host's is; a refusal names the bastion.
   */
  async acquire(chain: readonly RouteHop[], context: TransportErrorContext): Promise<JumpLease> {
    const taken: Entry[] = [];
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      for (const e of [...taken].reverse()) this.#unref(e);
    };
    try {
      let parent: Entry | null = null;
      for (let i = 0; i < chain.length; i += 1) {
        const hop = chain[i]!;
        const key = canonicalJson(chain.slice(0, i + 1));
        let entry = this.#entries.get(key);
        if (entry !== undefined && !(await entry.live.then((c) => c.alive, () => false))) {
          if (this.#entries.get(key) === entry) this.#entries.delete(key);
          entry = undefined;
        }
        if (entry === undefined) entry = this.#open(key, hop, parent, hopContext(context, hop));
        entry.refs += 1;
        taken.push(entry);
        await entry.live;
        parent = entry;
      }
      const last = taken[taken.length - 1]!;
      return { bastion: await last.live, label: last.label, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  #open(key: string, hop: RouteHop, parent: Entry | null, context: TransportErrorContext): Entry {
    const label = `${hop.role} ${JSON.stringify(hop.name)}`;
    const live = (async (): Promise<HopConnection> => {
      const credentials = await loadHopCredentials(hop, this.#env, context);
      const policies = await loadHopPolicies(hop, context);
      const sock = parent === null ? undefined : await forwardTo(await parent.live, hop, context, parent.label);
      const conn = await connectHop(hop, credentials, policies, context, this.#options, sock);
      this.#opened += 1;
      this.#log(`connected to ${label} ${hop.user}@${hop.address}:${hop.port}`);
      return conn;
    })();
    const entry: Entry = { key, label, live, refs: 0 };
    this.#entries.set(key, entry);
    live.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return entry;
  }

  #unref(entry: Entry): void {
    entry.refs -= 1;
    if (entry.refs > 0) return;
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    entry.live.then(
      (c) => {
        c.alive = false;
        c.client.end();
      },
      () => undefined,
    );
  }
}
