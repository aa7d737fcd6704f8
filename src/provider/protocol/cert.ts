/**
 * go-plugin's AutoMTLS, server side: a fresh self-signed certificate for every start, shaped
 * like the one go-plugin makes for itself (CN and DNS SAN "localhost", also IP 127.0.0.1;
 * server and client auth; a CA so the client can pin it as its only root). The client
 * (Terraform) connects with ServerName "localhost" and trusts exactly this certificate, which it
 * reads from the handshake line: the DER, base64 std encoding WITHOUT padding (Go's
 * RawStdEncoding).
 *
 * The certificate is one fixed shape, so it is written here as DER directly with node:crypto
 * (ECDSA P-256, SHA-256) instead of through an X.509 library: @peculiar/x509 alone took
 * ~190 ms to import, paid on each of the several provider launches of every Terraform command.
 */
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";

export interface ServerCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** The DER certificate. */
  readonly der: Buffer;
  /** The DER certificate as go-plugin's handshake line carries it. */
  readonly handshakeField: string;
}

// --- a minimal DER writer -------------------------------------------------------------------

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);
const octets = (b: Buffer) => tlv(0x04, b);
const bitString = (b: Buffer, unusedBits = 0) => tlv(0x03, Buffer.from([unusedBits]), b);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
const TRUE = Buffer.from([0x01, 0x01, 0xff]);

function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function utcTime(d: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, "0");
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(s, "ascii"));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), TRUE, octets(value)) : seq(oid(id), octets(value));
}

const ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";

export function generateServerCertificate(now: Date = new Date()): ServerCertificate {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = publicKey.export({ type: "spki", format: "der" });

  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive, minimal (first byte never 0)
  const name = seq(set(seq(oid("2.5.4.10"), utf8("cdktf-xen provider"))), set(seq(oid("2.5.4.3"), utf8("localhost"))));
  const algorithm = seq(oid(ECDSA_WITH_SHA256));
  // keyUsage bits 0 digitalSignature, 2 keyEncipherment, 4 keyAgreement, 5 keyCertSign: 1010 1100, 2 unused.
  const keyUsage = bitString(Buffer.from([0xac]), 2);
  const extKeyUsage = seq(oid("1.3.6.1.5.5.7.3.1"), oid("1.3.6.1.5.5.7.3.2"));
  const altNames = seq(tlv(0x82, Buffer.from("localhost", "ascii")), tlv(0x87, Buffer.from([127, 0, 0, 1])));
  const extensions = seq(
    extension("2.5.29.19", true, seq(TRUE)), // basicConstraints: CA
    extension("2.5.29.15", true, keyUsage),
    extension("2.5.29.37", false, extKeyUsage),
    extension("2.5.29.17", false, altNames),
  );
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // v3
    tlv(0x02, serial),
    algorithm,
    name,
    seq(utcTime(new Date(now.getTime() - 30_000)), utcTime(new Date(now.getTime() + 30 * 24 * 3600_000))),
    name,
    spki,
    tlv(0xa3, extensions),
  );
  const signature = sign("sha256", tbs, privateKey); // DER ECDSA-Sig-Value
  const der = seq(tbs, algorithm, bitString(signature));
  const b64 = der.toString("base64");
  const certPem = `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return { certPem, keyPem, der, handshakeField: b64.replace(/=+$/, "") };
}
