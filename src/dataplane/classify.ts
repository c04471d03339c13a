// The forwarding decision before the MFC lookup, written once: what ip_input and
// ip_mforward (ip6_input, ip6_mforward) decide from a datagram's addresses, TTL or hop
// limit and header checks. The engines' input() and `explain` both call it, so the
// explanation cannot drift from what the engine does. The lookup's own outcomes
// (forwarded, wrong_if, miss_*) depend on the MFC and stay in engine.ts.

import { isLinkLocalGroup4, isMulticast4, isMulticast6, mcastScope6, parseIPv4, parseIPv6 } from './addr.js';
import type { FamilyName } from './upcall.js';

/** 'lookup': on to the MFC; otherwise the PacketLedger field that counts the datagram */
export type Classification = 'lookup' | 'bad_dst' | 'bad_src' | 'bad_options' | 'bad_exthdr' | 'local_scope' | 'linklocal_src';

/**
 * IPv4, in FreeBSD's order. src and dst are host-order uint32; sourceRouted: the header
 * carries LSRR/SSRR; routing: MRT_INIT was done (else the datagram is only for this host).
 */
export function classify4(src: number, dst: number, ttl: number, sourceRouted: boolean, routing: boolean): Classification {
  if (!isMulticast4(dst)) return 'bad_dst';
  if (isMulticast4(src) || src === 0xffffffff) return 'bad_src';
  if (sourceRouted) return 'bad_options';
  if (!routing || ttl <= 1 || isLinkLocalGroup4(dst)) return 'local_scope';
  if (isLinkLocalSource4(src)) return 'linklocal_src';
  return 'lookup';
}

/**
 * IPv6: addresses as 16 bytes at src[so..] and dst[do..]; walkable: the extension header
 * chain could be followed. Scopes 0-2 (reserved, interface, link) are never forwarded.
 */
export function classify6(src: Uint8Array, so: number, dst: Uint8Array, dOff: number, hlim: number, walkable: boolean, routing: boolean): Classification {
  if (!isMulticast6(dst, dOff)) return 'bad_dst';
  if (isMulticast6(src, so)) return 'bad_src';
  if (!walkable) return 'bad_exthdr';
  if (!routing || hlim <= 1 || mcastScope6(dst, dOff) <= 2) return 'local_scope';
  if (isUnspecified6(src, so)) return 'bad_src'; // ip6s_cantforward
  return 'lookup';
}

/** 169.254/16: ip_input ignores such sources for forwarding (RFC 3927) */
export function isLinkLocalSource4(src: number): boolean {
  return src >>> 16 === 0xa9fe;
}

export function isUnspecified6(b: Uint8Array, off = 0): boolean {
  for (let i = 0; i < 16; i++) if (b[off + i] !== 0) return false;
  return true;
}

/** the text address is a multicast group of its family (224/4, ff00::/8) */
export function isMulticastGroup(family: FamilyName, group: string): boolean {
  return family === 'inet' ? isMulticast4(parseIPv4(group)) : isMulticast6(parseIPv6(group));
}

/** a multicast group the kernel never forwards: 224.0.0.0/24, IPv6 scopes 0-2 */
export function isLocalScopeGroup(family: FamilyName, group: string): boolean {
  if (family === 'inet') return isLinkLocalGroup4(parseIPv4(group));
  const b = parseIPv6(group);
  return isMulticast6(b) && mcastScope6(b) <= 2;
}
