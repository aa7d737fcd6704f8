import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { XenModelError } from "../../../src/model/errors.js";
import {
  assertDomainName,
  bridgeProblem,
  cpupoolNameProblem,
  domainNameFromId,
  domainNameProblem,
  identityFileProblem,
  loginNameProblem,
  macProblem,
  pathProblem,
  storagePoolNameProblem,
  vdevProblem,
  volumeGroupProblem,
  volumeNameProblem,
} from "../../../src/model/names.js";
import { textProblem } from "../../../src/model/text.js";

describe("domain names", () => {
  it.each(["web-1", "db.prod", "a", "A_b-c.d", "9lives", "x".repeat(64), "Domain-01", "pv1"])(
    "accepts %j",
    (name) => {
      expect(domainNameProblem(name)).toBeUndefined();
      expect(() => assertDomainName(name)).not.toThrow();
    },
  );

  it.each([
    ["", "domain name is empty: use letters, digits, '.', '_' and '-'"],
    ["Domain-0", 'domain name "Domain-0" is dom0\'s name'],
    ["domain-0", 'domain name "domain-0" is dom0\'s name'],
    ["42", 'domain name "42" is all digits, which xl reads as a domain id: add a letter (e.g. "vm-42")'],
    ["x".repeat(65), "is 65 characters long, above the limit of 64"],
    ["web 1", 'domain name "web 1" contains " ": use letters, digits'],
    ["web/1", 'contains "/"'],
    ["a$b;c", 'contains "$", ";"'],
    ["-web", 'domain name "-web" starts with "-"'],
    [".hidden", 'starts with "."'],
    ["_x", 'starts with "_"'],
    ["wéb", 'contains "é"'],
    ["web--incoming", 'ends in "--incoming", which xl migrate gives a domain while it moves'],
    ["web--migratedaway", 'ends in "--migratedaway"'],
  ])("refuses %j, saying why and what is allowed", (name, message) => {
    expect(domainNameProblem(name)).toContain(message);
  });

  it("WHEN assertDomainName refuses a name THEN it throws a XenModelError with the location and the rule", () => {
    const assert = () => assertDomainName("web 1", "stack/web");
    expect(assert).toThrow(XenModelError);
    expect(assert).toThrow(
      'stack/web: domain name "web 1" contains " ": use letters, digits, \'.\', \'_\' and \'-\', starting with a letter or digit',
    );
  });

  describe("GIVEN construct ids", () => {
    it.each([
      ["web-1", "web-1"],
      ["Web Server #1", "web-server-1"],
      ["WEB_1", "web_1"],
      ["--web--", "web"],
      ["a//b", "a-b"],
      ["42", "vm-42"],
      ["Domain-0", "vm-domain-0"],
      ["!!!", "vm"],
      ["x".repeat(70), "x".repeat(64)],
      [`${"a".repeat(63)} b`, "a".repeat(63)],
      ["web--incoming", "web-incoming"],
      ["Ünïcode Ωmega", "unicode-mega"],
    ])("WHEN %j becomes a domain name THEN it is %j", (id, name) => {
      expect(domainNameFromId(id)).toBe(name);
      expect(domainNameProblem(name)).toBeUndefined();
    });

    it("WHEN any string becomes a domain name THEN the name is valid", () => {
      fc.assert(
        fc.property(fc.string({ unit: "binary", maxLength: 120 }), (id) => {
          expect(domainNameProblem(domainNameFromId(id))).toBeUndefined();
        }),
      );
    });
  });
});

describe("volume and volume group names", () => {
  it.each(["root", "web-1-root", "a+b_c.d-e", "_x", ".x", "x".repeat(127), "Data01"])("accepts the volume name %j", (name) => {
    expect(volumeNameProblem(name)).toBeUndefined();
  });

  it.each([
    ["", "volume name is empty: use letters, digits, '+', '_', '.' and '-', not starting with '-'"],
    [".", 'volume name "." is a directory name'],
    ["..", 'volume name ".." is a directory name'],
    ["-root", 'volume name "-root" starts with "-"'],
    ["web/root", 'contains "/"'],
    ["web root", 'contains " "'],
    ["x".repeat(128), "is 128 characters long, above LVM's limit of 127"],
    ["snapshot", 'volume name "snapshot" is reserved by LVM'],
    ["pvmove", "reserved by LVM"],
    ["data_rimage_0", 'contains "_rimage", which LVM reserves'],
    ["pool_tmeta", 'contains "_tmeta"'],
  ])("refuses the volume name %j, saying why", (name, message) => {
    expect(volumeNameProblem(name)).toContain(message);
  });

  it.each([
    ["vg0", undefined],
    ["snapshot", undefined],
    ["", "volume group name is empty"],
    ["-vg", 'volume group name "-vg" starts with "-"'],
    ["vg 0", 'contains " "'],
  ])("WHEN the volume group %j is checked THEN the answer is %j", (name, message) => {
    const problem = volumeGroupProblem(name);
    if (message === undefined) expect(problem).toBeUndefined();
    else expect(problem).toContain(message);
  });
});

describe("virtual disk devices", () => {
  it.each(["xvda", "xvdz", "xvdaa", "hda", "hdd", "sda", "sdab"])("accepts %j", (vdev) => {
    expect(vdevProblem(vdev)).toBeUndefined();
  });

  it.each(["", "xvd", "xvdA", "xvda1", "hdaa", "sd", "vda", "/dev/xvda", "xvda "])("refuses %j and lists the accepted forms", (vdev) => {
    expect(vdevProblem(vdev)).toBe(
      `virtual device ${JSON.stringify(vdev)} is not a disk name xl accepts here: use xvd followed by letters (xvda, xvdb, …), or hda–hdz / sda… for emulated HVM disks`,
    );
  });
});

describe("bridges", () => {
  it.each(["xenbr0", "br-lan", "b", "x".repeat(15), "vlan.10", "br_ext1", "_br0", "0br"])("accepts %j", (bridge) => {
    expect(bridgeProblem(bridge)).toBeUndefined();
  });

  it.each([
    ["", "bridge name is empty"],
    ["x".repeat(16), "is 16 characters long, above Linux's limit of 15"],
    [".", 'bridge name "." is not a valid interface name'],
    ["..", "is not a valid interface name"],
    ["br/0", 'contains "/"'],
    ["br 0", 'contains " "'],
    ["br\t0", 'contains "\\t"'],
    ["br:0", 'contains ":"'],
    ["br,0", 'contains ","'],
    ["br=0", 'contains "="'],
    ["br'0", "contains \"'\""],
    ["br_ext@1", 'contains "@"'],
    ["-h", 'starts with "-", which dom0 tools would read as an option'],
    ["--ignore-host", "starts with \"-\""],
    ["-", "starts with \"-\""],
    [".hidden", 'starts with "."'],
    ["$(id)", 'contains "$", "(", ")"'],
    ["*", 'contains "*"'],
    ["brü", 'contains "ü"'],
    ["br\u0000", 'contains "\\u0000"'],
  ])("refuses %j, saying why", (bridge, message) => {
    expect(bridgeProblem(bridge)).toContain(message);
  });
});

describe("MAC addresses", () => {
  it.each(["00:16:3e:12:34:56", "00:16:3E:AB:CD:EF", "02:00:00:00:00:01", "fe:ff:ff:ff:ff:ff"])("accepts %j", (mac) => {
    expect(macProblem(mac)).toBeUndefined();
  });

  it.each([
    ["", "is not six two-digit hex octets separated by ':'"],
    ["00:16:3e:12:34", "is not six two-digit hex octets"],
    ["00-16-3e-12-34-56", "is not six two-digit hex octets"],
    ["0:16:3e:12:34:56", "is not six two-digit hex octets"],
    ["00:16:3e:12:34:5g", "is not six two-digit hex octets"],
    ["00:16:3e:12:34:56:78", "is not six two-digit hex octets"],
    ["01:00:5e:00:00:01", 'MAC address "01:00:5e:00:00:01" is a multicast address (the first octet is odd)'],
    ["ff:ff:ff:ff:ff:ff", "is a multicast address"],
    ["00:00:00:00:00:00", 'MAC address "00:00:00:00:00:00" is all zeros'],
  ])("refuses %j, saying why", (mac, message) => {
    expect(macProblem(mac)).toContain(message);
  });
});

describe("cpupool names", () => {
  it.each(["Pool-0", "fast", "pool_1", "_p", "a.b"])("accepts %j", (name) => {
    expect(cpupoolNameProblem(name)).toBeUndefined();
  });

  it.each([
    ["--ignore-host", 'starts with "-", which xl would misread'],
    ["-", 'starts with "-"'],
    [".p", 'starts with "."'],
    ["fast pool", 'contains " "'],
    ["p\u0000", 'contains "\\u0000"'],
    ["pööl", 'contains "ö"'],
    ["x".repeat(65), "above the limit of 64"],
    ["", "cpupool is an empty string"],
  ])("refuses %j, saying why", (name, message) => {
    expect(cpupoolNameProblem(name)).toContain(message);
  });
});

describe("storage pool names, login names, paths", () => {
  it.each([
    ["a pool name with '/'", () => storagePoolNameProblem("a/b"), "contains '/'"],
    ["a pool name that is an option", () => storagePoolNameProblem("-p"), 'pool name "-p" starts with "-"'],
    ["a pool name with NUL", () => storagePoolNameProblem("p\u0000"), 'contains "\\u0000"'],
    ["a pool name '..'", () => storagePoolNameProblem(".."), "is a directory name"],
    ["a login that is an option", () => loginNameProblem("-oX"), 'user "-oX" is not a valid login name'],
    ["a login of 33 characters", () => loginNameProblem("u".repeat(33)), "is not a valid login name"],
    ["a path with a newline", () => pathProblem("/a\nb", false), "contains a line break"],
    ["a path with a tab", () => pathProblem("/a\tb", false), "U+0009"],
    ["a relative path where an absolute one is needed", () => pathProblem("a/b", true), "is not absolute"],
    ["an identity file with a space", () => identityFileProblem("/root/my key"), "holds whitespace or quotes"],
  ])("refuses %s", (_, check, message) => {
    expect(check()).toContain(message);
  });

  it.each([
    ["a pool name", () => storagePoolNameProblem("vg-a.1+x")],
    ["a login", () => loginNameProblem("root")],
    ["a path with spaces and quotes (never shell syntax)", () => pathProblem("~/my keys/it's", false)],
    ["an identity file", () => identityFileProblem("/root/.ssh/id_migration")],
  ])("accepts %s", (_, check) => {
    expect(check()).toBeUndefined();
  });
});

describe("declared text", () => {
  it.each([
    ["NUL", "a\u0000", "NUL"],
    ["a line feed", "a\n", "line break"],
    ["a carriage return", "a\r", "line break"],
    ["a tab", "a\tb", "U+0009"],
    ["an escape", "\u001b[2J", "U+001B"],
    ["DEL", "a\u007f", "U+007F"],
    ["a C1 control", "a\u0085", "U+0085"],
    ["a lone surrogate", "a\ud800", "surrogate"],
  ])("refuses %s", (_, value, message) => {
    expect(textProblem(value)).toContain(message);
  });

  it("accepts shell syntax, quotes and non-ASCII text: it is only ever quoted", () => {
    expect(textProblem("x=$(id) `y` 'z' \"w\" ünï 日本 🚀")).toBeNull();
  });
});
