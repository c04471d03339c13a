// Shared plumbing for the struct codecs. Integer fields are amd64 host order
// (little-endian); in_addr / in6_addr are network order, as the kernel stores them.

import { MrtError } from '../errno.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../addr.js';

/** A Buffer view over the caller's bytes (no copy) so the read* helpers are available. */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * sooptcopyin semantics: fewer than `size` bytes left is EINVAL; more is fine and the
 * excess is ignored. Returns a Buffer view to read from.
 */
export function need(b: Uint8Array, off: number, size: number, what: string): Buffer {
  if (!Number.isInteger(off) || off < 0) {
    throw new MrtError('EINVAL', `struct ${what}: bad offset ${off}`);
  }
  const have = b.length - off;
  if (have < size) {
    throw new MrtError('EINVAL', `struct ${what}: need ${size} bytes, have ${Math.max(have, 0)}`);
  }
  return asBuffer(b);
}

/** Range-check an unsigned integer field before encoding (C would truncate silently). */
export function uint(v: number, bits: 8 | 16 | 32, field: string): number {
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new MrtError('EINVAL', `${field}: ${String(v)} is not an integer in 0..${max}`);
  }
  return v;
}

const TWO32 = 0x1_0000_0000;
const TWO64 = 18446744073709551616; // 2^64, exact as a double

/** u_long / u_quad_t / uint64_t counter, LE. Any integer-valued double in [0, 2^64). */
export function writeU64(buf: Buffer, off: number, v: number, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v >= TWO64) {
    throw new MrtError('EINVAL', `${field}: ${String(v)} is not an integer in 0..2^64-1`);
  }
  // Division and remainder by 2^32 are exact for integer doubles, so no BigInt needed.
  buf.writeUInt32LE(v % TWO32, off);
  buf.writeUInt32LE(Math.floor(v / TWO32), off + 4);
}

/** Exact below 2^53; above that, rounded to the nearest double (as Number(bigint)). */
export function readU64(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off + 4) * TWO32 + buf.readUInt32LE(off);
}

/** time_t / suseconds_t (both `long` on amd64), LE, signed. */
export function writeI64(buf: Buffer, off: number, v: number, field: string): void {
  if (!Number.isInteger(v) || v < -(2 ** 63) || v >= 2 ** 63) {
    throw new MrtError('EINVAL', `${field}: ${String(v)} is not an integer in -2^63..2^63-1`);
  }
  buf.writeBigInt64LE(BigInt(v), off);
}

export function readI64(buf: Buffer, off: number): number {
  return Number(buf.readBigInt64LE(off));
}

/** struct in_addr from dotted quad (network order). */
export function writeInAddr(buf: Buffer, off: number, s: string): void {
  buf.writeUInt32BE(parseIPv4(s), off);
}

export function readInAddr(buf: Buffer, off: number): string {
  return formatIPv4(buf.readUInt32BE(off));
}

/** struct in6_addr from RFC 4291 text. */
export function writeIn6Addr(buf: Buffer, off: number, s: string): void {
  buf.set(parseIPv6(s), off);
}

export function readIn6Addr(buf: Buffer, off: number): string {
  return formatIPv6(buf, off);
}

/**
 * Fixed u_char[n] array (mfcc_ttls, mfcc_flags). Shorter input is zero-filled, which is
 * what a C caller gets from memset + partial assignment; longer input is an error.
 */
export function writeU8Array(buf: Buffer, off: number, a: readonly number[], n: number, field: string): void {
  if (!Array.isArray(a) || a.length > n) {
    throw new MrtError('EINVAL', `${field}: expected at most ${n} entries`);
  }
  for (let i = 0; i < a.length; i++) buf[off + i] = uint(a[i]!, 8, `${field}[${i}]`);
}

export function readU8Array(buf: Buffer, off: number, n: number): number[] {
  const a = new Array<number>(n);
  for (let i = 0; i < n; i++) a[i] = buf[off + i]!;
  return a;
}
