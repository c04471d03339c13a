// Per-vif rings of the last packets the engine sent: `capture VIF` on every link type.
// Slots are preallocated and only the head of each packet is kept, so recording costs one
// small copy per transmitted packet and never allocates.

const SLOTS = 16;
const SNAP = 128;

export class CaptureRing {
  private readonly data = Buffer.alloc(SLOTS * SNAP);
  private readonly lens = new Int32Array(SLOTS);
  private readonly times = new Float64Array(SLOTS);
  private next = 0;
  private count = 0;

  record(buf: Uint8Array, off: number, len: number, now: number): void {
    const i = this.next;
    const n = len < SNAP ? len : SNAP;
    this.data.set(buf.subarray(off, off + n), i * SNAP);
    this.lens[i] = len;
    this.times[i] = now;
    this.next = (i + 1) % SLOTS;
    if (this.count < SLOTS) this.count++;
  }

  /** Oldest first: { time, length (on the wire), head (up to 128 bytes) }. */
  last(n = SLOTS): { time: number; length: number; head: Buffer }[] {
    const k = Math.min(n, this.count);
    const out = [];
    for (let j = k; j > 0; j--) {
      const i = (this.next - j + SLOTS) % SLOTS;
      const len = this.lens[i];
      out.push({ time: this.times[i], length: len, head: Buffer.from(this.data.subarray(i * SNAP, i * SNAP + Math.min(len, SNAP))) });
    }
    return out;
  }

  clear(): void {
    this.count = 0;
    this.next = 0;
  }
}
