import { describe, expect, it } from "vitest";
import {
  DomainType,
  RetentionPolicy,
  Size,
  XenDomain,
  XenStoragePool,
  XenVolume,
} from "../../src/index.js";
import { EXPECT_ENV, INPUT_ENV } from "../../src/constructs/resources.js";
import { hostSpecHash } from "../../src/model/hash.js";
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
      migration: { address: null, port: null, identityFile: null },
      managed: { domains: [], deleteVolumes: [] },
    });
  });

  it("runs prune-host at destruction and apply-host at creation, both in the stack directory with their own input, prune-host first", () => {
    const stack = newStack();
    const host = newHost(stack);
    const r = resourceOf(synth(stack), host, "reconcile");
    expect(r.provisioner).toEqual([
      {
        "local-exec": {
          command: "$${CDKTF_XEN_CLI:-cdktf-xen} prune-host",
          when: "destroy",
          working_dir: "${path.module}",
          // Only `self.input`: a destroy-time provisioner may reference nothing else, and the
          // planned hash means nothing for the instance being destroyed.
          environment: { [INPUT_ENV]: "${jsonencode(self.input)}" },
        },
      },
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

  it("records in its input the host's domain names, sorted, and its DELETE-retention volumes with their pools, nothing of another host", () => {
    const stack = newStack();
    const host = newHost(stack, "xen-a");
    const other = newHost(stack, "xen-b", { address: "10.0.0.12" });
    const lvm = new XenStoragePool(stack, "vg0", { host, lvmVolumeGroup: "vg0" });
    const dir = new XenStoragePool(stack, "images", { host, directory: "/srv/images" });
    const otherPool = new XenStoragePool(stack, "vg-b", { host: other, lvmVolumeGroup: "vg0" });
    const kept = new XenVolume(stack, "kept", { pool: lvm, size: Size.gibibytes(1) });
    const scratch = new XenVolume(stack, "scratch", { pool: lvm, size: Size.gibibytes(1), retention: RetentionPolicy.DELETE });
    const image = new XenVolume(stack, "image", { pool: dir, size: Size.gibibytes(2), retention: RetentionPolicy.DELETE });
    const existing = XenVolume.fromExisting(stack, "golden", { pool: lvm, name: "golden" });
    new XenVolume(stack, "elsewhere", { pool: otherPool, size: Size.gibibytes(1), retention: RetentionPolicy.DELETE });
    // Declared out of order: the record is sorted like the spec.
    new XenDomain(stack, "zeta", { host, memory: Size.mebibytes(256), kernel: "/k", disks: [{ volume: scratch, vdev: "xvda" }, { volume: existing, vdev: "xvdb" }] });
    new XenDomain(stack, "alpha", { host, memory: Size.mebibytes(256), kernel: "/k", disks: [{ volume: kept, vdev: "xvda" }, { volume: image, vdev: "xvdb" }] });
    new XenDomain(stack, "beta", { host: other, memory: Size.mebibytes(256), kernel: "/k" });
    const json = synth(stack);

    const managed = (resourceOf(json, host, "reconcile").input as { managed: unknown }).managed;
    expect(managed).toEqual({
      domains: ["alpha", "zeta"],
      deleteVolumes: [
        { pool: { kind: "dir", name: "images", path: "/srv/images", shared: false }, volume: image.toSpec() },
        { pool: { kind: "lvm", name: "vg0", volumeGroup: "vg0", shared: false }, volume: scratch.toSpec() },
      ],
    });
    expect((resourceOf(json, other, "reconcile").input as { managed: { domains: string[] } }).managed.domains).toEqual(["beta"]);
    // The triggers do not carry it: the record follows the spec, whose hash already replaces.
    expect(Object.keys(resourceOf(json, host, "reconcile").triggers_replace as object).sort()).toEqual(["cdktf_xen", "host", "spec_hash"]);
  });

  it("changes its recorded domains and volumes only together with the spec hash (a rename, a removal, a retention change)", () => {
    const build = (o: { name?: string; withDb?: boolean; retention?: RetentionPolicy; address?: string }) => {
      const stack = newStack();
      const host = newHost(stack, "xen-a", { address: o.address ?? "10.0.0.11" });
      const pool = new XenStoragePool(stack, "vg0", { host, lvmVolumeGroup: "vg0" });
      const root = new XenVolume(stack, "root", { pool, size: Size.gibibytes(1), retention: o.retention ?? RetentionPolicy.DELETE });
      new XenDomain(stack, "web", { host, name: o.name ?? "web-1", memory: Size.mebibytes(256), kernel: "/k", disks: [{ volume: root, vdev: "xvda" }] });
      if (o.withDb ?? true) new XenDomain(stack, "db", { host, memory: Size.mebibytes(256), kernel: "/k" });
      const r = resourceOf(synth(stack), host, "reconcile");
      return { hash: (r.triggers_replace as { spec_hash: string }).spec_hash, managed: (r.input as { managed: { domains: string[]; deleteVolumes: unknown[] } }).managed };
    };
    const base = build({});
    expect(base.managed.domains).toEqual(["db", "web-1"]);
    expect(base.managed.deleteVolumes).toHaveLength(1);
    for (const variant of [build({ name: "web-2" }), build({ withDb: false }), build({ retention: RetentionPolicy.RETAIN })]) {
      expect(variant.managed).not.toEqual(base.managed);
      expect(variant.hash).not.toBe(base.hash);
    }
    expect(build({ retention: RetentionPolicy.RETAIN }).managed.deleteVolumes).toEqual([]);
    const moved = build({ address: "10.9.9.9" });
    expect([moved.hash, moved.managed]).toEqual([base.hash, base.managed]);
  });

  describe("migration settings", () => {
    it("records none by default: null address, port and identity file in the reconcile's input", () => {
      const stack = newStack();
      const host = newHost(stack);
      expect(host.migration).toEqual({ address: null, port: null, identityFile: null });
      expect((resourceOf(synth(stack), host, "reconcile").input as { migration: unknown }).migration).toEqual({ address: null, port: null, identityFile: null });
      expect(problemsOf(stack, host)).toEqual([]);
    });

    it.each([
      ["an address alone", { address: "192.168.77.11" }, { address: "192.168.77.11", port: null, identityFile: null }],
      ["a port alone", { port: 2222 }, { address: null, port: 2222, identityFile: null }],
      ["an identity file alone", { identityFile: "/root/.ssh/id_migration" }, { address: null, port: null, identityFile: "/root/.ssh/id_migration" }],
      ["all three", { address: "mig-a.example", port: 22, identityFile: "/etc/cdktf-xen/id_ed25519" }, { address: "mig-a.example", port: 22, identityFile: "/etc/cdktf-xen/id_ed25519" }],
    ])("records %s in the reconcile's input, as given", (_name, migration, recorded) => {
      const stack = newStack();
      const host = newHost(stack, "xen-a", { migration });
      expect(host.migration).toEqual(recorded);
      expect((resourceOf(synth(stack), host, "reconcile").input as { migration: unknown }).migration).toEqual(recorded);
      expect(problemsOf(stack, host)).toEqual([]);
    });

    it("keeps migration settings out of every trigger: with or without them, every resource's triggers_replace is the same", () => {
      const build = (migration?: { address?: string; port?: number; identityFile?: string }) => {
        const stack = newStack();
        const host = newHost(stack, "xen-a", migration === undefined ? {} : { migration });
        const pool = new XenStoragePool(stack, "shared", { host, directory: "/srv/shared", shared: true });
        const root = new XenVolume(stack, "root", { pool, size: Size.gibibytes(1) });
        const web = new XenDomain(stack, "web", { host, memory: Size.mebibytes(256), kernel: "/k", disks: [{ volume: root, vdev: "xvda" }] });
        const json = synth(stack);
        return {
          host,
          triggers: [resourceOf(json, host, "reconcile"), resourceOf(json, web, "identity"), resourceOf(json, web, "config"), resourceOf(json, root, "volume")].map(
            (r) => r.triggers_replace,
          ),
          input: resourceOf(json, host, "reconcile").input,
        };
      };
      const none = build();
      const set = build({ address: "192.168.77.11", port: 2222, identityFile: "/root/.ssh/id_migration" });
      expect(set.triggers).toEqual(none.triggers);
      expect(set.host.specHash()).toBe(none.host.specHash());
      expect(set.input).not.toEqual(none.input);
    });
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
      ["an empty migration address", { migration: { address: "" } }, /^migration\.address "" is not a host name or IP address.*remove it to use the SSH address/],
      ["a migration address with a space", { migration: { address: "10.0.0.1 10.0.0.2" } }, /^migration\.address "10\.0\.0\.1 10\.0\.0\.2" is not a host name or IP address/],
      ["a migration address with a quote", { migration: { address: "mig'a" } }, /^migration\.address "mig'a" is not a host name or IP address/],
      ["a migration port of zero", { migration: { port: 0 } }, /^migration\.port 0 is not a TCP port.*1 to 65535/],
      ["a migration port out of range", { migration: { port: 65536 } }, /^migration\.port 65536 is not a TCP port/],
      ["a migration port that is not whole", { migration: { port: 22.5 } }, /^migration\.port 22\.5 is not a TCP port/],
      ["a relative migration identity file", { migration: { identityFile: ".ssh/id_migration" } }, /^migration\.identityFile "\.ssh\/id_migration" is not an absolute path.*names a key file on this host's dom0.*\/root\/\.ssh\/id_migration/],
      ["a migration identity file with a space", { migration: { identityFile: "/root/my key" } }, /^migration\.identityFile "\/root\/my key" is not an absolute path/],
    ])("reports %s on the host's path", (_name, props, message) => {
      const stack = newStack();
      const host = newHost(stack, "xen-a", props);
      const found = problemsOf(stack, host);
      expect(found.some((m) => message.test(m))).toBe(true);
    });

    it("reports every bad migration setting at once, on the host's path", () => {
      const stack = newStack();
      const host = newHost(stack, "xen-a", { migration: { address: " ", port: -1, identityFile: "id" } });
      expect(problemsOf(stack, host).filter((m) => m.startsWith("migration."))).toEqual([
        expect.stringMatching(/^migration\.address/),
        expect.stringMatching(/^migration\.port -1/),
        expect.stringMatching(/^migration\.identityFile "id"/),
      ]);
    });

    it("never repeats key material given as the migration identity file", () => {
      const stack = newStack();
      const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n";
      const host = newHost(stack, "xen-a", { migration: { identityFile: key } });
      const found = problemsOf(stack, host).join("\n");
      expect(found).toMatch(/migration\.identityFile \(value not shown\) is not an absolute path/);
      expect(found).not.toContain("b3BlbnNzaC1rZXktdjEAAAAABG5vbmU");
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
