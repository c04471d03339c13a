// Loads the native packet I/O addon (native/, built by scripts/build-native.mjs)
// once, and says plainly why it cannot be used when it cannot: TUN and packet links need
// both the addon and CAP_NET_ADMIN/CAP_NET_RAW, virtual links need neither.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeIfInfo {
  ifindex: number;
  mtu: number;
  mac: Buffer;
  addrs4: string[];
  addrs6: string[];
}

export interface NativeTun extends NativeIfInfo {
  fd: number;
  name: string;
  /** false when an existing (persistent) device was attached to */
  created: boolean;
}

export interface NativePacket extends NativeIfInfo {
  fd: number;
  /** the PACKET_MMAP rings (own the mapping), or null when using recvmmsg and sendmmsg */
  ring: PacketRing | null;
  /** fd of the tcx ingress link of the host bypass, -1 when none */
  hostBypassFd: number;
  /** why the host bypass was asked for and is not there, else null */
  hostBypassError: string | null;
  /** the kernel's id of the packet fanout group joined, -1 when none */
  fanoutId: number;
}

/** Opaque owner of a packet socket's ring mapping (receive and/or transmit ring). */
export type PacketRing = object;

/** openTun flags (native/mrsh_tun.c) */
export const TUN_MQ = 1;

/** openPacket flags (native/mrsh_packet.c PKT_*) */
export const PKT_QDISC_BYPASS = 1;
export const PKT_RX_RING = 2;
export const PKT_HOST_BYPASS = 4;
export const PKT_TX_RING = 8;
export const PKT_NO_RX = 16;

/** An AF_XDP input socket with its XDP program and umem (native/mrsh_xsk.c, openXsk);
 * fd is for pollStart, everything else is owned by the object until closeXsk. */
export interface NativeXsk {
  readonly fd: number;
  /** rx queues bound, each its own AF_XDP socket (at most 16; fd is then an epoll set of them) */
  readonly queues: number;
  /** which rx queues those are */
  readonly queueIds: readonly number[];
  /** whether the interface's NAPI is busy-polled from recvXsk (asked for and set up) */
  readonly busyPoll: boolean;
  /** why busy polling was asked for and is not there, else null */
  readonly tuneError: string | null;
}

/** Opaque token of an active uv_poll; also the `this` of its callbacks. */
export type PollHandle = object;

export interface NativeIo {
  ifInfo(name: string, netns: string | null): NativeIfInfo;
  /** flags TUN_MQ: multi-queue (IFF_MULTI_QUEUE); an existing device gets another queue */
  openTun(name: string, mtu: number, netns: string | null, flags?: number): NativeTun;
  /** fanoutGroup 1..65535 joins this process's fanout group of that number on the interface (0: none) */
  openPacket(ifname: string, netns: string | null, flags?: number, fanoutGroup?: number): NativePacket;
  /** count of datagrams read, or -errno when nothing was read because of an error */
  recvTun(fd: number, buf: Buffer, slot: number, maxSlots: number, offsets: Int32Array, lengths: Int32Array): number;
  /** stats (RX_ST_N of them): [0] += dropped frames, [1] += checksums completed, [2] =
   * frames read, [3..] += dropped by reason (RX_DROP_REASONS); with ring, frames come from
   * the PACKET_MMAP ring instead of recvmmsg */
  recvPacket(
    fd: number,
    buf: Buffer,
    slot: number,
    maxSlots: number,
    offsets: Int32Array,
    lengths: Int32Array,
    stats: Int32Array,
    ring?: PacketRing | null,
  ): number;
  /** frames the kernel dropped for the socket since the last call (PACKET_STATISTICS tp_drops) */
  packetStats(fd: number): number;
  /** release a receive ring's mapping (idempotent) */
  unmapRing(ring: PacketRing): void;
  /** returns datagrams sent (the rest were dropped); result[0] = bytes sent */
  sendTun(
    fd: number,
    bufs: (Uint8Array | null)[],
    bufIdx: Int32Array,
    offs: Int32Array,
    lens: Int32Array,
    count: number,
    result: Float64Array,
  ): number;
  sendPacket(
    fd: number,
    bufs: (Uint8Array | null)[],
    bufIdx: Int32Array,
    offs: Int32Array,
    lens: Int32Array,
    count: number,
    srcMac: Buffer,
    result: Float64Array,
    ring?: PacketRing | null,
  ): number;
  close(fd: number): number;
  /** AF_XDP input on the rx queues of ifname given (default every one, up to 16); the
   * interface's inputs in this process share one XDP program and xskmap; a queue another
   * one holds is refused (EBUSY). busyPoll needs the device in this namespace; coalesceUs
   * is how long the device stays masked after a poll (gro_flush_timeout, default 200). */
  openXsk(ifname: string, netns: string | null, busyPoll: boolean, originals?: string[] | null, queues?: readonly number[] | null, coalesceUs?: number | null): NativeXsk;
  /** as recvPacket, from the AF_XDP socket's ring */
  recvXsk(xsk: NativeXsk, buf: Buffer, slot: number, maxSlots: number, offsets: Int32Array, lengths: Int32Array, stats: Int32Array): number;
  /** the kernel's drops since the last call: out[0] rx_dropped (no umem frame), out[1] rx_ring_full */
  xskStats(xsk: NativeXsk, out: Float64Array): void;
  /** close the sockets (idempotent); the interface's last input of this process also
   * restores the device settings and detaches the program: then true */
  closeXsk(xsk: NativeXsk): boolean;
  /** callback(status): status < 0 is a libuv error code */
  pollStart(fd: number, callback: (status: number) => void): PollHandle;
  pollStop(handle: PollHandle): void;
  /** an AF_INET raw socket of this protocol (non-blocking; read it with recvTun), fd or -errno */
  openRaw(protocol: number, rcvbuf?: number): number;
  // ---- the routing-socket endpoint (native/mrsh_rsock.c) ----
  /** a listening SOCK_SEQPACKET socket at path, created with mode, group gid (-1: keep); fd or -errno */
  seqpacketListen(path: string, mode: number, gid: number): number;
  /** null when nothing is waiting, -errno on error */
  seqpacketAccept(fd: number): { fd: number; pid: number; uid: number; gid: number } | null | number;
  /** count of messages (message i at buf[i * slotSize]); lengths -1 = peer closed, -2 = too long */
  seqpacketRecv(fd: number, buf: Buffer, slotSize: number, maxMsgs: number, lengths: Int32Array): number;
  /** bytes sent or -errno (-EAGAIN: the peer's queue is full) */
  seqpacketSend(fd: number, buf: Buffer, off?: number, len?: number): number;
  ifNameOf(ifindex: number): string | null;
  /** SO_PEERCRED of a connected unix socket (native/mrsh_cred.c), or -errno */
  peerCred(fd: number): { pid: number; uid: number; gid: number } | number;
  /** MADV_HUGEPAGE on the whole 2 MB pages inside the array: bytes advised, or -errno */
  adviseHugePages(array: Uint32Array | Float64Array | Uint8Array): number;
}

let loaded: NativeIo | null | undefined;
let loadError: string | null = null;

function addonPath(): string {
  // src/dataplane/links/ and dist/dataplane/links/ both sit three levels below the root.
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '..', '..', '..', 'build', 'Release', 'mrsh_io.node');
}

/** The addon, or null when it is not built or cannot be loaded (see nativeUnavailableReason). */
export function loadNative(): NativeIo | null {
  if (loaded !== undefined) return loaded;
  const path = addonPath();
  if (process.platform !== 'linux') {
    loadError = `TUN and packet links need Linux (this is ${process.platform})`;
    loaded = null;
  } else if (!existsSync(path)) {
    loadError = `native addon not built: ${path} is missing (run npm install, or node scripts/build-native.mjs)`;
    loaded = null;
  } else {
    try {
      loaded = createRequire(import.meta.url)(path) as NativeIo;
    } catch (e) {
      loadError = `native addon not built: ${(e as Error).message}`;
      loaded = null;
    }
  }
  return loaded;
}

/** Why TUN and packet links cannot be opened here, or null when they can. */
export function nativeUnavailableReason(): string | null {
  if (!loadNative()) return loadError;
  const euid = typeof process.geteuid === 'function' ? process.geteuid() : 0;
  if (euid !== 0 && !hasNetAdmin()) {
    return `not root (euid ${euid}): TUN and packet links need CAP_NET_ADMIN and CAP_NET_RAW`;
  }
  return null;
}

// CAP_NET_ADMIN (12) and CAP_NET_RAW (13) in the effective set, for non-root users given them.
function hasNetAdmin(): boolean {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const m = /^CapEff:\s*([0-9a-f]+)/m.exec(status);
    if (!m) return false;
    const eff = BigInt('0x' + m[1]);
    return (eff & (1n << 12n)) !== 0n && (eff & (1n << 13n)) !== 0n;
  } catch {
    return false;
  }
}

/** Throws an Error carrying the reason when native links cannot be used. */
export function requireNative(): NativeIo {
  const why = nativeUnavailableReason();
  const io = loadNative();
  if (why || !io) throw Object.assign(new Error(why ?? 'native addon unavailable'), { code: 'ENOTSUP' });
  return io;
}
