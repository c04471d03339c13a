// Captures as pcapng files (what Wireshark writes and reads by default; tcpdump and
// tshark read them, from a pipe too). pcapng rather than classic pcap because each packet
// can say whether it arrived on the vif or was sent on it (epb_flags), which classic pcap
// cannot. The engine deals in IP datagrams on every link kind (the Ethernet header of a
// dev link never reaches it), so the link type is LINKTYPE_RAW: IPv4 or IPv6 by the
// version nibble. Little-endian, one section, one interface (the vif), microsecond stamps.

/** LINKTYPE_RAW: a raw IPv4 or IPv6 datagram (tcpdump.org/linktypes.html) */
export const LINKTYPE_RAW = 101;
const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;

const pad4 = (n: number): number => (n + 3) & ~3;

/** one option: code, length, value padded to 4 bytes */
function option(code: number, value: Buffer): Buffer {
  const b = Buffer.alloc(4 + pad4(value.length));
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(value.length, 2);
  value.copy(b, 4);
  return b;
}

const END_OF_OPTIONS = Buffer.alloc(4);

function block(type: number, body: Buffer): Buffer {
  const len = 12 + body.length;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}

/**
 * The section header and the one interface description: what starts every file.
 * name becomes if_name (vif1, mif0); snaplen is how much of each packet is kept.
 */
export function pcapngHeader(name: string, snaplen: number, description?: string): Buffer {
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0); // byte-order magic
  shb.writeUInt16LE(1, 4); // version 1.0
  shb.writeUInt16LE(0, 6);
  shb.writeBigInt64LE(-1n, 8); // section length not known ahead (a stream)
  const idb = Buffer.alloc(8);
  idb.writeUInt16LE(LINKTYPE_RAW, 0);
  idb.writeUInt32LE(snaplen, 4);
  const opts = [option(2, Buffer.from(name)), ...(description ? [option(3, Buffer.from(description))] : []), option(9, Buffer.from([6])), END_OF_OPTIONS];
  return Buffer.concat([block(SHB, Buffer.concat([shb, option(4, Buffer.from('mrsh')), END_OF_OPTIONS])), block(IDB, Buffer.concat([idb, ...opts]))]);
}

/** One packet: bytes is what was kept (at most the snap length), length what was on the wire. */
export function pcapngPacket(timeMs: number, dir: 'in' | 'out', bytes: Uint8Array, length: number): Buffer {
  const us = Math.round(timeMs * 1000);
  const cap = bytes.length;
  const body = Buffer.alloc(20 + pad4(cap) + 12);
  body.writeUInt32LE(0, 0); // interface 0
  body.writeUInt32LE(Math.floor(us / 2 ** 32), 4);
  body.writeUInt32LE(us % 2 ** 32, 8);
  body.writeUInt32LE(cap, 12);
  body.writeUInt32LE(length, 16);
  body.set(bytes, 20);
  const o = 20 + pad4(cap);
  body.writeUInt16LE(2, o); // epb_flags
  body.writeUInt16LE(4, o + 2);
  body.writeUInt32LE(dir === 'in' ? 1 : 2, o + 4); // direction: 01 inbound, 10 outbound
  // then opt_endofopt, already zero
  return block(EPB, body);
}
