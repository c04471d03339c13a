// Address helpers for the forwarding engine. IPv4 addresses travel through the engine
// as uint32 in host numeric form (a.b.c.d -> a<<24|b<<16|c<<8|d, unsigned) so lookups
// and prefix tests are plain integer work; IPv6 addresses are 16-byte arrays in
// network order, exactly as in struct in6_addr. Parsers are hand-written character
// loops (no regex, no split) because the engine calls them on hot paths.

import { MrtError } from './errno.js';
import type { FamilyName } from './upcall.js';

// ---------------------------------------------------------------------------
// IPv4

const CH_0 = 0x30;
const CH_9 = 0x39;
const CH_DOT = 0x2e;
const CH_COLON = 0x3a;

/**
 * Strict dotted-quad scan of s[start..end): exactly four decimal octets 0..255.
 * Leading zeros ("01") are rejected, as inet_pton(3) and Node's net.isIPv4 do,
 * because inet_aton(3) would read them as octal and the two would disagree.
 * Returns the address (>= 0) or -1.
 */
function scanIPv4(s: string, start: number, end: number): number {
  let value = 0;
  let octets = 0;
  let i = start;
  while (i < end) {
    const first = i;
    let octet = 0;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < CH_0 || c > CH_9) break;
      octet = octet * 10 + (c - CH_0);
      i++;
      if (i - first > 3) return -1;
    }
    const digits = i - first;
    if (digits === 0 || octet > 255) return -1;
    if (digits > 1 && s.charCodeAt(first) === CH_0) return -1;
    value = value * 256 + octet;
    octets++;
    if (i === end) break;
    // Anything but a dot after an octet is garbage; a fourth dot means too many parts.
    if (s.charCodeAt(i) !== CH_DOT || octets === 4) return -1;
    i++;
    if (i === end) return -1; // trailing dot
  }
  return octets === 4 ? value : -1;
}

/** a.b.c.d -> uint32 in host numeric form. Throws MrtError EINVAL if malformed. */
export function parseIPv4(s: string): number {
  const v = typeof s === 'string' ? scanIPv4(s, 0, s.length) : -1;
  if (v < 0) throw new MrtError('EINVAL', `bad IPv4 address '${String(s)}'`);
  return v;
}

/** uint32 (host numeric form) -> dotted quad. */
export function formatIPv4(n: number): string {
  return `${(n >>> 24) & 0xff}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

export function isIPv4(s: string): boolean {
  return typeof s === 'string' && scanIPv4(s, 0, s.length) >= 0;
}

/** 224.0.0.0/4 (IN_MULTICAST). */
export function isMulticast4(n: number): boolean {
  return n >>> 28 === 0xe;
}

/** 224.0.0.0/24 (IN_LOCAL_GROUP): never forwarded by the kernel. */
export function isLinkLocalGroup4(n: number): boolean {
  return n >>> 8 === 0xe00000;
}

// ---------------------------------------------------------------------------
// IPv6

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10; // a-f
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10; // A-F
  return -1;
}

/**
 * RFC 4291 §2.2 text form into out[0..16). Returns false on any malformation:
 * more than one "::", groups of 0 or >4 hex digits, single leading/trailing colon,
 * wrong group count, an embedded IPv4 part anywhere but the last 32 bits, zone ids.
 * "::" must stand for at least one group (as inet_pton), so 8 groups plus "::" fails.
 */
function scanIPv6(s: string, out: Uint8Array): boolean {
  const len = s.length;
  if (len < 2 || len > 45) return false; // 45 = len('ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255')
  const words = [0, 0, 0, 0, 0, 0, 0, 0];
  let n = 0; // groups seen
  let gap = -1; // group index at which "::" stood
  let i = 0;
  if (s.charCodeAt(0) === CH_COLON) {
    if (s.charCodeAt(1) !== CH_COLON) return false;
    gap = 0;
    i = 2;
  }
  while (i < len) {
    const start = i;
    let w = 0;
    let h: number;
    while (i < len && (h = hexValue(s.charCodeAt(i))) >= 0) {
      w = (w << 4) | h;
      i++;
      if (i - start > 4) break; // checked below; stops w from growing without bound
    }
    if (i < len && s.charCodeAt(i) === CH_DOT) {
      // Embedded IPv4: must be the final 32 bits of the text.
      if (n > 6) return false;
      const v4 = scanIPv4(s, start, len);
      if (v4 < 0) return false;
      words[n++] = Math.floor(v4 / 0x10000);
      words[n++] = v4 & 0xffff;
      i = len;
      break;
    }
    const digits = i - start;
    if (digits === 0 || digits > 4 || n === 8) return false;
    words[n++] = w;
    if (i === len) break;
    if (s.charCodeAt(i) !== CH_COLON) return false;
    i++;
    if (i < len && s.charCodeAt(i) === CH_COLON) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i === len) {
      return false; // single trailing colon
    }
  }
  if (gap < 0) {
    if (n !== 8) return false;
  } else if (n > 7) {
    return false;
  }
  out.fill(0);
  // Words before the gap go to the front, words after it to the back.
  const head = gap < 0 ? n : gap;
  for (let k = 0; k < head; k++) {
    out[2 * k] = words[k]! >>> 8;
    out[2 * k + 1] = words[k]! & 0xff;
  }
  const tail = n - head;
  for (let k = 0; k < tail; k++) {
    const dst = 8 - tail + k;
    out[2 * dst] = words[head + k]! >>> 8;
    out[2 * dst + 1] = words[head + k]! & 0xff;
  }
  return true;
}

/** RFC 4291 text -> 16 bytes (network order). Throws MrtError EINVAL if malformed. */
export function parseIPv6(s: string): Uint8Array {
  const out = new Uint8Array(16);
  if (typeof s !== 'string' || !scanIPv6(s, out)) {
    throw new MrtError('EINVAL', `bad IPv6 address '${String(s)}'`);
  }
  return out;
}

export function isIPv6(s: string): boolean {
  return typeof s === 'string' && scanIPv6(s, new Uint8Array(16));
}

/**
 * 16 bytes at b[off..off+16) -> RFC 5952 canonical text: lowercase, no leading zeros,
 * the longest run of two or more zero groups shown as "::" (the first on ties), a lone
 * zero group never compressed. IPv4-mapped addresses (::ffff:0:0/96) use the mixed
 * notation "::ffff:a.b.c.d" that RFC 5952 §5 recommends (FreeBSD's inet_ntop does too).
 */
export function formatIPv6(b: Uint8Array, off = 0): string {
  if (!Number.isInteger(off) || off < 0 || b.length - off < 16) {
    throw new MrtError('EINVAL', `IPv6 address needs 16 bytes at offset ${off}, have ${b.length - off}`);
  }
  const w = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let k = 0; k < 8; k++) w[k] = (b[off + 2 * k]! << 8) | b[off + 2 * k + 1]!;

  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return `::ffff:${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  }

  let bestStart = -1;
  let bestLen = 1; // runs must beat 1 to be compressed
  for (let k = 0; k < 8; ) {
    if (w[k] !== 0) {
      k++;
      continue;
    }
    const start = k;
    while (k < 8 && w[k] === 0) k++;
    if (k - start > bestLen) {
      bestStart = start;
      bestLen = k - start;
    }
  }

  let s = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      s += '::';
      k += bestLen - 1;
      continue;
    }
    if (s.length > 0 && !s.endsWith(':')) s += ':';
    s += w[k]!.toString(16);
  }
  return s;
}

/** ff00::/8 */
export function isMulticast6(b: Uint8Array, off = 0): boolean {
  return b[off] === 0xff;
}

/** Scope of an IPv6 multicast address: low nibble of its second byte (RFC 4291 §2.7). */
export function mcastScope6(b: Uint8Array, off = 0): number {
  return b[off + 1]! & 0x0f;
}

// ---------------------------------------------------------------------------
// Text forms, by family: the router and the commands key state by canonical text

export function isAddr(family: FamilyName, s: string): boolean {
  return family === 'inet' ? isIPv4(s) : isIPv6(s);
}

/** canonical text, so 239.1.1.1 and ff0e::0001 spellings map to one key. Throws EINVAL if malformed. */
export function canonAddr(family: FamilyName, s: string): string {
  return family === 'inet' ? formatIPv4(parseIPv4(s)) : formatIPv6(parseIPv6(s));
}

/** "S,G" in canonical text: the key of (S,G) state kept beside the engine */
export function sgKey(source: string, group: string, family: FamilyName): string {
  return `${canonAddr(family, source)},${canonAddr(family, group)}`;
}

/** the family an address of either family is written in (IPv6 has a colon) */
export function addrFamily(s: string): FamilyName {
  return s.includes(':') && isIPv6(s) ? 'inet6' : 'inet';
}

/** a flow's family: IPv6 when either address is */
export function flowFamily(source: string, group: string): FamilyName {
  return addrFamily(source) === 'inet6' || addrFamily(group) === 'inet6' ? 'inet6' : 'inet';
}
