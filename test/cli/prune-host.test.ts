/**
 * `cdktf-xen prune-host`, the destroy-time provisioner of a host's reconcile resource, run as
 * the real compiled program the way Terraform's local-exec runs it: a child process in the
 * stack directory, the OLD instance's recorded input in CDKTF_XEN_INPUT, the current
 * cdk.tf.json (synthesized here by real cdktf) beside it.
 *
 * Only the cases where nothing is to be pruned run here. The host is declared at 127.0.0.1
 * port 1, where nothing listens: any SSH attempt fails at once with exit 1, so an exit 0 with
 * nothing on stderr proves that no connection was made. The last test is the control: with a
 * domain to prune, the same setup does try to connect and fails.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  App,
  DomainType,
  RetentionPolicy,
  Size,
  TerraformStack,
  XenDomain,
  XenHost,
  XenStoragePool,
  XenVolume,
} from "../../src/index.js";
import { ensureBuilt, runCli } from "../helpers/cli.js";

const HOST_KEY = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8";
const HOST_ID = "s/xen-a";

/** One version of the program: a host (unreachable on purpose) and its domains, each with a DELETE root volume. */
interface Version {
  readonly hostConstructId?: string;
  readonly domains: readonly { readonly name: string; readonly memoryMiB?: number }[];
}

const FIX =
  "Fix: this command is run by the provisioners of a synthesized cdktf-xen stack; run `cdktf-xen plan <stack-dir>` or `apply <stack-dir>` by hand instead\n";

describe("prune-host, run as Terraform runs it, when nothing is to be pruned", { timeout: 120_000 }, () => {
  let root: string;
  let n = 0;

  /** Synthesizes `v` with real cdktf; returns the stack directory holding cdk.tf.json. */
  const synth = (v: Version): string => {
    const outdir = join(root, `out-${String(++n)}`);
    const app = new App({ outdir });
    const stack = new TerraformStack(app, "s");
    const host = new XenHost(stack, v.hostConstructId ?? "xen-a", { address: "127.0.0.1", port: 1, hostKey: HOST_KEY, cpus: 4 });
    const pool = new XenStoragePool(stack, "vg0", { host, lvmVolumeGroup: "vg0" });
    for (const d of v.domains) {
      const rootVolume = new XenVolume(stack, `${d.name}-root`, { pool, size: Size.mebibytes(256), retention: RetentionPolicy.DELETE });
      new XenDomain(stack, d.name, {
        host,
        type: DomainType.PV,
        memory: Size.mebibytes(d.memoryMiB ?? 256),
        kernel: "/var/lib/xen/boot/vmlinuz",
        disks: [{ volume: rootVolume, vdev: "xvda" }],
      });
    }
    app.synth();
    return join(outdir, "stacks", "s");
  };

  /** The host reconcile resource's `input` in `stackDir`'s cdk.tf.json: what `jsonencode(self.input)` hands the CLI. */
  const recordedInput = (stackDir: string): Record<string, unknown> => {
    const json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as {
      resource: { terraform_data: Record<string, { triggers_replace: { cdktf_xen?: string }; input: Record<string, unknown> }> };
    };
    const host = Object.values(json.resource.terraform_data).find((r) => r.triggers_replace.cdktf_xen === "host");
    if (host === undefined) throw new Error(`no host resource in ${stackDir}/cdk.tf.json`);
    return host.input;
  };

  /** Runs prune-host as local-exec does: in the stack directory, the input in the environment. */
  const prune = (stackDir: string, input: string | undefined) =>
    runCli(["prune-host"], {
      cwd: stackDir,
      // No agent either: authentication can never be what stops a connection attempt.
      env: { CDKTF_XEN_INPUT: input, CDKTF_XEN_EXPECT: undefined, SSH_AUTH_SOCK: join(root, "no-agent.sock") },
    });

  beforeAll(() => {
    ensureBuilt();
    root = mkdtempSync(join(tmpdir(), "cdktf-xen-prune-test-"));
  }, 180_000);
  afterAll(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it("GIVEN the stack file still declares every recorded domain and volume (a terraform destroy) WHEN prune-host runs THEN exit 0, silent, and no connection is attempted", async () => {
    const dir = synth({ domains: [{ name: "web" }, { name: "db" }] });
    const input = recordedInput(dir);
    expect(input.managed).toMatchObject({ domains: ["db", "web"] });
    expect((input.managed as { deleteVolumes: unknown[] }).deleteVolumes).toHaveLength(2);

    const r = await prune(dir, JSON.stringify(input));
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("GIVEN an older record WHEN the new stack file changed memory and added a domain THEN prune-host exits 0 without connecting: nothing recorded was dropped", async () => {
    const before = recordedInput(synth({ domains: [{ name: "web" }] }));
    const dir = synth({ domains: [{ name: "web", memoryMiB: 512 }, { name: "cache" }] });
    expect(recordedInput(dir)).not.toEqual(before);

    const r = await prune(dir, JSON.stringify(before));
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("GIVEN a record without the managed list WHEN prune-host runs THEN it has nothing to prune: exit 0 without connecting", async () => {
    const dir = synth({ domains: [] });
    const { managed: _managed, ...withoutManaged } = recordedInput(synth({ domains: [{ name: "web" }] }));
    const r = await prune(dir, JSON.stringify(withoutManaged));
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("GIVEN the host is not in the stack file WHEN prune-host runs THEN exit 0, it says nothing is pruned, and no connection is attempted", async () => {
    const recorded = JSON.stringify(recordedInput(synth({ domains: [{ name: "web" }] })));
    const otherHost = synth({ hostConstructId: "xen-b", domains: [] });
    const message = `cdktf-xen: host ${HOST_ID} is not in ./cdk.tf.json; nothing is pruned (destroy its domains with terraform destroy)\n`;

    expect(await prune(otherHost, recorded)).toEqual({ code: 0, stdout: message, stderr: "" });

    // No stack file at all is the same case.
    const empty = join(root, "empty");
    mkdirSync(empty);
    expect(await prune(empty, recorded)).toEqual({ code: 0, stdout: message, stderr: "" });
  });

  it("GIVEN a CDKTF_XEN_INPUT that is not a host's recorded input WHEN prune-host runs THEN exit 1 with a message naming CDKTF_XEN_INPUT, why and the fix", async () => {
    const dir = synth({ domains: [{ name: "web" }] });
    const input = recordedInput(dir);
    const cases: [string | undefined, string][] = [
      [undefined, "the variable is not set"],
      ["{nope", "it is not JSON"],
      ["[]", "the input is not an object"],
      [JSON.stringify({ ...input, cdktf_xen: "domain", name: "web" }), 'it describes a "domain" resource, not a "host"'],
      [JSON.stringify({ ...input, managed: "web" }), "managed is not an object"],
      [JSON.stringify({ ...input, managed: { domains: ["web", 7], deleteVolumes: [] } }), "managed.domains is not a list of names"],
      [JSON.stringify({ ...input, managed: { domains: ["web"], deleteVolumes: {} } }), "managed.deleteVolumes is not a list"],
      [JSON.stringify({ ...input, managed: { domains: [], deleteVolumes: [null] } }), "managed.deleteVolumes[0] is not an object"],
    ];
    for (const [raw, why] of cases) {
      const r = await prune(dir, raw);
      expect({ raw, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        raw,
        code: 1,
        stdout: "",
        stderr: `Error: CDKTF_XEN_INPUT is not a cdktf-xen resource input: ${why}\n${FIX}`,
      });
    }
  });

  // The control: the setup above does notice a connection attempt.
  it("GIVEN a recorded domain the stack file no longer declares WHEN prune-host runs THEN it does connect, to 127.0.0.1:1, and fails saying where", async () => {
    const recorded = JSON.stringify(recordedInput(synth({ domains: [{ name: "web" }, { name: "db" }] })));
    const dir = synth({ domains: [{ name: "web" }] });
    const r = await prune(dir, recorded);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      new RegExp(`^Error: cannot connect \\[host ${HOST_ID} \\(127\\.0\\.0\\.1:1\\), step "take the host lock"\\]: .*connection refused.* Fix: `),
    );
  });
});
