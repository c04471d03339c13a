// An in-process link: for users without root, for unit tests, and as the wire that
// `inject` and `capture` use. Two virtual links can be joined into a pair so that what
// one sends the other receives; an unpaired link's transmissions go to its listeners.

import { noRxDrops, type Link, type LinkCounters, type RxBatch } from './link.js';

/** Synthetic ifindex space for virtual links, far above any kernel ifindex. */
let nextIfindex = 1_000_000;

export class VirtualLink implements Link {
  readonly kind = 'virtual' as const;
  readonly ifindex: number;
  readonly mtu: number;
  readonly counters: LinkCounters = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, txDropped: 0, rxDropped: 0, rxDrops: noRxDrops(), kernelDropped: {} };
  private onReceive: ((batch: RxBatch) => void) | null = null;
  private peer: VirtualLink | null = null;
  private readonly listeners: ((pkt: Buffer) => void)[] = [];
  private queued: Buffer[] = [];
  private readonly rx: RxBatch = { buf: Buffer.alloc(0), offsets: new Int32Array(1), lengths: new Int32Array(1), count: 1 };

  constructor(
    readonly name: string,
    readonly addrs4: readonly string[] = [],
    readonly addrs6: readonly string[] = [],
    mtu = 1500,
  ) {
    this.ifindex = nextIfindex++;
    this.mtu = mtu;
  }

  /** Join two links back to back. */
  static pair(a: VirtualLink, b: VirtualLink): void {
    a.peer = b;
    b.peer = a;
  }

  start(onReceive: (batch: RxBatch) => void): void {
    this.onReceive = onReceive;
  }

  /** Deliver a datagram as if it arrived on this link (synchronously). */
  receive(pkt: Uint8Array): void {
    if (!this.onReceive) {
      this.counters.rxDropped++;
      this.counters.rxDrops.down++;
      return;
    }
    this.counters.rxPackets++;
    this.counters.rxBytes += pkt.length;
    const b = Buffer.from(pkt); // the receiver may rewrite TTLs in place: never the caller's bytes
    this.rx.buf = b;
    this.rx.offsets[0] = 0;
    this.rx.lengths[0] = b.length;
    this.onReceive(this.rx);
  }

  /** Watch what this link transmits. */
  onTransmit(fn: (pkt: Buffer) => void): void {
    this.listeners.push(fn);
  }

  send(buf: Uint8Array, off: number, len: number): void {
    if (len > this.mtu) {
      this.counters.txDropped++; // EMSGSIZE on a real link
      return;
    }
    // Copy now: the sender's buffer is reused once flush() returns.
    this.queued.push(Buffer.from(buf.subarray(off, off + len)));
  }

  flush(): void {
    const q = this.queued;
    if (q.length === 0) return;
    this.queued = [];
    for (const p of q) {
      this.counters.txPackets++;
      this.counters.txBytes += p.length;
      for (const fn of this.listeners) fn(p);
      this.peer?.receive(p);
    }
  }

  async close(): Promise<void> {
    this.onReceive = null;
    this.queued = [];
  }
}
