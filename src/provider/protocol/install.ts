/**
 * Installs a provider written on this layer where Terraform finds it with no CLI configuration
 * and no registry: an "unpacked" provider in an implied local mirror directory.
 *
 * Facts, checked with Terraform 1.11.4 (linux_amd64) here:
 * - Without a `provider_installation` block in the CLI config, Terraform searches these
 *   implied local mirror directories, in this order (TF_LOG=debug names each one it skips):
 *     1. `terraform.d/plugins` relative to the working directory,
 *     2. `$HOME/.terraform.d/plugins`,
 *     3. `$XDG_DATA_HOME/terraform/plugins` (default `$HOME/.local/share/terraform/plugins`),
 *     4. each `$XDG_DATA_DIRS` entry + `/terraform/plugins` (default
 *        `/usr/local/share/terraform/plugins`, `/usr/share/terraform/plugins`).
 *   Setting TF_CLI_CONFIG_FILE (even to a missing file) does not change that list. A provider
 *   found in one of them is installed from there only ("direct" is not asked for it), so a
 *   made-up hostname such as `cdktf-xen.local` works offline.
 * - The layout is `<dir>/<hostname>/<namespace>/<type>/<version>/<os>_<arch>/` holding an
 *   executable named `terraform-provider-<type>` with any suffix (`_v<version>` by
 *   convention). A shell script launcher is accepted: Terraform only executes it.
 * - `terraform init` links `.terraform/providers/<host>/<ns>/<type>/<version>/<os>_<arch>` to
 *   the mirror's platform directory (a symlink, not a copy) and writes `.terraform.lock.hcl`
 *   with ONE hash: `h1:` of that package directory (file names and bytes of the launcher), no
 *   `zh:` hashes (those come only from a registry), and warns that the lock covers only this
 *   platform.
 * - The lock pins the launcher's bytes. When they change (another node path or entry path):
 *   `plan`/`apply` refuse ("the cached package … does not match any of the checksums recorded
 *   in the dependency lock file"), and `terraform init` refuses too ("the local package …
 *   doesn't match any of the checksums previously recorded") — even `init -upgrade`, because
 *   the version is the same. Only removing the provider's block from the lock file (or the
 *   file) or installing under a new version makes `init` record the new hash.
 * - The launcher depends only on the node and entry paths, so re-installing with the same paths
 *   rewrites nothing and keeps the lock valid. The entry's JavaScript is NOT hashed (it lives
 *   outside the package directory): rebuilding the provider never trips the lock, and nothing
 *   in the lock guards that code either. A lock file is therefore machine-specific (it hashes
 *   absolute paths); keep it out of version control for such providers.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";

export interface ProviderAddress {
  /** e.g. "cdktf-xen.local" (any hostname: it is never contacted when the mirror has the provider). */
  readonly hostname: string;
  readonly namespace: string;
  /** The provider's type name ("xen" → terraform-provider-xen). */
  readonly type: string;
  /** A semantic version, "0.1.0". */
  readonly version: string;
}

export interface InstallOptions extends ProviderAddress {
  /** The plugins directory: e.g. `<workdir>/terraform.d/plugins` or `~/.terraform.d/plugins`. */
  readonly pluginsDir: string;
  /** The provider's compiled entry point (a .js calling serveProvider). */
  readonly entry: string;
  /** The node to run it with; default: the current one (process.execPath). */
  readonly node?: string;
  /** Default: the current platform, as Terraform names it (linux_amd64, darwin_arm64, …). */
  readonly platform?: string;
}

export interface InstalledProvider {
  /** The launcher's path. */
  readonly path: string;
  /** false when an identical launcher was already there (nothing was written). */
  readonly changed: boolean;
  /** The source address to put in required_providers: "<hostname>/<namespace>/<type>". */
  readonly source: string;
}

/** Terraform's name of this platform: `<GOOS>_<GOARCH>`. */
export function terraformPlatform(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const os = platform === "win32" ? "windows" : platform;
  const goarch = ({ x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" } as Record<string, string>)[arch] ?? arch;
  return `${os}_${goarch}`;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Writes (atomically, idempotently) the launcher of a provider into a filesystem-mirror layout. */
export function installProvider(options: InstallOptions): InstalledProvider {
  const { hostname, namespace, type, version } = options;
  for (const [what, v] of Object.entries({ hostname, namespace, type })) {
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(v)) throw new Error(`install: ${what} "${v}" is not a valid provider address part`);
  }
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) throw new Error(`install: version "${version}" is not a semantic version`);
  const entry = resolve(options.entry);
  const node = options.node ?? process.execPath;
  if (!isAbsolute(node)) throw new Error(`install: node must be an absolute path, got "${node}"`);
  if (!existsSync(entry)) throw new Error(`install: the entry point ${entry} does not exist`);

  const dir = join(resolve(options.pluginsDir), hostname, namespace, type, version, options.platform ?? terraformPlatform());
  const path = join(dir, `terraform-provider-${type}_v${version}`);
  const content = `#!/bin/sh\n# Terraform provider ${hostname}/${namespace}/${type} ${version}, written by cdktf-xen.\nexec ${shellQuote(node)} ${shellQuote(entry)} "$@"\n`;
  const source = `${hostname}/${namespace}/${type}`;

  if (existsSync(path) && readFileSync(path, "utf8") === content) {
    chmodSync(path, 0o755);
    return { path, changed: false, source };
  }
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(temp, content, { mode: 0o755 });
  chmodSync(temp, 0o755);
  renameSync(temp, path);
  return { path, changed: true, source };
}
