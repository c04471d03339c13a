// Aggregates upcalls between renders: counts per type, a short ring of the newest events
// and a rate. Adding is O(1) and allocation-free beyond the ring slot, so a flood of
// 100,000 upcalls/s costs the event loop little and the screen only ~10 renders/s.
import type { UpcallEvent, UpcallType } from '../router/api.js';

export const UPCALL_TYPES: UpcallType[] = ['NOCACHE', 'WRONGVIF', 'WHOLEPKT', 'BW_UPCALL'];

export interface TallySnapshot {
  counts: Record<UpcallType, number>;
  total: number;
  /** upcalls/s over the last rate window */
  rate: number;
  /** newest last */
  recent: UpcallEvent[];
  /** bumps on every change, so a render can tell whether anything happened */
  version: number;
}

export class UpcallTally {
  private counts: Record<UpcallType, number> = { NOCACHE: 0, WRONGVIF: 0, WHOLEPKT: 0, BW_UPCALL: 0 };
  private total = 0;
  private ring: (UpcallEvent | undefined)[];
  private head = 0;
  private version = 0;
  private windowStart: number;
  private windowCount = 0;
  private rate = 0;

  constructor(
    private readonly keep = 32,
    private readonly now: () => number = Date.now,
  ) {
    this.ring = new Array(keep);
    this.windowStart = now();
  }

  add(ev: UpcallEvent): void {
    this.counts[ev.type]++;
    this.total++;
    this.windowCount++;
    this.ring[this.head] = ev;
    this.head = (this.head + 1) % this.keep;
    this.version++;
  }

  /** events newer than `afterSeq`, oldest first, at most `keep` (for monitor mode) */
  since(afterSeq: number): { events: UpcallEvent[]; skipped: number } {
    const all = this.recentEvents();
    const events = all.filter((e) => e.seq > afterSeq);
    const first = events[0];
    const skipped = first && afterSeq >= 0 ? Math.max(0, first.seq - afterSeq - 1) : 0;
    return { events, skipped };
  }

  private recentEvents(): UpcallEvent[] {
    const out: UpcallEvent[] = [];
    for (let i = 0; i < this.keep; i++) {
      const e = this.ring[(this.head + i) % this.keep];
      if (e) out.push(e);
    }
    return out;
  }

  snapshot(): TallySnapshot {
    const t = this.now();
    const dt = t - this.windowStart;
    if (dt >= 1000) {
      const rate = (this.windowCount * 1000) / dt;
      this.windowStart = t;
      this.windowCount = 0;
      // a rate that stays (0/s when idle) is no change: nothing to redraw
      if (rate !== this.rate) this.version++;
      this.rate = rate;
    }
    return { counts: { ...this.counts }, total: this.total, rate: this.rate, recent: this.recentEvents(), version: this.version };
  }

  get changed(): number {
    return this.version;
  }
}
