/**
 * The little DER that sprig's certificate functions need, written here rather than
 * pulled in as a dependency: an encoder for the TBSCertificate Go's x509.CreateCertificate
 * builds, and a reader for the few fields taken back out of a CA certificate
 * (its subject and subject key id) and of a DSA private key.
 */

export type Der = Buffer;

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Buffer): Der {
  return Buffer.concat([Buffer.from([tag]), len(content.length), content]);
}

export const seq = (...items: Der[]): Der => tlv(0x30, Buffer.concat(items));
export const set = (...items: Der[]): Der => tlv(0x31, Buffer.concat(items));
export const octets = (b: Buffer): Der => tlv(0x04, b);
export const nul = (): Der => Buffer.from([0x05, 0x00]);
export const bool = (v: boolean): Der => Buffer.from([0x01, 0x01, v ? 0xff : 0x00]);
export const utf8 = (s: string): Der => tlv(0x0c, Buffer.from(s, 'utf8'));
export const printable = (s: string): Der => tlv(0x13, Buffer.from(s, 'ascii'));
export const ia5 = (s: string): Der => tlv(0x16, Buffer.from(s, 'ascii'));
/** context-specific, constructed [n] */
export const explicit = (n: number, inner: Der): Der => tlv(0xa0 | n, inner);
/** context-specific, primitive [n] */
export const implicitPrim = (n: number, content: Buffer): Der => tlv(0x80 | n, content);

export function integer(v: bigint): Der {
  if (v === 0n) return tlv(0x02, Buffer.from([0]));
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let b = Buffer.from(hex, 'hex');
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

export function oid(dotted: string): Der {
  const parts = dotted.split('.').map((p) => BigInt(p));
  const bytes: number[] = [Number(parts[0]! * 40n + parts[1]!)];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [];
    let v = p;
    do {
      chunk.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** BIT STRING from whole bytes (no unused bits). */
export const bitString = (b: Buffer, unused = 0): Der => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));

/** x509's asn1 BIT STRING for KeyUsage: bit 0 is the most significant bit, trailing zero bits trimmed. */
export function keyUsageBits(bits: number[]): Der {
  const max = Math.max(...bits);
  const nbytes = Math.floor(max / 8) + 1;
  const b = Buffer.alloc(nbytes);
  for (const bit of bits) b[Math.floor(bit / 8)]! |= 0x80 >> bit % 8;
  return bitString(b, 7 - (max % 8));
}

/** UTCTime before 2050, GeneralizedTime from 2050 (RFC 5280), to the second, in UTC. */
export function time(d: Date): Der {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const y = d.getUTCFullYear();
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(p(y % 100) + rest, 'ascii'));
  return tlv(0x18, Buffer.from(p(y, 4) + rest, 'ascii'));
}

// --- reading ---------------------------------------------------------------

export interface Node {
  tag: number;
  /** The whole TLV. */
  raw: Buffer;
  content: Buffer;
}

export function read(buf: Buffer, at = 0): Node & { end: number } {
  const tag = buf[at];
  if (tag === undefined) throw new Error('asn1: truncated');
  let l = buf[at + 1];
  if (l === undefined) throw new Error('asn1: truncated');
  let off = at + 2;
  if (l & 0x80) {
    const n = l & 0x7f;
    l = 0;
    for (let i = 0; i < n; i++) l = l * 256 + buf[off + i]!;
    off += n;
  }
  if (off + l > buf.length) throw new Error('asn1: truncated');
  return { tag, raw: buf.subarray(at, off + l), content: buf.subarray(off, off + l), end: off + l };
}

export function children(n: Node): Node[] {
  const out: Node[] = [];
  let at = 0;
  while (at < n.content.length) {
    const c = read(n.content, at);
    out.push(c);
    at = c.end;
  }
  return out;
}

export function readInteger(n: Node): bigint {
  return n.content.length === 0 ? 0n : BigInt.asIntN(n.content.length * 8, BigInt('0x' + n.content.toString('hex')));
}
