// Per-vif rings of the last packets the engine sent on a vif and received on it:
// `capture VIF` on every link type. Slots are preallocated and only the head of each
// packet is kept, so recording costs one small copy per packet and never allocates. A tap
// (`monitor capture`) sees every packet whole as it passes, for as long as it is set.

const SLOTS = 16;
/** bytes of each packet a ring keeps: the pcap snap length of `capture N pcap FILE` */
export const CAPTURE_SNAP = 128;

export type CaptureDir = 'in' | 'out';
/** a tap's view of one packet: the bytes are the router's, valid only during the call */
export type CaptureTap = (dir: CaptureDir, buf: Uint8Array, off: number, len: number, now: number) => void;

/** a ring's memory, shareable with a forwarding worker that records into it */
export interface CaptureRingParts {
  data: Uint8Array;
  lens: Int32Array;
  times: Float64Array;
  dirs: Uint8Array;
  /** next slot, count */
  meta: Int32Array;
}

/** every vif's ring of one worker, per family */
export interface SharedCaptureRings {
  inet: CaptureRingParts[];
  inet6: CaptureRingParts[];
}

function ringParts(shared: boolean): CaptureRingParts {
  const mk = (bytes: number): ArrayBufferLike => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  return {
    data: new Uint8Array(mk(SLOTS * CAPTURE_SNAP)),
    lens: new Int32Array(mk(SLOTS * 4)),
    times: new Float64Array(mk(SLOTS * 8)),
    dirs: new Uint8Array(mk(SLOTS)),
    meta: new Int32Array(mk(8)),
  };
}

/** A worker's rings for `vifs` vifs per family, in shared memory. */
export function sharedCaptureRings(vifs4: number, vifs6: number): SharedCaptureRings {
  return { inet: Array.from({ length: vifs4 }, () => ringParts(true)), inet6: Array.from({ length: vifs6 }, () => ringParts(true)) };
}

export function captureFromShared(s: SharedCaptureRings): [CaptureRing[], CaptureRing[]] {
  return [s.inet.map((p) => new CaptureRing(p)), s.inet6.map((p) => new CaptureRing(p))];
}

export class CaptureRing {
  private readonly data: Uint8Array;
  private readonly lens: Int32Array;
  private readonly times: Float64Array;
  private readonly dirs: Uint8Array; // 1: arrived (in), 0: sent (out)
  private readonly meta: Int32Array;
  private readonly taps = new Set<CaptureTap>();
  /** the same vif's rings in forwarding workers: shown with this one, by time */
  readonly peers: CaptureRing[] = [];

  constructor(parts: CaptureRingParts = ringParts(false)) {
    this.data = parts.data;
    this.lens = parts.lens;
    this.times = parts.times;
    this.dirs = parts.dirs;
    this.meta = parts.meta;
  }

  /** whether a tap is set (workers leave a tapped vif's packets to the control thread) */
  get tapped(): boolean {
    return this.taps.size > 0;
  }

  record(buf: Uint8Array, off: number, len: number, now: number, arrived = false): void {
    const m = this.meta;
    const i = m[0];
    const n = len < CAPTURE_SNAP ? len : CAPTURE_SNAP;
    this.data.set(buf.subarray(off, off + n), i * CAPTURE_SNAP);
    this.lens[i] = len;
    this.times[i] = now;
    this.dirs[i] = arrived ? 1 : 0;
    m[0] = (i + 1) % SLOTS;
    if (m[1] < SLOTS) m[1]++;
    if (this.taps.size) for (const t of this.taps) t(arrived ? 'in' : 'out', buf, off, len, now);
  }

  /** Oldest first: { time, length (on the wire), head (up to CAPTURE_SNAP bytes), dir }; workers' rings merged in by time. */
  last(n = SLOTS): { time: number; length: number; head: Buffer; dir: CaptureDir }[] {
    const own = this.ownLast(n);
    if (this.peers.length === 0) return own;
    const all = own.concat(...this.peers.map((p) => p.ownLast(n)));
    all.sort((a, b) => a.time - b.time);
    return all.slice(Math.max(0, all.length - n));
  }

  private ownLast(n: number): { time: number; length: number; head: Buffer; dir: CaptureDir }[] {
    const next = this.meta[0];
    const k = Math.min(n, this.meta[1]);
    const out = [];
    for (let j = k; j > 0; j--) {
      const i = (next - j + SLOTS) % SLOTS;
      const len = this.lens[i];
      out.push({
        time: this.times[i],
        length: len,
        head: Buffer.from(this.data.subarray(i * CAPTURE_SNAP, i * CAPTURE_SNAP + Math.min(len, CAPTURE_SNAP))),
        dir: this.dirs[i] ? ('in' as const) : ('out' as const),
      });
    }
    return out;
  }

  /** Streams every packet recorded from now on to fn; returns the call that stops it. */
  tap(fn: CaptureTap): () => void {
    this.taps.add(fn);
    this.onTapsChanged?.();
    return () => {
      this.taps.delete(fn);
      this.onTapsChanged?.();
    };
  }

  /** told when a tap is set or removed (workers.ts: tapped vifs go through the control thread) */
  onTapsChanged: (() => void) | null = null;

  clear(): void {
    this.meta[0] = 0;
    this.meta[1] = 0;
    for (const p of this.peers) p.clear();
  }
}
