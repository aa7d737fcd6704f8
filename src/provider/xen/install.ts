/**
 * Puts the `xen` provider where `terraform init` finds it without a registry: an unpacked
 * provider in one of Terraform's implied local mirror directories, as an executable launcher
 * that runs this package's provider entry point with this Node.
 *
 * Default directory: `~/.terraform.d/plugins`, which Terraform (1.x, Linux) searches with no
 * CLI configuration; `terraform.d/plugins` in the working directory works too (tests use it).
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { shellQuote } from "../../xl/shell.js";
import { PROVIDER_HOSTNAME, PROVIDER_NAMESPACE, PROVIDER_TYPE, PROVIDER_VERSION } from "./address.js";

/** Terraform's name for this platform, e.g. `linux_amd64`. */
export function terraformPlatform(platform: string = process.platform, arch: string = process.arch): string {
  const a = arch === "x64" ? "amd64" : arch === "ia32" ? "386" : arch;
  return `${platform}_${a}`;
}

/** The implied local mirror Terraform searches in the user's home. */
export function defaultPluginsDir(home: string = homedir()): string {
  return join(home, ".terraform.d", "plugins");
}

/** The provider entry point of this installation (dist/src/provider/main.js). */
export function providerEntry(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "main.js");
}

/** What {@link installProvider} did. */
export interface InstallResult {
  /** The launcher Terraform runs. */
  readonly executable: string;
  /** False when an identical launcher was already there. */
  readonly changed: boolean;
}

/** Options of {@link installProvider}. */
export interface InstallOptions {
  /** @default defaultPluginsDir() */
  readonly pluginsDir?: string;
  /** @default process.execPath */
  readonly node?: string;
  /** @default providerEntry() */
  readonly entry?: string;
}

/**
 * Writes the launcher (idempotent: an identical one is left alone, so the h1 hash in a
 * `.terraform.lock.hcl` stays valid; atomic: written beside, then renamed).
 */
export function installProvider(options: InstallOptions = {}): InstallResult {
  const pluginsDir = resolve(options.pluginsDir ?? defaultPluginsDir());
  const dir = join(pluginsDir, PROVIDER_HOSTNAME, PROVIDER_NAMESPACE, PROVIDER_TYPE, PROVIDER_VERSION, terraformPlatform());
  const executable = join(dir, `terraform-provider-${PROVIDER_TYPE}_v${PROVIDER_VERSION}`);
  const entry = resolve(options.entry ?? providerEntry());
  if (!existsSync(entry)) {
    throw new Error(`the provider entry point ${entry} does not exist: build the package first (npm run build)`);
  }
  const content = `#!/bin/sh\n# cdktf-xen ${PROVIDER_VERSION}: the xen Terraform provider (Node).\nexec ${shellQuote(options.node ?? process.execPath)} ${shellQuote(entry)} "$@"\n`;
  if (existsSync(executable) && readFileSync(executable, "utf8") === content) return { executable, changed: false };
  mkdirSync(dir, { recursive: true });
  const tmp = `${executable}.${String(process.pid)}.tmp`;
  writeFileSync(tmp, content, { mode: 0o755 });
  chmodSync(tmp, 0o755);
  renameSync(tmp, executable);
  return { executable, changed: true };
}
