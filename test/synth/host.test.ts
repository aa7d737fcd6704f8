import { describe, expect, it } from "vitest";
import {
  DomainType,
  EXPECT_ENV,
  INPUT_ENV,
  Size,
  XenDomain,
  XenStoragePool,
  XenVolume,
  hostSpecHash,
} from "../../src/index.js";
import { HOST_KEY, newHost, newStack, problemsOf, resourceOf, synth } from "./support.js";

describe("XenHost", () => {
  it("renders one terraform_data reconcile resource keyed by the host id and the hash of its spec", () => {
    const stack = newStack();
    const host = newHost(stack, "xen-a", { address: "10.0.0.11", privateKeyPath: "/keys/xen", port: 2222, user: "admin" });
    const json = synth(stack);
    const r = resourceOf(json, host, "reconcile");

    expect(r.type).toBe("terraform_data");
    expect(host.hostId).toBe("s/xen-a");
    expect(r.triggers_replace).toEqual({ cdktf_xen: "host", host: "s/xen-a", spec_hash: hostSpecHash(host.toSpec()) });
    expect(r.input).toEqual({
      cdktf_xen: "host",
      host: "s/xen-a",
      connection: {
        address: "10.0.0.11",
        port: 2222,
        user: "admin",
        privateKeyPath: "/keys/xen",
        passphraseEnv: null,
        hostKey: HOST_KEY,
        knownHostsFile: null,
      },
    });
  });

  it("runs apply-host at creation, in the stack directory, with its own input and planned hash", () => {
    const stack = newStack();
    const host = newHost(stack);
    const r = resourceOf(synth(stack), host, "reconcile");
    expect(r.provisioner).toEqual([
      {
        "local-exec": {
          command: "$${CDKTF_XEN_CLI:-cdktf-xen} apply-host",
          working_dir: "${path.module}",
          environment: {
            [INPUT_ENV]: "${jsonencode(self.input)}",
            [EXPECT_ENV]: "${self.triggers_replace.spec_hash}",
          },
        },
      },
    ]);
  });

  it("defaults to port 22, user root and the SSH agent", () => {
    const stack = newStack();
    const host = newHost(stack, "xen-a", { knownHostsFile: "~/.ssh/known_hosts", hostKey: undefined });
    expect(host.connection).toEqual({
      address: "10.0.0.11",
      port: 22,
      user: "root",
      privateKeyPath: null,
      passphraseEnv: null,
      hostKey: null,
      knownHostsFile: "~/.ssh/known_hosts",
    });
    expect(problemsOf(stack, host)).toEqual([]);
  });

  it("depends on every identity, configuration and volume resource of its host, and on nothing of another host", () => {
    const stack = newStack();
    const a = newHost(stack, "xen-a");
    const b = newHost(stack, "xen-b", { address: "10.0.0.12" });
    const poolA = new XenStoragePool(stack, "vg-a", { host: a, lvmVolumeGroup: "vg0" });
    const poolB = new XenStoragePool(stack, "vg-b", { host: b, lvmVolumeGroup: "vg0" });
    const volA = new XenVolume(stack, "web-root", { pool: poolA, size: Size.gibibytes(1) });
    new XenVolume(stack, "db-root", { pool: poolB, size: Size.gibibytes(1) });
    const web = new XenDomain(stack, "web", { host: a, memory: Size.mebibytes(256), kernel: "/k", disks: [{ volume: volA, vdev: "xvda" }] });
    const db = new XenDomain(stack, "db", { host: b, memory: Size.mebibytes(256), kernel: "/k" });
    const json = synth(stack);

    const deps = resourceOf(json, a, "reconcile").depends_on as string[];
    expect([...deps].sort()).toEqual(
      [
        resourceOf(json, volA, "volume").address,
        resourceOf(json, web, "identity").address,
        resourceOf(json, web, "config").address,
      ].sort(),
    );
    expect(deps).not.toContain(resourceOf(json, db, "identity").address);
  });

  it("keeps the reconcile trigger when only the connection changes, and changes it when the spec does", () => {
    const build = (address: string, memoryMiB: number) => {
      const stack = newStack();
      const host = newHost(stack, "xen-a", { address });
      new XenDomain(stack, "web", { host, memory: Size.mebibytes(memoryMiB), kernel: "/k" });
      return resourceOf(synth(stack), host, "reconcile");
    };
    const base = build("10.0.0.11", 256);
    const moved = build("10.9.9.9", 256);
    const bigger = build("10.0.0.11", 512);
    expect(moved.triggers_replace).toEqual(base.triggers_replace);
    expect(moved.input).not.toEqual(base.input);
    expect(bigger.triggers_replace).not.toEqual(base.triggers_replace);
  });

  describe("validation", () => {
    it.each([
      ["neither hostKey nor knownHostsFile", { hostKey: undefined }, /neither hostKey nor knownHostsFile is given.*give exactly one/],
      ["both hostKey and knownHostsFile", { knownHostsFile: "~/.ssh/known_hosts" }, /both hostKey and knownHostsFile are given.*give exactly one/],
      ["a hostKey that is not a fingerprint", { hostKey: "ssh-ed25519 AAAAC3Nza" }, /is not a SHA256 fingerprint.*ssh-keygen -lf/],
      ["a private key instead of a path", { privateKeyPath: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n" }, /privateKeyPath holds key material, not a path.*pass a path/],
      ["a key path and useAgent: true", { privateKeyPath: "~/.ssh/id", useAgent: true }, /both privateKeyPath and useAgent: true.*choose one/],
      ["useAgent: false without a key", { useAgent: false }, /no way to log in.*give privateKeyPath/],
      ["a passphrase instead of a variable name", { privateKeyPath: "~/.ssh/id", passphraseEnv: "correct horse battery staple" }, /\(value not shown\) is not the name of an environment variable.*give the NAME/],
      ["passphraseEnv for the agent", { passphraseEnv: "KEY_PASS" }, /passphraseEnv is given without privateKeyPath/],
      ["a port out of range", { port: 70000 }, /port 70000 is not a TCP port/],
      ["an empty address", { address: " " }, /is not a host name or IP address/],
      ["a bad user", { user: "ro ot" }, /is not a valid login name/],
      ["a pCPU count of zero", { cpus: 0 }, /cpus 0 is not a pCPU count/],
      ["memory that is not whole MiB", { memory: Size.kibibytes(1536 * 1024 + 512) }, /memory 1573376 KiB is not a whole number of MiB.*Size\.mebibytes\(1536\)/],
      ["dom0 memory above the host's", { memory: Size.gibibytes(2), dom0Memory: Size.gibibytes(4) }, /dom0Memory \(4096 MiB\) is not below the host's memory \(2048 MiB\)/],
    ])("reports %s on the host's path", (_name, props, message) => {
      const stack = newStack();
      const host = newHost(stack, "xen-a", props);
      const found = problemsOf(stack, host);
      expect(found.some((m) => message.test(m))).toBe(true);
    });

    it("never repeats a passphrase-looking value in its message", () => {
      const stack = newStack();
      const host = newHost(stack, "xen-a", { privateKeyPath: "~/.ssh/id", passphraseEnv: "hunter2 is my passphrase" });
      expect(problemsOf(stack, host).join("\n")).not.toContain("hunter2");
    });

    it("refuses an unknown lifecycle resource type at construction", () => {
      const stack = newStack();
      expect(() => newHost(stack, "xen-a", { lifecycleResource: "local_file" as never })).toThrow(
        /lifecycle resource "local_file" is not one cdktf-xen can use/,
      );
    });

    it("reports the domains' memory above what the host has, on the host", () => {
      const stack = newStack();
      const host = newHost(stack, "xen-a", { memory: Size.gibibytes(4), dom0Memory: Size.gibibytes(1) });
      for (const id of ["a", "b"]) {
        new XenDomain(stack, id, { host, type: DomainType.PV, memory: Size.gibibytes(2), kernel: "/k" });
      }
      expect(problemsOf(stack, host)).toEqual([
        expect.stringMatching(/^domains: the domains' memory \(4096 MiB in 2 domains\) plus dom0's 1024 MiB is 5120 MiB, which is above the host's 4096 MiB/),
      ]);
    });
  });
});
