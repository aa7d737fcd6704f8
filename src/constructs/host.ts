import { Construct, type IConstruct } from "constructs";
import { HOST_ADDRESS_SYNTAX, hostAddressIssue, showValue } from "../model/address.js";
import { hostSpecHash } from "../model/hash.js";
import { envNameProblem, identityFileProblem, loginNameProblem, pathProblem } from "../model/names.js";
import type { Size } from "../model/size.js";
import { MAX_JUMP_HOSTS, SPEC_VERSION, type DomainSpec, type HostConnection, type JumpHostConnection, type HostMigration, type HostSpec, type PoolSpec, type VolumeSpec } from "../model/spec.js";
import { formatSpecIssue, specKey, validateDomainSpec, validateHostSpec, type HostFacts, type SpecIssue } from "../model/validate.js";
import { ProblemLog, Suppressions, reportTokens } from "./analysis.js";
import type { XenDomain } from "./domain.js";
import { XenConstructError, problem } from "./errors.js";
import {
  LIFECYCLE_RESOURCE_CONTEXT_KEY,
  LifecycleResource,
  LifecycleResourceHandle,
  ProvisionerCommand,
  type HostManagedRecord,
  ResourceKind,
} from "./resources.js";
import type { XenStoragePool } from "./storage-pool.js";
import { XenHostResource, ensureXenProvider } from "./provider-resources.js";
import type { DirectoryEntry } from "../provider/xen/convert.js";
import { TerraformStack } from "../cdktf.js";
import type { IXenVolume, XenVolume } from "./volume.js";

/**
 * How to reach a Xen host's dom0 over SSH, what is known about the host, and which resource
 * type carries its lifecycle.
 *
 * Secrets never go into the props: the private key is given by path (or the SSH agent is
 * used), its passphrase by the NAME of an environment variable. Synthesized JSON and Terraform
 * state hold only those names and paths.
 */
export interface XenHostProps {
  /** Address of dom0: a DNS name or an IP address. */
  readonly address: string;
  /**
   * SSH port of dom0.
   * @default 22
   */
  readonly port?: number;
  /**
   * SSH user on dom0; it must be allowed to run `xl` and the LVM tools.
   * @default "root"
   */
  readonly user?: string;
  /**
   * Path of the private key file on the machine that runs `cdktf deploy` (never the key
   * itself). `~/` means the home directory of the user running the CLI; a relative path is
   * resolved at run time against the stack directory (`cdktf.out/stacks/NAME`, where
   * Terraform runs the provisioners), so prefer an absolute or `~/` path.
   * When `SSH_AUTH_SOCK` is set, the agent's keys are offered too, after this key (as OpenSSH
   * does), unless `useAgent: false`.
   * @default - no key file: with `sshConfig`, the config's IdentityFile, else the first of
   *   `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa` that exists; and the SSH agent (`SSH_AUTH_SOCK`)
   */
  readonly privateKeyPath?: string;
  /**
   * Offer the SSH agent's keys. `false` with `privateKeyPath` offers that key only; `true` (or
   * unset) without it is spelled out for readers of the program.
   * @default - true: the agent is tried whenever `SSH_AUTH_SOCK` is set
   */
  readonly useAgent?: boolean;
  /**
   * Read the operator's OpenSSH client config for this host when cdktf-xen connects (on the
   * machine running `cdktf deploy`, not at synth): `true` reads `~/.ssh/config`, a string names
   * another file. `address` is then looked up as ssh does (`Host` aliases, first match wins)
   * and the file's HostName, Port, User, IdentityFile, UserKnownHostsFile, HostKeyAlias,
   * IdentitiesOnly, IdentityAgent and ProxyJump apply — below what the program sets here,
   * which always wins. Without hostKey and knownHostsFile the host key is checked against the
   * file's UserKnownHostsFile or `~/.ssh/known_hosts`. Directives cdktf-xen cannot honour and
   * that change where the connection goes (ProxyCommand, Match exec, …) are refused, naming
   * the host and the directive. Only the file's path is recorded in the stack.
   * @default false - the config file is not read, and nothing under `~/.ssh` is used unless named
   */
  readonly sshConfig?: boolean | string;
  /**
   * Bastions to reach dom0 through, outermost first: the first is dialled directly, each next
   * one through the one before (an SSH channel, as `ssh -J`), dom0 through the last. Every
   * bastion's host key is checked as dom0's is; the hosts of one run behind the same bastion
   * share one connection to it. Given here, they replace the config file's ProxyJump.
   * @default - none: dom0 is dialled directly, or through the config file's ProxyJump with `sshConfig`
   */
  readonly jumpHosts?: readonly XenJumpHostProps[];
  /**
   * NAME of the environment variable that holds the private key's passphrase (e.g.
   * `XEN_KEY_PASSPHRASE`), read by the CLI when it runs. Never the passphrase itself.
   * @default - the key has no passphrase
   */
  readonly passphraseEnv?: string;
  /**
   * Pinned host key fingerprint as `ssh-keygen -lf` prints it: `SHA256:` and 43 base64
   * characters. Give exactly one of hostKey and knownHostsFile.
   * @default - none: knownHostsFile must be given
   */
  readonly hostKey?: string;
  /**
   * known_hosts file to check the host key against (path on the machine running the CLI).
   * Give exactly one of hostKey and knownHostsFile.
   * @default - none: hostKey must be given
   */
  readonly knownHostsFile?: string;
  /**
   * pCPUs of the host (`xl info` nr_cpus), to check pins at synth time.
   * @default - unknown: pins are checked against the host only when cdktf-xen connects
   */
  readonly cpus?: number;
  /**
   * Total memory of the host (`xl info` total_memory), to check at synth time that the
   * domains' memory fits.
   * @default - unknown: memory is checked only when cdktf-xen connects
   */
  readonly memory?: Size;
  /**
   * Memory dom0 keeps for itself (Xen's `dom0_mem`), subtracted from `memory` in that check.
   * @default - none is set aside
   */
  readonly dom0Memory?: Size;
  /**
   * Reconcile the host at every `cdktf deploy`, not only when its declaration changes.
   *
   * Terraform runs provisioners only when something it tracks changes, so by default drift
   * made behind its back (an `xl mem-set` by hand, a rebuilt host) is seen and corrected by
   * `cdktf-xen plan|apply cdktf.out/stacks/NAME`. With this on, the host's reconcile resource
   * is replaced at every apply (its trigger holds Terraform's `plantimestamp()`), so every
   * deploy reads the host and corrects drift — at the price of one "1 to add, 1 to destroy"
   * per host in every plan.
   *
   * Not needed, and ignored, with the native provider (`LifecycleResource.PROVIDER`): its
   * refresh reads every host at every plan, so drift shows in `cdktf diff` and an in-sync host
   * plans empty.
   * @default false
   */
  readonly reconcileEveryDeploy?: boolean;
  /**
   * Resource type carrying the lifecycle of this host and of its domains and volumes.
   * @default - the context value `cdktf-xen:lifecycleResource`, else `terraform_data`
   */
  readonly lifecycleResource?: LifecycleResource;
  /**
   * How domains migrate to and from this host. `xl migrate` runs on the source dom0 and opens
   * SSH to the target dom0 (`xl migrate-receive`); that hop checks the target's host key
   * against the key pinned here (never trust on first use).
   * @default - other hosts reach this one at its SSH address; as a source it forwards the
   *   operator's SSH agent for the duration of the migration (no key is copied to any host)
   */
  readonly migration?: XenHostMigrationProps;
}

/**
 * One bastion on the way to dom0 ({@link XenHostProps.jumpHosts}). As for the host itself, keys
 * are given by path or taken from the SSH agent, never inline.
 */
export interface XenJumpHostProps {
  /** Address of the bastion: a DNS name or an IP address (with `sshConfig`, also a Host alias). */
  readonly address: string;
  /**
   * sshd port of the bastion.
   * @default - with `sshConfig`, the config file's Port; else 22
   */
  readonly port?: number;
  /**
   * Login user on the bastion.
   * @default - with `sshConfig`, the config file's User; else the local user running the CLI (as OpenSSH)
   */
  readonly user?: string;
  /**
   * Private key file for the bastion (a path on the machine running the CLI). The SSH agent is
   * offered too when `SSH_AUTH_SOCK` is set.
   * @default - with `sshConfig`, the config's IdentityFile or the default identity files; and the SSH agent
   */
  readonly privateKeyPath?: string;
  /**
   * NAME of the environment variable holding that key's passphrase.
   * @default - the key has no passphrase
   */
  readonly passphraseEnv?: string;
  /**
   * Pinned host key fingerprint of the bastion (`SHA256:…`). Give at most one of hostKey and
   * knownHostsFile; without `sshConfig`, exactly one.
   * @default - none: knownHostsFile, or with `sshConfig` the config's UserKnownHostsFile or ~/.ssh/known_hosts
   */
  readonly hostKey?: string;
  /**
   * known_hosts file to check the bastion's key against.
   * @default - none: hostKey, or with `sshConfig` the config's UserKnownHostsFile or ~/.ssh/known_hosts
   */
  readonly knownHostsFile?: string;
}

/** See {@link XenHostProps.migration}. */
export interface XenHostMigrationProps {
  /**
   * Address the other dom0s use to reach this host's sshd for incoming migrations, e.g. on a
   * dedicated migration network.
   * @default - the SSH address (`address`)
   */
  readonly address?: string;
  /**
   * sshd port at the migration address.
   * @default - 22 when `address` is set, else the SSH port (`port`)
   */
  readonly port?: number;
  /**
   * A private key file on THIS host's dom0 that it uses to log in to the target when a domain
   * migrates away from it. Only a path is recorded; the key stays on the host.
   * @default - the operator's SSH agent is forwarded to this dom0 while the migration runs
   */
  readonly identityFile?: string;
}

/** `SHA256:` and 43 characters of unpadded base64: what `ssh-keygen -lf` prints. */
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/**
 * The stack's host directory for its `xen` provider: every XenHost of the stack (its
 * connection, migration settings, pools as its own `xen_host` declares them — a peer read
 * then shares that host's cached reading — and the names of its domains), sorted by host id.
 */
function directoryOf(stack: TerraformStack): DirectoryEntry[] {
  return stack.node
    .findAll()
    .filter((c): c is XenHost => XenHost.isXenHost(c))
    .map((c) => ({ hostId: c.hostId, connection: c.connection, migration: c.migration, pools: c.toSpec().pools, domains: c.domains.map((d) => d.name).sort() }))
    .sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0));
}

/**
 * A Xen host (its dom0, running the `xl` toolstack) and the resource that reconciles it.
 *
 * Everything declared for the host — its storage pools, volumes and domains — forms one
 * {@link HostSpec}; the host's reconcile resource is replaced whenever that spec's hash
 * changes, and its provisioner (`cdktf-xen apply-host`) brings the host to the spec in one
 * SSH session. Changing how the host is reached (address, port, user, key) updates the
 * resources in place and recreates nothing.
 */
export class XenHost extends Construct {
  /** Whether `x` is a XenHost. */
  static isXenHost(x: unknown): x is XenHost {
    return x !== null && typeof x === "object" && XEN_HOST in x;
  }

  /** The host's stable identity: this construct's path. It is not the address, which may change. */
  readonly hostId: string;
  /** How the CLI reaches dom0 (no secrets: paths and names only). */
  readonly connection: HostConnection;
  /** The resource type of this host's lifecycle resources. */
  readonly lifecycleResource: LifecycleResource;
  /** How domains migrate to and from this host. */
  readonly migration: HostMigration;

  private readonly props: XenHostProps;
  private readonly reconcile: LifecycleResourceHandle;
  private readonly poolList: XenStoragePool[] = [];
  private readonly volumeList: IXenVolume[] = [];
  private readonly domainList: XenDomain[] = [];
  private generation = 0;
  private cached: { readonly generation: number; readonly analysis: HostAnalysis } | undefined;

  constructor(scope: Construct, id: string, props: XenHostProps) {
    super(scope, id);
    Object.defineProperty(this, XEN_HOST, { value: true });
    this.props = props;
    this.hostId = this.node.path;
    this.connection = {
      address: props.address,
      port: props.port ?? 22,
      user: props.user ?? "root",
      privateKeyPath: props.privateKeyPath ?? null,
      passphraseEnv: props.passphraseEnv ?? null,
      hostKey: props.hostKey ?? null,
      knownHostsFile: props.knownHostsFile ?? null,
      ...connectionOptions(props),
    };
    this.migration = {
      address: props.migration?.address ?? null,
      port: props.migration?.port ?? null,
      identityFile: props.migration?.identityFile ?? null,
    };
    const fromContext: unknown = this.node.tryGetContext(LIFECYCLE_RESOURCE_CONTEXT_KEY);
    const chosen = props.lifecycleResource ?? fromContext ?? LifecycleResource.TERRAFORM_DATA;
    if (chosen !== LifecycleResource.TERRAFORM_DATA && chosen !== LifecycleResource.NULL_RESOURCE && chosen !== LifecycleResource.PROVIDER) {
      throw new XenConstructError(this.node.path, {
        what: `lifecycle resource ${JSON.stringify(chosen)} is not one cdktf-xen can use`,
        fix: `set XenHostProps.lifecycleResource (or the context key ${LIFECYCLE_RESOURCE_CONTEXT_KEY}) to "xen_host" (the native provider), "terraform_data" or "null_resource"`,
      });
    }
    this.lifecycleResource = chosen;

    this.reconcile = new LifecycleResourceHandle(this, "reconcile", {
      type: this.lifecycleResource,
      generation: () => this.generation,
      replace: () => ({ cdktf_xen: ResourceKind.HOST, host: this.hostId, spec_hash: this.specHash() }),
      ...(props.reconcileEveryDeploy === true
        ? { replaceExpressions: () => ({ deployed_at: "${plantimestamp()}" }) }
        : {}),
      input: () => ({ cdktf_xen: ResourceKind.HOST, host: this.hostId, connection: this.connection, migration: this.migration, managed: this.managedRecord() }),
      nullIgnoreChanges: ["connection", "migration"],
      provisioner: [
        // Destroy first in a replacement: removes what the new declaration dropped, then
        // apply-host (create) makes the host match the new declaration.
        { command: ProvisionerCommand.PRUNE_HOST, when: "destroy" },
        { command: ProvisionerCommand.APPLY_HOST, when: "create", expectHash: true },
      ],
    });

    if (this.lifecycleResource === LifecycleResource.PROVIDER) {
      const stack = TerraformStack.of(this);
      ensureXenProvider(this).useDirectory(() => directoryOf(stack));
      this.resource = new XenHostResource(this, "host", () => ({ spec: this.toSpec(), connection: this.connection, migration: this.migration }));
    }

    this.node.addValidation({ validate: () => [...this.analysis().problems.for(this)] });
  }

  /** The host's `xen_host` resource with the native provider (`LifecycleResource.PROVIDER`), else undefined. */
  readonly resource: XenHostResource | undefined;

  /** The storage pools declared on this host, in declaration order. */
  get pools(): readonly XenStoragePool[] {
    return this.poolList;
  }

  /** The volumes declared in this host's pools (managed and existing), in declaration order. */
  get volumes(): readonly IXenVolume[] {
    return this.volumeList;
  }

  /** The domains declared on this host, in declaration order. */
  get domains(): readonly XenDomain[] {
    return this.domainList;
  }

  /**
   * What is known about the host for synth-time checks, from `cpus`, `memory`, `dom0Memory`.
   * A size that is not a whole number of MiB is left out (and reported by validation).
   */
  get facts(): HostFacts {
    const memoryMiB = wholeMiB(this.props.memory);
    const dom0MemoryMiB = wholeMiB(this.props.dom0Memory);
    return {
      ...(this.props.cpus === undefined ? {} : { cpus: this.props.cpus }),
      ...(memoryMiB === undefined ? {} : { memoryMiB }),
      ...(dom0MemoryMiB === undefined ? {} : { dom0MemoryMiB }),
    };
  }

  /**
   * The host's canonical desired state: pools (those holding managed volumes) sorted by
   * name, volumes by pool then name, domains by name; every default applied.
   * @throws XenConstructError when a declared value cannot be represented (a size that is not
   *   a whole number of MiB, a CPU list that does not parse, …); `cdktf synth` reports these.
   */
  toSpec(): HostSpec {
    const a = this.analysis();
    if (a.problems.hasFatal) {
      throw new XenConstructError(this.node.path, {
        what: `the desired state of host ${this.hostId} cannot be built:\n  ${a.problems.fatal.join("\n  ")}`,
        fix: "fix the values above (cdktf synth lists every problem)",
      });
    }
    return a.spec;
  }

  /** What the reconcile resource records for `prune-host`; derived from {@link toSpec}. */
  private managedRecord(): HostManagedRecord {
    const spec = this.toSpec();
    const pools = new Map(spec.pools.map((p) => [p.name, p]));
    return {
      domains: spec.domains.map((d) => d.name),
      deleteVolumes: spec.volumes.flatMap((volume) => {
        const pool = pools.get(volume.pool);
        return volume.retention === "delete" && pool !== undefined ? [{ pool, volume }] : [];
      }),
    };
  }

  /** `hostSpecHash(toSpec())`: the trigger of the host's reconcile resource. */
  specHash(): string {
    const a = this.analysis();
    if (a.hash === undefined) {
      a.hash = hostSpecHash(this.toSpec());
    }
    return a.hash;
  }

  /** @internal Called by XenStoragePool. */
  _registerPool(pool: XenStoragePool): void {
    this.poolList.push(pool);
    this._changed();
  }

  /** @internal Called by XenVolume; orders the reconcile after the volume's resource. */
  _registerVolume(volume: IXenVolume, handle: LifecycleResourceHandle | undefined): void {
    this.volumeList.push(volume);
    if (handle !== undefined) this.reconcile.dependOn(handle);
    this._changed();
  }

  /** @internal Called by XenDomain; orders the reconcile after the domain's resources. */
  _registerDomain(domain: XenDomain, handles: readonly LifecycleResourceHandle[]): void {
    this.domainList.push(domain);
    for (const h of handles) this.reconcile.dependOn(h);
    this._changed();
  }

  /** @internal Bumped by every change of what is declared on this host; caches key on it. */
  get _generation(): number {
    return this.generation;
  }

  /** @internal Something declared on this host changed: the cached spec and problems are stale. */
  _changed(): void {
    this.generation++;
  }

  /** @internal The problems validation reports on `construct` (a pool, volume, domain or pin of this host). */
  _problemsFor(construct: IConstruct): readonly string[] {
    return this.analysis().problems.for(construct);
  }

  /** The spec and every problem, computed once per change of what is declared. */
  private analysis(): HostAnalysis {
    if (this.cached?.generation !== this.generation) {
      this.cached = { generation: this.generation, analysis: this.analyze() };
    }
    return this.cached.analysis;
  }

  private analyze(): HostAnalysis {
    const log = new ProblemLog();
    this.checkConnection(log);
    const facts = this.facts;

    const pools = new Map<XenStoragePool, PoolSpec>();
    const poolSuppressions = new Map<XenStoragePool, Suppressions>();
    for (const pool of this.poolList) {
      const s = new Suppressions();
      pools.set(pool, pool._build(log, s));
      poolSuppressions.set(pool, s);
    }

    const volumeSpecs: { readonly volume: XenVolume; readonly spec: VolumeSpec; readonly s: Suppressions }[] = [];
    const usedPools = new Set<XenStoragePool>();
    for (const v of this.volumeList) {
      if (!v.managed) {
        v._check(log);
        continue;
      }
      const volume = v as XenVolume;
      const s = new Suppressions();
      volumeSpecs.push({ volume, spec: volume._build(log, s), s });
      usedPools.add(volume.pool);
    }

    const domainSpecs: DomainEntry[] = [];
    for (const domain of this.domainList) {
      const s = new Suppressions();
      const built = domain._build(log, s);
      domainSpecs.push({ domain, spec: built.spec, s, pinOwner: built.pinOwner });
    }

    const poolEntries = [...usedPools].map((p) => ({ pool: p, spec: pools.get(p) as PoolSpec }));
    poolEntries.sort((a, b) => compare(a.spec.name, b.spec.name));
    volumeSpecs.sort((a, b) => compare(a.spec.pool, b.spec.pool) || compare(a.spec.name, b.spec.name));
    domainSpecs.sort((a, b) => compare(a.spec.name, b.spec.name));

    const spec: HostSpec = {
      version: SPEC_VERSION,
      host: this.hostId,
      pools: poolEntries.map((e) => e.spec),
      volumes: volumeSpecs.map((e) => e.spec),
      domains: domainSpecs.map((e) => e.spec),
    };

    // Each domain's own issues go to the domain (or the pin that made the vCPU's entry);
    // validateHostSpec repeats them among the issues between domains, so those are counted
    // out and the rest routed by the name or pool/name in their path.
    const perDomain = new Map<string, number>();
    for (const e of domainSpecs) {
      for (const issue of validateDomainSpec(e.spec, facts)) {
        const key = issueKey(issue);
        perDomain.set(key, (perDomain.get(key) ?? 0) + 1);
        routeDomainIssue(log, e, issue);
      }
    }

    const domainsByName = groupBy(domainSpecs, (e) => specKey(e.spec.name));
    const volumesByRef = groupBy(volumeSpecs, (e) => specKey(`${e.spec.pool}/${e.spec.name}`));
    const poolsByName = groupBy(
      this.poolList.map((pool) => ({ pool, spec: pools.get(pool) as PoolSpec, s: poolSuppressions.get(pool) as Suppressions })),
      (e) => specKey(e.spec.name),
    );
    // Pools without managed volumes are not in the spec; check them too, so that a typo in
    // an unused pool's volume group is still reported.
    const unusedPools = this.poolList.filter((p) => !usedPools.has(p)).map((p) => pools.get(p) as PoolSpec);
    const issues = validateHostSpec({ ...spec, pools: [...spec.pools, ...unusedPools] }, facts);
    for (const issue of issues) {
      const key = issueKey(issue);
      const seen = perDomain.get(key) ?? 0;
      if (seen > 0) {
        perDomain.set(key, seen - 1);
        continue;
      }
      const routed =
        routeByKey(issue, "domains", domainsByName, (e, rel) => {
          if (!e.s.covers(rel)) routeDomainIssue(log, e, issue, rel);
        }) ||
        routeByKey(issue, "volumes", volumesByRef, (e, rel) => {
          if (!e.s.covers(rel)) log.add(e.volume, formatSpecIssue(issue));
        }) ||
        routeByKey(issue, "pools", poolsByName, (e, rel) => {
          if (!e.s.covers(rel)) log.add(e.pool, formatSpecIssue(issue));
        });
      if (!routed) log.add(this, formatSpecIssue(issue));
    }

    return { spec, problems: log, hash: undefined };
  }

  private checkConnection(log: ProblemLog): void {
    const p = this.props;
    const c = this.connection;
    if (reportTokens(log, this, c, "connection")) return;
    const addressIssue = hostAddressIssue(c.address);
    if (addressIssue !== undefined) {
      log.add(
        this,
        problem({
          what: `address ${showValue(c.address)} is not a host name or IP address`,
          why: addressIssue,
          fix: `give dom0's DNS name or IP address, e.g. address: "10.0.0.11" (${HOST_ADDRESS_SYNTAX.replace(/^give /, "")})`,
        }),
      );
    }
    if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535) {
      log.add(this, problem({ what: `port ${String(c.port)} is not a TCP port`, fix: "give a whole number from 1 to 65535 (SSH listens on 22)" }));
    }
    const userProblem = loginNameProblem(c.user);
    if (userProblem !== undefined) log.add(this, userProblem);
    const key = p.privateKeyPath;
    if (key !== undefined) {
      const keyIssue = keyPathIssue("privateKeyPath", key);
      if (keyIssue !== undefined) log.add(this, problem(keyIssue));
      if (p.useAgent === true) {
        log.add(
          this,
          problem({
            what: "both privateKeyPath and useAgent: true are given",
            fix: "choose one: keep privateKeyPath to log in with that key file, or remove it to use the SSH agent",
          }),
        );
      }
    } else if (p.useAgent === false) {
      log.add(
        this,
        problem({
          what: "useAgent is false but no privateKeyPath is given, so there is no way to log in",
          fix: "give privateKeyPath, or remove useAgent: false to use the SSH agent",
        }),
      );
    }
    if (p.passphraseEnv !== undefined) {
      if (envNameProblem(p.passphraseEnv) !== undefined) {
        log.add(
          this,
          problem({
            what: `passphraseEnv ${p.passphraseEnv.length > 64 || /\s/.test(p.passphraseEnv) ? "(value not shown)" : JSON.stringify(p.passphraseEnv)} is not the name of an environment variable`,
            why: "it is written to cdk.tf.json and the Terraform state in plain text, so it must never be the passphrase itself",
            fix: 'give the NAME of the variable holding the passphrase, e.g. passphraseEnv: "XEN_KEY_PASSPHRASE"',
          }),
        );
      }
      if (key === undefined) {
        log.add(
          this,
          problem({
            what: "passphraseEnv is given without privateKeyPath",
            why: "the SSH agent holds keys already unlocked",
            fix: "remove passphraseEnv, or give the privateKeyPath it unlocks",
          }),
        );
      }
    }
    const configFile = sshConfigFile(p.sshConfig);
    if (configFile !== null) {
      const configProblem = typeof p.sshConfig === "string" ? pathProblem(p.sshConfig, false) : undefined;
      if (configProblem !== undefined) {
        log.add(this, problem({ what: `sshConfig ${showValue(p.sshConfig)} ${configProblem}`, fix: 'give the path of an OpenSSH client config file, e.g. "~/.ssh/config", or true for that one' }));
      }
    }
    for (const jumpProblem of jumpHostProblems(p)) log.add(this, problem(jumpProblem));
    // With the config file, neither is fine: its UserKnownHostsFile or ~/.ssh/known_hosts is used.
    const keyFromConfig = configFile !== null && p.hostKey === undefined && p.knownHostsFile === undefined;
    if (!keyFromConfig && (p.hostKey === undefined) === (p.knownHostsFile === undefined)) {
      log.add(
        this,
        problem({
          what: p.hostKey === undefined ? "neither hostKey nor knownHostsFile is given" : "both hostKey and knownHostsFile are given",
          why: "cdktf-xen refuses to talk to a host whose key it cannot check, and one source of truth avoids a silent mismatch",
          fix: 'give exactly one: hostKey: "SHA256:…" (run `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on dom0) or knownHostsFile: "~/.ssh/known_hosts" (or, for neither, sshConfig: true to check it against the UserKnownHostsFile of the ssh config or ~/.ssh/known_hosts)',
        }),
      );
    }
    if (p.hostKey !== undefined && !FINGERPRINT.test(p.hostKey)) {
      log.add(
        this,
        problem({
          what: `hostKey ${JSON.stringify(p.hostKey)} is not a SHA256 fingerprint`,
          fix: 'give it as `ssh-keygen -lf` prints it: "SHA256:" and 43 base64 characters, e.g. from `ssh-keyscan HOST | ssh-keygen -lf -`',
        }),
      );
    }
    if (p.knownHostsFile !== undefined && p.knownHostsFile.trim() === "") {
      log.add(this, problem({ what: "knownHostsFile is empty", fix: 'give the path of a known_hosts file, e.g. "~/.ssh/known_hosts"' }));
    } else if (p.knownHostsFile !== undefined) {
      const knownHostsProblem = pathProblem(p.knownHostsFile, false);
      if (knownHostsProblem !== undefined) {
        log.add(this, problem({ what: `knownHostsFile ${showValue(p.knownHostsFile)} ${knownHostsProblem}`, fix: 'give the path of a known_hosts file without control characters, e.g. "~/.ssh/known_hosts"' }));
      }
    }
    const m = p.migration;
    const migrationIssue = m?.address === undefined ? undefined : hostAddressIssue(m.address);
    if (migrationIssue !== undefined) {
      log.add(
        this,
        problem({
          what: `migration.address ${showValue(m?.address)} is not a host name or IP address`,
          why: `${migrationIssue}; xl migrate pastes it unquoted into a shell command on the source dom0`,
          fix: `give the address other dom0s reach this one at, e.g. "10.0.9.12" (${HOST_ADDRESS_SYNTAX.replace(/^give /, "")}), or remove it to use the SSH address`,
        }),
      );
    }
    if (m?.port !== undefined && (!Number.isInteger(m.port) || m.port < 1 || m.port > 65535)) {
      log.add(this, problem({ what: `migration.port ${String(m.port)} is not a TCP port`, fix: "give a whole number from 1 to 65535, or remove it (22 with a migration address, else the SSH port)" }));
    }
    if (m?.identityFile !== undefined && identityFileProblem(m.identityFile) !== undefined) {
      log.add(
        this,
        problem({
          what: `migration.identityFile ${m.identityFile.length > 80 ? "(value not shown)" : JSON.stringify(m.identityFile)} is not an absolute path free of whitespace, quotes and control characters`,
          why: "it names a key file on this host's dom0; the key itself must never be written into the program",
          fix: 'give the path of the key on dom0, e.g. "/root/.ssh/id_migration", or remove it to forward your SSH agent',
        }),
      );
    }
    if (p.cpus !== undefined && (!Number.isInteger(p.cpus) || p.cpus < 1)) {
      log.add(this, problem({ what: `cpus ${String(p.cpus)} is not a pCPU count`, fix: "give `xl info` nr_cpus, a whole number of at least 1" }));
    }
    sizeFact(log, this, "memory", p.memory);
    sizeFact(log, this, "dom0Memory", p.dom0Memory);
    const f = this.facts;
    if (f.memoryMiB !== undefined && f.dom0MemoryMiB !== undefined && f.dom0MemoryMiB >= f.memoryMiB) {
      log.add(
        this,
        problem({
          what: `dom0Memory (${String(f.dom0MemoryMiB)} MiB) is not below the host's memory (${String(f.memoryMiB)} MiB)`,
          fix: "give the host's total memory as memory and dom0's share (dom0_mem) as dom0Memory",
        }),
      );
    }
  }
}

const XEN_HOST = Symbol.for("cdktf-xen.XenHost");

/** The ssh config file `sshConfig` names, or null. */
function sshConfigFile(value: boolean | string | undefined): string | null {
  if (value === undefined || value === false) return null;
  return value === true ? "~/.ssh/config" : value;
}

/**
 * The optional parts of a host's connection, present only when used: a stack that uses none of
 * them synthesizes the connection it always did.
 */
function connectionOptions(p: XenHostProps): Pick<HostConnection, "useAgent" | "sshConfig" | "jumpHosts"> {
  const file = sshConfigFile(p.sshConfig);
  const explicit: ("port" | "user")[] = [];
  if (p.port !== undefined) explicit.push("port");
  if (p.user !== undefined) explicit.push("user");
  return {
    ...(p.useAgent === false ? { useAgent: false as const } : {}),
    ...(file === null ? {} : { sshConfig: { file, explicit } }),
    ...(p.jumpHosts === undefined || p.jumpHosts.length === 0
      ? {}
      : {
          jumpHosts: p.jumpHosts.map(
            (j): JumpHostConnection => ({
              address: j.address,
              port: j.port ?? null,
              user: j.user ?? null,
              privateKeyPath: j.privateKeyPath ?? null,
              passphraseEnv: j.passphraseEnv ?? null,
              hostKey: j.hostKey ?? null,
              knownHostsFile: j.knownHostsFile ?? null,
            }),
          ),
        }),
  };
}

/** Key material where a path belongs, an empty path, control characters: the problem, or undefined. */
function keyPathIssue(field: string, key: string): { what: string; why?: string; fix: string } | undefined {
  if (/-----BEGIN|PRIVATE KEY|\n/.test(key)) {
    return {
      what: `${field} holds key material, not a path`,
      why: "whatever is given here is written to cdk.tf.json and the Terraform state in plain text",
      fix: `pass a path: ${field}: "~/.ssh/id_ed25519", or leave it out to use the SSH agent — and treat this key as leaked if it was ever synthesized or committed`,
    };
  }
  if (key.trim() === "") return { what: `${field} is empty`, fix: "give the key file's path, or leave it out to use the SSH agent" };
  const keyPathProblem = pathProblem(key, false);
  return keyPathProblem === undefined ? undefined : { what: `${field} ${showValue(key)} ${keyPathProblem}`, fix: "give the key file's path without control characters" };
}

/** Every problem of `jumpHosts`, each naming the bastion's index and field, with a fix. */
function jumpHostProblems(p: XenHostProps): { what: string; why?: string; fix: string }[] {
  const jumps = p.jumpHosts ?? [];
  const out: { what: string; why?: string; fix: string }[] = [];
  const withConfig = sshConfigFile(p.sshConfig) !== null;
  if (jumps.length > MAX_JUMP_HOSTS) {
    out.push({ what: `${jumps.length} jumpHosts are given, more than ${MAX_JUMP_HOSTS}`, fix: `reach dom0 through at most ${MAX_JUMP_HOSTS} bastions` });
  }
  jumps.forEach((j, i) => {
    const f = `jumpHosts[${i}]`;
    const addressIssue = hostAddressIssue(j.address);
    if (addressIssue !== undefined) {
      out.push({
        what: `${f}.address ${showValue(j.address)} is not a host name or IP address`,
        why: addressIssue,
        fix: `give the bastion's DNS name or IP address, e.g. address: "bastion.example.org" (${HOST_ADDRESS_SYNTAX.replace(/^give /, "")})`,
      });
    }
    if (j.port !== undefined && (!Number.isInteger(j.port) || j.port < 1 || j.port > 65535)) {
      out.push({ what: `${f}.port ${String(j.port)} is not a TCP port`, fix: "give a whole number from 1 to 65535 (SSH listens on 22), or leave it out" });
    }
    if (j.user !== undefined) {
      const userProblem = loginNameProblem(j.user);
      if (userProblem !== undefined) out.push({ what: `${f}.${userProblem.slice(0, userProblem.indexOf(": "))}`, fix: "give the bastion account to log in as, e.g. \"jump\", or leave it out" });
    }
    if (j.privateKeyPath !== undefined) {
      const issue = keyPathIssue(`${f}.privateKeyPath`, j.privateKeyPath);
      if (issue !== undefined) out.push(issue);
    }
    if (j.passphraseEnv !== undefined) {
      if (envNameProblem(j.passphraseEnv) !== undefined) {
        out.push({
          what: `${f}.passphraseEnv ${j.passphraseEnv.length > 64 || /\s/.test(j.passphraseEnv) ? "(value not shown)" : JSON.stringify(j.passphraseEnv)} is not the name of an environment variable`,
          why: "it is written to cdk.tf.json and the Terraform state in plain text, so it must never be the passphrase itself",
          fix: 'give the NAME of the variable holding the passphrase, e.g. passphraseEnv: "BASTION_KEY_PASSPHRASE"',
        });
      }
      if (j.privateKeyPath === undefined) out.push({ what: `${f}.passphraseEnv is given without ${f}.privateKeyPath`, fix: "remove passphraseEnv, or give the privateKeyPath it unlocks" });
    }
    if (j.hostKey !== undefined && j.knownHostsFile !== undefined) {
      out.push({ what: `${f}: both hostKey and knownHostsFile are given`, fix: "give one: one source of truth for the bastion's key avoids a silent mismatch" });
    } else if (j.hostKey === undefined && j.knownHostsFile === undefined && !withConfig) {
      out.push({
        what: `${f}: neither hostKey nor knownHostsFile is given`,
        why: "cdktf-xen refuses to talk to a bastion whose key it cannot check",
        fix: 'give hostKey: "SHA256:…" (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the bastion) or knownHostsFile: "~/.ssh/known_hosts", or set sshConfig: true to use ~/.ssh/known_hosts',
      });
    }
    if (j.hostKey !== undefined && !FINGERPRINT.test(j.hostKey)) {
      out.push({ what: `${f}.hostKey ${showValue(j.hostKey)} is not a SHA256 fingerprint`, fix: 'give it as `ssh-keygen -lf` prints it: "SHA256:" and 43 base64 characters' });
    }
    if (j.knownHostsFile !== undefined) {
      const kh = pathProblem(j.knownHostsFile, false);
      if (kh !== undefined) out.push({ what: `${f}.knownHostsFile ${showValue(j.knownHostsFile)} ${kh}`, fix: 'give the path of a known_hosts file, e.g. "~/.ssh/known_hosts"' });
    }
  });
  return out;
}

/** The host-wide result of building and validating everything declared on a host. */
interface HostAnalysis {
  readonly spec: HostSpec;
  readonly problems: ProblemLog;
  hash: string | undefined;
}

/** A domain's spec and where its issues go. */
interface DomainEntry {
  readonly domain: XenDomain;
  readonly spec: DomainSpec;
  readonly s: Suppressions;
  /** The construct that declared the affinity of `spec.pins[i]`. */
  readonly pinOwner: (index: number) => IConstruct | undefined;
}

function issueKey(issue: SpecIssue): string {
  return `${issue.path}\u0000${issue.message}`;
}

/** Files a `domains[NAME]…` issue on the domain, or on the pin construct behind `pins[i]`. */
function routeDomainIssue(log: ProblemLog, e: DomainEntry, issue: SpecIssue, relative?: string): void {
  const rel = relative ?? issue.path.slice(`domains[${specKey(e.spec.name)}]`.length);
  if (e.s.covers(rel)) return;
  const pin = /^\.pins\[(\d+)\]/.exec(rel);
  const owner = pin === null ? undefined : e.pinOwner(Number(pin[1]));
  log.add(owner ?? e.domain, formatSpecIssue(issue));
}

/**
 * Routes an issue whose path starts with `PREFIX[KEY]` to every entry declared under KEY;
 * false when the path is not of that form or names no entry.
 */
function routeByKey<E>(
  issue: SpecIssue,
  prefix: string,
  byKey: ReadonlyMap<string, readonly E[]>,
  deliver: (entry: E, relative: string) => void,
): boolean {
  const start = `${prefix}[`;
  if (!issue.path.startsWith(start)) return false;
  // Names may in principle contain "]": try each closing bracket until one gives a known key.
  for (let i = issue.path.indexOf("]", start.length); i !== -1; i = issue.path.indexOf("]", i + 1)) {
    const entries = byKey.get(issue.path.slice(start.length, i));
    if (entries === undefined) continue;
    const rel = issue.path.slice(i + 1);
    for (const e of entries) deliver(e, rel);
    return true;
  }
  return false;
}

function groupBy<E>(items: readonly E[], key: (e: E) => string): Map<string, E[]> {
  const out = new Map<string, E[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list === undefined) out.set(k, [item]);
    else list.push(item);
  }
  return out;
}

/** Plain code-unit order: the same on every machine and locale, as canonical JSON needs. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function wholeMiB(size: Size | undefined): number | undefined {
  return size !== undefined && size.isWholeMebibytes() ? size.toMebibytes() : undefined;
}

function sizeFact(log: ProblemLog, host: XenHost, field: string, size: Size | undefined): void {
  if (size === undefined || size.isWholeMebibytes()) return;
  log.add(
    host,
    problem({
      what: `${field} ${size.toString()} is not a whole number of MiB`,
      why: "Xen counts host memory in MiB and cdktf-xen never rounds silently",
      fix: `declare it in whole MiB, e.g. Size.mebibytes(${String(Math.floor(size.toBytes() / 1048576))})`,
    }),
  );
}
