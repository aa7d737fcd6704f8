/**
 * The two-host lab (`bash lab/up.sh --hosts 2`), the ground for live migration: two Xen 4.17
 * hosts in QEMU joined by a socket link bridged as xenbr1, an NFS pool shared between them, and
 * root on each able to reach the other by SSH — checked with plain OpenSSH and nothing but what
 * `.lab2/hosts.json` says, up to a PVH guest migrated from xenA to xenB and back.
 *
 * It runs only when CDKTF_XEN_LAB2=1 (it boots two hosts, about 6 GiB of RAM and minutes of CPU:
 * not for the default suite). It uses the two-host lab when it is up, and otherwise starts it
 * and stops it again at the end.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const execFileP = promisify(execFile);

const ROOT = resolve(import.meta.dirname, "../..");
const LAB_DIR = resolve(ROOT, process.env.CDKTF_XEN_LAB2_DIR ?? ".lab2");
const STATE_PATH = resolve(ROOT, process.env.CDKTF_XEN_LAB2_STATE ?? join(LAB_DIR, "hosts.json"));
const ENABLED = process.env.CDKTF_XEN_LAB2 === "1";

if (!ENABLED) {
  console.info(
    "test/lab/two-hosts.test.ts skipped: it boots the two-host Xen lab (about 6 GiB of RAM, minutes of CPU). " +
      "Run it with CDKTF_XEN_LAB2=1 npx vitest run test/lab/two-hosts.test.ts",
  );
}

/** One host of `.lab2/hosts.json` (the fields of `.lab/host.json` plus the two-host ones these tests read). */
interface LabHost {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly privateKeyPath: string;
  readonly hostKey: string;
  readonly knownHostsFile: string;
  readonly guestKernel: string;
  readonly guestRamdisk: string;
  readonly cpus: number;
  readonly dom0MemoryMiB: number;
  readonly pid: number;
  readonly recipeHash: string;
  readonly imageDir: string;
  readonly migrationAddress: string;
  readonly migrationBridge: string;
  readonly sharedPath: string;
}

interface LabState {
  readonly hosts: readonly LabHost[];
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function readState(): LabState {
  if (!existsSync(STATE_PATH)) throw new Error(`the two-host lab did not write ${STATE_PATH}: read the output of lab/up.sh --hosts 2`);
  return JSON.parse(readFileSync(STATE_PATH, "utf8")) as LabState;
}

/** Runs a lab script with the environment of the test run; never throws. */
async function labScript(script: string, args: readonly string[], timeoutMs: number): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileP("bash", [join(ROOT, "lab", script), ...args], {
      cwd: ROOT,
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
  }
}

function sshArgs(host: LabHost, knownHostsFile: string, command: string): string[] {
  return [
    "-i", host.privateKeyPath,
    "-p", String(host.port),
    "-o", "BatchMode=yes",
    "-o", "IdentitiesOnly=yes",
    "-o", `UserKnownHostsFile=${knownHostsFile}`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "StrictHostKeyChecking=yes",
    "-o", "HostKeyAlgorithms=ssh-ed25519",
    "-o", "ConnectTimeout=20",
    "-o", "LogLevel=ERROR",
    `${host.user}@${host.address}`,
    command,
  ];
}

/**
 * Runs `command` in a host's dom0 with OpenSSH, its host key pinned, and returns the exit status
 * instead of throwing. Retries once when the transport fails (exit 255: LAB-NOTES pitfall 7).
 */
async function run(host: LabHost, command: string, timeoutMs = 120_000): Promise<Run> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { stdout, stderr } = await execFileP("ssh", sshArgs(host, host.knownHostsFile, command), { timeout: timeoutMs });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: unknown; stdout?: string; stderr?: string };
      const code = typeof e.code === "number" ? e.code : -1;
      if (code === 255 && attempt === 1) continue;
      return { code, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
    }
  }
}

/** Like {@link run}, but a failing command fails the test with its stderr. */
async function dom0(host: LabHost, command: string, timeoutMs = 120_000): Promise<string> {
  const result = await run(host, command, timeoutMs);
  if (result.code !== 0) throw new Error(`${host.name}: \`${command}\` exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** `key : value` lines of `xl info` as a map. */
function parseXlInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^(\w+)\s*:\s?(.*)$/.exec(line);
    if (match) fields.set(match[1]!, match[2]!.trim());
  }
  return fields;
}

/** The uptime and disks of the last `XENLAB-DOMU-UP` marker (lab/guest/xenlab-monitor) in a console log. */
interface Marker {
  readonly uptime: number;
  readonly disks: string;
}

async function lastMarker(host: LabHost, consoleLog: string): Promise<Marker | undefined> {
  const out = await run(host, `tr -d '\\r' <${consoleLog} | grep -a '^XENLAB-DOMU-UP ' | tail -n 1`);
  const match = /uptime=(\d+) .*disks=(\S+)/.exec(out.stdout);
  return match ? { uptime: Number(match[1]), disks: match[2]! } : undefined;
}

/** Waits (at most `seconds`) for a marker in `consoleLog` whose uptime is above `after`. */
async function markerAfter(host: LabHost, consoleLog: string, after: number, seconds = 180): Promise<Marker> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const marker = await lastMarker(host, consoleLog);
    if (marker !== undefined && marker.uptime > after) return marker;
    if (Date.now() > deadline) {
      const tail = await run(host, `tail -n 5 ${consoleLog}`);
      throw new Error(`${host.name}: no guest marker with uptime > ${after} in ${consoleLog} after ${seconds} s; its tail: ${tail.stdout}${tail.stderr}`);
    }
    await new Promise((done) => setTimeout(done, 2000));
  }
}

/** The domain names `xl list` shows on a host. */
async function domains(host: LabHost): Promise<string[]> {
  return (await dom0(host, "xl list"))
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.split(/\s+/)[0]!);
}

describe.skipIf(!ENABLED)("the two-host Xen lab (needs CDKTF_XEN_LAB2=1; boots it when it is down)", () => {
  let state: LabState;
  let a: LabHost;
  let b: LabHost;
  let startedHere = false;

  beforeAll(async () => {
    const status = await labScript("status.sh", ["--hosts", "2"], 120_000);
    if (status.code !== 0) {
      const up = await labScript("up.sh", ["--hosts", "2"], 1_500_000);
      if (up.code !== 0) throw new Error(`bash lab/up.sh --hosts 2 failed (exit ${up.code}):\n${up.stderr}`);
      startedHere = true;
    }
    state = readState();
    const byName = new Map(state.hosts.map((h) => [h.name, h]));
    a = byName.get("xenA")!;
    b = byName.get("xenB")!;
  }, 1_600_000);

  afterAll(async () => {
    if (!startedHere) return;
    const down = await labScript("down.sh", ["--hosts", "2"], 300_000);
    if (down.code !== 0) throw new Error(`bash lab/down.sh --hosts 2 failed (exit ${down.code}):\n${down.stderr}`);
  }, 300_000);

  it("GIVEN hosts.json THEN it lists xenA and xenB, one image, each with its own QEMU, port and migration address, and one shared path", () => {
    expect(state.hosts.map((h) => h.name)).toEqual(["xenA", "xenB"]);
    expect(a.port).not.toBe(b.port);
    expect(a.pid).not.toBe(b.pid);
    for (const host of state.hosts) {
      const cmdline = readFileSync(`/proc/${host.pid}/cmdline`, "utf8").split("\0");
      expect(cmdline[0]).toMatch(/qemu-system-x86_64$/);
      expect(cmdline).toContain(`cdktf-xen-lab-${host.name}`);
    }
    expect(a.recipeHash).toBe(b.recipeHash);
    expect(a.imageDir).toBe(b.imageDir);
    expect([a.migrationAddress, b.migrationAddress]).toEqual(["192.168.77.1", "192.168.77.2"]);
    expect(a.migrationBridge).toBe("xenbr1");
    expect(b.migrationBridge).toBe("xenbr1");
    expect(a.sharedPath).toBe(b.sharedPath);
  });

  it("GIVEN each host's known_hosts file THEN it pins that host's own key, the keys differ, and the other host's file is refused", async () => {
    for (const host of state.hosts) {
      const line = readFileSync(host.knownHostsFile, "utf8").trim();
      expect(line.startsWith(`[${host.address}]:${host.port} ssh-ed25519 `)).toBe(true);
      const { stdout } = await execFileP("ssh-keygen", ["-l", "-E", "sha256", "-f", host.knownHostsFile]);
      expect(stdout.split(/\s+/)[1]).toBe(host.hostKey);
    }
    expect(a.hostKey).not.toBe(b.hostKey);
    // xenA's port with xenB's key pinned (rewritten for xenA's port): OpenSSH must refuse the host.
    const wrong = join(LAB_DIR, "xenA", "known_hosts.wrong");
    const bKey = readFileSync(b.knownHostsFile, "utf8").trim().split(" ").slice(1).join(" ");
    await execFileP("bash", ["-c", `printf '%s\\n' "$1" >"$2"`, "_", `[${a.address}]:${a.port} ${bKey}`, wrong]);
    const refused = await execFileP("ssh", sshArgs(a, wrong, "true"), { timeout: 60_000 }).then(
      () => ({ code: 0, stderr: "" }),
      (err: { code?: number; stderr?: string }) => ({ code: err.code ?? -1, stderr: err.stderr ?? "" }),
    );
    await execFileP("rm", ["-f", wrong]);
    expect(refused.code).toBe(255);
    expect(refused.stderr).toMatch(/host key .*(changed|differs)|Host key verification failed/i);
  });

  it("WHEN xl info runs on each host THEN Xen 4.17 answers with the host's own name, one pCPU, dom0_mem=768M and spec-ctrl=eager-fpu", async () => {
    for (const host of state.hosts) {
      const info = parseXlInfo(await dom0(host, "xl info"));
      expect(info.get("host")).toBe(host.name);
      expect(info.get("xen_version")).toMatch(/^4\.17\./);
      expect(Number(info.get("nr_cpus"))).toBe(host.cpus);
      expect(info.get("xen_commandline")).toContain(`dom0_mem=${host.dom0MemoryMiB}M`);
      expect(info.get("xen_commandline")).toContain("spec-ctrl=eager-fpu");
      expect((await dom0(host, "hostname")).trim()).toBe(host.name);
    }
  });

  it("THEN the hosts have different machine-ids and xenbr1 MACs, and xenbr1 holds the host's migration address with the socket NIC as its only port", async () => {
    const facts = await Promise.all(
      state.hosts.map(async (host) => {
        const out = await dom0(
          host,
          `cat /etc/machine-id; readlink -f /var/lib/dbus/machine-id; cat /sys/class/net/${host.migrationBridge}/address; ` +
            `ls -1 /sys/class/net/${host.migrationBridge}/brif | wc -l; ip -4 -o addr show dev ${host.migrationBridge}`,
        );
        const [machineId, dbusLink, mac, ports, addr] = out.trim().split("\n");
        return { host, machineId, dbusLink, mac, ports, addr };
      }),
    );
    const [fa, fb] = facts;
    expect(fa!.machineId).toMatch(/^[0-9a-f]{32}$/);
    expect(fa!.machineId).not.toBe(fb!.machineId);
    expect(fa!.mac).not.toBe(fb!.mac);
    for (const f of facts) {
      expect(f.dbusLink).toBe("/etc/machine-id");
      expect(f.ports).toBe("1");
      expect(f.addr).toMatch(new RegExp(`\\s+inet ${f.host.migrationAddress.replace(/\./g, "\\.")}/24 `));
    }
  });

  it("WHEN each host pings the other's migration address THEN it answers", async () => {
    expect(await dom0(a, `ping -c1 -W5 ${b.migrationAddress}`)).toMatch(/1 received/);
    expect(await dom0(b, `ping -c1 -W5 ${a.migrationAddress}`)).toMatch(/1 received/);
  });

  it("WHEN root on each host runs ssh to the other over xenbr1 in batch mode THEN it logs in, the peer's host key already known and pinned", async () => {
    for (const [from, to] of [[a, b], [b, a]] as const) {
      expect((await dom0(from, `ssh -o BatchMode=yes -o StrictHostKeyChecking=yes ${to.migrationAddress} hostname`)).trim()).toBe(to.name);
      const known = await dom0(from, `ssh-keygen -l -E sha256 -F ${to.migrationAddress} -f /root/.ssh/known_hosts`);
      expect(known).toContain(to.hostKey);
    }
  });

  it("GIVEN the shared pool THEN xenB has xenA's NFS export at the shared path, xenA the export itself, and a file written on either host is read on the other", async () => {
    const mountB = await dom0(b, `findmnt -n -o FSTYPE,SOURCE ${b.sharedPath}`);
    expect(mountB).toMatch(new RegExp(`^nfs4\\s+${a.migrationAddress.replace(/\./g, "\\.")}:/`));
    expect(await run(a, `mountpoint -q ${a.sharedPath}`)).toMatchObject({ code: 0 });
    const token = randomBytes(8).toString("hex");
    const file = `${a.sharedPath}/two-hosts-test-${token}`;
    try {
      await dom0(a, `echo from-xenA-${token} >${file}.a`);
      expect((await dom0(b, `cat ${file}.a`)).trim()).toBe(`from-xenA-${token}`);
      await dom0(b, `echo from-xenB-${token} >${file}.b`);
      expect((await dom0(a, `cat ${file}.b`)).trim()).toBe(`from-xenB-${token}`);
    } finally {
      await run(a, `rm -f ${file}.a ${file}.b`);
    }
  });

  it(
    "GIVEN a PVH guest on xenA with its disk in the shared pool WHEN xl migrate sends it to xenB and back THEN it keeps running there, its uptime carrying on, and leaves the source",
    async () => {
      const name = `mig-${randomBytes(3).toString("hex")}`;
      const dir = a.sharedPath;
      const consoleDir = "/var/log/xen/console";
      const cleanup = async (): Promise<void> => {
        await Promise.all([b, a].map((h) => run(h, `xl destroy ${name} 2>/dev/null; rm -f ${consoleDir}/guest-${name}*.log`)));
        await run(a, `rm -f ${dir}/${name}.cfg ${dir}/${name}.img`);
      };
      const config = [
        `name = "${name}"`,
        `type = "pvh"`,
        `kernel = "${a.guestKernel}"`,
        `ramdisk = "${a.guestRamdisk}"`,
        `extra = "console=hvc0"`,
        // PVH under TCG crashes on RDTSCP without this (LAB-NOTES pitfall 1).
        `cpuid = "host,rdtscp=0"`,
        `memory = 128`,
        `vcpus = 1`,
        `disk = [ 'format=raw,vdev=xvda,access=rw,target=${dir}/${name}.img' ]`,
        `vif = [ 'bridge=xenbr0' ]`,
      ].join("\n");
      try {
        await dom0(a, `printf '%s\\n' '${config.replace(/'/g, "'\\''")}' >${dir}/${name}.cfg && truncate -s 64M ${dir}/${name}.img`);
        const created = await run(a, `xl create ${dir}/${name}.cfg`, 300_000);
        expect(created.code, created.stderr).toBe(0);
        const onA = await markerAfter(a, `${consoleDir}/guest-${name}.log`, -1);
        expect(onA.disks).toBe("xvda:67108864");

        const toB = await run(a, `xl migrate -s "ssh -o BatchMode=yes" ${name} ${b.migrationAddress}`, 600_000);
        expect(toB.code, toB.stderr).toBe(0);
        expect(toB.stderr + toB.stdout).toContain("Migration successful");
        expect(await domains(a)).not.toContain(name);
        expect(await domains(b)).toContain(name);
        // On the target the console log keeps the name the domain had while it arrived.
        const onB = await markerAfter(b, `${consoleDir}/guest-${name}--incoming.log`, onA.uptime);
        expect(onB.disks).toBe("xvda:67108864");

        const backToA = await run(b, `xl migrate -s "ssh -o BatchMode=yes" ${name} ${a.migrationAddress}`, 600_000);
        expect(backToA.code, backToA.stderr).toBe(0);
        expect(await domains(b)).not.toContain(name);
        expect(await domains(a)).toContain(name);
        const backOnA = await markerAfter(a, `${consoleDir}/guest-${name}--incoming.log`, onB.uptime);
        expect(backOnA.disks).toBe("xvda:67108864");
      } finally {
        await cleanup();
      }
    },
    1_200_000,
  );
});
