// An AF_PACKET socket on an existing Ethernet-like interface (a veth, a NIC). Frames in
// are stripped to their IP datagram; datagrams out get an Ethernet header whose destination
// is the IP multicast MAC (01:00:5e / 33:33) and whose source is the interface's own MAC.
// Checksum completion for CHECKSUM_PARTIAL frames, ALLMULTI and ignoring our own
// transmissions happen in the addon (native/mrsh_packet.c and mrsh_ring.c).
//
// Fast-path options (measured with bench/forward.ts; each can be turned off per link or
// by env MRSH_PACKET_<NAME>=0|1, which the benchmark uses to compare variants):
//   RX_RING       on  - frames arrive through a PACKET_MMAP TPACKET_V2 ring (no skb clone
//                       and socket queueing per frame, no recvmmsg), copied into our slots.
//   TX_RING       on  - datagrams leave through a TPACKET_V2 TX ring on a send-only socket
//                       of its own: one send() per batch, no per-message syscall work, and
//                       no write-space wakeup per freed frame (nothing polls that socket).
//   QDISC_BYPASS  on  - PACKET_QDISC_BYPASS: straight to the driver. Consequences: egress
//                       tc qdiscs are skipped, and packet taps (tcpdump) on the OUTPUT
//                       interface of the router host do not see what mrsh sends (taps on
//                       the receiving hosts do).
//   HOST_BYPASS   off - a tcx ingress BPF program drops multicast data frames (not
//                       link-local groups, not IGMP/PIM/MLD/ICMPv6) after the packet socket
//                       has them and before the router host's own IP stack sees them. Saves
//                       ip_rcv per input frame, but sockets on the router host itself then no
//                       longer receive that multicast data on this interface, hence opt-in.
//                       Needs Linux >= 6.6 (tcx); the program is attached by a BPF link
//                       whose fd the link owns, so it goes away on close or process exit.
//   XDP           off - multicast data frames (the ones HOST_BYPASS would drop) are taken
//                       by an XDP program in the driver into an AF_XDP socket (copy mode),
//                       ahead of the host's receive path; everything else still reaches the
//                       packet socket and the host. With busy polling (XDP_BUSY_POLL, on when XDP is; needs the
//                       interface in mrsh's own namespace) the interface's NAPI runs from
//                       mrsh's receive calls on mrsh's core, which removes the receive
//                       backlog and its inter-processor wakeups from the input path (see
//                       native/mrsh_xsk.c). Needs native XDP (veth, most NIC
//                       drivers). Opt-in because it changes the interface: its NAPI
//                       settings (restored on close) and, while idle, which core runs its
//                       receive work. Every rx queue (up to 16) has its own AF_XDP
//                       socket; frames on a queue beyond those fall back to the packet
//                       socket. With xdpQueues, a link binds only those queues, so links
//                       in several worker threads split the interface's queues between
//                       them: they share one XDP program and xskmap (native/mrsh_xsk.c),
//                       attached by the first to open and detached by the last to close,
//                       which also restores the NAPI settings the first one saved.
//
// FANOUT (option fanout: {group}): the packet sockets of several links on one interface,
// typically one per worker thread, form a PACKET_FANOUT group (native/mrsh_fanout.c) whose
// classic BPF program (native/mrsh_bpf.c) sends each frame to one member by a hash of the
// IP source and destination (not the ports), so all of an (S,G) reaches one link. The
// kernel takes the hash modulo the member count: a member joining or leaving moves flows
// between members, so open them all before forwarding starts. The group number is this
// process's: the kernel's group id is a unique one, so another process using the same
// number is never joined. Own transmissions are not input (PACKET_FANOUT_FLAG_IGNORE_OUTGOING,
// Linux >= 6.2). The receive ring works per member as without fanout.
import { FdLink, RX_SLOTS, slotSizeFor } from './fd-link.js';
import { RX_ST_N, type Link } from './link.js';
import { NAPI_ATTRS, claimNapiOriginals, releaseNapiFile, type NapiClaim } from './napi-state.js';
import { PKT_HOST_BYPASS, PKT_NO_RX, PKT_QDISC_BYPASS, PKT_RX_RING, PKT_TX_RING, requireNative, type NativeIo, type NativePacket, type NativeXsk, type PacketRing, type PollHandle } from './native.js';

const ETH_HLEN = 14;

export interface PacketLinkOptions {
  /** Named network namespace (/run/netns/NAME) the interface lives in. */
  netns?: string;
  /** Transmit straight to the driver, skipping the qdisc layer (PACKET_QDISC_BYPASS). */
  qdiscBypass?: boolean;
  /** Receive through a PACKET_MMAP (TPACKET_V2) ring instead of recvmmsg. */
  rxRing?: boolean;
  /** Transmit through a PACKET_MMAP (TPACKET_V2) ring instead of sendmmsg. */
  txRing?: boolean;
  /** Drop multicast data frames before the host's IP stack (tcx ingress, see native/mrsh_bpf.c). */
  hostBypass?: boolean;
  /** Take multicast data through XDP into an AF_XDP socket (see XDP above). */
  xdp?: boolean;
  /** With xdp: poll the interface's NAPI from mrsh's receive calls. */
  xdpBusyPoll?: boolean;
  /**
   * With xdp: bind AF_XDP sockets on these rx queues only (default: every queue, up to 16).
   * This process's xdp links of one interface share its XDP program; each queue can be
   * bound by one of them (EBUSY otherwise). Frames on a queue none binds take the packet
   * socket (the fanout group's, with fanout). When these queues cannot be bound, opening
   * the link fails (EBUSY: a queue another link holds), where xdp alone opens the link
   * without XDP input and says why in xdpError.
   */
  xdpQueues?: readonly number[];
  /**
   * Share the interface's input with this process's other links of the same group on it
   * (one per worker thread): PACKET_FANOUT, each frame to one member by a hash of its IP
   * source and destination only, so one (S,G) always reaches the same link; non-IP frames
   * go to the first member. See FANOUT above.
   */
  fanout?: { group: number };
  /** with busy-polled XDP input: how long the interface's NAPI stays masked after a poll,
   * in microseconds (gro_flush_timeout; 1..10000, default 200, or env
   * MRSH_PACKET_XDP_COALESCE_US): longer batches more frames per wakeup at the cost of up
   * to that much latency. The interface's first busy-polled input sets it. */
  xdpCoalesceUs?: number;
  /** false: a link that only sends (no receive socket, no ring; start() delivers nothing). Default true. */
  receive?: boolean;
}

/** Defaults, each overridable by env MRSH_PACKET_<NAME>=0|1 (for measurement). */
function opt(v: boolean | undefined, env: string, dflt: boolean): boolean {
  if (v !== undefined) return v;
  const e = process.env[`MRSH_PACKET_${env}`];
  return e === undefined || e === '' ? dflt : e !== '0';
}

/** xdpCoalesceUs, else env MRSH_PACKET_XDP_COALESCE_US, else null (the addon's 200 us);
 * refused (EINVAL) when not an integer 1..10000. */
function coalesceUs(ifname: string, v: number | undefined): number | null {
  const e = process.env.MRSH_PACKET_XDP_COALESCE_US;
  const from = v !== undefined ? 'xdpCoalesceUs' : 'MRSH_PACKET_XDP_COALESCE_US';
  const raw = v !== undefined ? String(v) : e === undefined || e === '' ? null : e;
  if (raw === null) return null;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 10_000)) {
    throw Object.assign(new RangeError(`packet link ${ifname}: ${from}=${raw}: expected microseconds, an integer 1..10000`), { code: 'EINVAL' });
  }
  return n;
}

class PacketLink extends FdLink {
  readonly mac: Buffer;
  readonly netns: string | null;
  /** the native receive's (RX_ST_*): drops by reason (drained after each call), partial
   * checksums completed, frames read by the last call */
  private readonly rxStats = new Int32Array(RX_ST_N);
  private readonly xskStats = new Float64Array(2);
  private ring: PacketRing | null;
  private hostBypassFd: number;
  /** why the host bypass is missing although asked for, else null */
  readonly hostBypassError: string | null;
  private xsk: NativeXsk | null;
  private xskPoll: PollHandle | null = null;
  /** why the XDP input is missing although asked for, else null */
  readonly xdpError: string | null;
  /** whether the link receives (receive: false makes a send-only link) */
  readonly receives: boolean;
  /** the kernel's id of the fanout group the socket is in, -1 when none */
  readonly fanoutId: number;

  constructor(io: NativeIo, ifname: string, sock: NativePacket, netns: string | null, xsk: NativeXsk | null, xdpError: string | null, receives: boolean) {
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
    this.ring = sock.ring;
    this.hostBypassFd = sock.hostBypassFd;
    this.hostBypassError = sock.hostBypassError;
    this.xsk = xsk;
    this.xdpError = xdpError;
    this.receives = receives;
    this.fanoutId = sock.fanoutId;
  }

  /** Whether multicast data arrives through XDP and an AF_XDP socket. */
  get xdp(): boolean {
    return this.xsk !== null;
  }

  /** rx queues read through XDP (0 without XDP input) */
  get xdpQueues(): number {
    return this.xsk?.queues ?? 0;
  }

  /** which rx queues those are */
  get xdpQueueIds(): readonly number[] {
    return this.xsk?.queueIds ?? [];
  }

  override start(onReceive: Parameters<FdLink['start']>[0]): void {
    if (!this.receives) {
      // a send-only link: nothing to poll, nothing will arrive
      if (this.closed) throw new Error(`packet link ${this.name} is closed`);
      if (this.onReceive) throw new Error(`packet link ${this.name} already started`);
      this.onReceive = onReceive;
      return;
    }
    super.start(onReceive);
    if (this.xsk) this.xskPoll = this.io.pollStart(this.xsk.fd, this.onXskReadable);
  }

  private readonly onXskReadable = (status: number): void => {
    if (status < 0) {
      this.lastRxError = status;
      if (this.xskPoll) this.io.pollStop(this.xskPoll);
      this.xskPoll = null;
      return;
    }
    this.pump(this.receiveXsk);
  };

  private receiveXsk(): number {
    const st = this.rxStats;
    const n = this.io.recvXsk(this.xsk!, this.rxBuf, this.slot, RX_SLOTS, this.rxOffsets, this.rxLengths, st);
    this.framesRead = st[2]!;
    this.takeDrops(st);
    return n;
  }

  /** Whether multicast data arriving here skips the host's IP stack. */
  get hostBypass(): boolean {
    return this.hostBypassFd >= 0;
  }

  /** Frames whose CHECKSUM_PARTIAL transport checksum was completed on receive. */
  get checksumsCompleted(): number {
    return this.rxStats[1]!;
  }

  protected receive(): number {
    const st = this.rxStats;
    const n = this.io.recvPacket(this.fd, this.rxBuf, this.slot, RX_SLOTS, this.rxOffsets, this.rxLengths, st, this.ring);
    this.framesRead = st[2]!;
    this.takeDrops(st);
    return n;
  }

  /** The kernel's drops: the packet socket's ring (or buffer) full, the AF_XDP socket's. */
  refreshCounters(): void {
    if (this.closed) return;
    const k = this.counters.kernelDropped;
    try {
      k['ring-full'] = (k['ring-full'] ?? 0) + this.io.packetStats(this.fd);
      if (this.xsk) {
        this.io.xskStats(this.xsk, this.xskStats);
        k['xsk-no-frame'] = (k['xsk-no-frame'] ?? 0) + this.xskStats[0]!;
        k['xsk-ring-full'] = (k['xsk-ring-full'] ?? 0) + this.xskStats[1]!;
      }
    } catch {
      // counters of a socket going away: what was read stays
    }
  }

  override async close(): Promise<void> {
    this.refreshCounters(); // the last drops stay visible after a vif is deleted
    await super.close();
  }

  protected override async afterClose(): Promise<void> {
    if (this.xskPoll) this.io.pollStop(this.xskPoll);
    this.xskPoll = null;
    if (this.xsk) {
      // the interface's last xdp link restores the NAPI settings, then detaches the program;
      // its state file goes then, whichever link wrote it
      if (this.io.closeXsk(this.xsk)) releaseNapiFile(this.name)?.release();
    }
    this.xsk = null;
    if (this.ring) this.io.unmapRing(this.ring);
    this.ring = null;
    if (this.hostBypassFd >= 0) this.io.close(this.hostBypassFd); // detaches the tcx program
    this.hostBypassFd = -1;
  }

  protected transmit(): number {
    return this.io.sendPacket(this.fd, this.txBufs, this.txIdx, this.txOff, this.txLen, this.txCount, this.mac, this.txResult, this.ring);
  }
}


/** Open a packet socket bound to ifname (which must exist). */
export async function openPacketLink(ifname: string, opts: PacketLinkOptions = {}): Promise<Link> {
  const io = requireNative();
  const netns = opts.netns ?? null;
  const receives = opts.receive ?? true;
  let group = 0;
  if (opts.fanout !== undefined) {
    group = opts.fanout?.group;
    if (!Number.isInteger(group) || group < 1 || group > 65535) {
      throw Object.assign(new RangeError(`packet link ${ifname}: fanout.group must be an integer 1..65535, not ${String(group)}`), { code: 'EINVAL' });
    }
    if (!receives) throw Object.assign(new Error(`packet link ${ifname}: fanout shares input, and receive: false has none`), { code: 'EINVAL' });
  }
  if (!receives && opts.xdp) throw Object.assign(new Error(`packet link ${ifname}: xdp is an input, and receive: false has none`), { code: 'EINVAL' });
  if (opts.xdpQueues !== undefined && opts.xdpQueues.length === 0) throw Object.assign(new Error(`packet link ${ifname}: xdpQueues names no queue`), { code: 'EINVAL' });
  if (opts.xdpQueues !== undefined && !opts.xdp) throw Object.assign(new Error(`packet link ${ifname}: xdpQueues needs xdp: true`), { code: 'EINVAL' });
  const flags =
    (receives ? 0 : PKT_NO_RX) |
    (opt(opts.qdiscBypass, 'QDISC_BYPASS', true) ? PKT_QDISC_BYPASS : 0) |
    (opt(opts.rxRing, 'RX_RING', true) ? PKT_RX_RING : 0) |
    (opt(opts.txRing, 'TX_RING', true) ? PKT_TX_RING : 0) |
    (opt(opts.hostBypass, 'HOST_BYPASS', false) ? PKT_HOST_BYPASS : 0);
  const xdp = receives && opt(opts.xdp, 'XDP', false);
  const coalesce = xdp ? coalesceUs(ifname, opts.xdpCoalesceUs) : null; // refused before anything is opened
  const sock = io.openPacket(ifname, netns, flags, group);
  if (sock.hostBypassError) {
    process.emitWarning(`packet link ${ifname}: host bypass unavailable (${sock.hostBypassError}); multicast data also climbs the host IP stack`);
  }
  let xsk: NativeXsk | null = null;
  let xdpError: string | null = null;
  if (xdp) {
    let claim: NapiClaim | null = null;
    try {
      const busy = opt(opts.xdpBusyPoll, 'XDP_BUSY_POLL', netns === null);
      // the true originals outlive a SIGKILL (napi-state.ts); without a record, no tuning
      let claimError: string | null = null;
      if (busy) {
        try {
          claim = claimNapiOriginals(ifname);
          if (claim.leftover) process.emitWarning(`packet link ${ifname}: a daemon that died left its NAPI settings; restoring ${NAPI_ATTRS.map((a, i) => `${a}=${claim!.originals[i]}`).join(' ')} when this one closes`);
        } catch (e) {
          claimError = (e as Error).message;
        }
      }
      xsk = io.openXsk(ifname, netns, busy && claim !== null, claim?.originals ?? null, opts.xdpQueues ?? null, coalesce);
      if (claim && !xsk.busyPoll) claim.release(); // nothing stays changed
      if (claimError) process.emitWarning(`packet link ${ifname}: XDP input without busy polling (${claimError})`);
      if (xsk.tuneError) {
        process.emitWarning(`packet link ${ifname}: XDP input without busy polling (${xsk.tuneError}); the interface's receive work runs where it is scheduled`);
      }
    } catch (e) {
      claim?.release(); // nothing was tuned
      if (opts.xdpQueues !== undefined) {
        // queues asked for by number (a share of the interface among workers): refused, not
        // quietly degraded; nothing stays open
        if (sock.ring) io.unmapRing(sock.ring);
        if (sock.hostBypassFd >= 0) io.close(sock.hostBypassFd);
        io.close(sock.fd);
        throw e;
      }
      xdpError = (e as Error).message;
      // asked for by the caller: the caller decides; asked for by env: say so and go on
      if (opts.xdp === undefined) process.emitWarning(`packet link ${ifname}: XDP input unavailable (${xdpError}); multicast data arrives on the packet socket`);
    }
  }
  return new PacketLink(io, ifname, sock, netns, xsk, xdpError, receives);
}
