// A PIM Register that reached this host, decapsulated as Linux does it for a routing
// daemon (net/ipv4/ipmr.c: pim_rcv, __pim_rcv): the inner datagram then enters the MFC as
// having arrived on the register vif (NOCACHE / WRONGVIF upcalls name that vif, an entry
// whose parent is the register vif forwards it). The daemon reads the Register itself on
// its own raw PIM socket; this is only the kernel's half.
import { onesSum, readU32 } from './packet.js';
import type { PimStat } from './stats.js';

const PIM_REGISTER_TYPE = 0x21; // version 2, type 1
const PIM_NULL_REGISTER = 0x40; // the N bit: the first byte of the 32-bit flags word
const PIM_REG_HDR = 8; // pimreghdr: ver/type, reserved, checksum, flags

export const REGISTER_NOT_REGISTER = -1;
export const REGISTER_NULL = -2;
export const REGISTER_DROPPED = -3;

/**
 * The offset of the inner datagram of the IPv4 packet at buf[off, off+len), or one of
 * REGISTER_NOT_REGISTER (another PIM message: the daemon's alone), REGISTER_NULL (a
 * Null-Register: nothing to forward) or REGISTER_DROPPED (malformed, counted in `stat`).
 * The inner datagram's length is its own ip_len.
 */
export function decapRegister(buf: Uint8Array, off: number, len: number, stat: PimStat): number {
  const hl = (buf[off] & 15) << 2;
  const pim = off + hl;
  if (len < hl + 1 || buf[pim] !== PIM_REGISTER_TYPE) return REGISTER_NOT_REGISTER;
  stat.rcv_total_msgs++;
  stat.rcv_total_bytes += len - hl;
  // pim_rcv: pskb_may_pull(sizeof(pimreghdr) + sizeof(iphdr))
  if (len - hl < PIM_REG_HDR + 20) {
    stat.rcv_tooshort++;
    return REGISTER_DROPPED;
  }
  if (buf[pim + 4] & PIM_NULL_REGISTER) return REGISTER_NULL;
  // the checksum covers the 8-byte header; some senders cover the whole message
  if (onesSum(buf, pim, PIM_REG_HDR) !== 0xffff && onesSum(buf, pim, len - hl) !== 0xffff) {
    stat.rcv_badsum++;
    return REGISTER_DROPPED;
  }
  // __pim_rcv: a multicast destination and an ip_len that fits
  const inner = pim + PIM_REG_HDR;
  const innerLen = (buf[inner + 2] << 8) | buf[inner + 3];
  if (readU32(buf, inner + 16) >>> 28 !== 14 || innerLen === 0 || innerLen + PIM_REG_HDR > len - hl) {
    stat.rcv_badregisters++;
    return REGISTER_DROPPED;
  }
  stat.rcv_registers_msgs++;
  stat.rcv_registers_bytes += innerLen;
  return inner;
}
