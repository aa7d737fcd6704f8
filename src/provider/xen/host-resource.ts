/**
 * The `xen_host` resource's handlers: refresh reads the host, plan runs the diff engine against
 * what it read and says what will happen, apply runs the existing reconciler.
 *
 * - Refresh ({@link HostResource.read}): the state becomes what the host has (./observe.ts), so
 *   `terraform plan` shows drift as an attribute diff and an in-sync host plans empty.
 * - Plan: every change shows as `~ update in-place` of the attributes that change; one that
 *   only takes effect at the next boot gets a warning naming the domain and attribute, and
 *   `pending_restart` shows it; refusals (a shrink, a missing bridge, a name taken) are errors
 *   before anything is applied. Only a different `host_id` (another host) replaces.
 * - Moves (./moves.ts): a declared domain the host does not run is looked for on the peers (the
 *   provider's host directory, ./directory.ts, and those remembered in the private state);
 *   one a peer holds plans as a move (a warning; computed values unknown) or its refusals
 *   (errors with reason and fix), never as a create. The apply moves it with reconcile/move.ts
 *   before reconciling; the old host's apply leaves it (declared elsewhere), in either order.
 * - Apply: domains the configuration no longer holds are shut down and removed, arriving
 *   domains are moved here, then `applyHost` brings the host to the declaration; computed
 *   attributes are read back.
 */
import { DiffInputError } from "../../diff/errors.js";
import { diffHost } from "../../diff/diff.js";
import { actionSubject, type Action, type Plan } from "../../diff/plan.js";
import { containsUnknown } from "../protocol/cty.js";
import { UNKNOWN, type ApplyRequest, type ApplyResponse, type ImportResponse, type AttributePath, type Diagnostic, type PlanRequest, type PlanResponse, type ReadResponse, type Value } from "../protocol/types.js";
import { hostFromValue, volumeKey, type HostDeclaration, type HostInFleet, type PeerDeclaration } from "./convert.js";
import { EMPTY_DIRECTORY, decodePeers, directoryOf, encodePeers, inFleet, type HostDirectory } from "./directory.js";
import type { HostBackend } from "./host-sessions.js";
import { computedOf, nextBootAttribute, pendingRestart, observeDomain, observeVolume } from "./observe.js";
import { moveHow, peerSide, planWithPeers, sharingPeer, type PeerCheck } from "./moves.js";
import { awaitDeparture, departingUsers, type DepartureWait } from "./departures.js";
import { describeMove } from "../../cli/move-runner.js";
import { DOMAIN_COMPUTED, HOST_RESOURCE_TYPE } from "./schema.js";

type Obj = { [k: string]: Value };

/** Where progress lines go (stderr: Terraform shows provider logs with TF_LOG). */
export type ProviderLog = (line: string) => void;

function isObj(v: Value): v is Obj {
  return v !== null && v !== UNKNOWN && typeof v === "object" && !Array.isArray(v);
}


function entries(v: Value | undefined): [string, Obj][] {
  return isObj(v ?? null) ? Object.entries(v as Obj).filter((e): e is [string, Obj] => isObj(e[1])) : [];
}

/** The value without the computed attributes of its domains (what the declaration says). */
function declaredPart(v: Obj): Obj {
  const domains = Object.fromEntries(
    entries(v["domain"]).map(([name, d]) => [name, Object.fromEntries(Object.entries(d).filter(([k]) => !(DOMAIN_COMPUTED as readonly string[]).includes(k)))]),
  );
  const { id: _id, ...rest } = v;
  return { ...rest, domain: domains };
}

/** Every domain of a `domain` map with its computed attributes unknown until apply. */
function withUnknownComputed(domains: Value | undefined): Obj {
  return Object.fromEntries(entries(domains).map(([name, d]) => [name, { ...d, ...Object.fromEntries(DOMAIN_COMPUTED.map((k) => [k, UNKNOWN])) }]));
}

const domainPath = (name: string, attribute?: string): AttributePath => (attribute === undefined ? ["domain", { key: name }] : ["domain", { key: name }, attribute]);

/** Error diagnostics for the plan's refusals, at the attribute they are about. */
function refusals(plan: Pick<Plan, "actions">): Diagnostic[] {
  return plan.actions.flatMap((a): Diagnostic[] => {
    if (a.class !== "refused") return [];
    const attribute: AttributePath =
      "volume" in a
        ? ["volume", { key: volumeKey(a.volume) }, "size_mib"]
        : a.kind === "refuse-missing-bridge"
          ? ["domain", { key: a.domain }, "vif", { index: a.devid }, "bridge"]
          : a.kind === "refuse-scheduler"
            ? domainPath(a.domain, "weight")
            : domainPath(a.domain);
    const summary =
      a.kind === "refuse-move"
        ? `domain ${a.domain}: moving it from ${a.old ?? a.sources.join(" or ")} to ${a.new} is refused (${a.check}); nothing is started on ${a.new}`
        : `${actionSubject(a)}: refused`;
    return [{ severity: "error", summary, detail: `${a.reason}\nFix: ${a.fix}`, attribute }];
  });
}

function changed(prior: Obj | undefined, planned: Obj, attribute: string): boolean {
  return prior === undefined || JSON.stringify(prior[attribute] ?? null) !== JSON.stringify(planned[attribute] ?? null);
}

/** Warnings for changes that take effect at the next boot, or by a restart in this apply. */
function bootWarnings(plan: Plan, priorDomains: Map<string, Obj>, plannedDomains: Map<string, Obj>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const a of plan.actions) {
    if (a.kind !== "pending-restart" && a.kind !== "restart-domain") continue;
    const prior = priorDomains.get(a.domain);
    const planned = plannedDomains.get(a.domain);
    if (planned === undefined) continue;
    for (const c of a.changes) {
      const attribute = nextBootAttribute(c);
      const top = attribute.replace(/\[.*$/, "");
      // A pending change this plan does not touch was warned about when it was planned.
      if (a.kind === "pending-restart" && !changed(prior, planned, top)) continue;
      out.push({
        severity: "warning",
        summary:
          a.kind === "pending-restart"
            ? `domain ${a.domain}: ${attribute} takes effect at the next boot`
            : `domain ${a.domain}: restart to apply ${attribute}`,
        detail:
          a.kind === "pending-restart"
            ? `${c.reason} The running domain keeps its current value; the new one is written to its config file and listed in pending_restart (update_policy "pending"). Restart the domain when convenient, or set updatePolicy RESTART.`
            : `${c.reason} update_policy "restart": the domain is shut down gracefully (then forced after the timeout) and started again in this apply.`,
        attribute: domainPath(a.domain, top),
      });
    }
  }
  return out;
}

/** Domains and volumes a prior state holds that the new declaration drops. */
function dropped(prior: HostDeclaration | null, next: HostInFleet | null): { domains: string[]; volumes: HostDeclaration["spec"]["volumes"] } {
  if (prior === null) return { domains: [], volumes: [] };
  const keepDomains = new Set([...(next?.spec.domains.map((d) => d.name) ?? []), ...(next?.domainsElsewhere ?? [])]);
  const keepVolumes = new Set(next?.spec.volumes.map(volumeKey) ?? []);
  return {
    domains: prior.spec.domains.map((d) => d.name).filter((n) => !keepDomains.has(n)),
    volumes: prior.spec.volumes.filter((v) => !keepVolumes.has(volumeKey(v))),
  };
}

function diagnosticOf(e: unknown, summary: string): Diagnostic {
  if (e instanceof DiffInputError) return { severity: "error", summary: `${summary}: the declaration is invalid`, detail: e.message };
  return { severity: "error", summary, detail: e instanceof Error ? e.message : String(e) };
}

/** The handlers of `xen_host`. */
export class HostResource {
  private directory: HostDirectory = EMPTY_DIRECTORY;
  /** Domains whose move into a host failed or was refused in this run, and why. */
  private readonly failedMoves = new Map<string, string>();

  constructor(
    private readonly sessions: HostBackend,
    private readonly log: ProviderLog = (l) => process.stderr.write(`${l}\n`),
    /** How the wait for a departing domain polls (tests shorten it). @default the defaults of {@link DepartureWait} */
    private readonly departure: Pick<DepartureWait, "pollMs" | "limitMs" | "heartbeatMs" | "now" | "sleep"> = {},
  ) {}

  /** Takes the provider's configuration (its `hosts` directory; values may be unknown at plan). */
  configure(config: Value): Diagnostic[] {
    try {
      this.directory = directoryOf(config);
      return [];
    } catch (e) {
      this.directory = EMPTY_DIRECTORY;
      return [diagnosticOf(e, "the provider's hosts directory cannot be read")];
    }
  }

  async read(state: Value): Promise<ReadResponse> {
    if (!isObj(state)) return { state };
    let decl: HostDeclaration;
    try {
      decl = hostFromValue(declaredPart(state));
    } catch (e) {
      return { state, diagnostics: [diagnosticOf(e, "the stored state of a xen_host cannot be read")] };
    }
    try {
      const { live, addresses } = await this.sessions.read(decl.spec, decl.connection);
      const plan = diffHost(decl.spec, live);
      const domain: Obj = {};
      for (const d of decl.spec.domains) {
        const o = observeDomain(d, plan, live, addresses);
        if (o !== null) domain[d.name] = o as Obj;
      }
      const volume: Obj = {};
      for (const v of decl.spec.volumes) {
        const o = observeVolume(v, plan);
        if (o !== null) volume[volumeKey(v)] = o as Obj;
      }
      return { state: { ...state, domain, volume } };
    } catch (e) {
      return { state, diagnostics: [diagnosticOf(e, `reading host ${decl.spec.host} failed`)] };
    }
  }

  async plan(req: PlanRequest): Promise<PlanResponse> {
    const prior = isObj(req.prior) ? req.prior : null;
    const priorDecl = prior === null ? null : safeDecl(prior);
    if (!isObj(req.proposed)) {
      // Destroy: say what goes.
      const gone = dropped(priorDecl, null);
      const diagnostics: Diagnostic[] = gone.domains.length === 0 ? [] : [{
        severity: "warning",
        summary: `host ${priorDecl?.spec.host ?? "?"}: ${gone.domains.length} domain(s) will be shut down and removed`,
        detail: `${gone.domains.join(", ")}: graceful xl shutdown, then xl destroy after the timeout; config files and autostart links removed. Volumes are kept unless their retention is "delete".`,
      }];
      return { planned: null, diagnostics };
    }
    const proposed = req.proposed;
    const planned: Obj = { ...proposed, id: typeof proposed["host_id"] === "string" ? proposed["host_id"] : UNKNOWN };
    const requiresReplace: AttributePath[] = prior !== null && prior["host_id"] !== proposed["host_id"] ? [["host_id"]] : [];
    const declared = declaredPart(proposed);
    if (containsUnknown(declared)) {
      // Values known only at apply (a reference to another resource): nothing can be diffed yet.
      planned["domain"] = withUnknownComputed(proposed["domain"]);
      return { planned, requiresReplace };
    }
    let decl: HostDeclaration;
    let plan: Plan;
    try {
      decl = hostFromValue(declared);
    } catch (e) {
      return { planned, requiresReplace, diagnostics: [diagnosticOf(e, `planning host ${String(proposed["host_id"])} failed`)] };
    }
    const fleet = inFleet(decl, this.directory, decodePeers(req.priorPrivate));
    // The apply looks at the former peers too: they go with the plan.
    const priv = encodePeers(fleet.peers);
    let check: PeerCheck;
    try {
      const { live } = await this.sessions.read(decl.spec, decl.connection);
      check = await planWithPeers(this.sessions, fleet, live, false, this.directory.unknown);
      plan = check.plan;
    } catch (e) {
      if (prior !== null || e instanceof DiffInputError) {
        return { planned, requiresReplace, private: priv, diagnostics: [diagnosticOf(e, `planning host ${decl.spec.host} failed`)] };
      }
      // A host Terraform has not managed yet and cannot reach now (a pull request planned in CI
      // away from the dom0s, a host still being installed): plan the declaration, say so, and
      // leave the host's own refusals to the apply, which reads it first.
      planned["domain"] = withUnknownComputed(proposed["domain"]);
      return {
        planned,
        requiresReplace,
        private: priv,
        diagnostics: [{
          severity: "warning",
          summary: `host ${decl.spec.host} could not be read: this plan shows the declaration only`,
          detail: `${e instanceof Error ? e.message : String(e)}\nThe apply reads the host first and refuses, before changing anything, what cannot be done (a shrink, a missing bridge, a name taken).`,
        }],
      };
    }
    const priorDomains = new Map(entries(prior?.["domain"]));
    const plannedDomains = new Map<string, Obj>();
    const byDomain = new Map<string, Action[]>();
    for (const a of plan.actions) if ("domain" in a) byDomain.set(a.domain, [...(byDomain.get(a.domain) ?? []), a]);
    for (const [name, d] of entries(proposed["domain"])) {
      const actions = byDomain.get(name) ?? [];
      const moves = actions.some((a) => a.kind === "move-domain");
      const boots = moves || actions.some((a) => a.kind === "create-domain" || a.kind === "restart-domain");
      const vifsChange = actions.some((a) => a.kind === "network-attach" || a.kind === "network-detach");
      const priorD = priorDomains.get(name);
      const next: Obj = { ...d, pending_restart: pendingRestart(plan, name) };
      const known = priorD !== undefined && !boots;
      for (const k of ["domid", "uuid", "state"] as const) next[k] = known ? (priorD[k] ?? null) : UNKNOWN;
      next["mac_addresses"] = known && !vifsChange ? (priorD["mac_addresses"] ?? []) : UNKNOWN;
      next["ip_addresses"] = known && !vifsChange ? (priorD["ip_addresses"] ?? []) : UNKNOWN;
      // What the moved domain still waits for is known once it runs here.
      if (moves) next["pending_restart"] = UNKNOWN;
      plannedDomains.set(name, next);
    }
    planned["domain"] = Object.fromEntries(plannedDomains);
    const gone = dropped(priorDecl, fleet);
    const diagnostics: Diagnostic[] = [...refusals(plan), ...moveWarnings(check), ...bootWarnings(plan, priorDomains, plannedDomains)];
    for (const name of gone.domains) {
      diagnostics.push({
        severity: "warning",
        summary: `domain ${name} will be shut down and removed from host ${decl.spec.host}`,
        detail: "It is no longer declared: graceful xl shutdown, then xl destroy after the timeout; its config file and autostart link are removed. Its volumes are kept unless their retention is \"delete\".",
        attribute: domainPath(name),
      });
    }
    return { planned, requiresReplace, private: priv, diagnostics };
  }

  async apply(req: ApplyRequest): Promise<ApplyResponse> {
    const prior = isObj(req.prior) ? req.prior : null;
    const priorDecl = prior === null ? null : safeDecl(prior);
    const remembered = decodePeers(req.plannedPrivate);
    if (!isObj(req.planned)) {
      if (priorDecl === null) return { state: null };
      try {
        await this.removeDropped(priorDecl, null, inFleet(priorDecl, this.directory, remembered).peers);
        return { state: null };
      } catch (e) {
        return { state: req.prior, diagnostics: [diagnosticOf(e, `destroying host ${priorDecl.spec.host}'s domains failed`)] };
      }
    }
    const planned = req.planned;
    const decl = inFleet(hostFromValue(declaredPart(planned)), this.directory, remembered);
    const host = decl.spec.host;
    try {
      await this.sessions.exclusive(host, async () => {
        await this.removeDropped(priorDecl, decl, decl.peers);
        await this.moveArriving(decl);
        await this.sessions.apply(decl.spec, decl.connection, this.log);
        this.sessions.invalidate(host);
      });
    } catch (e) {
      this.sessions.invalidate(host);
      // A domain declared here that has not arrived will not arrive in this run: its old host stops waiting for it.
      for (const d of decl.spec.domains) if (!this.failedMoves.has(d.name)) this.failedMoves.set(d.name, `host ${host}'s apply failed`);
      if (e instanceof ApplyRefused) return { state: prior ?? null, diagnostics: e.diagnostics };
      // The host keeps what was applied; the next refresh reads it and the next apply continues.
      return { state: prior ?? null, diagnostics: [diagnosticOf(e, `applying host ${host} failed`)] };
    }
    let reading;
    try {
      reading = await this.sessions.read(decl.spec, decl.connection, true);
    } catch (e) {
      return { state: prior ?? null, diagnostics: [diagnosticOf(e, `reading host ${host} after the apply failed`)] };
    }
    const after = diffHost(decl.spec, reading.live);
    const domain: Obj = {};
    for (const [name, d] of entries(planned["domain"])) {
      const live = reading.live.domains.find((x) => x.name === name);
      const computed = computedOf(live, after, name, reading.addresses) as Obj;
      const next: Obj = { ...d };
      // Values the plan promised stay as promised (Terraform checks); unknown ones are read.
      for (const k of DOMAIN_COMPUTED) if (next[k] === UNKNOWN || next[k] === undefined) next[k] = computed[k] ?? null;
      domain[name] = next;
    }
    // Applied: the former peers hold nothing of this host's any more; the directory's are remembered.
    return { state: { ...planned, id: host, domain }, private: encodePeers(inFleet(decl, this.directory, []).peers) };
  }

  /**
   * `terraform import xen_host.NAME 'HOST_ID;USER@ADDRESS:PORT;HOST_KEY'` (HOST_KEY a pinned
   * `SHA256:…` fingerprint or a known_hosts path): adopts the host with nothing declared yet;
   * the next plan lists what the configuration declares, and its apply leaves whatever already
   * matches on the host untouched.
   */
  importHost(id: string): ImportResponse {
    const m = /^([^;]+);(?:([^@;]+)@)?([^;:@]+|\[[0-9A-Fa-f:.]+\])(?::(\d+))?;(.+)$/.exec(id);
    if (m === null) {
      return {
        resources: [],
        diagnostics: [{
          severity: "error",
          summary: `import id ${JSON.stringify(id)} is not HOST_ID;USER@ADDRESS:PORT;HOST_KEY`,
          detail: "e.g. terraform import xen_host.xen_a 'fleet/xen-a;root@10.0.0.11:22;SHA256:…' (the host key as ssh-keygen -lf prints it, or a known_hosts path)",
        }],
      };
    }
    const [, hostId, user, address, port, key] = m as unknown as [string, string, string | undefined, string, string | undefined, string];
    const pinned = key.startsWith("SHA256:");
    const state: Obj = {
      id: hostId,
      host_id: hostId,
      ssh: {
        address: address.replace(/^\[|\]$/g, ""),
        port: port === undefined ? 22 : Number(port),
        user: user ?? "root",
        private_key_path: null,
        passphrase_env: null,
        host_key: pinned ? key : null,
        known_hosts_file: pinned ? null : key,
      },
      migration: { address: null, port: null, identity_file: null },
      pool: {},
      volume: {},
      domain: {},
    };
    return { resources: [{ type: HOST_RESOURCE_TYPE, state }] };
  }

  /**
   * Before the host is reconciled: the declared domains it does not run are looked for on the
   * peers again (fresh reads), and each one a peer holds is moved here with reconcile/move.ts
   * (which takes both host locks and checks everything once more). Refused — nothing is
   * changed, and the reconcile does not run, so no second copy is ever booted — when a move is
   * refused, when a peer cannot be read (it may hold the domain), or when the backend cannot move.
   */
  private async moveArriving(decl: HostInFleet): Promise<void> {
    const host = decl.spec.host;
    const { live } = await this.sessions.read(decl.spec, decl.connection, true);
    const check = await planWithPeers(this.sessions, decl, live, true, this.directory.unknown);
    const problems: Diagnostic[] = refusals({ actions: check.refusals });
    for (const p of check.unreadable) {
      problems.push({
        severity: "error",
        summary: `host ${p.hostId} could not be read: ${check.arriving.join(", ")} not started on ${host}`,
        detail:
          `${p.message}\n${check.arriving.join(", ")} ${check.arriving.length === 1 ? "is" : "are"} declared on ${host} and not running there, and ${p.hostId} (another host of the program) may still run ${check.arriving.length === 1 ? "it" : "them"}: starting ${check.arriving.length === 1 ? "it" : "them"} here could boot a second copy of a guest. Nothing was changed on ${host}.\n` +
          `Fix: make ${p.hostId} reachable and apply again (a domain it holds is then moved); if ${p.hostId} is gone for good, remove its XenHost from the program.`,
      });
    }
    const peers = new Map(decl.peers.map((p) => [p.hostId, p]));
    if (check.moves.length > 0 && this.sessions.move === undefined) {
      problems.push({ severity: "error", summary: `host ${host}: this provider's backend cannot move domains`, detail: `${check.moves.map((m) => m.domain).join(", ")} run on another host; nothing was changed.` });
    }
    if (problems.length > 0) {
      for (const d of check.arriving) this.failedMoves.set(d, `host ${host} refused it: ${problems[0]!.summary}`);
      throw new ApplyRefused(problems);
    }
    for (const m of check.moves) {
      const peer = peers.get(m.old)!;
      this.log(`cdktf-xen: domain ${m.domain}: move ${m.old} → ${m.new} (${moveHow(m)})`);
      const outcome = await this.sessions
        .move!(m.domain, peerSide(peer), { spec: decl.spec, connection: decl.connection, migration: decl.migration }, this.log)
        .catch((e: unknown) => {
          this.failedMoves.set(m.domain, `the move to ${host} failed: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
          throw e;
        });
      this.log(`cdktf-xen: ${describeMove(m.domain, m.old, m.new, outcome)}`);
    }
  }

  /** Shuts down and removes dropped domains; deletes dropped volumes whose retention says so. */
  private async removeDropped(prior: HostDeclaration | null, next: HostInFleet | null, peers: readonly PeerDeclaration[]): Promise<void> {
    if (prior === null) return;
    const gone = dropped(prior, next);
    if (gone.domains.length === 0 && gone.volumes.length === 0) return;
    const connection = (next ?? prior).connection;
    for (const name of gone.domains) {
      const outcome = await this.sessions.destroyDomain(prior.spec.host, connection, name, this.log);
      this.log(`cdktf-xen: domain ${name} on ${prior.spec.host}: ${outcome}`);
    }
    for (const v of gone.volumes) {
      const pool = prior.spec.pools.find((p) => p.name === v.pool);
      if (pool === undefined) continue;
      const sharer = v.retention === "delete" ? sharingPeer(pool, peers) : undefined;
      if (sharer !== undefined) {
        this.log(`cdktf-xen: volume ${volumeKey(v)} on ${prior.spec.host}: kept: pool ${pool.name} is shared storage that ${sharer} declares too (a domain that moved there may use it); delete it by hand if nothing does`);
        continue;
      }
      if (v.retention === "delete" && next !== null) {
        // A cold move away copies from this volume: delete it only once the domain has left.
        const users = departingUsers(v, prior.spec.domains, next.domainsElsewhere);
        if (users.length > 0) {
          await awaitDeparture(prior.spec.host, volumeKey(v), users, {
            ...this.departure,
            log: this.log,
            abandoned: (d) => this.failedMoves.get(d),
            running: async () => (await this.sessions.read(next.spec, connection, true)).live.domains.map((d) => d.name),
          });
        }
      }
      const outcome = await this.sessions.destroyVolume(prior.spec.host, connection, pool, v, this.log);
      this.log(`cdktf-xen: volume ${volumeKey(v)} on ${prior.spec.host}: ${outcome}`);
    }
    this.sessions.invalidate(prior.spec.host);
  }
}

/** An apply refused before anything was changed, with its diagnostics. */
class ApplyRefused extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.summary).join("; "));
    this.name = "ApplyRefused";
  }
}

/** A warning per planned move: it is an in-place update of this host, carried out by its apply. */
function moveWarnings(check: PeerCheck): Diagnostic[] {
  const out: Diagnostic[] = check.moves.map((m) => ({
    severity: "warning",
    summary: `domain ${m.domain}: moves from ${m.old} to ${m.new} (${moveHow(m)})`,
    detail: `${m.reason} The apply of ${m.new} carries it out (xl migrate for a live move), after checking both hosts again; ${m.old} never removes it.`,
    attribute: domainPath(m.domain),
  }));
  for (const p of check.unreadable) {
    out.push({
      severity: "warning",
      summary: `host ${p.hostId} could not be read: whether it still runs ${check.arriving.join(", ")} is unknown`,
      detail: `${p.message}\nThe apply reads it again, and refuses to start ${check.arriving.join(", ")} here while it cannot tell (a domain that runs there is moved, never booted a second time).`,
    });
  }
  return out;
}

function safeDecl(v: Obj): HostDeclaration | null {
  try {
    return hostFromValue(declaredPart(v));
  } catch {
    return null;
  }
}
