// An AF_PACKET socket on an existing Ethernet-like interface (a veth, a NIC). Frames in
// are stripped to their IP datagram; datagrams out get an Ethernet header whose destination
// is the IP multicast MAC (01:00:5e / 33:33) and whose source is the interface's own MAC.
// Checksum completion for CHECKSUM_PARTIAL frames, ALLMULTI and ignoring our own
// transmissions happen in the addon (native/mrsh_io.c, js_open_packet / js_recv_packet).
import { FdLink, RX_SLOTS, slotSizeFor } from './fd-link.js';
import type { Link } from './link.js';
import { requireNative, type NativeIo, type NativePacket } from './native.js';

const ETH_HLEN = 14;

export interface PacketLinkOptions {
  /** Named network namespace (/run/netns/NAME) the interface lives in. */
  netns?: string;
}

class PacketLink extends FdLink {
  readonly mac: Buffer;
  readonly netns: string | null;
  /** [0] frames dropped (drained after each call), [1] partial checksums completed,
   * [2] frames read by the last call */
  private readonly rxStats = new Int32Array(3);

  constructor(io: NativeIo, ifname: string, sock: NativePacket, netns: string | null) {
    super(io, {
      kind: 'packet',
      name: ifname,
      ifindex: sock.ifindex,
      mtu: sock.mtu,
      addrs4: sock.addrs4,
      addrs6: sock.addrs6,
      fd: sock.fd,
      // headroom for the Ethernet header and one VLAN tag
      slot: slotSizeFor(sock.mtu, ETH_HLEN + 4),
    });
    this.mac = sock.mac;
    this.netns = netns;
  }

  /** Frames whose CHECKSUM_PARTIAL transport checksum was completed on receive. */
  get checksumsCompleted(): number {
    return this.rxStats[1]!;
  }

  protected receive(): number {
    const st = this.rxStats;
    const n = this.io.recvPacket(this.fd, this.rxBuf, this.slot, RX_SLOTS, this.rxOffsets, this.rxLengths, st);
    this.framesRead = st[2]!;
    if (st[0] !== 0) {
      this.counters.rxDropped += st[0]!;
      st[0] = 0;
    }
    return n;
  }

  protected transmit(): number {
    return this.io.sendPacket(this.fd, this.txBufs, this.txIdx, this.txOff, this.txLen, this.txCount, this.mac, this.txResult);
  }
}

/** Open a packet socket bound to ifname (which must exist). */
export async function openPacketLink(ifname: string, opts: PacketLinkOptions = {}): Promise<Link> {
  const io = requireNative();
  const netns = opts.netns ?? null;
  const sock = io.openPacket(ifname, netns);
  return new PacketLink(io, ifname, sock, netns);
}
