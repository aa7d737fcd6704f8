/**
 * XenHost's sshConfig and jumpHosts: what they synthesize on both lifecycle paths (the
 * provisioners' input and the provider's `ssh` block), that no secret can be declared, and the
 * validation `cdktf synth` reports with the host's path and a fix.
 */
import { describe, expect, it } from "vitest";
import { readInput } from "../../src/cli/provisioner-input.js";
import { readStack } from "../../src/constructs/stack-reader.js";
import { LifecycleResource } from "../../src/index.js";
import { directoryFromValue, hostFromValue } from "../../src/provider/xen/convert.js";
import { HOST_KEY, newHost, newStack, problemsOf, resourceOf, synth } from "./support.js";

const BASTION_KEY = "SHA256:AThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8";
const bastion = { address: "bastion.example.org", port: 2222, user: "jump", privateKeyPath: "~/.ssh/jump", hostKey: BASTION_KEY };

describe("XenHost sshConfig and jumpHosts", () => {
  it("GIVEN neither prop WHEN synthesized THEN the connection is exactly what it was before they existed", () => {
    const stack = newStack();
    const host = newHost(stack);
    expect(Object.keys(resourceOf(synth(stack), host, "reconcile").input as object)).toContain("connection");
    expect(Object.keys((resourceOf(synth(stack), host, "reconcile").input as { connection: object }).connection).sort()).toEqual(
      ["address", "hostKey", "knownHostsFile", "passphraseEnv", "port", "privateKeyPath", "user"],
    );
  });

  it("GIVEN sshConfig: true and a port WHEN synthesized THEN the connection names ~/.ssh/config and which settings the program gave, and no host key is required", () => {
    const stack = newStack();
    const host = newHost(stack, "xen-a", { address: "xen-a", hostKey: undefined, sshConfig: true, port: 2200 });
    expect(problemsOf(stack, host)).toEqual([]);
    expect(host.connection.sshConfig).toEqual({ file: "~/.ssh/config", explicit: ["port"] });
    const input = resourceOf(synth(stack), host, "reconcile").input as { connection: unknown };
    expect(input.connection).toEqual(host.connection);
  });

  it("GIVEN jumpHosts WHEN synthesized THEN the provisioner input carries them, and the CLI reads back the same connection", () => {
    const stack = newStack();
    const host = newHost(stack, "xen-a", { jumpHosts: [bastion, { address: "10.1.0.1", knownHostsFile: "~/.ssh/known_hosts" }] });
    expect(problemsOf(stack, host)).toEqual([]);
    const input = resourceOf(synth(stack), host, "reconcile").input as Record<string, unknown>;
    expect(readInput({ CDKTF_XEN_INPUT: JSON.stringify(input) }, "host").connection).toEqual(host.connection);
    expect(host.connection.jumpHosts).toEqual([
      { address: "bastion.example.org", port: 2222, user: "jump", privateKeyPath: "~/.ssh/jump", passphraseEnv: null, hostKey: BASTION_KEY, knownHostsFile: null },
      { address: "10.1.0.1", port: null, user: null, privateKeyPath: null, passphraseEnv: null, hostKey: null, knownHostsFile: "~/.ssh/known_hosts" },
    ]);
  });

  it("GIVEN jumpHosts and sshConfig on the native provider WHEN synthesized THEN the ssh block holds them and the provider reads back the same connection", () => {
    const stack = newStack();
    const host = newHost(stack, "xen-a", { lifecycleResource: LifecycleResource.PROVIDER, sshConfig: "~/.ssh/fleet_config", user: "root", jumpHosts: [bastion] });
    const other = newHost(stack, "xen-b", { address: "10.0.0.12", lifecycleResource: LifecycleResource.PROVIDER });
    const json = synth(stack);
    const resources = Object.values(json.resource?.["xen_host"] ?? {});
    const own = resources.find((r) => r["host_id"] === host.hostId)!;
    expect((own["ssh"] as Record<string, unknown>)["jump_host"]).toEqual([
      { address: "bastion.example.org", port: 2222, user: "jump", private_key_path: "~/.ssh/jump", passphrase_env: null, host_key: BASTION_KEY, known_hosts_file: null },
    ]);
    expect((own["ssh"] as Record<string, unknown>)["ssh_config"]).toEqual({ file: "~/.ssh/fleet_config", explicit: ["user"] });
    expect(hostFromValue(own).connection).toEqual(host.connection);
    // The provider's hosts directory (how another host's move reaches this one) holds the same route.
    const directory = directoryFromValue((json.provider?.["xen"] as { hosts: unknown }[])[0]!.hosts);
    expect(directory.find((e) => e.hostId === host.hostId)?.connection).toEqual(host.connection);
    expect(directory.map((e) => e.hostId).sort()).toEqual([host.hostId, other.hostId].sort());
  });

  it("GIVEN a synthesized stack with jumpHosts WHEN the CLI reads the stack THEN the host's connection comes back whole", () => {
    const stack = newStack();
    const host = newHost(stack, "xen-a", { sshConfig: true, jumpHosts: [bastion] });
    const read = readStack(synth(stack) as never);
    expect(read.hosts.find((h) => h.hostId === host.hostId)?.connection).toEqual(host.connection);
  });

  it("GIVEN a host WHEN jumpHosts or sshConfig change THEN nothing is replaced: only the connection input changes", () => {
    const triggersOf = (props: Parameters<typeof newHost>[2]) => {
      const stack = newStack();
      const host = newHost(stack, "xen-a", props);
      return resourceOf(synth(stack), host, "reconcile").triggers_replace;
    };
    expect(triggersOf({ jumpHosts: [bastion], sshConfig: true })).toEqual(triggersOf({}));
  });

  describe("validation", () => {
    it.each([
      ["a bastion address with a shell character", { jumpHosts: [{ ...bastion, address: "b;id" }] }, /^jumpHosts\[0\]\.address "b;id" is not a host name or IP address.*give the bastion's DNS name or IP address/],
      ["a bastion address that is an ssh option", { jumpHosts: [{ ...bastion, address: "-oProxyCommand=x" }] }, /^jumpHosts\[0\]\.address "-oProxyCommand=x" is not a host name or IP address/],
      ["a bastion port out of range", { jumpHosts: [{ ...bastion, port: 0 }] }, /^jumpHosts\[0\]\.port 0 is not a TCP port/],
      ["a bastion user that is an option", { jumpHosts: [{ ...bastion, user: "-lroot" }] }, /^jumpHosts\[0\]\.user "-lroot" is not a valid login name/],
      ["a bastion key given inline", { jumpHosts: [{ ...bastion, privateKeyPath: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n" }] }, /^jumpHosts\[0\]\.privateKeyPath holds key material, not a path.*treat this key as leaked/],
      ["a bastion passphrase instead of a variable name", { jumpHosts: [{ ...bastion, passphraseEnv: "hunter2 hunter2" }] }, /^jumpHosts\[0\]\.passphraseEnv \(value not shown\) is not the name of an environment variable/],
      ["a bastion without any host key, without sshConfig", { jumpHosts: [{ address: "10.1.0.1" }] }, /^jumpHosts\[0\]: neither hostKey nor knownHostsFile is given.*sshConfig: true/],
      ["a bastion with both host key settings", { jumpHosts: [{ ...bastion, knownHostsFile: "~/.ssh/known_hosts" }] }, /^jumpHosts\[0\]: both hostKey and knownHostsFile are given/],
      ["a bastion host key that is not a fingerprint", { jumpHosts: [{ ...bastion, hostKey: "ssh-ed25519 AAAA" }] }, /^jumpHosts\[0\]\.hostKey "ssh-ed25519 AAAA" is not a SHA256 fingerprint/],
      ["a bastion known_hosts path with a line break", { jumpHosts: [{ address: "10.1.0.1", knownHostsFile: "/kh\n" }] }, /^jumpHosts\[0\]\.knownHostsFile "\/kh\\n" contains a line break/],
      ["nine bastions", { jumpHosts: Array.from({ length: 9 }, () => bastion) }, /^9 jumpHosts are given, more than 8/],
      ["an ssh config path with a control character", { sshConfig: "~/.ssh/con\u0007fig" }, /^sshConfig "~\/.ssh\/con\\u0007fig" contains the control character U\+0007/],
      ["no host key and no sshConfig", { hostKey: undefined }, /neither hostKey nor knownHostsFile is given/],
    ])("GIVEN %s WHEN synthesized THEN it is reported on the host's path with a fix", (_name, props, message) => {
      const stack = newStack();
      const host = newHost(stack, "xen-a", props);
      const found = problemsOf(stack, host);
      expect(found.some((m) => message.test(m)), found.join("\n")).toBe(true);
    });

    it("GIVEN a bastion without a host key but sshConfig on WHEN synthesized THEN it is accepted (its key is checked against the config's known_hosts)", () => {
      const stack = newStack();
      const host = newHost(stack, "xen-a", { sshConfig: true, jumpHosts: [{ address: "bastion" }] });
      expect(problemsOf(stack, host)).toEqual([]);
    });

    it("GIVEN several bad bastion settings WHEN synthesized THEN every one is reported at once", () => {
      const stack = newStack();
      const host = newHost(stack, "xen-a", { jumpHosts: [{ address: "b b", port: 70000 }, { ...bastion, user: "x y" }] });
      expect(problemsOf(stack, host).filter((m) => m.startsWith("jumpHosts"))).toEqual([
        expect.stringMatching(/^jumpHosts\[0\]\.address/),
        expect.stringMatching(/^jumpHosts\[0\]\.port 70000/),
        expect.stringMatching(/^jumpHosts\[0\]: neither hostKey/),
        expect.stringMatching(/^jumpHosts\[1\]\.user "x y"/),
      ]);
    });
  });

  it("GIVEN HOST_KEY pinned for the host and a bastion WHEN synthesized THEN only fingerprints, paths and names are in the JSON", () => {
    const stack = newStack();
    newHost(stack, "xen-a", { hostKey: HOST_KEY, jumpHosts: [{ ...bastion, passphraseEnv: "JUMP_KEY_PASS" }] });
    const text = JSON.stringify(synth(stack));
    expect(text).toContain("JUMP_KEY_PASS");
    expect(text).not.toMatch(/PRIVATE KEY/);
  });
});
