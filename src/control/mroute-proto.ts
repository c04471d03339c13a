// The routing-socket wire protocol as the daemon reads and writes it: the layouts of
// native/mrsh_rsock_proto.h (the library's side), host byte order (little-endian here).

export const RSOCK_MAGIC = 0x4853524d;
export const RSOCK_VERSION = 1;
export const HELLO_DATA = 1;
export const HELLO_CTL = 2;
export const HELLO_SIZE = 40;
export const HELLO_REPLY_SIZE = 16;

export const OP_SETSOCKOPT = 1;
export const OP_GETSOCKOPT = 2;
export const OP_IOCTL = 3;
export const F_ASYNC = 1;
export const F_MISMATCH = 2;
export const REQ_SIZE = 24;
export const REPLY_SIZE = 16;

export const DATA_UPCALL = 1;
export const DATA_PACKET = 2;
export const DATA_HDR_SIZE = 40;

/** Linux's numbers for the socket() arguments the library intercepts */
export const LINUX_AF_INET = 2;
export const LINUX_AF_INET6 = 10;
export const IPPROTO_IGMP = 2;
export const IPPROTO_ICMPV6 = 58;

export interface Hello {
  kind: number;
  domain: number;
  protocol: number;
  token: number;
  pid: number;
  comm: string;
}

export function decodeHello(b: Buffer): Hello | string {
  if (b.length < HELLO_SIZE) return `hello of ${b.length} bytes, expected ${HELLO_SIZE}`;
  if (b.readUInt32LE(0) !== RSOCK_MAGIC) return 'not an mrsh routing-socket hello (bad magic)';
  const version = b.readUInt16LE(4);
  if (version !== RSOCK_VERSION) return `protocol version ${version}, this mrsh speaks ${RSOCK_VERSION}`;
  const end = b.indexOf(0, 24);
  return {
    kind: b.readUInt16LE(6),
    domain: b.readInt32LE(8),
    protocol: b.readInt32LE(12),
    token: b.readUInt32LE(16),
    pid: b.readInt32LE(20),
    comm: b.toString('utf8', 24, end < 0 || end > 40 ? 40 : end),
  };
}

export function encodeHelloReply(err: number, token: number): Buffer {
  const b = Buffer.alloc(HELLO_REPLY_SIZE);
  b.writeUInt32LE(RSOCK_MAGIC, 0);
  b.writeUInt16LE(RSOCK_VERSION, 4);
  b.writeUInt16LE(err, 6);
  b.writeUInt32LE(token, 8);
  return b;
}

export interface Request {
  seq: number;
  op: number;
  flags: number;
  level: number;
  name: number;
  expect: number;
  payload: Buffer;
}

/** A request from its datagram (buf[off, off+len)); a string says why it is malformed. */
export function decodeRequest(buf: Buffer, off: number, len: number, copy = true): Request | string {
  if (len < REQ_SIZE) return `request of ${len} bytes is shorter than its ${REQ_SIZE}-byte header`;
  const plen = buf.readUInt32LE(off + 16);
  if (plen !== len - REQ_SIZE) return `request says ${plen} payload bytes, carries ${len - REQ_SIZE}`;
  return {
    seq: buf.readUInt32LE(off),
    op: buf.readUInt16LE(off + 4),
    flags: buf.readUInt16LE(off + 6),
    level: buf.readInt32LE(off + 8),
    name: buf.readInt32LE(off + 12),
    expect: buf.readInt32LE(off + 20),
    // a copy unless answered at once: the receive slot is reused by the next batch
    payload: copy ? Buffer.from(buf.subarray(off + REQ_SIZE, off + len)) : buf.subarray(off + REQ_SIZE, off + len),
  };
}

export function encodeReply(seq: number, op: number, flags: number, err: number, data?: Buffer): Buffer {
  const n = data?.length ?? 0;
  const b = Buffer.alloc(REPLY_SIZE + n);
  b.writeUInt32LE(seq, 0);
  b.writeUInt16LE(op, 4);
  b.writeUInt16LE(flags, 6);
  b.writeInt32LE(err, 8);
  b.writeUInt32LE(n, 12);
  if (data) data.copy(b, REPLY_SIZE);
  return b;
}

/** One data datagram: the header, then the bytes read(2) returns. `src`/`dst` are 4 or 16 bytes. */
export function encodeData(kind: number, ifindex: number, src: Uint8Array | null, dst: Uint8Array | null, body: Uint8Array): Buffer {
  const b = Buffer.alloc(DATA_HDR_SIZE + body.length);
  b.writeUInt16LE(DATA_HDR_SIZE, 0);
  b.writeUInt16LE(kind, 2);
  b.writeInt32LE(ifindex, 4);
  if (src) b.set(src, 8);
  if (dst) b.set(dst, 24);
  b.set(body, DATA_HDR_SIZE);
  return b;
}
