// Bandwidth meters (MRT_ADD_BW_UPCALL / MRT_DEL_BW_UPCALL), IPv4 only, as current
// FreeBSD ip_mroute.c implements them:
//  - GEQ meters are clocked by packets: the first packet after an interval elapsed opens a
//    new one; an upcall as soon as a threshold is reached, at most one per interval.
//  - LEQ meters are clocked by time: at the end of every interval (counted from the add),
//    an upcall if the measured value is at or below the threshold, then a new interval.
//  - Records are batched into one IGMPMSG_BW_UPCALL message: delivered when more than 512
//    are pending, 1 s after the previous delivery, or right after LEQ meters fired (the
//    kernel's upcall task is kicked by every LEQ expiry). The current header's
//    BW_UPCALLS_MAX is 1024 (the manual's 128 is the old value); a userspace engine has no
//    ring to overflow, so no record is ever dropped.
// LEQ deadlines live in one binary heap, so 100,000 idle meters cost nothing between
// deadlines and O(log n) per expiry.

import { fail } from './errno.js';
import { formatIPv4, parseIPv4 } from './addr.js';
import { ENTRY_RESOLVED, type MrouteEngine } from './engine.js';
import { Upcall, UPCALL_BW, type BwUpcallRecord } from './upcall.js';
import { encodeIgmpmsgBwUpcall, BW_UPCALLS_MAX, type BwUpcall, type BwData } from './codecs/index.js';

import { MRT_MFC_BW_UPCALL, BW_UPCALL_UNIT_PACKETS, BW_UPCALL_UNIT_BYTES, BW_UPCALL_GEQ, BW_UPCALL_LEQ, BW_UPCALL_DELETE_ALL } from './codecs/constants.js';
export { BW_UPCALL_UNIT_PACKETS, BW_UPCALL_UNIT_BYTES, BW_UPCALL_GEQ, BW_UPCALL_LEQ, BW_UPCALL_DELETE_ALL };
export const BW_UPCALL_THRESHOLD_INTERVAL_MIN_MS = 3000;
export const BW_UPCALLS_FLUSH_AT = 512;
export const BW_UPCALLS_PERIOD_MS = 1000;
/** A ceiling on meters so a runaway daemon gets ENOBUFS (FreeBSD's malloc failure) instead of the host's memory. */
export const BW_METERS_MAX = 4_000_000;
const FLAG_MASK = BW_UPCALL_UNIT_PACKETS | BW_UPCALL_UNIT_BYTES | BW_UPCALL_GEQ | BW_UPCALL_LEQ;

/** struct bw_upcall as the API takes it; times as seconds + microseconds like struct timeval. */
export interface BwSpec {
  src: string;
  dst: string;
  flags: number;
  threshold: { timeSec: number; timeUsec: number; packets: number; bytes: number };
}

export class BwMeter {
  /** start of the current interval, engine ms */
  start: number;
  packets = 0;
  bytes = 0;
  /** GEQ: an upcall was queued in this interval */
  delivered = false;
  /** LEQ: heap position, -1 when not scheduled */
  heapPos = -1;
  deadline = 0;
  constructor(
    readonly entry: number,
    readonly flags: number,
    readonly intervalMs: number,
    readonly thrPackets: number,
    readonly thrBytes: number,
    readonly timeSec: number,
    readonly timeUsec: number,
    now: number,
  ) {
    this.start = now;
  }
  get geq(): boolean {
    return (this.flags & BW_UPCALL_GEQ) !== 0;
  }
}

interface EngineView extends MrouteEngine {
  apiConfig: number;
  hasMeters: Uint8Array;
}

export class BwMeters {
  /** meters per MFC entry id, newest first (as FreeBSD's lists) */
  private readonly byEntry = new Map<number, BwMeter[]>();
  private count = 0;
  private heap: BwMeter[] = [];
  private batch: BwUpcallRecord[] = [];
  private lastFlush = 0;
  /** records delivered and messages sent, for statistics */
  recordsDelivered = 0;

  constructor(private readonly engine: EngineView) {}

  get size(): number {
    return this.count;
  }

  add(spec: BwSpec): void {
    const e = this.engine;
    if (!(e.apiConfig & MRT_MFC_BW_UPCALL)) fail('EOPNOTSUPP', 'bandwidth upcalls need MRT_API_CONFIG bw-upcall');
    const f = spec.flags;
    if (!(f & (BW_UPCALL_UNIT_PACKETS | BW_UPCALL_UNIT_BYTES))) fail('EINVAL', 'a meter needs a unit: packets and/or bytes');
    const geq = (f & BW_UPCALL_GEQ) !== 0;
    const leq = (f & BW_UPCALL_LEQ) !== 0;
    if (geq === leq) fail('EINVAL', geq ? 'GEQ and LEQ are mutually exclusive' : 'a meter is either GEQ or LEQ');
    const t = spec.threshold;
    const intervalMs = t.timeSec * 1000 + t.timeUsec / 1000;
    // Compared as timevals: exactly 3.000000 s is accepted, usec not range-checked.
    if (t.timeSec < 3 || (t.timeSec === 3 && t.timeUsec < 0)) fail('EINVAL', `interval ${fmtInterval(t.timeSec, t.timeUsec)} is below the 3 s minimum`);
    const id = this.entryId(spec.src, spec.dst);
    const list = this.byEntry.get(id) ?? [];
    const op = f & FLAG_MASK;
    for (const m of list) {
      if (m.flags === op && m.timeSec === t.timeSec && m.timeUsec === t.timeUsec && m.thrPackets === t.packets && m.thrBytes === t.bytes) return; // identical: accepted, nothing added
    }
    if (this.count >= BW_METERS_MAX) fail('ENOBUFS', `too many bandwidth meters (${BW_METERS_MAX})`);
    const m = new BwMeter(id, op, intervalMs, t.packets, t.bytes, t.timeSec, t.timeUsec, e.now);
    list.unshift(m);
    this.byEntry.set(id, list);
    this.count++;
    e.setMetered(id, true);
    if (leq) {
      m.deadline = e.now + intervalMs;
      this.heapPush(m);
    }
  }

  del(spec: BwSpec): void {
    const e = this.engine;
    if (!(e.apiConfig & MRT_MFC_BW_UPCALL)) fail('EOPNOTSUPP', 'bandwidth upcalls need MRT_API_CONFIG bw-upcall');
    const id = this.entryId(spec.src, spec.dst);
    const list = this.byEntry.get(id) ?? [];
    if (spec.flags & BW_UPCALL_DELETE_ALL) {
      this.dropEntry(id);
      return;
    }
    const t = spec.threshold;
    const geq = (spec.flags & BW_UPCALL_GEQ) !== 0;
    const op = spec.flags & FLAG_MASK;
    const i = list.findIndex(
      (m) => m.geq === geq && m.flags === op && m.timeSec === t.timeSec && m.timeUsec === t.timeUsec && m.thrPackets === t.packets && m.thrBytes === t.bytes,
    );
    if (i < 0) fail('EINVAL', 'no bandwidth meter matches exactly');
    const [m] = list.splice(i, 1);
    this.forget(m);
    if (list.length === 0) {
      this.byEntry.delete(id);
      e.setMetered(id, false);
    }
  }

  /** Meters of an entry, newest first. */
  metersOf(id: number): readonly BwMeter[] {
    return this.byEntry.get(id) ?? [];
  }

  /** The entry is going away (MRT_DEL_MFC, expiry, MRT_DONE): its meters go too. */
  dropEntry(id: number): void {
    const list = this.byEntry.get(id);
    if (!list) return;
    for (const m of list) this.forget(m);
    this.byEntry.delete(id);
    this.engine.setMetered(id, false);
  }

  clear(): void {
    this.byEntry.clear();
    this.heap = [];
    this.batch = [];
    this.count = 0;
  }

  private forget(m: BwMeter): void {
    this.count--;
    if (m.heapPos >= 0) this.heapRemove(m);
  }

  private entryId(src: string, dst: string): number {
    const e = this.engine;
    const id = e.table.find2(parseIPv4(src), parseIPv4(dst));
    if (id < 0 || e.state[id] !== ENTRY_RESOLVED) fail('EADDRNOTAVAIL', `no MFC entry (${src}, ${dst})`);
    return id;
  }

  /** Per accepted packet of an entry with meters: GEQ accounting; LEQ only counts. */
  onPacket(id: number, len: number): void {
    const list = this.byEntry.get(id);
    if (list === undefined) return;
    const now = this.engine.now;
    for (let i = 0; i < list.length; i++) {
      const m = list[i];
      if (m.heapPos >= 0) {
        m.packets++;
        m.bytes += len;
        continue;
      }
      if (now - m.start > m.intervalMs) {
        m.start = now;
        m.packets = 0;
        m.bytes = 0;
        m.delivered = false;
      }
      m.packets++;
      m.bytes += len;
      if (!m.delivered && ((m.flags & BW_UPCALL_UNIT_PACKETS && m.packets >= m.thrPackets) || (m.flags & BW_UPCALL_UNIT_BYTES && m.bytes >= m.thrBytes))) {
        m.delivered = true;
        this.queue(m, now);
      }
    }
  }

  /** Run LEQ deadlines and the 1 s delivery period up to `now`. */
  advance(now: number): void {
    let fired = false;
    const heap = this.heap;
    while (heap.length > 0 && heap[0].deadline <= now) {
      const m = heap[0];
      const at = m.deadline; // the callout's own time, so a late advance() does not drift
      if ((m.flags & BW_UPCALL_UNIT_PACKETS && m.packets <= m.thrPackets) || (m.flags & BW_UPCALL_UNIT_BYTES && m.bytes <= m.thrBytes)) {
        this.queue(m, at);
        fired = true;
      }
      m.start = at;
      m.packets = 0;
      m.bytes = 0;
      m.deadline = at + m.intervalMs;
      this.heapSiftDown(0);
    }
    if (this.batch.length > 0 && (fired || now - this.lastFlush >= BW_UPCALLS_PERIOD_MS)) this.flush(now);
    else if (this.batch.length === 0 && now - this.lastFlush >= BW_UPCALLS_PERIOD_MS) this.lastFlush = now;
  }

  nextDeadline(): number {
    let d = this.heap.length > 0 ? this.heap[0].deadline : Infinity;
    if (this.batch.length > 0) d = Math.min(d, this.lastFlush + BW_UPCALLS_PERIOD_MS);
    return d;
  }

  private queue(m: BwMeter, at: number): void {
    const e = this.engine;
    const kw = e.table.keyWords;
    this.batch.push({
      src: e.table.keys[m.entry * kw],
      dst: e.table.keys[m.entry * kw + 1],
      flags: m.flags,
      thresholdUs: m.timeSec * 1e6 + m.timeUsec,
      thresholdPackets: m.thrPackets,
      thresholdBytes: m.thrBytes,
      measuredUs: Math.round((at - m.start) * 1000),
      measuredPackets: m.packets,
      measuredBytes: m.bytes,
    });
    if (this.batch.length > BW_UPCALLS_FLUSH_AT) this.flush(at);
  }

  /** Deliver pending records as IGMPMSG_BW_UPCALL messages of at most BW_UPCALLS_MAX records. */
  flush(now: number): void {
    this.lastFlush = now;
    while (this.batch.length > 0) {
      const recs = this.batch.splice(0, BW_UPCALLS_MAX);
      const msg = encodeIgmpmsgBwUpcall(recs.map(toStruct));
      this.recordsDelivered += recs.length;
      const u = new Upcall('inet', UPCALL_BW, 0, msg, now, '0.0.0.0', recs);
      this.engine.stat.upcalls++;
      if (!this.engine.upcalls.push(u)) this.engine.stat.upq_sockfull++;
    }
  }

  // ---- binary min-heap on deadline ----
  private heapPush(m: BwMeter): void {
    m.heapPos = this.heap.length;
    this.heap.push(m);
    this.heapSiftUp(m.heapPos);
  }
  private heapRemove(m: BwMeter): void {
    const i = m.heapPos;
    const last = this.heap.pop()!;
    m.heapPos = -1;
    if (last === m) return;
    this.heap[i] = last;
    last.heapPos = i;
    this.heapSiftDown(i);
    this.heapSiftUp(last.heapPos);
  }
  private heapSiftUp(i: number): void {
    const h = this.heap;
    const m = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].deadline <= m.deadline) break;
      h[i] = h[p];
      h[i].heapPos = i;
      i = p;
    }
    h[i] = m;
    m.heapPos = i;
  }
  private heapSiftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const m = h[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1].deadline < h[c].deadline) c++;
      if (h[c].deadline >= m.deadline) break;
      h[i] = h[c];
      h[i].heapPos = i;
      i = c;
    }
    h[i] = m;
    m.heapPos = i;
  }
}

function fmtInterval(sec: number, usec: number): string {
  return `${sec}.${String(usec).padStart(6, '0')} s`;
}


function bwData(us: number, packets: number, bytes: number): BwData {
  return { timeSec: Math.floor(us / 1e6), timeUsec: Math.round(us % 1e6), packets, bytes };
}

/** A record as struct bw_upcall, for the codec. */
function toStruct(r: BwUpcallRecord): BwUpcall {
  return {
    src: formatIPv4(r.src),
    dst: formatIPv4(r.dst),
    flags: r.flags,
    threshold: bwData(r.thresholdUs, r.thresholdPackets, r.thresholdBytes),
    measured: bwData(r.measuredUs, r.measuredPackets, r.measuredBytes),
  };
}
