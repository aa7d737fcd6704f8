import { describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/errors.js";
import { readInput } from "../../src/cli/provisioner-input.js";

/** A host resource's input as Terraform hands it over, with `connection` overridden. */
function env(connection: Record<string, unknown>): NodeJS.ProcessEnv {
  return {
    CDKTF_XEN_INPUT: JSON.stringify({
      cdktf_xen: "host",
      host: "stack/xen-a",
      connection: { address: "10.0.0.11", port: 22, user: "root", privateKeyPath: null, passphraseEnv: null, hostKey: "SHA256:x", knownHostsFile: null, ...connection },
    }),
  };
}

describe("provisioner inputs that did not come through synth", () => {
  it.each([
    ["command substitution in the address", { address: "10.9.0.12$(touch${IFS}/tmp/x)" }, /names a host address .* that is not a host name or IP address.*contains "\$"/s],
    ["an address that is an ssh option", { address: "-oProxyCommand=x" }, /not a host name or IP address/],
    ["a backtick in the address", { address: "a`id`" }, /not a host name or IP address/],
    ["a user that is an option", { user: "-lroot" }, /connection\.user "-lroot" is not a valid login name/],
  ])("GIVEN %s in CDKTF_XEN_INPUT THEN the CLI refuses it before dialling anything", (_, connection, message) => {
    expect(() => readInput(env(connection), "host")).toThrow(CliError);
    expect(() => readInput(env(connection), "host")).toThrow(message);
  });

  it("GIVEN a well-formed input THEN its connection is read as recorded", () => {
    expect(readInput(env({ address: "fd00::11" }), "host").connection.address).toBe("fd00::11");
  });
});
