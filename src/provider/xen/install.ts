/**
 * Puts the `xen` provider where `terraform init` finds it without a registry: an unpacked
 * provider in one of Terraform's implied local mirror directories (the facts, checked with
 * Terraform 1.11.4, are in ../protocol/install.ts), as a launcher running this package's
 * provider entry point with this Node.
 *
 * Default directory: `~/.terraform.d/plugins`, which Terraform searches with no CLI
 * configuration for every working directory; `terraform.d/plugins` in a stack directory works
 * for that stack alone (the tests use it).
 */
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { installProvider as installUnpacked } from "../protocol/install.js";
import { PROVIDER_HOSTNAME, PROVIDER_NAMESPACE, PROVIDER_TYPE, PROVIDER_VERSION } from "./address.js";

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
  /** False when an identical launcher was already there (the lock file's h1 hash stays valid). */
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

/** Installs the launcher (idempotent and atomic). */
export function installProvider(options: InstallOptions = {}): InstallResult {
  const entry = resolve(options.entry ?? providerEntry());
  const r = installUnpacked({
    pluginsDir: options.pluginsDir ?? defaultPluginsDir(),
    hostname: PROVIDER_HOSTNAME,
    namespace: PROVIDER_NAMESPACE,
    type: PROVIDER_TYPE,
    version: PROVIDER_VERSION,
    entry,
    ...(options.node === undefined ? {} : { node: options.node }),
  });
  return { executable: r.path, changed: r.changed };
}
