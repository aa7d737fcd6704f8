/**
 * TransportPool: one transport (so one SSH connection) per host per process, counted by a
 * real sshd.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostConnection } from "../../src/model/spec.js";
import { TransportConfigError } from "../../src/ssh/errors.js";
import { TransportPool, ssh2TransportFactory, type TransportFactory } from "../../src/ssh/pool.js";
import type { Transport } from "../../src/ssh/transport.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";

/** The real factory, recording what it was asked for. */
function recordingFactory(): TransportFactory & { readonly made: string[] } {
  const real = ssh2TransportFactory();
  const made: string[] = [];
  return {
    made,
    create: (hostId: string, connection: HostConnection): Transport => {
      made.push(hostId);
      return real.create(hostId, connection);
    },
  };
}

describe("TransportPool", { timeout: 60_000 }, () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it("GIVEN one host asked for from several places WHEN commands run THEN one transport and one SSH connection serve them all", async () => {
    const factory = recordingFactory();
    const pool = new TransportPool(factory);
    const connections = sshd.connectionCount();
    try {
      const a = pool.get("stack/xen-a", sshd.connection());
      const b = pool.get("stack/xen-a", { ...sshd.connection() });
      expect(b).toBe(a);
      await Promise.all([a.exec("echo 1"), b.exec("echo 2"), pool.get("stack/xen-a", sshd.connection()).exec("echo 3")]);
      expect(factory.made).toEqual(["stack/xen-a"]);
      expect(sshd.connectionCount() - connections).toBe(1);
    } finally {
      await pool.closeAll();
    }
  });

  it("GIVEN two host ids WHEN asked for THEN each gets its own transport and connection", async () => {
    const factory = recordingFactory();
    const pool = new TransportPool(factory);
    const connections = sshd.connectionCount();
    try {
      const a = pool.get("stack/xen-a", sshd.connection());
      const b = pool.get("stack/xen-b", sshd.connection());
      expect(b).not.toBe(a);
      expect(b.hostId).toBe("stack/xen-b");
      await Promise.all([a.exec("true"), b.exec("true")]);
      expect(pool.hostIds()).toEqual(["stack/xen-a", "stack/xen-b"]);
      expect(sshd.connectionCount() - connections).toBe(2);
    } finally {
      await pool.closeAll();
    }
  });

  it("GIVEN a host already opened WHEN asked for with different connection settings THEN it refuses instead of picking one", () => {
    const pool = new TransportPool(recordingFactory());
    pool.get("stack/xen-a", sshd.connection());
    expect(() => pool.get("stack/xen-a", sshd.connection({ user: "admin" }))).toThrow(TransportConfigError);
    expect(() => pool.get("stack/xen-a", sshd.connection({ user: "admin" }))).toThrow(/two connection settings/);
  });

  it("GIVEN open transports WHEN closeAll THEN every connection is closed and the pool refuses new hosts", async () => {
    const pool = new TransportPool(recordingFactory());
    const a = pool.get("stack/xen-a", sshd.connection());
    await a.exec("true");
    const disconnectsBefore = sshd.log().split("\n").filter((l) => l.includes("Disconnected from user root")).length;
    await pool.closeAll();
    await expect(a.exec("true")).rejects.toThrow(/closed/);
    expect(() => pool.get("stack/xen-c", sshd.connection())).toThrow(/closed/);
    await expect
      .poll(() => sshd.log().split("\n").filter((l) => l.includes("Disconnected from user root")).length, { timeout: 5_000 })
      .toBe(disconnectsBefore + 1);
  });
});
