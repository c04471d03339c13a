// Header arithmetic shared by the engine, the router's inject/capture and the tests.
// Everything works on (buf, off) in place and allocates nothing.

/** One's-complement sum of len bytes, folded to 16 bits (not inverted). */
export function onesSum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  let i = 0;
  for (; i + 1 < len; i += 2) sum += (buf[off + i] << 8) | buf[off + i + 1];
  if (i < len) sum += buf[off + i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The Internet checksum of a region (RFC 1071): the value to store in the header. */
export function internetChecksum(buf: Uint8Array, off: number, len: number): number {
  return ~onesSum(buf, off, len) & 0xffff;
}

/** True when an IPv4 header of hl bytes carries a valid checksum. */
export function ipv4HeaderOk(buf: Uint8Array, off: number, hl: number): boolean {
  return onesSum(buf, off, hl) === 0xffff;
}

/** Recompute and store the IPv4 header checksum. */
export function setIpv4Checksum(buf: Uint8Array, off: number): void {
  const hl = (buf[off] & 15) << 2;
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  const c = internetChecksum(buf, off, hl);
  buf[off + 10] = c >>> 8;
  buf[off + 11] = c & 0xff;
}

/**
 * Decrement the IPv4 TTL and patch the checksum incrementally (RFC 1624): the TTL is the
 * high byte of the 16-bit word at offset 8, so the stored checksum grows by 0x0100.
 */
export function decrementTtl4(buf: Uint8Array, off: number): void {
  buf[off + 8]--;
  let c = ((buf[off + 10] << 8) | buf[off + 11]) + 0x0100;
  c = (c & 0xffff) + (c >>> 16);
  buf[off + 10] = c >>> 8;
  buf[off + 11] = c & 0xff;
}

export function readU32(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

export function writeU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}

/** True when IPv4 options hold a loose or strict source route (which FreeBSD will not forward). */
export function hasSourceRoute4(buf: Uint8Array, off: number, hl: number): boolean {
  let i = off + 20;
  const end = off + hl;
  while (i < end) {
    const type = buf[i];
    if (type === 0) return false; // end of options
    if (type === 1) {
      i++; // no-op
      continue;
    }
    if (type === 131 || type === 137) return true;
    if (i + 1 >= end) return false;
    const olen = buf[i + 1];
    if (olen < 2) return false;
    i += olen;
  }
  return false;
}

const IPV6_HOPOPTS = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_AH = 51;
const IPV6_DSTOPTS = 60;

/**
 * Walk the IPv6 extension header chain of a packet of `len` bytes. Returns the offset
 * of the upper-layer header relative to off, or -1 when a header runs past the packet.
 */
export function walkIpv6ExtHeaders(buf: Uint8Array, off: number, len: number): number {
  let next = buf[off + 6];
  let pos = 40;
  for (let guard = 0; guard < 16; guard++) {
    if (next === IPV6_HOPOPTS || next === IPV6_ROUTING || next === IPV6_DSTOPTS) {
      if (pos + 8 > len) return -1;
      const hlen = (buf[off + pos + 1] + 1) * 8;
      if (pos + hlen > len) return -1;
      next = buf[off + pos];
      pos += hlen;
    } else if (next === IPV6_FRAGMENT) {
      if (pos + 8 > len) return -1;
      next = buf[off + pos];
      pos += 8;
    } else if (next === IPV6_AH) {
      if (pos + 8 > len) return -1;
      const hlen = (buf[off + pos + 1] + 2) * 4;
      if (pos + hlen > len) return -1;
      next = buf[off + pos];
      pos += hlen;
    } else {
      return pos;
    }
  }
  return -1; // a chain this long is an attack, not a packet
}
