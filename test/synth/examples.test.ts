import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { Testing } from "../../src/cdktf.js";
import { readStack } from "../../src/testing.js";
import { FleetStack } from "../../examples/fleet/stack.js";
import { labStatePath, readLabHost } from "../../examples/quickstart/lab.js";
import { PLACEHOLDER_HOST, QuickstartStack } from "../../examples/quickstart/stack.js";
import { problems } from "./support.js";

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const tmp = mkdtempSync(join(tmpdir(), "cdktf-xen-examples-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const LAB_HOST = {
  address: "127.0.0.1",
  port: 2201,
  user: "root",
  privateKeyPath: "/work/main/.lab/id_ed25519",
  hostKey: "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8",
  knownHostsFile: null,
  guestKernel: "/var/lib/xenlab/vmlinuz",
  guestRamdisk: "/var/lib/xenlab/initrd.img",
  volumeGroup: "vg0",
  bridge: "xenbr0",
  cpus: 1,
  memoryMiB: 2047,
  dom0MemoryMiB: 768,
};

describe("examples", () => {
  it("quickstart targets the documented placeholder host when there is no lab, and validates", () => {
    const app = Testing.app();
    const stack = new QuickstartStack(app, "quickstart");
    expect(problems(stack)).toEqual([]);
    expect(stack.host.connection).toMatchObject({ address: "10.0.0.11", hostKey: PLACEHOLDER_HOST.hostKey });
    expect(stack.domain.toSpec()).toMatchObject({ type: "pv", pins: [{ vcpu: 0, hard: "0", soft: "all" }], vifs: [{ bridge: "xenbr0" }] });
  });

  it("quickstart targets the lab host recorded in the lab state file", () => {
    const path = join(tmp, "host.json");
    writeFileSync(path, JSON.stringify(LAB_HOST));
    expect(labStatePath({ CDKTF_XEN_LAB_STATE: path }, "/elsewhere")).toBe(path);
    expect(labStatePath({}, "/work/main/examples/quickstart")).toBe("/work/main/.lab/host.json");
    const lab = readLabHost(path);
    const stack = new QuickstartStack(Testing.app(), "quickstart", lab);
    expect(problems(stack)).toEqual([]);
    expect(stack.host.connection).toEqual({
      address: "127.0.0.1",
      port: 2201,
      user: "root",
      privateKeyPath: "/work/main/.lab/id_ed25519",
      passphraseEnv: null,
      hostKey: LAB_HOST.hostKey,
      knownHostsFile: null,
    });
    expect(stack.host.facts).toEqual({ cpus: 1, memoryMiB: 2047, dom0MemoryMiB: 768 });
    expect(stack.domain.toSpec().boot).toEqual({ kind: "kernel", kernel: LAB_HOST.guestKernel, ramdisk: LAB_HOST.guestRamdisk, cmdline: "console=hvc0 root=/dev/xvda" });
  });

  it("quickstart refuses a lab state file that is not one, naming the file and field", () => {
    const path = join(tmp, "bad.json");
    writeFileSync(path, JSON.stringify({ ...LAB_HOST, cpus: "two" }));
    expect(() => readLabHost(path)).toThrow(`${path}: cpus is not a whole number`);
    expect(readLabHost(join(tmp, "missing.json"))).toBeUndefined();
  });

  it("fleet declares two hosts and at least six domains, and validates", () => {
    const stack = new FleetStack(Testing.app(), "fleet");
    expect(problems(stack)).toEqual([]);
    expect(stack.hosts).toHaveLength(2);
    expect(stack.domains.length).toBeGreaterThanOrEqual(6);
    expect(stack.domains.filter((d) => d.toSpec().pins.length > 0).length).toBeGreaterThanOrEqual(6);
  });

  // `cdktf synth` run for real in each example folder, as a user would: it compiles the
  // examples and runs their main.js. Then the same program again in another process must
  // write the same bytes.
  it.each(["quickstart", "fleet"])(
    "%s synthesizes with `npx cdktf synth` from its folder, byte-identically on a second run, with no absolute path",
    async (name) => {
      const dir = join(root, "examples", name);
      const env = { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_XEN_LAB_STATE: join(tmp, "no-lab.json"), CI: "1" };
      const first = join(tmp, `${name}-first`);
      await run("npx", ["cdktf", "synth", "--output", first], { cwd: dir, env, timeout: 240_000 });
      const second = join(tmp, `${name}-second`);
      await run(process.execPath, [join(root, "dist", "examples", name, "main.js")], {
        cwd: dir,
        env: { ...env, CDKTF_OUTDIR: second },
      });
      const a = readFileSync(join(first, "stacks", name, "cdk.tf.json"), "utf8");
      const b = readFileSync(join(second, "stacks", name, "cdk.tf.json"), "utf8");
      expect(b).toBe(a);
      expect(a).not.toContain(root);
      expect(a).not.toContain(tmp);
      const json = JSON.parse(a) as { terraform?: { backend?: { local?: { path?: string } } } };
      expect(json.terraform?.backend?.local?.path).toBe("terraform.tfstate");
      expect(readStack(json).issues).toEqual([]);
      expect(readStack(json).hosts.length).toBeGreaterThan(0);
    },
    300_000,
  );
});
