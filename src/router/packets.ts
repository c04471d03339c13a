// Test datagrams for `inject`: UDP to the group, valid checksums, the requested size.

import { parseIPv4, parseIPv6 } from '../dataplane/addr.js';
import { onesSum, setIpv4Checksum, writeU32 } from '../dataplane/packet.js';
import { fail } from '../dataplane/errno.js';
import type { Family } from './api.js';

const UDP_PORT = 5001;

/** A UDP datagram S -> G with the given TTL; `size` is the whole IP datagram's length. */
/** most packets one inject sends */
export const INJECT_MAX = 1_000_000;

export function buildPacket(family: Family, source: string, group: string, ttl: number, size?: number): Buffer {
  const hdr = family === 'inet' ? 20 : 40;
  const min = hdr + 8;
  const len = size ?? min + 32;
  const max = family === 'inet' ? 65535 : 65535 + 40;
  if (!Number.isInteger(len) || len < min || len > max) fail('EINVAL', `size ${len} out of range (${min}-${max})`);
  const p = Buffer.alloc(len);
  const udp = hdr;
  p.writeUInt16BE(UDP_PORT, udp);
  p.writeUInt16BE(UDP_PORT, udp + 2);
  p.writeUInt16BE(len - hdr, udp + 4);
  for (let i = udp + 8; i < len; i++) p[i] = i & 0xff;
  if (family === 'inet') {
    p[0] = 0x45;
    p.writeUInt16BE(len, 2);
    p[8] = ttl;
    p[9] = 17;
    writeU32(p, 12, parseIPv4(source));
    writeU32(p, 16, parseIPv4(group));
    setIpv4Checksum(p, 0);
    // UDP checksum over the pseudo-header (src, dst, proto, length) and the datagram.
    let pseudo = onesSum(p, 12, 8);
    pseudo += 17 + (len - hdr);
    const sum = onesSum(p, udp, len - hdr, pseudo);
    const ck = ~sum & 0xffff || 0xffff;
    p.writeUInt16BE(ck, udp + 6);
  } else {
    p[0] = 0x60;
    p.writeUInt16BE(len - 40, 4);
    p[6] = 17;
    p[7] = ttl;
    p.set(parseIPv6(source), 8);
    p.set(parseIPv6(group), 24);
    let pseudo = onesSum(p, 8, 32);
    pseudo += 17 + (len - hdr);
    const sum = onesSum(p, udp, len - hdr, pseudo);
    const ck = ~sum & 0xffff || 0xffff;
    p.writeUInt16BE(ck, udp + 6);
  }
  return p;
}
