/**
 * The package as a user installs it: `npm pack` of a clean copy of the checkout (so `prepack`
 * must build dist itself), then a fresh cdktf TypeScript app in the shape `cdktf init
 * --template=typescript` writes — CommonJS, `module: CommonJS` in its tsconfig, its own cdktf
 * and constructs from the npm registry — that installs the tarball, compiles a main.ts using
 * cdktf-xen with tsc, synthesizes it with node, and is checked on the stack JSON.
 *
 * npm's cache (~/.npm, already filled by `npm ci` of this repository) makes the install
 * mostly offline: `--prefer-offline` takes cached metadata without asking the registry again.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ownPackage = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  readonly version: string;
  readonly devDependencies: Record<string, string>;
};
const tmp = mkdtempSync(join(tmpdir(), "cdktf-xen-package-"));
// CDKTF_XEN_KEEP_PACKAGE_TMP=1 keeps the tarball and the app for a look.
afterAll(() => {
  if (process.env.CDKTF_XEN_KEEP_PACKAGE_TMP === "1") process.stderr.write(`kept ${tmp}\n`);
  else rmSync(tmp, { recursive: true, force: true });
});

/** The environment of a user's shell: none of the npm_* variables `npm test` sets for its script. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith("npm_")) env[k] = v;
  return { ...env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };
}

async function run(cmd: string, args: readonly string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(cmd, [...args], { cwd, env: userEnv(), maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
  }
}

/** What `npm pack --json` reports of the tarball. */
interface PackResult {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

// The consumer app: cdktf init --template=typescript's package.json and tsconfig.json, less the
// test tooling (jest) it adds. The cdktf and constructs ranges are the template's for cdktf 0.21.
const APP_PACKAGE = {
  name: "consumer",
  version: "1.0.0",
  main: "main.js",
  types: "main.ts",
  license: "MPL-2.0",
  private: true,
  scripts: { build: "tsc", synth: "cdktf synth" },
  engines: { node: ">=18.0" },
};
const APP_TSCONFIG = {
  compilerOptions: {
    alwaysStrict: true,
    declaration: true,
    experimentalDecorators: true,
    inlineSourceMap: true,
    inlineSources: true,
    lib: ["es2018"],
    module: "CommonJS",
    noEmitOnError: true,
    noFallthroughCasesInSwitch: true,
    noImplicitAny: true,
    noImplicitReturns: true,
    noImplicitThis: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    resolveJsonModule: true,
    strict: true,
    strictNullChecks: true,
    strictPropertyInitialization: true,
    stripInternal: true,
    target: "ES2018",
    incremental: true,
    skipLibCheck: true,
  },
  include: ["**/*.ts"],
  exclude: ["node_modules", "cdktf.out"],
};
const APP_CDKTF_JSON = {
  language: "typescript",
  app: "node main.js",
  projectId: "00000000-0000-4000-8000-000000000000",
  sendCrashReports: "false",
  terraformProviders: [],
  terraformModules: [],
  context: {},
};

const MAIN_TS = `import { Construct } from "constructs";
import { App, TerraformOutput, TerraformStack } from "cdktf";
import {
  CpuSet, DomainType, LifecycleResource, RetentionPolicy, Size,
  XenDomain, XenHost, XenStoragePool, XenVcpuPin, XenVolume, type XenHostProps,
} from "cdktf-xen";

const HOST: XenHostProps = {
  address: "10.0.0.11",
  user: "root",
  privateKeyPath: "~/.ssh/id_ed25519",
  hostKey: "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8",
  cpus: 8,
  memory: Size.gibibytes(64),
  dom0Memory: Size.gibibytes(4),
};

class FleetStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const host = new XenHost(this, "xen-a", HOST);
    const pool = new XenStoragePool(this, "vg0", { host, lvmVolumeGroup: "vg0" });
    const root = new XenVolume(this, "web-1-root", { pool, size: Size.gibibytes(20), retention: RetentionPolicy.RETAIN });
    const web = new XenDomain(this, "web-1", {
      host, type: DomainType.PVH, vcpus: 4, maxVcpus: 8,
      memory: Size.gibibytes(4), maxMemory: Size.gibibytes(8),
      kernel: "/boot/vmlinuz-guest", cmdline: "console=hvc0 root=/dev/xvda",
      disks: [{ volume: root, vdev: "xvda" }],
      networks: [{ bridge: "xenbr0" }],
    });
    new XenVcpuPin(this, "web-1-pins", { domain: web, pins: { 0: "2", 1: CpuSet.of(3), "2-3": "4-7" } });
    new TerraformOutput(this, "host-id", { value: host.hostId });
  }
}

class ProviderStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const host = new XenHost(this, "xen-b", { ...HOST, lifecycleResource: LifecycleResource.PROVIDER });
    const db = new XenDomain(this, "db-1", { host, memory: Size.mebibytes(512), kernel: "/boot/vmlinuz-guest" });
    new TerraformOutput(this, "db-1-ip", { value: db.ipAddresses });
  }
}

const app = new App();
new FleetStack(app, "fleet");
new ProviderStack(app, "provider");
app.synth();
`;

// A user's own test of the program, with the testing entry (and validation on).
const CHECK_TS = `import { App, TerraformStack, Testing } from "cdktf";
import { Size, XenDomain, XenHost, XenConstructError, LifecycleResource } from "cdktf-xen";
import { synthHosts, synthProblems, readStack } from "cdktf-xen/testing";

const stack = new TerraformStack(Testing.app(), "t");
const host = new XenHost(stack, "xen-a", { address: "10.0.0.11", hostKey: "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8" });
new XenDomain(stack, "web-1", { host, memory: Size.mebibytes(256), kernel: "/boot/vmlinuz" });
const read = synthHosts(stack);
const again = readStack(JSON.parse(Testing.synth(stack)));

const bad = new TerraformStack(Testing.app(), "bad");
const badHost = new XenHost(bad, "xen-a", { address: "10.0.0.11", hostKey: "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8" });
new XenDomain(bad, "web-1", { host: badHost, memory: Size.mebibytes(512), maxMemory: Size.mebibytes(256), kernel: "/boot/vmlinuz" });

let nullResource = "no error";
try {
  new XenHost(new TerraformStack(new App(), "n"), "xen-n", {
    address: "10.0.0.12", hostKey: "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8",
    lifecycleResource: LifecycleResource.NULL_RESOURCE,
  });
} catch (e) {
  nullResource = (e instanceof XenConstructError ? "XenConstructError: " : "other: ") + String(e instanceof Error ? e.message : e);
}

process.stdout.write(JSON.stringify({
  hosts: read.hosts.map((h) => ({ hostId: h.hostId, domains: h.spec.domains.map((d) => [d.name, d.memoryMiB]) })),
  issues: read.issues,
  same: JSON.stringify(again.hosts) === JSON.stringify(read.hosts),
  problems: synthProblems(bad),
  nullResource,
}));
`;

interface StackJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly provider?: Record<string, unknown>;
  readonly terraform?: { readonly required_providers?: Record<string, unknown> };
  readonly output?: Record<string, unknown>;
}

describe("the package, installed by a CommonJS cdktf app", () => {
  const pkgDir = join(tmp, "pkg");
  const appDir = join(tmp, "app");
  let pack: PackResult;
  let tarball: string;
  const started = Date.now();

  beforeAll(async () => {
    // A clean copy of what the package is built from: no dist, so prepack has to build it.
    mkdirSync(pkgDir);
    for (const entry of ["package.json", "tsconfig.json", "src", "bin", "LICENSE", "README.md"]) {
      cpSync(join(root, entry), join(pkgDir, entry), { recursive: true });
    }
    symlinkSync(join(root, "node_modules"), join(pkgDir, "node_modules"), "dir");
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", tmp], pkgDir);
    // npm prints prepack's output before the JSON.
    pack = (JSON.parse(stdout.slice(stdout.indexOf("[\n"))) as PackResult[])[0]!;
    tarball = join(tmp, pack.filename);

    mkdirSync(appDir);
    writeFileSync(join(appDir, "package.json"), JSON.stringify(APP_PACKAGE, null, 2));
    writeFileSync(join(appDir, "tsconfig.json"), JSON.stringify(APP_TSCONFIG, null, 2));
    writeFileSync(join(appDir, "cdktf.json"), JSON.stringify(APP_CDKTF_JSON, null, 2));
    writeFileSync(join(appDir, "main.ts"), MAIN_TS);
    writeFileSync(join(appDir, "check.ts"), CHECK_TS);
    // What `cdktf init` installs (cdktf, constructs; typescript, @types/node), then the tarball.
    await run(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "cdktf@^0.21.0",
        "constructs@^10.4.2",
        `typescript@${ownPackage.devDependencies.typescript}`,
        `@types/node@${ownPackage.devDependencies["@types/node"]}`,
        tarball,
      ],
      appDir,
    );
    await run(join(appDir, "node_modules/.bin/tsc"), [], appDir);
  }, 600_000);

  it("packs dist/src, bin, LICENSE, README and package.json, and nothing else", () => {
    const files = pack.files.map((f) => f.path);
    expect(files).toContain("dist/src/index.js");
    expect(files).toContain("dist/src/index.d.ts");
    expect(files).toContain("dist/src/testing.js");
    expect(files).toContain("dist/src/testing.d.ts");
    expect(files).toContain("dist/src/provider/main.js");
    expect(files).toContain("bin/cdktf-xen.js");
    expect(files).toContain("LICENSE");
    expect(files).toContain("README.md");
    expect(files).toContain("package.json");
    const outside = files.filter((f) => !/^(dist\/src\/.*\.(js|d\.ts)|bin\/[^/]+\.js|LICENSE|README\.md|package\.json)$/.test(f));
    expect(outside).toEqual([]);
    expect(files.filter((f) => /(^|\/)(test|bench|examples|lab)\//.test(f))).toEqual([]);
  });

  it("ships the Apache-2.0 text as LICENSE", () => {
    const license = readFileSync(join(appDir, "node_modules/cdktf-xen/LICENSE"), "utf8");
    expect(license).toContain("Apache License");
    expect(license).toContain("Version 2.0, January 2004");
    expect(license).toContain("END OF TERMS AND CONDITIONS");
  });

  it("honours the peer dependencies: one cdktf and one constructs in the app, and no @cdktf/provider-null", () => {
    const copies = (name: string): string[] => {
      const found: string[] = [];
      const walk = (dir: string): void => {
        if (!existsSync(dir)) return;
        for (const e of readdirSync(dir, { withFileTypes: true })) {
          if (!e.isDirectory()) continue;
          const p = join(dir, e.name);
          if (e.name.startsWith("@")) {
            for (const s of readdirSync(p, { withFileTypes: true })) {
              if (!s.isDirectory()) continue;
              if (`${e.name}/${s.name}` === name) found.push(join(p, s.name));
              walk(join(p, s.name, "node_modules"));
            }
          } else {
            if (e.name === name) found.push(p);
            walk(join(p, "node_modules"));
          }
        }
      };
      walk(join(appDir, "node_modules"));
      return found;
    };
    expect(copies("cdktf")).toEqual([join(appDir, "node_modules/cdktf")]);
    expect(copies("constructs")).toEqual([join(appDir, "node_modules/constructs")]);
    expect(copies("@cdktf/provider-null")).toEqual([]);
  });

  it("compiles as CommonJS (require calls) and synthesizes both stacks with node", async () => {
    expect(readFileSync(join(appDir, "main.js"), "utf8")).toMatch(/require\("cdktf-xen"\)/);
    const { stderr } = await run(process.execPath, ["main.js"], appDir);
    expect(stderr).not.toMatch(/Error/);

    const fleet = JSON.parse(readFileSync(join(appDir, "cdktf.out/stacks/fleet/cdk.tf.json"), "utf8")) as StackJson;
    const data = fleet.resource?.terraform_data ?? {};
    const kinds = Object.values(data).map((r) => {
      const replace = r.triggers_replace as Record<string, unknown> | undefined;
      return replace?.cdktf_xen;
    });
    expect(kinds.sort()).toEqual(["domain", "domain-config", "host", "volume"]);
    const config = Object.values(data).find((r) => (r.triggers_replace as Record<string, unknown>).cdktf_xen === "domain-config")!;
    const spec = (config.triggers_replace as { spec: { name: string; memoryMiB: number; maxVcpus: number; pins: unknown[] } }).spec;
    expect(spec).toMatchObject({ name: "web-1", memoryMiB: 4096, maxVcpus: 8 });
    expect(spec.pins).toEqual([
      { vcpu: 0, hard: "2", soft: "all" },
      { vcpu: 1, hard: "3", soft: "all" },
      { vcpu: 2, hard: "4-7", soft: "all" },
      { vcpu: 3, hard: "4-7", soft: "all" },
    ]);
    expect(fleet.provider).toBeUndefined();
    expect(Object.keys(fleet.output ?? {})).toEqual(["host-id"]);

    const provider = JSON.parse(readFileSync(join(appDir, "cdktf.out/stacks/provider/cdk.tf.json"), "utf8")) as StackJson;
    expect(Object.keys(provider.resource?.xen_host ?? {})).toHaveLength(1);
    expect(Object.keys(provider.terraform?.required_providers ?? {})).toEqual(["xen"]);
    expect(JSON.stringify(provider.output)).toContain("ip_addresses");
  });

  it("serves cdktf-xen/testing to the app's own tests, and says what to install for null_resource", async () => {
    const { stdout } = await run(process.execPath, ["check.js"], appDir);
    const out = JSON.parse(stdout) as {
      hosts: unknown;
      issues: unknown[];
      same: boolean;
      problems: string[];
      nullResource: string;
    };
    expect(out.hosts).toEqual([{ hostId: "t/xen-a", domains: [["web-1", 256]] }]);
    expect(out.issues).toEqual([]);
    expect(out.same).toBe(true);
    expect(out.problems).toHaveLength(1);
    expect(out.problems[0]).toMatch(/^\[bad\/web-1\] .*memory/);
    expect(out.nullResource).toMatch(/^XenConstructError: .*@cdktf\/provider-null/);
  });

  it("installs the CLI as the app's cdktf-xen command", async () => {
    const { stdout } = await run(join(appDir, "node_modules/.bin/cdktf-xen"), ["--version"], appDir);
    expect(stdout.trim()).toBe(ownPackage.version);
  });

  it("loads as ESM too, from the same files", async () => {
    const { stdout } = await run(
      process.execPath,
      ["--input-type=module", "-e", 'import * as x from "cdktf-xen"; import * as t from "cdktf-xen/testing"; console.log(typeof x.XenHost, typeof t.readStack, "compare" in x, "sortKeys" in x)'],
      appDir,
    );
    expect(stdout.trim()).toBe("function function false false");
  });

  it("takes well under the CI budget", () => {
    expect(Date.now() - started).toBeLessThan(180_000);
  });
});
