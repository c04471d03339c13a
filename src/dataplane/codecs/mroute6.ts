// IPv6 argument structs (<netinet6/ip6_mroute.h>, FreeBSD amd64): struct sockaddr_in6,
// mif6ctl (MRT6_ADD_MIF), mf6cctl (MRT6_ADD_MFC / MRT6_DEL_MFC), sioc_sg_req6
// (SIOCGETSGCNT_IN6) and sioc_mif_req6 (SIOCGETMIFCNT_IN6).

import { MrtError } from '../errno.js';
import { AF_INET6 } from './constants.js';
import { need, readIn6Addr, readU64, uint, writeIn6Addr, writeU64 } from './util.js';

/** struct sockaddr_in6 (28 B, BSD layout with a length byte). */
export interface SockaddrIn6 {
  len: number; // sin6_len (u_int8_t); 28 when built by us
  family: number; // sin6_family (sa_family_t, u_int8_t); AF_INET6 = 28 on FreeBSD
  port: number; // sin6_port (in_port_t, network order)
  flowinfo: number; // sin6_flowinfo (u_int32_t, network order)
  addr: string; // sin6_addr (in6_addr)
  scopeId: number; // sin6_scope_id (u_int32_t, host order)
}

export const SOCKADDR_IN6_SIZE = 28;

/** A sockaddr_in6 as a FreeBSD program fills one in: len/family set, the rest zero. */
export function sockaddrIn6(addr: string, scopeId = 0): SockaddrIn6 {
  return { len: SOCKADDR_IN6_SIZE, family: AF_INET6, port: 0, flowinfo: 0, addr, scopeId };
}

export function writeSockaddrIn6(b: Buffer, off: number, v: SockaddrIn6, field = 'sockaddr_in6'): void {
  b[off] = uint(v.len, 8, `${field}.sin6_len`);
  b[off + 1] = uint(v.family, 8, `${field}.sin6_family`);
  b.writeUInt16BE(uint(v.port, 16, `${field}.sin6_port`), off + 2);
  b.writeUInt32BE(uint(v.flowinfo, 32, `${field}.sin6_flowinfo`), off + 4);
  writeIn6Addr(b, off + 8, v.addr);
  b.writeUInt32LE(uint(v.scopeId, 32, `${field}.sin6_scope_id`), off + 24);
}

export function readSockaddrIn6(b: Buffer, off: number): SockaddrIn6 {
  return {
    len: b[off]!,
    family: b[off + 1]!,
    port: b.readUInt16BE(off + 2),
    flowinfo: b.readUInt32BE(off + 4),
    addr: readIn6Addr(b, off + 8),
    scopeId: b.readUInt32LE(off + 24),
  };
}

export function encodeSockaddrIn6(v: SockaddrIn6): Buffer {
  const b = Buffer.alloc(SOCKADDR_IN6_SIZE);
  writeSockaddrIn6(b, 0, v);
  return b;
}

export function decodeSockaddrIn6(buf: Uint8Array, off = 0): SockaddrIn6 {
  return readSockaddrIn6(need(buf, off, SOCKADDR_IN6_SIZE, 'sockaddr_in6'), off);
}

/** struct mif6ctl (FreeBSD: no threshold/rate limit, unlike Linux's 12-byte one). */
export interface Mif6ctl {
  mifi: number; // mif6c_mifi (mifi_t, u_short)
  flags: number; // mif6c_flags (u_char, MIFF_*)
  pifi: number; // mif6c_pifi (u_short): interface index
}

export const MIF6CTL_SIZE = 6;

export function encodeMif6ctl(v: Mif6ctl): Buffer {
  const b = Buffer.alloc(MIF6CTL_SIZE);
  b.writeUInt16LE(uint(v.mifi, 16, 'mif6ctl.mif6c_mifi'), 0);
  b[2] = uint(v.flags, 8, 'mif6ctl.mif6c_flags');
  b.writeUInt16LE(uint(v.pifi, 16, 'mif6ctl.mif6c_pifi'), 4);
  return b;
}

export function decodeMif6ctl(buf: Uint8Array, off = 0): Mif6ctl {
  const b = need(buf, off, MIF6CTL_SIZE, 'mif6ctl');
  return { mifi: b.readUInt16LE(off), flags: b[off + 2]!, pifi: b.readUInt16LE(off + 4) };
}

/**
 * struct mf6cctl. The kernel keys entries on sin6_addr only, so the TS shape carries just
 * the addresses: encode fills len/family and zeroes port/flowinfo/scope_id, decode
 * ignores them (use decodeSockaddrIn6 at offset 0 / 28 to see them).
 */
export interface Mf6cctl {
  origin: string; // mf6cc_origin.sin6_addr
  mcastgrp: string; // mf6cc_mcastgrp.sin6_addr
  parent: number; // mf6cc_parent (mifi_t)
  /** mf6cc_ifset (struct if_set, 256 bits): the mif indices in the set, ascending on decode. */
  ifset: number[];
}

export const MF6CCTL_SIZE = 92;
/** Bits in struct if_set (IF_SETSIZE); mif n is bit n%32 of 32-bit word n/32. */
export const IF_SETSIZE = 256;

/** if_set from a list of mif indices (duplicates harmless). */
export function writeIfSet(b: Buffer, off: number, mifs: readonly number[], field: string): void {
  if (!Array.isArray(mifs)) throw new MrtError('EINVAL', `${field}: expected an array of mif indices`);
  const words = new Uint32Array(IF_SETSIZE / 32);
  for (const m of mifs) {
    if (!Number.isInteger(m) || m < 0 || m >= IF_SETSIZE) {
      throw new MrtError('EINVAL', `${field}: mif ${String(m)} not in 0..${IF_SETSIZE - 1}`);
    }
    words[m >>> 5] |= 1 << (m & 31);
  }
  for (let w = 0; w < words.length; w++) b.writeUInt32LE(words[w]!, off + 4 * w);
}

export function readIfSet(b: Buffer, off: number): number[] {
  const mifs: number[] = [];
  for (let w = 0; w < IF_SETSIZE / 32; w++) {
    const word = b.readUInt32LE(off + 4 * w);
    if (word === 0) continue;
    for (let bit = 0; bit < 32; bit++) if ((word >>> bit) & 1) mifs.push(w * 32 + bit);
  }
  return mifs;
}

export function encodeMf6cctl(v: Mf6cctl): Buffer {
  const b = Buffer.alloc(MF6CCTL_SIZE);
  writeSockaddrIn6(b, 0, sockaddrIn6(v.origin), 'mf6cctl.mf6cc_origin');
  writeSockaddrIn6(b, 28, sockaddrIn6(v.mcastgrp), 'mf6cctl.mf6cc_mcastgrp');
  b.writeUInt16LE(uint(v.parent, 16, 'mf6cctl.mf6cc_parent'), 56);
  // 58..59: padding before the 4-byte-aligned if_set
  writeIfSet(b, 60, v.ifset, 'mf6cctl.mf6cc_ifset');
  return b;
}

export function decodeMf6cctl(buf: Uint8Array, off = 0): Mf6cctl {
  const b = need(buf, off, MF6CCTL_SIZE, 'mf6cctl');
  return {
    origin: readIn6Addr(b, off + 8),
    mcastgrp: readIn6Addr(b, off + 28 + 8),
    parent: b.readUInt16LE(off + 56),
    ifset: readIfSet(b, off + 60),
  };
}

/** struct sioc_sg_req6 (addresses as in mf6cctl: only sin6_addr is meaningful). */
export interface SiocSgReq6 {
  src: string; // src.sin6_addr
  grp: string; // grp.sin6_addr
  pktcnt: number; // pktcnt (u_quad_t)
  bytecnt: number; // bytecnt (u_quad_t)
  wrongIf: number; // wrong_if (u_quad_t)
}

export const SIOC_SG_REQ6_SIZE = 80;

export function encodeSiocSgReq6(v: SiocSgReq6): Buffer {
  const b = Buffer.alloc(SIOC_SG_REQ6_SIZE);
  writeSockaddrIn6(b, 0, sockaddrIn6(v.src), 'sioc_sg_req6.src');
  writeSockaddrIn6(b, 28, sockaddrIn6(v.grp), 'sioc_sg_req6.grp');
  writeU64(b, 56, v.pktcnt, 'sioc_sg_req6.pktcnt');
  writeU64(b, 64, v.bytecnt, 'sioc_sg_req6.bytecnt');
  writeU64(b, 72, v.wrongIf, 'sioc_sg_req6.wrong_if');
  return b;
}

export function decodeSiocSgReq6(buf: Uint8Array, off = 0): SiocSgReq6 {
  const b = need(buf, off, SIOC_SG_REQ6_SIZE, 'sioc_sg_req6');
  return {
    src: readIn6Addr(b, off + 8),
    grp: readIn6Addr(b, off + 28 + 8),
    pktcnt: readU64(b, off + 56),
    bytecnt: readU64(b, off + 64),
    wrongIf: readU64(b, off + 72),
  };
}

/** struct sioc_mif_req6 */
export interface SiocMifReq6 {
  mifi: number; // mifi (mifi_t)
  icount: number; // icount (u_quad_t)
  ocount: number; // ocount (u_quad_t)
  ibytes: number; // ibytes (u_quad_t)
  obytes: number; // obytes (u_quad_t)
}

export const SIOC_MIF_REQ6_SIZE = 40;

export function encodeSiocMifReq6(v: SiocMifReq6): Buffer {
  const b = Buffer.alloc(SIOC_MIF_REQ6_SIZE);
  b.writeUInt16LE(uint(v.mifi, 16, 'sioc_mif_req6.mifi'), 0);
  writeU64(b, 8, v.icount, 'sioc_mif_req6.icount');
  writeU64(b, 16, v.ocount, 'sioc_mif_req6.ocount');
  writeU64(b, 24, v.ibytes, 'sioc_mif_req6.ibytes');
  writeU64(b, 32, v.obytes, 'sioc_mif_req6.obytes');
  return b;
}

export function decodeSiocMifReq6(buf: Uint8Array, off = 0): SiocMifReq6 {
  const b = need(buf, off, SIOC_MIF_REQ6_SIZE, 'sioc_mif_req6');
  return {
    mifi: b.readUInt16LE(off),
    icount: readU64(b, off + 8),
    ocount: readU64(b, off + 16),
    ibytes: readU64(b, off + 24),
    obytes: readU64(b, off + 32),
  };
}
