// What a forwarding worker counts, in memory the control thread reads: the packets it
// decided itself (punted ones are counted by the control thread's engine, once). Each
// worker writes only its own block; the control thread sums on read (entry counters) or
// folds the deltas into the engine's counters before it shows any (the small ones).
//
// Per family and worker:
//   small[]    RX, FORWARDED, LOOKUPS, PUNTED, TX, then per vif: pkts in, bytes in,
//              pkts out, bytes out
//   ack[0]     the MFC epoch the worker has adopted (shared-mfc.ts)
//   entries[]  per entry id: pkts, bytes, last used (engine time); sized by the id
//              space. The control thread allocates a larger one when the id space grows
//              and posts it with the epoch; the worker copies its counts over when it
//              adopts that epoch, and from its ack on the control thread reads the new one.

import type { MrouteEngine, OutsideEntryCounters } from './engine.js';

export const WC_RX = 0;
export const WC_FORWARDED = 1;
export const WC_LOOKUPS = 2;
export const WC_PUNTED = 3;
export const WC_TX = 4;
export const WC_VIF = 8;
/** words per vif in `small` */
export const WC_VIF_WORDS = 4;
/** words per entry in `entries` */
export const WC_ENTRY_WORDS = 3;

export interface WorkerCounterBlock {
  small: Float64Array;
  ack: Int32Array;
  entries: Float64Array;
}

interface EntryBuffer {
  epoch: number;
  arr: Float64Array;
}

interface WorkerSide {
  small: Float64Array;
  ack: Int32Array;
  /** oldest first; the newest the worker acked is the live one */
  entries: EntryBuffer[];
  /** `small` as last folded */
  seen: Float64Array;
}

function sharedF64(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(Math.max(1, n) * 8));
}

/** The control thread's side for one family: every worker's counters, live or retired. */
export class WorkerCounters implements OutsideEntryCounters {
  private readonly workers: WorkerSide[] = [];
  /** per id: the workers' pkts and bytes when the id's counters last started from 0 */
  private base = new Float64Array(0);
  /** per id: the latest last-used time when it started again (older ones are not its) */
  private baseLast = new Float64Array(0);
  /** packets workers sent, summed at fold time */
  txCopies = 0;

  constructor(
    private readonly engine: MrouteEngine,
    private epoch: number,
  ) {
    this.grow(engine.table.capacity, epoch);
  }

  /** A new worker's block, at the current epoch. */
  addWorker(): WorkerCounterBlock {
    const smallLen = WC_VIF + this.engine.maxVifs * WC_VIF_WORDS;
    const w: WorkerSide = {
      small: sharedF64(smallLen),
      ack: new Int32Array(new SharedArrayBuffer(8)),
      entries: [{ epoch: this.epoch, arr: sharedF64(this.engine.table.capacity * WC_ENTRY_WORDS) }],
      seen: new Float64Array(smallLen),
    };
    w.ack[0] = this.epoch;
    this.workers.push(w);
    return { small: w.small, ack: w.ack, entries: w.entries[0].arr };
  }

  /** How many workers' blocks are held (retired ones keep their counts). */
  get count(): number {
    return this.workers.length;
  }

  /** The entry buffer worker `i` takes at `epoch` (the newest). */
  entriesFor(i: number): Float64Array {
    const e = this.workers[i].entries;
    return e[e.length - 1].arr;
  }

  /** The id space grew to `cap` at `epoch`: a larger buffer for every worker. */
  grow(cap: number, epoch: number): void {
    this.epoch = epoch;
    const base = new Float64Array(cap * 2);
    base.set(this.base.subarray(0, Math.min(this.base.length, base.length)));
    this.base = base;
    const last = new Float64Array(cap).fill(-1);
    last.set(this.baseLast.subarray(0, Math.min(this.baseLast.length, last.length)));
    this.baseLast = last;
    for (const w of this.workers) {
      const cur = w.entries[w.entries.length - 1].arr;
      if (cur.length >= cap * WC_ENTRY_WORDS) continue;
      w.entries.push({ epoch, arr: sharedF64(cap * WC_ENTRY_WORDS) });
    }
  }

  /** The buffer worker w writes now: the newest it acknowledged (older ones dropped). */
  private live(w: WorkerSide): Float64Array {
    const acked = Atomics.load(w.ack, 0);
    const e = w.entries;
    while (e.length > 1 && e[1].epoch <= acked) e.shift();
    return e[0].arr;
  }

  private sum(id: number, k: number): number {
    let s = 0;
    const i = id * WC_ENTRY_WORDS + k;
    for (const w of this.workers) {
      const a = this.live(w);
      if (i < a.length) s += a[i];
    }
    return s;
  }

  pkts(id: number): number {
    return this.sum(id, 0) - (id * 2 < this.base.length ? this.base[id * 2] : 0);
  }

  bytes(id: number): number {
    return this.sum(id, 1) - (id * 2 + 1 < this.base.length ? this.base[id * 2 + 1] : 0);
  }

  lastUsed(id: number): number {
    let t = -1;
    const i = id * WC_ENTRY_WORDS + 2;
    for (const w of this.workers) {
      const a = this.live(w);
      if (i < a.length && a[i] > t) t = a[i];
    }
    return id < this.baseLast.length && t <= this.baseLast[id] ? -1 : t;
  }

  rebase(id: number): void {
    if (id * 2 + 1 >= this.base.length) return;
    this.base[id * 2] = this.sum(id, 0);
    this.base[id * 2 + 1] = this.sum(id, 1);
    const i = id * WC_ENTRY_WORDS + 2;
    let t = -1;
    for (const w of this.workers) {
      const a = this.live(w);
      if (i < a.length && a[i] > t) t = a[i];
    }
    this.baseLast[id] = t;
  }

  /**
   * Adds what the workers counted since the last fold to the engine's own counters (the
   * ledger, mrtstat's lookups, the vif counters), so every reader of those sees them.
   */
  fold(): void {
    const e = this.engine;
    for (const w of this.workers) {
      const s = w.small;
      const seen = w.seen;
      const d = (k: number): number => {
        const v = s[k];
        const dv = v - seen[k];
        seen[k] = v;
        return dv;
      };
      e.ledger.rx += d(WC_RX);
      e.ledger.forwarded += d(WC_FORWARDED);
      e.stat.mfc_lookups += d(WC_LOOKUPS);
      d(WC_PUNTED);
      this.txCopies += d(WC_TX);
      for (let v = 0; v < e.maxVifs; v++) {
        const b = WC_VIF + v * WC_VIF_WORDS;
        e.vifPktIn[v] += d(b);
        e.vifBytesIn[v] += d(b + 1);
        e.vifPktOut[v] += d(b + 2);
        e.vifBytesOut[v] += d(b + 3);
      }
    }
  }

  /** packets workers forwarded themselves, all workers */
  forwarded(): number {
    let n = 0;
    for (const w of this.workers) n += w.small[WC_FORWARDED];
    return n;
  }

  /** packets workers handed to the control thread, all workers */
  punted(): number {
    let n = 0;
    for (const w of this.workers) n += w.small[WC_PUNTED];
    return n;
  }
}
