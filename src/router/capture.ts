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

export class CaptureRing {
  private readonly data = Buffer.alloc(SLOTS * CAPTURE_SNAP);
  private readonly lens = new Int32Array(SLOTS);
  private readonly times = new Float64Array(SLOTS);
  private readonly dirs = new Uint8Array(SLOTS); // 1: arrived (in), 0: sent (out)
  private next = 0;
  private count = 0;
  private readonly taps = new Set<CaptureTap>();

  record(buf: Uint8Array, off: number, len: number, now: number, arrived = false): void {
    const i = this.next;
    const n = len < CAPTURE_SNAP ? len : CAPTURE_SNAP;
    this.data.set(buf.subarray(off, off + n), i * CAPTURE_SNAP);
    this.lens[i] = len;
    this.times[i] = now;
    this.dirs[i] = arrived ? 1 : 0;
    this.next = (i + 1) % SLOTS;
    if (this.count < SLOTS) this.count++;
    if (this.taps.size) for (const t of this.taps) t(arrived ? 'in' : 'out', buf, off, len, now);
  }

  /** Oldest first: { time, length (on the wire), head (up to CAPTURE_SNAP bytes), dir }. */
  last(n = SLOTS): { time: number; length: number; head: Buffer; dir: CaptureDir }[] {
    const k = Math.min(n, this.count);
    const out = [];
    for (let j = k; j > 0; j--) {
      const i = (this.next - j + SLOTS) % SLOTS;
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
    return () => this.taps.delete(fn);
  }

  clear(): void {
    this.count = 0;
    this.next = 0;
  }
}
