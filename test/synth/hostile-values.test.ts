/**
 * Every bad value a program can declare is refused by `cdktf synth`, on the path of the
 * construct that declared it (issue 11: addresses, control characters, names dom0 tools would
 * misread). One row per rule; the property test (test/property) throws hundreds of strings at
 * the same props.
 */
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { DomainType, Size, XenDomain, XenStoragePool, XenVolume, type XenDomainProps, type XenHostProps, type XenStoragePoolProps } from "../../src/index.js";
import { newHost, newStack, problemsOf } from "./support.js";

type Build = (stack: ReturnType<typeof newStack>) => IConstruct;

const host = (props: Partial<XenHostProps>): Build => (stack) => newHost(stack, "xen-a", props);
const domain = (props: Partial<XenDomainProps>): Build => (stack) =>
  new XenDomain(stack, "web", { host: newHost(stack), memory: Size.mebibytes(256), kernel: "/boot/vmlinuz", ...props } as XenDomainProps);
const pool = (props: Partial<XenStoragePoolProps>): Build => (stack) => {
  const p = new XenStoragePool(stack, "vg0", { host: newHost(stack), lvmVolumeGroup: "vg0", ...props } as XenStoragePoolProps);
  // A volume puts the pool into the host's spec.
  new XenVolume(stack, "root", { pool: p, size: Size.gibibytes(1) });
  return p;
};
const pv = { type: DomainType.PV, kernel: undefined };
const hvm = { type: DomainType.HVM, kernel: undefined };

describe("hostile values at synth", () => {
  it.each<[string, Build, RegExp]>([
    // Host addresses (gap 1): xl migrate pastes them into sh -c on the source dom0.
    ["an address with command substitution", host({ address: "10.9.0.12$(touch${IFS}/tmp/x)" }), /^address "10\.9\.0\.12\$\(touch\$\{IFS\}\/tmp\/x\)" is not a host name or IP address \(it contains "\$", "\(", "\{", "\}", "\/"/],
    ["an address with a pipe", host({ address: "a|b" }), /^address "a\|b" is not a host name or IP address \(it contains "\|"/],
    ["an address with backticks", host({ address: "`id`" }), /^address "`id`" is not a host name or IP address/],
    ["an address that is an ssh option", host({ address: "-oProxyCommand=x" }), /^address "-oProxyCommand=x" is not a host name or IP address/],
    ["an IPv4 address with a leading zero", host({ address: "010.0.0.1" }), /leading zeros/],
    ["a migration address with command substitution", host({ migration: { address: "10.9.0.12$(id)" } }), /^migration\.address "10\.9\.0\.12\$\(id\)" is not a host name or IP address \(it contains .*xl migrate pastes it unquoted/],
    ["a migration address that is an ssh option", host({ migration: { address: "-oProxyCommand=x" } }), /^migration\.address "-oProxyCommand=x" is not a host name or IP address/],
    ["a user that is an option", host({ user: "-lroot" }), /^user "-lroot" is not a valid login name/],
    ["a user with shell syntax", host({ user: "root$(id)" }), /^user "root\$\(id\)" is not a valid login name/],
    ["a key path with NUL", host({ privateKeyPath: "/keys/xen\u0000" }), /^privateKeyPath "\/keys\/xen\\u0000" contains a NUL character/],
    ["a known_hosts path with a control character", host({ hostKey: undefined, knownHostsFile: "~/.ssh/kh\u001b[2J" }), /^knownHostsFile ".*" contains the control character U\+001B/],
    ["a migration identity file with a control character", host({ migration: { identityFile: "/root/id\u0007" } }), /^migration\.identityFile "\/root\/id\\u0007" is not an absolute path free of whitespace, quotes and control characters/],
    // Control characters in free text (gap 2).
    ["NUL in the kernel", domain({ kernel: "/boot/vmlinuz\u0000" }), /^domains\[web\]\.boot\.kernel: kernel path "\/boot\/vmlinuz\\u0000" contains a NUL character/],
    ["a newline in the kernel", domain({ kernel: "/boot/vmlinuz\nx" }), /^domains\[web\]\.boot\.kernel: kernel path .* contains a line break/],
    ["a newline in the ramdisk", domain({ ramdisk: "/boot/initrd\n" }), /^domains\[web\]\.boot\.ramdisk: ramdisk path .* contains a line break/],
    ["a newline in the cmdline", domain({ cmdline: "console=hvc0\nextra=1" }), /^domains\[web\]\.boot\.cmdline: kernel command line .* contains a line break/],
    ["a tab in the cmdline", domain({ cmdline: "console=hvc0\troot=/dev/xvda" }), /^domains\[web\]\.boot\.cmdline: .* contains the control character U\+0009/],
    ["NUL in the bootloader", domain({ ...pv, bootloader: "pygrub\u0000" }), /^domains\[web\]\.boot\.bootloader: bootloader "pygrub\\u0000" contains a NUL character/],
    ["a newline in a bootloader argument", domain({ ...pv, bootloader: "pygrub", bootloaderArgs: ["-q", "--x\n"] }), /^domains\[web\]\.boot\.bootloaderArgs\[1\]: bootloader argument .* contains a line break/],
    ["a newline in the cpuid policy", domain({ cpuid: "host,rdtscp=0\n" }), /^domains\[web\]\.cpuid: cpuid policy .* is not in xl's libxl format/],
    ["a cpuid policy without host", domain({ cpuid: "rdtscp=0" }), /^domains\[web\]\.cpuid: cpuid policy "rdtscp=0" is not in xl's libxl format/],
    ["a newline in the firmware path", domain({ ...hvm, firmware: "/usr/lib/fw\n" }), /^domains\[web\]\.boot\.firmware: firmware .* contains a line break/],
    ["a newline in the serial", domain({ ...hvm, serial: "pty\nx" }), /^domains\[web\]\.hvm\.serial: serial .* contains a line break/],
    ["a boot order naming a device twice", domain({ ...hvm, bootOrder: "cc" }), /^domains\[web\]\.boot\.bootOrder: boot order "cc" .* each at most once/],
    ["a newline in a raw disk path", domain({ disks: [{ vdev: "xvda", path: "/dev/vg0/x\n" }] }), /^domains\[web\]\.disks\[0\]\.target: disk target path .* contains a line break/],
    ["a raw disk path ending in a comma", domain({ disks: [{ vdev: "xvda", path: "/dev/vg0/x," }] }), /^domains\[web\]\.disks\[0\]\.target: disk target path "\/dev\/vg0\/x," ends with a comma/],
    ["a newline in a directory pool", pool({ lvmVolumeGroup: undefined, directory: "/srv/xen\n" }), /^pools\[vg0\]\.path: directory pool path .* contains a line break/],
    ["NUL in a pool name", pool({ name: "vg\u0000" }), /^pools\["vg\\u0000"\]\.name: pool name "vg\\u0000" contains "\\u0000"/],
    // Names dom0 tools would misread (gap 3).
    ["a bridge that is an option", domain({ networks: [{ bridge: "-h" }] }), /^domains\[web\]\.vifs\[0\]\.bridge: bridge name "-h" starts with "-"/],
    ["a bridge that is a long option", domain({ networks: [{ bridge: "--ignore-host" }] }), /^domains\[web\]\.vifs\[0\]\.bridge: bridge name "--ignore-host" starts with "-"/],
    ["a bridge named '-'", domain({ networks: [{ bridge: "-" }] }), /^domains\[web\]\.vifs\[0\]\.bridge: bridge name "-" starts with "-"/],
    ["a bridge with command substitution", domain({ networks: [{ bridge: "$(id)" }] }), /^domains\[web\]\.vifs\[0\]\.bridge: bridge name "\$\(id\)" contains "\$", "\(", "\)"/],
    ["a bridge that is a glob", domain({ networks: [{ bridge: "*" }] }), /^domains\[web\]\.vifs\[0\]\.bridge: bridge name "\*" contains "\*"/],
    ["a non-ASCII bridge", domain({ networks: [{ bridge: "brü0" }] }), /^domains\[web\]\.vifs\[0\]\.bridge: bridge name "brü0" contains "ü"/],
    ["a NIC model that is an option", domain({ ...hvm, networks: [{ bridge: "xenbr0", model: "-device" }] }), /^domains\[web\]\.vifs\[0\]\.model: NIC model "-device" is not an emulated NIC model name/],
    ["a cpupool that is an option", domain({ cpupool: "--ignore-host" }), /^domains\[web\]\.cpupool: cpupool name "--ignore-host" starts with "-", which xl would misread/],
    ["a cpupool with NUL", domain({ cpupool: "Pool-0\u0000" }), /^domains\[web\]\.cpupool: cpupool name "Pool-0\\u0000" contains "\\u0000"/],
    ["a cpupool with a space", domain({ cpupool: "fast pool" }), /^domains\[web\]\.cpupool: cpupool name "fast pool" contains " "/],
    ["a volume group that is an option", pool({ lvmVolumeGroup: "--vg" }), /^pools\[vg0\]\.volumeGroup: volume group name "--vg" starts with "-"/],
  ])("GIVEN %s THEN synth refuses it on the declaring construct's path", (_, build, message) => {
    const stack = newStack();
    const construct = build(stack);
    const found = problemsOf(stack, construct);
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  it.each<[string, Build]>([
    ["an IPv6 address", host({ address: "fd00::11" })],
    ["a DNS name", host({ address: "xen-a.example.org" })],
    ["an IPv4-mapped migration address", host({ migration: { address: "::ffff:10.0.9.12" } })],
    ["a cpupool like Xen's own", domain({ cpupool: "Pool-0" })],
    ["a cpuid policy with several keys", domain({ cpuid: "host,tm=0,sse3=0,family=6" })],
    ["a VLAN bridge", domain({ networks: [{ bridge: "xenbr0.100", rate: "10Mb/s@20" }] })],
    ["a cmdline with shell syntax (it is only ever quoted)", domain({ cmdline: "console=hvc0 x=$(id) `y` 'z'" })],
  ])("GIVEN %s THEN synth accepts it", (_, build) => {
    const stack = newStack();
    const construct = build(stack);
    expect(problemsOf(stack, construct)).toEqual([]);
  });
});
