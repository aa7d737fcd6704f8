/**
 * Runs one domain move for the CLI: finds where the stack now declares the domain, opens the
 * connections a move needs (both hosts, plus a source connection with the operator's SSH
 * agent forwarded for the host-to-host hop) and reports in one line per step.
 */
import type { StackHost } from "../constructs/stack-reader.js";
import { DEFAULT_HOST_MIGRATION, SPEC_VERSION, type HostConnection, type HostSpec } from "../model/spec.js";
import { moveDomain, type MoveEnd, type MoveOptions, type MoveOutcome } from "../reconcile/move.js";
import type { Log } from "../reconcile/reconciler.js";
import type { TransportPool } from "../ssh/pool.js";
import { Ssh2Transport } from "../ssh/ssh2-transport.js";
import type { Transport } from "../ssh/transport.js";
import { CliError } from "./errors.js";

/** Where a domain the stack no longer declares on `hostId` is declared now. */
export type Destination = { readonly kind: "none" } | { readonly kind: "one"; readonly host: StackHost } | { readonly kind: "many"; readonly hosts: readonly StackHost[] };

/**
 * The host the stack moves `name` to, when `hostId` no longer declares it. A domain still
 * declared on `hostId` has no destination (it stays); two other hosts declaring it is
 * ambiguous and is refused by the caller.
 */
export function destinationOf(hosts: readonly StackHost[], hostId: string, name: string): Destination {
  const here = hosts.find((h) => h.hostId === hostId);
  if (here?.spec.domains.some((d) => d.name === name) === true) return { kind: "none" };
  const elsewhere = hosts.filter((h) => h.hostId !== hostId && h.spec.domains.some((d) => d.name === name));
  if (elsewhere.length === 0) return { kind: "none" };
  if (elsewhere.length === 1) return { kind: "one", host: elsewhere[0]! };
  return { kind: "many", hosts: elsewhere };
}

/** An empty declaration, for a source host the stack no longer declares at all. */
function emptySpec(hostId: string): HostSpec {
  return { version: SPEC_VERSION, host: hostId, pools: [], volumes: [], domains: [] };
}

/**
 * Moves `name` from the source (declared in the stack, or known only by its recorded
 * connection) to `target`.
 */
export async function runMove(
  pool: TransportPool,
  hosts: readonly StackHost[],
  name: string,
  source: { readonly hostId: string; readonly connection: HostConnection },
  target: StackHost,
  log: Log,
  options: Omit<MoveOptions, "log"> = {},
): Promise<MoveOutcome> {
  const declaredSource = hosts.find((h) => h.hostId === source.hostId);
  const sourceConnection = declaredSource?.connection ?? source.connection;
  const sourceEnd: MoveEnd = {
    hostId: source.hostId,
    spec: declaredSource?.spec ?? emptySpec(source.hostId),
    connection: sourceConnection,
    migration: declaredSource?.migration ?? DEFAULT_HOST_MIGRATION,
    transport: pool.get(source.hostId, sourceConnection),
  };
  const targetEnd: MoveEnd = {
    hostId: target.hostId,
    spec: target.spec,
    connection: target.connection,
    migration: target.migration,
    transport: pool.get(target.hostId, target.connection),
  };
  return moveBetween(name, sourceEnd, targetEnd, log, agentForwarded, options);
}

/** Opens the source's connection with the operator's SSH agent forwarded (the hop's). */
export type HopOpener = (hostId: string, connection: HostConnection) => Transport;

const agentForwarded: HopOpener = (hostId, connection) => new Ssh2Transport({ hostId, connection, agentForward: true });

/**
 * Moves `name` between two ends whose transports are open: the host-to-host hop authenticates
 * with the source's migration.identityFile, else with the operator's SSH agent forwarded over
 * a second connection to the source (opened here, closed after the move). Used by the CLI and
 * by the native provider.
 */
export async function moveBetween(
  name: string,
  sourceEnd: MoveEnd,
  targetEnd: MoveEnd,
  log: Log,
  openHop: HopOpener = agentForwarded,
  options: Omit<MoveOptions, "log"> = {},
): Promise<MoveOutcome> {
  let hop: Transport = sourceEnd.transport;
  let own: Transport | null = null;
  if (sourceEnd.migration.identityFile === null) {
    const sock = process.env.SSH_AUTH_SOCK;
    if (sock === undefined || sock === "") {
      throw new CliError(
        `cannot move domain ${name} from ${sourceEnd.hostId} to ${targetEnd.hostId}: no SSH agent to forward`,
        `${sourceEnd.hostId} has no migration.identityFile, so its dom0 logs in to ${targetEnd.hostId} with your SSH agent, forwarded for the migration; SSH_AUTH_SOCK is not set`,
        `start an agent holding a key ${targetEnd.hostId} accepts (eval $(ssh-agent) && ssh-add KEY), or set migration: { identityFile: "/root/.ssh/…" } on ${sourceEnd.hostId}'s XenHost`,
      );
    }
    own = openHop(sourceEnd.hostId, sourceEnd.connection);
    hop = own;
  }
  try {
    return await moveDomain({ domain: name, source: sourceEnd, target: targetEnd, hop }, { ...options, log });
  } finally {
    await own?.close();
  }
}

/** One line for a person about a finished move. */
export function describeMove(name: string, from: string, to: string, outcome: MoveOutcome): string {
  switch (outcome.kind) {
    case "moved":
      return outcome.method === "live"
        ? `domain ${name}: moved ${from} → ${to} live in ${outcome.seconds.toFixed(1)} s (xl migrate ${outcome.migrateSeconds.toFixed(1)} s)`
        : `domain ${name}: moved ${from} → ${to} cold in ${outcome.seconds.toFixed(1)} s (${outcome.copied.length} volume(s) copied and verified)`;
    case "finished-earlier-move":
      return `domain ${name}: already on ${to}; finished the earlier move from ${from}`;
    case "absent":
      return `domain ${name}: not on ${from}; ${to} creates it`;
  }
}
