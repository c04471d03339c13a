// Upcall headers the kernel queues on the mrouter socket: struct igmpmsg (IPv4, overlays
// struct ip) and struct mrt6msg (IPv6, overlays struct ip6_hdr). Daemons tell upcalls
// from real IGMP/ICMPv6 by the zero im_mbz / im6_mbz byte, which sits on ip_p / ip6_nxt's
// neighbour, so the overlays below keep every other header byte as the kernel does.

import { MrtError } from '../errno.js';
import { BW_UPCALL_SIZE, type BwUpcall, readBwUpcall, writeBwUpcall } from './bw.js';
import {
  IGMPMSG_BW_UPCALL,
  IGMPMSG_NOCACHE,
  IGMPMSG_WHOLEPKT,
  IGMPMSG_WRONGVIF,
  MRT6MSG_WHOLEPKT,
} from './constants.js';
import { need, readIn6Addr, readInAddr, uint, writeIn6Addr, writeInAddr } from './util.js';

// ---------------------------------------------------------------------------
// struct igmpmsg

/** struct igmpmsg (20 B). Byte n overlays byte n of the IPv4 header. */
export interface Igmpmsg {
  unused1: number; // unused1 (uint32_t): ver/hl, tos, ip_len
  unused2: number; // unused2 (uint32_t): ip_id, ip_off
  msgtype: number; // im_msgtype (u_char) on ip_ttl: IGMPMSG_*
  mbz: number; // im_mbz (u_char) on ip_p: always 0 in upcalls
  vif: number; // im_vif (u_char) on ip_sum's first byte
  unused3: number; // unused3 (u_char) on ip_sum's second byte (Linux: im_vif_hi)
  src: string; // im_src (in_addr) on ip_src
  dst: string; // im_dst (in_addr) on ip_dst
}

export const IGMPMSG_SIZE = 20;

function writeIgmpmsg(b: Buffer, v: Igmpmsg): void {
  b.writeUInt32LE(uint(v.unused1, 32, 'igmpmsg.unused1'), 0);
  b.writeUInt32LE(uint(v.unused2, 32, 'igmpmsg.unused2'), 4);
  b[8] = uint(v.msgtype, 8, 'igmpmsg.im_msgtype');
  b[9] = uint(v.mbz, 8, 'igmpmsg.im_mbz');
  b[10] = uint(v.vif, 8, 'igmpmsg.im_vif');
  b[11] = uint(v.unused3, 8, 'igmpmsg.unused3');
  writeInAddr(b, 12, v.src);
  writeInAddr(b, 16, v.dst);
}

export function encodeIgmpmsg(v: Igmpmsg): Buffer {
  const b = Buffer.alloc(IGMPMSG_SIZE);
  writeIgmpmsg(b, v);
  return b;
}

export function decodeIgmpmsg(buf: Uint8Array, off = 0): Igmpmsg {
  const b = need(buf, off, IGMPMSG_SIZE, 'igmpmsg');
  return {
    unused1: b.readUInt32LE(off),
    unused2: b.readUInt32LE(off + 4),
    msgtype: b[off + 8]!,
    mbz: b[off + 9]!,
    vif: b[off + 10]!,
    unused3: b[off + 11]!,
    src: readInAddr(b, off + 12),
    dst: readInAddr(b, off + 16),
  };
}

/**
 * NOCACHE / WRONGVIF upcall body: a fresh copy of the packet's IPv4 header, ip_hl*4
 * bytes (options included), with bytes 8/9/10 set to (type, 0, vif). `ip` may be the
 * header alone or the whole packet; only the header is copied.
 */
export function overlayIgmpmsg(ip: Uint8Array, type: number, vif: number): Buffer {
  if (ip.length < IGMPMSG_SIZE) {
    throw new MrtError('EINVAL', `igmpmsg overlay: IPv4 header needs ${IGMPMSG_SIZE} bytes, have ${ip.length}`);
  }
  const hlen = (ip[0]! & 0x0f) * 4;
  if (hlen < IGMPMSG_SIZE || hlen > ip.length) {
    throw new MrtError('EINVAL', `igmpmsg overlay: bad ip_hl ${hlen / 4} for ${ip.length} bytes`);
  }
  const b = Buffer.from(ip.subarray(0, hlen)); // copies
  b[8] = uint(type, 8, 'igmpmsg.im_msgtype');
  b[9] = 0;
  b[10] = uint(vif, 8, 'igmpmsg.im_vif');
  return b;
}

/** WHOLEPKT upcall: fresh igmpmsg (type 3, mbz 0, vif, src, dst, rest zero) + the packet. */
export function encodeIgmpmsgWholepkt(vif: number, src: string, dst: string, packet: Uint8Array): Buffer {
  const b = Buffer.alloc(IGMPMSG_SIZE + packet.length);
  writeIgmpmsg(b, { unused1: 0, unused2: 0, msgtype: IGMPMSG_WHOLEPKT, mbz: 0, vif, unused3: 0, src, dst });
  b.set(packet, IGMPMSG_SIZE);
  return b;
}

/** BW_UPCALL message: 20-byte igmpmsg all zero but im_msgtype = 4, then N x bw_upcall. */
export function encodeIgmpmsgBwUpcall(records: readonly BwUpcall[]): Buffer {
  const b = Buffer.alloc(IGMPMSG_SIZE + records.length * BW_UPCALL_SIZE);
  b[8] = IGMPMSG_BW_UPCALL;
  for (let i = 0; i < records.length; i++) writeBwUpcall(b, IGMPMSG_SIZE + i * BW_UPCALL_SIZE, records[i]!);
  return b;
}

/**
 * The bw_upcall records of a BW_UPCALL message (header checked for type 4; a trailing
 * partial record is EINVAL).
 */
export function decodeIgmpmsgBwUpcall(msg: Uint8Array, off = 0): BwUpcall[] {
  const b = need(msg, off, IGMPMSG_SIZE, 'igmpmsg');
  if (b[off + 8] !== IGMPMSG_BW_UPCALL) {
    throw new MrtError('EINVAL', `igmpmsg: type ${b[off + 8]} is not IGMPMSG_BW_UPCALL`);
  }
  const body = b.length - off - IGMPMSG_SIZE;
  if (body % BW_UPCALL_SIZE !== 0) {
    throw new MrtError('EINVAL', `igmpmsg: ${body} bytes is not a whole number of bw_upcall records`);
  }
  const out: BwUpcall[] = [];
  for (let p = off + IGMPMSG_SIZE; p < b.length; p += BW_UPCALL_SIZE) out.push(readBwUpcall(b, p));
  return out;
}

/**
 * One entry point for every IPv4 upcall type:
 * - NOCACHE / WRONGVIF with `data` (the packet or its header): overlayIgmpmsg(data, type, vif);
 *   src/dst are then the header's own, the arguments are not written (as the kernel).
 *   Without `data`: a fresh 20-byte igmpmsg with type, vif, src, dst.
 * - WHOLEPKT: fresh 20-byte igmpmsg (type, vif, src, dst) followed by `data` (the packet).
 * - BW_UPCALL: fresh 20-byte igmpmsg with type, vif, src, dst as given (the kernel sends
 *   zero vif and addresses) followed by `data` (the packed bw_upcall records).
 * Other types: EINVAL.
 */
export function encodeIgmpmsgUpcall(
  type: number,
  vif: number,
  src: string,
  dst: string,
  data?: Uint8Array,
): Buffer {
  switch (type) {
    case IGMPMSG_NOCACHE:
    case IGMPMSG_WRONGVIF:
      if (data) return overlayIgmpmsg(data, type, vif);
      return encodeIgmpmsg({ unused1: 0, unused2: 0, msgtype: type, mbz: 0, vif, unused3: 0, src, dst });
    case IGMPMSG_WHOLEPKT:
    case IGMPMSG_BW_UPCALL: {
      const payload = data ?? new Uint8Array(0);
      const b = Buffer.alloc(IGMPMSG_SIZE + payload.length);
      writeIgmpmsg(b, { unused1: 0, unused2: 0, msgtype: type, mbz: 0, vif, unused3: 0, src, dst });
      b.set(payload, IGMPMSG_SIZE);
      return b;
    }
    default:
      throw new MrtError('EINVAL', `igmpmsg: unknown upcall type ${type}`);
  }
}

// ---------------------------------------------------------------------------
// struct mrt6msg

/** struct mrt6msg (40 B). Overlays struct ip6_hdr; im6_mif is host order. */
export interface Mrt6msg {
  mbz: number; // im6_mbz (u_char) on ip6_flow's first byte (version/class)
  msgtype: number; // im6_msgtype (u_char): MRT6MSG_*
  mif: number; // im6_mif (u_int16_t, host order)
  pad: number; // im6_pad (u_int32_t): payload length, next header, hop limit in overlays
  src: string; // im6_src (in6_addr)
  dst: string; // im6_dst (in6_addr)
}

export const MRT6MSG_SIZE = 40;

function writeMrt6msg(b: Buffer, v: Mrt6msg): void {
  b[0] = uint(v.mbz, 8, 'mrt6msg.im6_mbz');
  b[1] = uint(v.msgtype, 8, 'mrt6msg.im6_msgtype');
  b.writeUInt16LE(uint(v.mif, 16, 'mrt6msg.im6_mif'), 2);
  b.writeUInt32LE(uint(v.pad, 32, 'mrt6msg.im6_pad'), 4);
  writeIn6Addr(b, 8, v.src);
  writeIn6Addr(b, 24, v.dst);
}

export function encodeMrt6msg(v: Mrt6msg): Buffer {
  const b = Buffer.alloc(MRT6MSG_SIZE);
  writeMrt6msg(b, v);
  return b;
}

export function decodeMrt6msg(buf: Uint8Array, off = 0): Mrt6msg {
  const b = need(buf, off, MRT6MSG_SIZE, 'mrt6msg');
  return {
    mbz: b[off]!,
    msgtype: b[off + 1]!,
    mif: b.readUInt16LE(off + 2),
    pad: b.readUInt32LE(off + 4),
    src: readIn6Addr(b, off + 8),
    dst: readIn6Addr(b, off + 24),
  };
}

/**
 * NOCACHE / WRONGMIF upcall body: a fresh copy of the 40-byte IPv6 header (`ip6` may be
 * the whole packet; only 40 bytes are copied) with byte 0 = 0, byte 1 = type and bytes
 * 2..3 = mif (LE). Bytes 4..7 keep payload length, next header and hop limit; src/dst
 * are the header's.
 */
export function overlayMrt6msg(ip6: Uint8Array, type: number, mif: number): Buffer {
  if (ip6.length < MRT6MSG_SIZE) {
    throw new MrtError('EINVAL', `mrt6msg overlay: IPv6 header needs ${MRT6MSG_SIZE} bytes, have ${ip6.length}`);
  }
  const b = Buffer.from(ip6.subarray(0, MRT6MSG_SIZE)); // copies
  b[0] = 0;
  b[1] = uint(type, 8, 'mrt6msg.im6_msgtype');
  b.writeUInt16LE(uint(mif, 16, 'mrt6msg.im6_mif'), 2);
  return b;
}

/** WHOLEPKT upcall: 40-byte mrt6msg with only mbz/type/mif set (src/dst zero) + the packet. */
export function encodeMrt6msgWholepkt(mif: number, packet: Uint8Array): Buffer {
  const b = Buffer.alloc(MRT6MSG_SIZE + packet.length);
  b[1] = MRT6MSG_WHOLEPKT;
  b.writeUInt16LE(uint(mif, 16, 'mrt6msg.im6_mif'), 2);
  b.set(packet, MRT6MSG_SIZE);
  return b;
}
