// A TUN device (IFF_TUN|IFF_NO_PI): every read is one IP datagram the host routed to the
// device, every write injects one datagram into the host's stack as if received on it.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { FdLink, RX_SLOTS, slotSizeFor } from './fd-link.js';
import type { Link } from './link.js';
import { TUN_MQ, requireNative, type NativeIo, type NativeTun } from './native.js';

const run = promisify(execFile);

export interface TunLinkOptions {
  mtu?: number;
  /** Addresses to configure, "a.b.c.d" or "a.b.c.d/len" (a bare address is /32, /128). */
  addrs4?: string[];
  addrs6?: string[];
  /** Named network namespace (/run/netns/NAME) to create the device in. */
  netns?: string;
  /**
   * A multi-queue device (IFF_MULTI_QUEUE): each link opened on it is a queue of its own
   * (one per worker thread), and opening the name again attaches another queue. What the
   * host sends into the device goes to one queue by a hash of its IP source and
   * destination only (a steering program, native/mrsh_bpf.c; without it Linux would hash
   * the ports too), so an (S,G) stays on one queue; the kernel takes the hash modulo the
   * queue count, so a queue added or closed moves flows. The device goes with its last
   * queue (unless persistent). Every open of the name must ask for it alike.
   */
  multiQueue?: boolean;
}

class TunLink extends FdLink {
  readonly created: boolean;
  readonly netns: string | null;

  constructor(io: NativeIo, dev: NativeTun, addrs4: string[], addrs6: string[], netns: string | null) {
    super(io, {
      kind: 'tun',
      name: dev.name,
      ifindex: dev.ifindex,
      mtu: dev.mtu,
      addrs4,
      addrs6,
      fd: dev.fd,
      slot: slotSizeFor(dev.mtu, 0),
    });
    this.created = dev.created;
    this.netns = netns;
    this.txDropped0 = this.deviceTxDropped() ?? 0;
  }

  /** the device's tx_dropped when the link opened: its drops before mrsh are not ours */
  private readonly txDropped0: number;

  /** The device's own tx_dropped (what the host sent while its queue to us was full), read
   * from sysfs, which shows the namespace mrsh runs in: null for a device in another one. */
  private deviceTxDropped(): number | null {
    if (this.netns !== null) return null;
    try {
      return Number(readFileSync(`/sys/class/net/${this.name}/statistics/tx_dropped`, 'utf8'));
    } catch {
      return null;
    }
  }

  refreshCounters(): void {
    if (this.closed) return;
    const n = this.deviceTxDropped();
    if (n !== null) this.counters.kernelDropped['queue-full'] = n - this.txDropped0;
  }

  override async close(): Promise<void> {
    this.refreshCounters(); // the device may go with the fd: read its last drops first
    await super.close();
  }

  protected receive(): number {
    const n = this.io.recvTun(this.fd, this.rxBuf, this.slot, RX_SLOTS, this.rxOffsets, this.rxLengths);
    this.framesRead = n > 0 ? n : 0;
    return n;
  }

  protected transmit(): number {
    return this.io.sendTun(this.fd, this.txBufs, this.txIdx, this.txOff, this.txLen, this.txCount, this.txResult);
  }
  // Closing the last fd of a non-persistent TUN device removes the device, so a device this
  // link created disappears with it and an attached persistent one stays.
}

function withPrefix(addr: string, bits: number): string {
  return addr.includes('/') ? addr : `${addr}/${bits}`;
}

async function ip(netns: string | null, args: string[]): Promise<void> {
  const argv = netns ? ['-n', netns, ...args] : args;
  try {
    await run('ip', argv);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ip ${argv.join(' ')}: ${(err.stderr ?? err.message).trim()}`);
  }
}

/**
 * Create (or attach to an existing) TUN device, non-blocking and up. An empty name lets
 * the kernel pick tunN. close() removes the device if this call created it.
 */
export async function openTunLink(name: string, opts: TunLinkOptions = {}): Promise<Link> {
  const io = requireNative();
  const netns = opts.netns ?? null;
  const dev = io.openTun(name, opts.mtu ?? 0, netns, opts.multiQueue ? TUN_MQ : 0);
  try {
    // Addresses need netlink; `ip` speaks it and is everywhere TUN is.
    for (const a of opts.addrs4 ?? []) await ip(netns, ['addr', 'add', withPrefix(a, 32), 'dev', dev.name]);
    for (const a of opts.addrs6 ?? []) await ip(netns, ['-6', 'addr', 'add', withPrefix(a, 128), 'dev', dev.name, 'nodad']);
    const info = opts.addrs4?.length || opts.addrs6?.length ? io.ifInfo(dev.name, netns) : dev;
    return new TunLink(io, dev, info.addrs4, info.addrs6, netns);
  } catch (e) {
    io.close(dev.fd);
    throw e;
  }
}
