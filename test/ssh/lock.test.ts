/**
 * The per-host lock on a real sshd: two appliers on two connections, a killed applier
 * (a real `ssh` client process SIGKILLed while holding the lock), timeouts and lost locks.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HostLockError, HostLockTimeoutError } from "../../src/ssh/errors.js";
import { acquireHostLock, lockScript, type HostLock, type LockHolderInfo } from "../../src/ssh/lock.js";
import { Ssh2Transport } from "../../src/ssh/ssh2-transport.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";

const holder = (name: string, pid: number): LockHolderInfo => ({
  pid,
  hostname: `${name}.ci.example`,
  user: "deployer",
  startedAt: "2026-11-02T10:00:00.000Z",
  command: `cdktf-xen apply-host (${name})`,
});

describe("host lock on a real sshd", { timeout: 60_000 }, () => {
  let sshd: Sshd;
  let lockNo = 0;
  let lockDir: string;
  const transports: Ssh2Transport[] = [];
  const locks: HostLock[] = [];
  const children: ChildProcessWithoutNullStreams[] = [];
  const newTransport = (): Ssh2Transport => {
    const t = new Ssh2Transport({ hostId: "stack/xen-lock", connection: sshd.connection() });
    transports.push(t);
    return t;
  };
  const lock = async (t: Ssh2Transport, options: Parameters<typeof acquireHostLock>[1]): Promise<HostLock> => {
    const l = await acquireHostLock(t, { lockDir, ...options });
    locks.push(l);
    return l;
  };
  /** Whether someone holds the lock, asked with flock itself on a separate connection. */
  const lockIsFree = async (): Promise<boolean> => {
    const t = newTransport();
    const r = await t.exec(`flock -n ${lockDir}/lock true`);
    await t.close();
    return r.code === 0;
  };

  beforeAll(async () => {
    sshd = await startSshd();
  });
  beforeEach(() => {
    lockNo += 1;
    lockDir = join(sshd.dir, `lock-${lockNo}`);
  });
  afterEach(async () => {
    await Promise.all(locks.splice(0).map((l) => l.release()));
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
    await Promise.all(transports.splice(0).map((t) => t.close()));
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it("GIVEN a free lock WHEN acquired THEN lock.holder names the holder, and release empties it and frees the lock", async () => {
    const a = newTransport();
    const h = holder("first", 101);
    const held = await lock(a, { holder: h });
    expect(held.held).toBe(true);
    const inspector = newTransport();
    expect(JSON.parse((await inspector.exec(`cat ${lockDir}/lock.holder`)).stdout)).toEqual(h);
    expect(await lockIsFree()).toBe(false);
    await held.release();
    expect(held.held).toBe(false);
    expect(await lockIsFree()).toBe(true);
    expect((await inspector.exec(`cat ${lockDir}/lock.holder`)).stdout).toBe("");
  });

  it("GIVEN a held lock WHEN the holder runs commands THEN they share its one connection", async () => {
    const connections = sshd.connectionCount();
    const a = newTransport();
    const held = await lock(a, { holder: holder("first", 102) });
    for (let i = 0; i < 5; i += 1) expect((await a.exec(`echo ${i}`)).stdout).toBe(`${i}\n`);
    held.assertHeld();
    expect(sshd.connectionCount() - connections).toBe(1);
  });

  it("GIVEN two appliers on two connections WHEN the second asks while the first holds THEN it waits, reports the holder, and gets the lock when the first releases", async () => {
    const first = await lock(newTransport(), { holder: holder("first", 201) });
    let firstHeldWhileWaiting = false;
    let waitedFor: LockHolderInfo | null | undefined;
    let releasing: Promise<void> | null = null;
    const second = lock(newTransport(), {
      holder: holder("second", 202),
      timeoutMs: 30_000,
      onWait: (h) => {
        waitedFor = h;
        firstHeldWhileWaiting = first.held;
        releasing = first.release();
      },
    });
    const got = await second;
    await releasing;
    expect(waitedFor).toEqual(holder("first", 201));
    expect(firstHeldWhileWaiting).toBe(true);
    expect(first.held).toBe(false);
    expect(got.held).toBe(true);
    expect(await lockIsFree()).toBe(false);
  });

  it("GIVEN an applier process holding the lock WHEN that process is killed THEN its lock is released and a waiter gets it", async () => {
    // The "other CLI" is a real OpenSSH client process running the same lock script.
    const knownHosts = join(sshd.dir, `kh-${lockNo}`);
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostKeys.ed25519.publicKeyLine}\n`);
    const other = spawn("ssh", [
      "-i", sshd.clientKey.path,
      "-p", String(sshd.port),
      "-o", `UserKnownHostsFile=${knownHosts}`,
      "-o", "StrictHostKeyChecking=yes",
      "-o", "BatchMode=yes",
      "root@127.0.0.1",
      lockScript(lockDir, 30),
    ]);
    children.push(other);
    other.stdin.write(`${JSON.stringify(holder("killed", 301))}\n`);
    await new Promise<void>((resolve, reject) => {
      let out = "";
      other.stdout.on("data", (b: Buffer) => {
        out += b.toString();
        if (out.includes("LOCKED\n")) resolve();
      });
      other.once("exit", (code) => reject(new Error(`ssh exited ${code} before locking: ${out}`)));
    });

    let waitedFor: LockHolderInfo | null | undefined;
    const got = await lock(newTransport(), {
      holder: holder("survivor", 302),
      timeoutMs: 30_000,
      onWait: (h) => {
        waitedFor = h;
        other.kill("SIGKILL");
      },
    });
    expect(waitedFor).toEqual(holder("killed", 301));
    expect(got.held).toBe(true);
  });

  it("GIVEN a held lock WHEN another applier waits past its timeout THEN HostLockTimeoutError names the holder", async () => {
    await lock(newTransport(), { holder: holder("first", 401) });
    const err = await lock(newTransport(), { holder: holder("second", 402), timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostLockTimeoutError);
    expect((err as HostLockTimeoutError).holder).toEqual(holder("first", 401));
    expect((err as Error).message).toContain("pid 401 on first.ci.example");
    expect((err as Error).message).toContain("stack/xen-lock");
  });

  it("GIVEN a held lock WHEN its connection drops THEN the holder learns it lost the lock and the host is free again", async () => {
    const lost: HostLockError[] = [];
    const held = await lock(newTransport(), { holder: holder("first", 501), onLost: (e) => lost.push(e) });
    sshd.killSessions();
    await expect.poll(() => lost.length, { timeout: 10_000 }).toBe(1);
    expect(held.held).toBe(false);
    expect(() => held.assertHeld()).toThrow(HostLockError);
    expect(lost[0]!.message).toContain("host lock lost");
    expect(await lockIsFree()).toBe(true);
  });
});
