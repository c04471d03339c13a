// What the TUN and packet links share: a batch receive ring in one preallocated Buffer,
// readiness from libuv, and a send queue of (buffer, offset, length) references flushed in
// one native call. Nothing here allocates per packet.
import { RX_DROP_REASONS, RX_ST_REASONS, noRxDrops, type Link, type LinkCounters, type LinkKind, type RxBatch } from './link.js';
import type { NativeIo, PollHandle } from './native.js';

/** Datagrams per receive call. 16+ captures nearly all of batching's gain (native-io.md). */
export const RX_SLOTS = 64;
/** Receive calls per readiness callback: bounds one callback to ~1-2 ms so timers and the
 * shell keep their turn; the poll is level-triggered, so the rest comes next turn. */
export const RX_CALLS_PER_WAKEUP = 4;
const TX_CAPACITY = 256;
/** Distinct buffers one flush may reference (the C side's limit). */
const TX_MAX_BUFS = 64;

// libuv/errno codes after which the fd will never become useful again: keep polling and
// epoll reports it readable forever, so stop instead.
const FATAL_ERRNOS = new Set([9 /* EBADF */, 77 /* EBADFD */, 19 /* ENODEV */, 6 /* ENXIO */]);

export function slotSizeFor(mtu: number, headroom: number): number {
  const need = mtu + headroom;
  return need <= 2048 ? 2048 : (need + 63) & ~63;
}

export interface FdLinkInit {
  kind: LinkKind;
  name: string;
  ifindex: number;
  mtu: number;
  addrs4: readonly string[];
  addrs6: readonly string[];
  fd: number;
  slot: number;
}

export abstract class FdLink implements Link {
  readonly kind: LinkKind;
  readonly name: string;
  readonly ifindex: number;
  readonly mtu: number;
  readonly addrs4: readonly string[];
  readonly addrs6: readonly string[];
  readonly counters: LinkCounters = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, txDropped: 0, rxDropped: 0, rxDrops: noRxDrops(), kernelDropped: {} };
  /** Last receive error (negative errno) seen, for diagnostics; 0 when none. */
  lastRxError = 0;

  protected readonly io: NativeIo;
  protected fd: number;
  protected readonly slot: number;
  protected readonly rxBuf: Buffer;
  protected readonly rxOffsets = new Int32Array(RX_SLOTS);
  protected readonly rxLengths = new Int32Array(RX_SLOTS);
  private readonly batch: RxBatch;
  protected onReceive: ((batch: RxBatch) => void) | null = null;
  private poll: PollHandle | null = null;
  protected closed = false;

  protected readonly txBufs: (Uint8Array | null)[] = [];
  protected readonly txIdx = new Int32Array(TX_CAPACITY);
  protected readonly txOff = new Int32Array(TX_CAPACITY);
  protected readonly txLen = new Int32Array(TX_CAPACITY);
  protected readonly txResult = new Float64Array(1);
  protected txCount = 0;
  private lastBuf: Uint8Array | null = null;
  private lastBufIdx = -1;

  constructor(io: NativeIo, init: FdLinkInit) {
    this.io = io;
    this.kind = init.kind;
    this.name = init.name;
    this.ifindex = init.ifindex;
    this.mtu = init.mtu;
    this.addrs4 = Object.freeze([...init.addrs4]);
    this.addrs6 = Object.freeze([...init.addrs6]);
    this.fd = init.fd;
    this.slot = init.slot;
    this.rxBuf = Buffer.alloc(init.slot * RX_SLOTS);
    this.batch = { buf: this.rxBuf, offsets: this.rxOffsets, lengths: this.rxLengths, count: 0 };
  }

  /** One receive call into the ring: delivered datagram count or -errno; sets framesRead. */
  protected abstract receive(): number;
  /** Frames the last receive() took off the fd (including dropped ones). */
  protected framesRead = 0;
  /** Transmit txCount queued datagrams; returns how many went out, bytes in txResult[0]. */
  protected abstract transmit(): number;

  start(onReceive: (batch: RxBatch) => void): void {
    if (this.closed) throw new Error(`${this.kind} link ${this.name} is closed`);
    if (this.onReceive) throw new Error(`${this.kind} link ${this.name} already started`);
    this.onReceive = onReceive;
    this.poll = this.io.pollStart(this.fd, this.onReadable);
  }

  // An arrow property so the native poll holds one function for the link's whole life.
  private readonly onReadable = (status: number): void => {
    if (status < 0) {
      this.lastRxError = status;
      this.stopPolling();
      return;
    }
    this.pump(this.receive);
  };

  /** Deliver what `receive` (a receive() of this link's) takes, a few calls per wakeup. */
  protected pump(receive: () => number): void {
    const deliver = this.onReceive;
    if (!deliver) return;
    for (let call = 0; call < RX_CALLS_PER_WAKEUP && !this.closed; call++) {
      const n = receive.call(this);
      if (n < 0) {
        this.lastRxError = n;
        if (FATAL_ERRNOS.has(-n)) this.stopPolling();
        return;
      }
      if (n > 0) {
        const lengths = this.rxLengths;
        let bytes = 0;
        for (let i = 0; i < n; i++) bytes += lengths[i]!;
        this.counters.rxPackets += n;
        this.counters.rxBytes += bytes;
        this.batch.count = n;
        deliver(this.batch);
      }
      if (this.framesRead < RX_SLOTS) return; // drained: wait for the next readiness
    }
  }

  send(buf: Uint8Array, off: number, len: number): void {
    if (this.closed) {
      this.counters.txDropped++;
      return;
    }
    if (this.txCount === TX_CAPACITY) this.flush();
    let bi = this.lastBufIdx;
    if (buf !== this.lastBuf) {
      bi = this.txBufs.indexOf(buf);
      if (bi < 0) {
        if (this.txBufs.length === TX_MAX_BUFS) this.flush();
        bi = this.txBufs.length;
        this.txBufs.push(buf);
      }
      this.lastBuf = buf;
      this.lastBufIdx = bi;
    }
    const i = this.txCount++;
    this.txIdx[i] = bi;
    this.txOff[i] = off;
    this.txLen[i] = len;
  }

  flush(): void {
    const count = this.txCount;
    if (count === 0) return;
    let sent = 0;
    this.txResult[0] = 0;
    try {
      sent = this.closed ? 0 : this.transmit();
    } catch {
      sent = 0; // flush never throws: a bad reference drops the batch, like a refused send
    }
    this.counters.txPackets += sent;
    this.counters.txBytes += this.txResult[0]!;
    this.counters.txDropped += count - sent;
    this.txCount = 0;
    this.txBufs.length = 0; // drop references so a flushed buffer is not kept alive
    this.lastBuf = null;
    this.lastBufIdx = -1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.stopPolling();
    this.onReceive = null;
    // The poll handle is closed (fd removed from epoll) before the fd itself is closed.
    this.io.close(this.fd);
    this.fd = -1;
    await this.afterClose();
  }

  /** Moves a native receive's drops (stats[0], by reason from RX_ST_REASONS) into the counters. */
  protected takeDrops(st: Int32Array): void {
    if (st[0] === 0) return;
    this.counters.rxDropped += st[0]!;
    st[0] = 0;
    const by = this.counters.rxDrops;
    for (let i = 0; i < RX_DROP_REASONS.length && RX_ST_REASONS + i < st.length; i++) {
      const n = st[RX_ST_REASONS + i]!;
      if (n !== 0) {
        by[RX_DROP_REASONS[i]!] += n;
        st[RX_ST_REASONS + i] = 0;
      }
    }
  }

  /** Cleanup beyond closing the fd (nothing by default). */
  protected async afterClose(): Promise<void> {}

  private stopPolling(): void {
    if (this.poll) {
      this.io.pollStop(this.poll);
      this.poll = null;
    }
  }
}
