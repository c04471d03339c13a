// Linux's multicast routing ABI (amd64), as an unmodified Linux daemon under `mrsh exec`
// speaks it: the numbers and layouts of <linux/mroute.h> and <linux/mroute6.h>, and
// Linux's errno values. The FreeBSD codecs (the rest of codecs/) stay the engine's own;
// this file is the translation's vocabulary. test/dataplane/linux-abi.test.ts holds every
// number and offset here against the headers, through a C program compiled with them.
//
// Where a Linux struct has the same bytes as FreeBSD's (sioc_sg_req, sioc_vif_req,
// sioc_mif_req6, the leading fields of vifctl and mfcctl) the FreeBSD codec is reused.

import type { Errno } from '../errno.js';
import { decodeVifctl, encodeVifctl } from './vif.js';
import { decodeMfcctl, encodeMfcctl } from './mfc.js';
import { readIfSet, writeIfSet } from './mroute6.js';
import { need, readIn6Addr, readU64, uint, writeIn6Addr, writeU64 } from './util.js';

export {
  encodeSiocSgReq,
  decodeSiocSgReq,
  type SiocSgReq,
} from './mfc.js';
export { encodeSiocVifReq, decodeSiocVifReq, type SiocVifReq } from './vif.js';
export { encodeSiocMifReq6, decodeSiocMifReq6, type SiocMifReq6 } from './mroute6.js';

// ---------------------------------------------------------------------------
// Socket levels and families (Linux numbering)

export const IPPROTO_IP = 0;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_IGMP = 2;
export const IPPROTO_ICMPV6 = 58;
export const AF_INET = 2;
/** FreeBSD says 28; sockaddr_in6.sin6_family in Linux structs is 10. */
export const AF_INET6 = 10;

// ---------------------------------------------------------------------------
// IPv4 options (level IPPROTO_IP on a raw IGMP socket)

export const MRT_BASE = 200;
export const MRT_INIT = MRT_BASE;
export const MRT_DONE = MRT_BASE + 1;
export const MRT_ADD_VIF = MRT_BASE + 2;
export const MRT_DEL_VIF = MRT_BASE + 3;
export const MRT_ADD_MFC = MRT_BASE + 4;
export const MRT_DEL_MFC = MRT_BASE + 5;
export const MRT_VERSION = MRT_BASE + 6;
export const MRT_ASSERT = MRT_BASE + 7;
export const MRT_PIM = MRT_BASE + 8;
export const MRT_TABLE = MRT_BASE + 9;
export const MRT_ADD_MFC_PROXY = MRT_BASE + 10;
export const MRT_DEL_MFC_PROXY = MRT_BASE + 11;
export const MRT_FLUSH = MRT_BASE + 12;
export const MRT_MAX = MRT_BASE + 12;

/** MRT_FLUSH's int argument */
export const MRT_FLUSH_MFC = 1;
export const MRT_FLUSH_MFC_STATIC = 2;
export const MRT_FLUSH_VIFS = 4;
export const MRT_FLUSH_VIFS_STATIC = 8;

// ---------------------------------------------------------------------------
// IPv6 options (level IPPROTO_IPV6 on a raw ICMPv6 socket)

export const MRT6_BASE = 200;
export const MRT6_INIT = MRT6_BASE;
export const MRT6_DONE = MRT6_BASE + 1;
export const MRT6_ADD_MIF = MRT6_BASE + 2;
export const MRT6_DEL_MIF = MRT6_BASE + 3;
export const MRT6_ADD_MFC = MRT6_BASE + 4;
export const MRT6_DEL_MFC = MRT6_BASE + 5;
export const MRT6_VERSION = MRT6_BASE + 6;
export const MRT6_ASSERT = MRT6_BASE + 7;
export const MRT6_PIM = MRT6_BASE + 8;
export const MRT6_TABLE = MRT6_BASE + 9;
export const MRT6_ADD_MFC_PROXY = MRT6_BASE + 10;
export const MRT6_DEL_MFC_PROXY = MRT6_BASE + 11;
export const MRT6_FLUSH = MRT6_BASE + 12;
export const MRT6_MAX = MRT6_BASE + 12;

export const MRT6_FLUSH_MFC = 1;
export const MRT6_FLUSH_MFC_STATIC = 2;
export const MRT6_FLUSH_MIFS = 4;
export const MRT6_FLUSH_MIFS_STATIC = 8;

/** getsockopt(MRT_VERSION / MRT6_VERSION): a literal in ipmr.c and ip6mr.c */
export const MRT_VERSION_VALUE = 0x0305;

/** The table a socket uses until MRT_TABLE: IPv4's RT_TABLE_DEFAULT, IPv6's RT6_TABLE_DFLT (= RT_TABLE_MAIN). */
export const RT_TABLE_DEFAULT = 253;
export const RT_TABLE_MAIN = 254;
export const RT6_TABLE_DFLT = RT_TABLE_MAIN;

// ---------------------------------------------------------------------------
// ioctls: SIOCPROTOPRIVATE-based, the same numbers for both families

export const SIOCPROTOPRIVATE = 0x89e0;
export const SIOCGETVIFCNT = SIOCPROTOPRIVATE;
export const SIOCGETSGCNT = SIOCPROTOPRIVATE + 1;
/** Defined by the header, implemented by neither ipmr.c nor ip6mr.c. */
export const SIOCGETRPF = SIOCPROTOPRIVATE + 2;
export const SIOCGETMIFCNT_IN6 = SIOCPROTOPRIVATE;
export const SIOCGETSGCNT_IN6 = SIOCPROTOPRIVATE + 1;

// ---------------------------------------------------------------------------
// Table sizes, flags, message types

export const MAXVIFS = 32;
/** FreeBSD has 64; Linux 32, though mf6cctl's if_set has room for 256 */
export const MAXMIFS = 32;
export const ALL_VIFS = 0xffff;
export const ALL_MIFS = 0xffff;
export const IF_SETSIZE = 256;

export const VIFF_TUNNEL = 0x1;
export const VIFF_SRCRT = 0x2;
export const VIFF_REGISTER = 0x4;
/** vifc_lcl_ifindex instead of vifc_lcl_addr names the interface (Linux only) */
export const VIFF_USE_IFINDEX = 0x8;
export const MIFF_REGISTER = 0x1;

export const IGMPMSG_NOCACHE = 1;
export const IGMPMSG_WRONGVIF = 2;
export const IGMPMSG_WHOLEPKT = 3;
/** Linux's 4; FreeBSD's 4 is IGMPMSG_BW_UPCALL */
export const IGMPMSG_WRVIFWHOLE = 4;
export const MRT6MSG_NOCACHE = 1;
export const MRT6MSG_WRONGMIF = 2;
export const MRT6MSG_WHOLEPKT = 3;
export const MRT6MSG_WRMIFWHOLE = 4;

// ---------------------------------------------------------------------------
// Errno numbers (asm-generic/errno-base.h, errno.h): every name the engine raises, and
// those the routing socket answers with on its own.

export const LINUX_ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENFILE: 23,
  ENOTTY: 25,
  ENOSYS: 38,
  EPROTO: 71,
  ENOTSOCK: 88,
  EMSGSIZE: 90,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENOBUFS: 105,
  ETIMEDOUT: 110,
  // the file errnos of write memory (errno.ts), so every name has a number
  EFBIG: 27,
  ENOSPC: 28,
  EROFS: 30,
  ENOTDIR: 20,
  EISDIR: 21,
  ETXTBSY: 26,
  ENAMETOOLONG: 36,
  ELOOP: 40,
  EDQUOT: 122,
} as const satisfies Record<Errno, number> & Record<string, number>;

export type LinuxErrnoName = keyof typeof LINUX_ERRNO;

// ---------------------------------------------------------------------------
// Layouts: sizeof and offsetof, keyed as the C program prints them. The codecs below
// read and write at these offsets, so the ABI test checks what the codecs do.

export const SIZEOF = {
  vifctl: 16,
  mfcctl: 60,
  sioc_sg_req: 32,
  sioc_vif_req: 40,
  igmpmsg: 20,
  mif6ctl: 12,
  mf6cctl: 92,
  sioc_sg_req6: 80,
  sioc_mif_req6: 40,
  mrt6msg: 40,
  sockaddr_in6: 28,
  if_set: 32,
} as const;

export const OFFSETOF = {
  'vifctl.vifc_vifi': 0,
  'vifctl.vifc_flags': 2,
  'vifctl.vifc_threshold': 3,
  'vifctl.vifc_rate_limit': 4,
  'vifctl.vifc_lcl_addr': 8,
  'vifctl.vifc_lcl_ifindex': 8,
  'vifctl.vifc_rmt_addr': 12,
  'mfcctl.mfcc_origin': 0,
  'mfcctl.mfcc_mcastgrp': 4,
  'mfcctl.mfcc_parent': 8,
  'mfcctl.mfcc_ttls': 10,
  'mfcctl.mfcc_pkt_cnt': 44,
  'mfcctl.mfcc_byte_cnt': 48,
  'mfcctl.mfcc_wrong_if': 52,
  'mfcctl.mfcc_expire': 56,
  'sioc_sg_req.src': 0,
  'sioc_sg_req.grp': 4,
  'sioc_sg_req.pktcnt': 8,
  'sioc_sg_req.bytecnt': 16,
  'sioc_sg_req.wrong_if': 24,
  'sioc_vif_req.vifi': 0,
  'sioc_vif_req.icount': 8,
  'sioc_vif_req.ocount': 16,
  'sioc_vif_req.ibytes': 24,
  'sioc_vif_req.obytes': 32,
  'igmpmsg.im_msgtype': 8,
  'igmpmsg.im_mbz': 9,
  'igmpmsg.im_vif': 10,
  'igmpmsg.im_vif_hi': 11,
  'igmpmsg.im_src': 12,
  'igmpmsg.im_dst': 16,
  'mif6ctl.mif6c_mifi': 0,
  'mif6ctl.mif6c_flags': 2,
  'mif6ctl.vifc_threshold': 3,
  'mif6ctl.mif6c_pifi': 4,
  'mif6ctl.vifc_rate_limit': 8,
  'mf6cctl.mf6cc_origin': 0,
  'mf6cctl.mf6cc_mcastgrp': 28,
  'mf6cctl.mf6cc_parent': 56,
  'mf6cctl.mf6cc_ifset': 60,
  'sioc_sg_req6.src': 0,
  'sioc_sg_req6.grp': 28,
  'sioc_sg_req6.pktcnt': 56,
  'sioc_sg_req6.bytecnt': 64,
  'sioc_sg_req6.wrong_if': 72,
  'sioc_mif_req6.mifi': 0,
  'sioc_mif_req6.icount': 8,
  'sioc_mif_req6.ocount': 16,
  'sioc_mif_req6.ibytes': 24,
  'sioc_mif_req6.obytes': 32,
  'mrt6msg.im6_mbz': 0,
  'mrt6msg.im6_msgtype': 1,
  'mrt6msg.im6_mif': 2,
  'mrt6msg.im6_pad': 4,
  'mrt6msg.im6_src': 8,
  'mrt6msg.im6_dst': 24,
  'sockaddr_in6.sin6_family': 0,
  'sockaddr_in6.sin6_port': 2,
  'sockaddr_in6.sin6_flowinfo': 4,
  'sockaddr_in6.sin6_addr': 8,
  'sockaddr_in6.sin6_scope_id': 24,
} as const;

const O = OFFSETOF;

export const VIFCTL_SIZE = SIZEOF.vifctl;
export const MFCCTL_SIZE = SIZEOF.mfcctl;
export const SIOC_SG_REQ_SIZE = SIZEOF.sioc_sg_req;
export const SIOC_VIF_REQ_SIZE = SIZEOF.sioc_vif_req;
export const IGMPMSG_SIZE = SIZEOF.igmpmsg;
/** struct igmphdr, which follows the header copy in a NOCACHE / WRONGVIF message */
export const IGMPHDR_SIZE = 8;
export const MIF6CTL_SIZE = SIZEOF.mif6ctl;
export const MF6CCTL_SIZE = SIZEOF.mf6cctl;
export const SIOC_SG_REQ6_SIZE = SIZEOF.sioc_sg_req6;
export const SIOC_MIF_REQ6_SIZE = SIZEOF.sioc_mif_req6;
export const MRT6MSG_SIZE = SIZEOF.mrt6msg;
export const SOCKADDR_IN6_SIZE = SIZEOF.sockaddr_in6;
export const INT_SIZE = 4;
export const MIFI_SIZE = 2;

// ---------------------------------------------------------------------------
// struct vifctl: FreeBSD's bytes, with a union at 8 (lcl_addr | lcl_ifindex)

export interface LinuxVifctl {
  vifi: number; // vifc_vifi (vifi_t)
  flags: number; // vifc_flags (VIFF_*)
  threshold: number; // vifc_threshold
  rateLimit: number; // vifc_rate_limit ("NI": stored, never used)
  /** vifc_lcl_addr: the union read as an address */
  lclAddr: string;
  /** vifc_lcl_ifindex: the same four bytes read as an int (meant with VIFF_USE_IFINDEX) */
  lclIfindex: number;
  rmtAddr: string; // vifc_rmt_addr
}

export function decodeLinuxVifctl(buf: Uint8Array, off = 0): LinuxVifctl {
  const v = decodeVifctl(buf, off);
  const b = need(buf, off, VIFCTL_SIZE, 'vifctl');
  return { ...v, lclIfindex: b.readInt32LE(off + O['vifctl.vifc_lcl_ifindex']) };
}

/** VIFF_USE_IFINDEX in `flags` writes lclIfindex into the union, else lclAddr. */
export function encodeLinuxVifctl(v: Omit<LinuxVifctl, 'lclAddr' | 'lclIfindex'> & { lclAddr?: string; lclIfindex?: number }): Buffer {
  const b = encodeVifctl({ ...v, lclAddr: v.lclAddr ?? '0.0.0.0' });
  if (v.flags & VIFF_USE_IFINDEX) b.writeInt32LE(v.lclIfindex ?? 0, O['vifctl.vifc_lcl_ifindex']);
  return b;
}

// ---------------------------------------------------------------------------
// struct mfcctl: FreeBSD's 44 bytes, then four counters the kernel ignores on input

export interface LinuxMfcctl {
  origin: string; // mfcc_origin
  mcastgrp: string; // mfcc_mcastgrp
  parent: number; // mfcc_parent
  /** mfcc_ttls[MAXVIFS] (length 32; shorter is zero-filled on encode) */
  ttls: number[];
  pktCnt: number; // mfcc_pkt_cnt (unsigned int)
  byteCnt: number; // mfcc_byte_cnt
  wrongIf: number; // mfcc_wrong_if
  expire: number; // mfcc_expire (int)
}

export function decodeLinuxMfcctl(buf: Uint8Array, off = 0): LinuxMfcctl {
  const b = need(buf, off, MFCCTL_SIZE, 'mfcctl');
  const m = decodeMfcctl(b, off);
  return {
    ...m,
    pktCnt: b.readUInt32LE(off + O['mfcctl.mfcc_pkt_cnt']),
    byteCnt: b.readUInt32LE(off + O['mfcctl.mfcc_byte_cnt']),
    wrongIf: b.readUInt32LE(off + O['mfcctl.mfcc_wrong_if']),
    expire: b.readInt32LE(off + O['mfcctl.mfcc_expire']),
  };
}

export function encodeLinuxMfcctl(v: Omit<LinuxMfcctl, 'pktCnt' | 'byteCnt' | 'wrongIf' | 'expire'> & Partial<LinuxMfcctl>): Buffer {
  const b = Buffer.alloc(MFCCTL_SIZE);
  encodeMfcctl(v).copy(b, 0);
  b.writeUInt32LE(uint(v.pktCnt ?? 0, 32, 'mfcctl.mfcc_pkt_cnt'), O['mfcctl.mfcc_pkt_cnt']);
  b.writeUInt32LE(uint(v.byteCnt ?? 0, 32, 'mfcctl.mfcc_byte_cnt'), O['mfcctl.mfcc_byte_cnt']);
  b.writeUInt32LE(uint(v.wrongIf ?? 0, 32, 'mfcctl.mfcc_wrong_if'), O['mfcctl.mfcc_wrong_if']);
  b.writeInt32LE(v.expire ?? 0, O['mfcctl.mfcc_expire']);
  return b;
}

// ---------------------------------------------------------------------------
// struct sockaddr_in6, Linux's: no sin6_len, a 16-bit family (10)

export interface LinuxSockaddrIn6 {
  family: number; // sin6_family (u16, host order)
  port: number; // sin6_port (network order)
  flowinfo: number; // sin6_flowinfo (network order)
  addr: string; // sin6_addr
  scopeId: number; // sin6_scope_id (host order)
}

export function writeLinuxSockaddrIn6(b: Buffer, off: number, v: LinuxSockaddrIn6, field = 'sockaddr_in6'): void {
  b.writeUInt16LE(uint(v.family, 16, `${field}.sin6_family`), off + O['sockaddr_in6.sin6_family']);
  b.writeUInt16BE(uint(v.port, 16, `${field}.sin6_port`), off + O['sockaddr_in6.sin6_port']);
  b.writeUInt32BE(uint(v.flowinfo, 32, `${field}.sin6_flowinfo`), off + O['sockaddr_in6.sin6_flowinfo']);
  writeIn6Addr(b, off + O['sockaddr_in6.sin6_addr'], v.addr);
  b.writeUInt32LE(uint(v.scopeId, 32, `${field}.sin6_scope_id`), off + O['sockaddr_in6.sin6_scope_id']);
}

export function readLinuxSockaddrIn6(b: Buffer, off: number): LinuxSockaddrIn6 {
  return {
    family: b.readUInt16LE(off + O['sockaddr_in6.sin6_family']),
    port: b.readUInt16BE(off + O['sockaddr_in6.sin6_port']),
    flowinfo: b.readUInt32BE(off + O['sockaddr_in6.sin6_flowinfo']),
    addr: readIn6Addr(b, off + O['sockaddr_in6.sin6_addr']),
    scopeId: b.readUInt32LE(off + O['sockaddr_in6.sin6_scope_id']),
  };
}

/** A sockaddr_in6 as a Linux program fills one in: family 10, the rest zero. */
export function linuxSockaddrIn6(addr: string): LinuxSockaddrIn6 {
  return { family: AF_INET6, port: 0, flowinfo: 0, addr, scopeId: 0 };
}

// ---------------------------------------------------------------------------
// struct mif6ctl (12 B; FreeBSD's is 6)

export interface LinuxMif6ctl {
  mifi: number; // mif6c_mifi
  flags: number; // mif6c_flags (MIFF_*)
  threshold: number; // vifc_threshold
  pifi: number; // mif6c_pifi: the interface's ifindex
  rateLimit: number; // vifc_rate_limit
}

export function decodeLinuxMif6ctl(buf: Uint8Array, off = 0): LinuxMif6ctl {
  const b = need(buf, off, MIF6CTL_SIZE, 'mif6ctl');
  return {
    mifi: b.readUInt16LE(off + O['mif6ctl.mif6c_mifi']),
    flags: b[off + O['mif6ctl.mif6c_flags']]!,
    threshold: b[off + O['mif6ctl.vifc_threshold']]!,
    pifi: b.readUInt16LE(off + O['mif6ctl.mif6c_pifi']),
    rateLimit: b.readUInt32LE(off + O['mif6ctl.vifc_rate_limit']),
  };
}

export function encodeLinuxMif6ctl(v: LinuxMif6ctl): Buffer {
  const b = Buffer.alloc(MIF6CTL_SIZE);
  b.writeUInt16LE(uint(v.mifi, 16, 'mif6ctl.mif6c_mifi'), O['mif6ctl.mif6c_mifi']);
  b[O['mif6ctl.mif6c_flags']] = uint(v.flags, 8, 'mif6ctl.mif6c_flags');
  b[O['mif6ctl.vifc_threshold']] = uint(v.threshold, 8, 'mif6ctl.vifc_threshold');
  b.writeUInt16LE(uint(v.pifi, 16, 'mif6ctl.mif6c_pifi'), O['mif6ctl.mif6c_pifi']);
  b.writeUInt32LE(uint(v.rateLimit, 32, 'mif6ctl.vifc_rate_limit'), O['mif6ctl.vifc_rate_limit']);
  return b;
}

// ---------------------------------------------------------------------------
// struct mf6cctl (92 B)

export interface LinuxMf6cctl {
  origin: LinuxSockaddrIn6; // mf6cc_origin
  mcastgrp: LinuxSockaddrIn6; // mf6cc_mcastgrp
  parent: number; // mf6cc_parent
  /** mf6cc_ifset: the mif indices whose bits are set, ascending on decode */
  ifset: number[];
}

export function decodeLinuxMf6cctl(buf: Uint8Array, off = 0): LinuxMf6cctl {
  const b = need(buf, off, MF6CCTL_SIZE, 'mf6cctl');
  return {
    origin: readLinuxSockaddrIn6(b, off + O['mf6cctl.mf6cc_origin']),
    mcastgrp: readLinuxSockaddrIn6(b, off + O['mf6cctl.mf6cc_mcastgrp']),
    parent: b.readUInt16LE(off + O['mf6cctl.mf6cc_parent']),
    ifset: readIfSet(b, off + O['mf6cctl.mf6cc_ifset']),
  };
}

export function encodeLinuxMf6cctl(v: Omit<LinuxMf6cctl, 'origin' | 'mcastgrp'> & { origin: LinuxSockaddrIn6 | string; mcastgrp: LinuxSockaddrIn6 | string }): Buffer {
  const b = Buffer.alloc(MF6CCTL_SIZE);
  const sa = (x: LinuxSockaddrIn6 | string) => (typeof x === 'string' ? linuxSockaddrIn6(x) : x);
  writeLinuxSockaddrIn6(b, O['mf6cctl.mf6cc_origin'], sa(v.origin), 'mf6cctl.mf6cc_origin');
  writeLinuxSockaddrIn6(b, O['mf6cctl.mf6cc_mcastgrp'], sa(v.mcastgrp), 'mf6cctl.mf6cc_mcastgrp');
  b.writeUInt16LE(uint(v.parent, 16, 'mf6cctl.mf6cc_parent'), O['mf6cctl.mf6cc_parent']);
  writeIfSet(b, O['mf6cctl.mf6cc_ifset'], v.ifset, 'mf6cctl.mf6cc_ifset');
  return b;
}

// ---------------------------------------------------------------------------
// struct sioc_sg_req6 (80 B: Linux sockaddrs, unsigned long counters)

export interface LinuxSiocSgReq6 {
  src: LinuxSockaddrIn6;
  grp: LinuxSockaddrIn6;
  pktcnt: number;
  bytecnt: number;
  wrongIf: number;
}

export function decodeLinuxSiocSgReq6(buf: Uint8Array, off = 0): LinuxSiocSgReq6 {
  const b = need(buf, off, SIOC_SG_REQ6_SIZE, 'sioc_sg_req6');
  return {
    src: readLinuxSockaddrIn6(b, off + O['sioc_sg_req6.src']),
    grp: readLinuxSockaddrIn6(b, off + O['sioc_sg_req6.grp']),
    pktcnt: readU64(b, off + O['sioc_sg_req6.pktcnt']),
    bytecnt: readU64(b, off + O['sioc_sg_req6.bytecnt']),
    wrongIf: readU64(b, off + O['sioc_sg_req6.wrong_if']),
  };
}

export function encodeLinuxSiocSgReq6(v: Omit<LinuxSiocSgReq6, 'src' | 'grp'> & { src: LinuxSockaddrIn6 | string; grp: LinuxSockaddrIn6 | string }): Buffer {
  const b = Buffer.alloc(SIOC_SG_REQ6_SIZE);
  const sa = (x: LinuxSockaddrIn6 | string) => (typeof x === 'string' ? linuxSockaddrIn6(x) : x);
  writeLinuxSockaddrIn6(b, O['sioc_sg_req6.src'], sa(v.src), 'sioc_sg_req6.src');
  writeLinuxSockaddrIn6(b, O['sioc_sg_req6.grp'], sa(v.grp), 'sioc_sg_req6.grp');
  writeSgCounters6(b, v);
  return b;
}

/** The counters of an ioctl answer, written into (a copy of) the caller's struct. */
export function writeSgCounters(b: Buffer, c: { pktcnt: number; bytecnt: number; wrongIf: number }): void {
  writeU64(b, O['sioc_sg_req.pktcnt'], c.pktcnt, 'sioc_sg_req.pktcnt');
  writeU64(b, O['sioc_sg_req.bytecnt'], c.bytecnt, 'sioc_sg_req.bytecnt');
  writeU64(b, O['sioc_sg_req.wrong_if'], c.wrongIf, 'sioc_sg_req.wrong_if');
}

export function writeSgCounters6(b: Buffer, c: { pktcnt: number; bytecnt: number; wrongIf: number }): void {
  writeU64(b, O['sioc_sg_req6.pktcnt'], c.pktcnt, 'sioc_sg_req6.pktcnt');
  writeU64(b, O['sioc_sg_req6.bytecnt'], c.bytecnt, 'sioc_sg_req6.bytecnt');
  writeU64(b, O['sioc_sg_req6.wrong_if'], c.wrongIf, 'sioc_sg_req6.wrong_if');
}

/** sioc_vif_req and sioc_mif_req6 share their counter offsets (checked by the ABI test). */
export function writeVifCounters(b: Buffer, c: { icount: number; ocount: number; ibytes: number; obytes: number }): void {
  writeU64(b, O['sioc_vif_req.icount'], c.icount, 'sioc_vif_req.icount');
  writeU64(b, O['sioc_vif_req.ocount'], c.ocount, 'sioc_vif_req.ocount');
  writeU64(b, O['sioc_vif_req.ibytes'], c.ibytes, 'sioc_vif_req.ibytes');
  writeU64(b, O['sioc_vif_req.obytes'], c.obytes, 'sioc_vif_req.obytes');
}

