// One small interface for every place packets enter and leave the router:
// TUN devices, AF_PACKET sockets on existing interfaces, and in-process virtual links.
// Packets crossing this interface are IP datagrams (IPv4 or IPv6, no link-layer header).

export type LinkKind = 'tun' | 'packet' | 'virtual';

/**
 * A batch of received IP datagrams. Packet i is buf[offsets[i], offsets[i] + lengths[i]).
 * The batch (and its buffer) is only valid during the onReceive callback: the link reuses
 * the memory afterwards. The receiver may modify the bytes in place (TTL decrement).
 */
export interface RxBatch {
  buf: Buffer;
  offsets: Int32Array;
  lengths: Int32Array;
  count: number;
}

/**
 * Why a link dropped a frame before the engine saw it. The first six are the native
 * receive's (native/mrsh_io.h RX_ST_*, in that order); `down` is a virtual link's frame
 * that arrived before it was started.
 */
export const RX_DROP_REASONS = ['not-ip', 'vlan', 'truncated', 'bad-length', 'gso', 'bad-csum-offset', 'down'] as const;
export type RxDropReason = (typeof RX_DROP_REASONS)[number];
/** index of the first reason in the native stats array */
export const RX_ST_REASONS = 3;
/** length of the native stats array */
export const RX_ST_N = 9;

export function noRxDrops(): Record<RxDropReason, number> {
  return Object.fromEntries(RX_DROP_REASONS.map((r) => [r, 0])) as Record<RxDropReason, number>;
}

export interface LinkCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  /** Datagrams the kernel refused on send (EAGAIN, ENOBUFS, EMSGSIZE...): counted, never thrown. */
  txDropped: number;
  /** Frames received that were not IPv4/IPv6 or were truncated, dropped before the engine. */
  rxDropped: number;
  /** rxDropped by reason (they add up to it) */
  rxDrops: Record<RxDropReason, number>;
  /**
   * Frames the kernel dropped for this link before it could read them (its receive ring or
   * queue was full), by the kernel's counter, as of the last refreshCounters(). Frames the
   * interface received = rxPackets (handed to the engine) + rxDropped + these.
   */
  kernelDropped: Record<string, number>;
}

export interface Link {
  readonly kind: LinkKind;
  /** Device name (tun0, veth1) or virtual name. */
  readonly name: string;
  /** Kernel ifindex for tun/packet links, a synthetic one (>= 1_000_000) for virtual links. */
  readonly ifindex: number;
  readonly mtu: number;
  /** IPv4 addresses configured on the interface (dotted quad), best effort. */
  readonly addrs4: readonly string[];
  /** IPv6 addresses configured on the interface, best effort. */
  readonly addrs6: readonly string[];
  readonly counters: LinkCounters;
  /** packet links: multicast data arrives through XDP and an AF_XDP socket (MRSH_PACKET_XDP) */
  readonly xdp?: boolean;

  /** Reads the kernel's drop counters into counters.kernelDropped (a syscall: on demand). */
  refreshCounters?(): void;

  /** Start delivering received datagrams. Called at most once. */
  start(onReceive: (batch: RxBatch) => void): void;
  /**
   * Queue one IP datagram for transmission. The bytes are referenced, not copied, and must
   * stay untouched until flush(): the router calls flush() on every link it sent on before
   * the receive batch it forwarded from is reused.
   */
  send(buf: Uint8Array, off: number, len: number): void;
  /** Transmit everything queued by send() (sendmmsg / write loop). Never throws. */
  flush(): void;
  /** Stop receiving, close the fd, remove what the link created (a TUN device). */
  close(): Promise<void>;
}
