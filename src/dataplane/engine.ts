// The generic core of the multicast forwarding engine: what FreeBSD's ip_mroute.c and
// ip6_mroute.c share. It owns the vif table, the MFC (resolved and pending entries), the
// forwarding decision (ip_mdq), the upcall queue and the statistics. The families
// (inet.ts, inet6.ts) parse their headers, encode their upcalls and apply their own
// errno rules around this core.
//
// The engine takes packets and time and gives packets (through `transmit`), upcalls and
// counters. It never reads a clock: time only moves when advance() is called.

import { MfcTable } from './mfc-table.js';
import { MrtStat, PacketLedger, resetCounters } from './stats.js';
import { Upcall, UpcallQueue, UPCALL_NOCACHE, type FamilyName } from './upcall.js';

/** An interface the router attached: a link's device, or a register pseudo-interface. */
export interface EngineInterface {
  ifindex: number;
  name: string;
  addrs4: readonly string[];
  addrs6: readonly string[];
  multicast: boolean;
}

export interface EngineOptions {
  /** MAXVIFS / MAXMIFS: FreeBSD's 32 and 64 by default. */
  maxVifs?: number;
  /** Routing socket receive buffer, in messages. */
  upcallQueueLimit?: number;
  /**
   * Cap on unresolved (pending) entries. FreeBSD has none; without one a flood of new
   * sources would grow the table (and the held packets) without bound.
   */
  pendingLimit?: number;
  /** Initial capacity of the MFC id space (grows by doubling). */
  initialEntries?: number;
}

export type Transmit = (vif: number, buf: Uint8Array, off: number, len: number) => void;

export const NO_IFINDEX = 0;
export const ENTRY_FREE = 0;
export const ENTRY_RESOLVED = 1;
export const ENTRY_PENDING = 2;
/** mfcc_parent of a pending entry (FreeBSD sets 0xffff... as "no parent yet"). */
export const PARENT_NONE = 0xffff;
export const DEFAULT_PENDING_LIMIT = 4096;

/** FreeBSD's expire_upcalls callout runs every hz/4. */
export const EXPIRE_TICK_MS = 250;
/** UPCALL_EXPIRE: a pending entry lives 6 ticks (~1.25-1.5 s). */
export const UPCALL_EXPIRE_TICKS = 6;

interface HeldPacket {
  ifindex: number;
  data: Buffer;
}

interface PendingState {
  queue: HeldPacket[];
  expire: number;
  arrivalVif: number;
}

export abstract class MrouteEngine {
  abstract readonly family: FamilyName;
  /** words of one address: 1 (IPv4) or 4 (IPv6), half a key */
  protected readonly addrWords: number;
  /** packets held per pending entry */
  protected abstract readonly upqMax: number;

  readonly maxVifs: number;
  readonly stat = new MrtStat();
  readonly ledger = new PacketLedger();
  readonly upcalls: UpcallQueue;
  /** unresolved entries at most (FreeBSD has no such cap; a setting: mrt pending-limit) */
  pendingLimit: number;

  /** the routing-socket owner (MRT_INIT); null when multicast routing is off */
  mrouter: object | null = null;
  /** engine clock, ms; moved only by advance() */
  now = 0;
  transmit: Transmit = () => {};

  // ---- vif table (struct vif / struct mif6) ----
  numVifs = 0;
  readonly vifUsed: Uint8Array;
  readonly vifFlags: Uint8Array;
  readonly vifThreshold: Uint8Array;
  readonly vifRateLimit: Uint32Array;
  readonly vifIf: Int32Array; // ifindex, NO_IFINDEX when unset
  readonly vifLcl: Uint32Array; // IPv4 v_lcl_addr
  readonly vifRmt: Uint32Array; // IPv4 v_rmt_addr
  readonly vifIsRegister: Uint8Array;
  readonly vifPktIn: Float64Array;
  readonly vifPktOut: Float64Array;
  readonly vifBytesIn: Float64Array;
  readonly vifBytesOut: Float64Array;
  regVif = -1; // reg_vif_num
  readonly interfaces = new Map<number, EngineInterface>();

  // ---- MFC: the key index plus one typed array per field ----
  readonly table: MfcTable;
  state!: Uint8Array;
  parent!: Uint16Array;
  ttls!: Uint8Array; // [id * maxVifs + v]
  mflags!: Uint8Array; // mfcc_flags, [id * maxVifs + v]
  rp!: Uint32Array; // mfcc_rp, [id * addrWords + w]
  /**
   * The per-entry counters the forwarding path touches, interleaved so one packet costs one
   * cache line: [id * 4] packets, [+1] bytes, [+2] wrong-if arrivals, [+3] last used (ms,
   * -1 never). Read them through pkts(), bytes(), wrongIfs() and lastUsedAt().
   */
  cnt!: Float64Array;
  lastAssert!: Float64Array;
  created!: Float64Array;
  /** entries that carry bandwidth meters: checked per packet before any meter work */
  hasMeters!: Uint8Array;
  readonly pending = new Map<number, PendingState>();
  resolvedCount = 0;
  /** held packets freed unforwarded: by expiry, MRT_DEL_MFC or MRT_DONE */
  heldDropped = 0;

  private nextTick = 0;

  constructor(opts: EngineOptions = {}, keyWords: number, defaultMaxVifs: number) {
    this.maxVifs = opts.maxVifs ?? defaultMaxVifs;
    if (!Number.isInteger(this.maxVifs) || this.maxVifs < 1 || this.maxVifs > 0xfffe)
      throw new RangeError(`maxVifs must be 1..65534, got ${this.maxVifs}`);
    this.upcalls = new UpcallQueue(opts.upcallQueueLimit ?? 1024);
    this.pendingLimit = opts.pendingLimit ?? DEFAULT_PENDING_LIMIT;
    const n = this.maxVifs;
    this.vifUsed = new Uint8Array(n);
    this.vifFlags = new Uint8Array(n);
    this.vifThreshold = new Uint8Array(n);
    this.vifRateLimit = new Uint32Array(n);
    this.vifIf = new Int32Array(n);
    this.vifLcl = new Uint32Array(n);
    this.vifRmt = new Uint32Array(n);
    this.vifIsRegister = new Uint8Array(n);
    this.vifPktIn = new Float64Array(n);
    this.vifPktOut = new Float64Array(n);
    this.vifBytesIn = new Float64Array(n);
    this.vifBytesOut = new Float64Array(n);
    this.addrWords = keyWords / 2;
    this.table = new MfcTable(keyWords, opts.initialEntries ?? 1024);
    this.allocEntryArrays(this.table.capacity);
    this.table.onGrow = (cap) => this.allocEntryArrays(cap);
  }

  private allocEntryArrays(cap: number): void {
    const grow = <T extends { length: number; set(a: ArrayLike<number>): void }>(
      old: T | undefined,
      make: (n: number) => T,
      n: number,
    ): T => {
      const a = make(n);
      if (old) a.set(old as unknown as ArrayLike<number>);
      return a;
    };
    const m = this.maxVifs;
    this.state = grow(this.state, (n) => new Uint8Array(n), cap);
    this.parent = grow(this.parent, (n) => new Uint16Array(n), cap);
    this.ttls = grow(this.ttls, (n) => new Uint8Array(n), cap * m);
    this.mflags = grow(this.mflags, (n) => new Uint8Array(n), cap * m);
    this.rp = grow(this.rp, (n) => new Uint32Array(n), cap * this.addrWords);
    this.cnt = grow(this.cnt, (n) => new Float64Array(n), cap * 4);
    this.lastAssert = grow(this.lastAssert, (n) => new Float64Array(n), cap);
    this.created = grow(this.created, (n) => new Float64Array(n), cap);
    this.hasMeters = grow(this.hasMeters, (n) => new Uint8Array(n), cap);
  }

  // ------------------------------------------------------------------ time

  /**
   * Move the engine clock to `now` (ms) and run what fell due: pending-entry expiry
   * every 250 ms, and whatever the family schedules (bandwidth meters).
   */
  advance(now: number): void {
    if (now < this.now) return; // time never runs backwards here
    this.now = now;
    if (this.mrouter === null) return;
    if (this.pending.size === 0) {
      // Nothing to expire: keep the tick phase without looping through idle ticks.
      if (now >= this.nextTick)
        this.nextTick += Math.ceil((now - this.nextTick + 1) / EXPIRE_TICK_MS) * EXPIRE_TICK_MS;
    } else {
      while (now >= this.nextTick) {
        this.expireTick();
        this.nextTick += EXPIRE_TICK_MS;
      }
    }
    this.runFamilyTimers(now);
  }

  /** The next time advance() has work to do, or Infinity. */
  nextDeadline(): number {
    if (this.mrouter === null) return Infinity;
    const fam = this.familyDeadline();
    return this.pending.size > 0 ? Math.min(this.nextTick, fam) : fam;
  }

  protected runFamilyTimers(_now: number): void {}
  protected familyDeadline(): number {
    return Infinity;
  }

  /** expire_upcalls: age pending entries; an entry unanswered for 6 ticks is freed. */
  private expireTick(): void {
    for (const [id, p] of this.pending) {
      if (--p.expire > 0) continue;
      this.stat.cache_cleanups++;
      this.heldDropped += p.queue.length;
      this.freeEntry(id);
    }
  }

  // ------------------------------------------------------------------ lifecycle

  protected initCore(owner: object): void {
    this.mrouter = owner;
    this.nextTick = this.now + EXPIRE_TICK_MS;
  }

  /** MRT_DONE: everything goes; counters of the statistics survive, as in FreeBSD. */
  protected doneCore(): void {
    this.mrouter = null;
    this.upcalls.clear();
    for (let v = 0; v < this.maxVifs; v++) this.clearVif(v);
    this.numVifs = 0;
    this.regVif = -1;
    for (const p of this.pending.values()) this.heldDropped += p.queue.length;
    this.pending.clear();
    this.table.clear();
    this.state.fill(0);
    this.hasMeters.fill(0);
    this.resolvedCount = 0;
  }

  // ------------------------------------------------------------------ vifs

  protected clearVif(v: number): void {
    this.vifUsed[v] = 0;
    this.vifFlags[v] = 0;
    this.vifThreshold[v] = 0;
    this.vifRateLimit[v] = 0;
    this.vifIf[v] = NO_IFINDEX;
    this.vifLcl[v] = 0;
    this.vifRmt[v] = 0;
    this.vifIsRegister[v] = 0;
    this.vifPktIn[v] = 0;
    this.vifPktOut[v] = 0;
    this.vifBytesIn[v] = 0;
    this.vifBytesOut[v] = 0;
  }

  /** numvifs = highest used index + 1 */
  protected recomputeNumVifs(): void {
    let n = this.maxVifs;
    while (n > 0 && !this.vifUsed[n - 1]) n--;
    this.numVifs = n;
  }

  /** The lowest vif on an interface, or -1 (FreeBSD: the first match in the table). */
  vifForIf(ifindex: number): number {
    for (let v = 0; v < this.numVifs; v++) if (this.vifUsed[v] && this.vifIf[v] === ifindex) return v;
    return -1;
  }

  attachInterface(info: EngineInterface): void {
    this.interfaces.set(info.ifindex, info);
  }

  /**
   * An interface went away (if_detached_event): first every MFC entry whose parent is a vif
   * on it, then those vifs. MRT_DEL_VIF alone leaves the MFC untouched.
   */
  detachInterface(ifindex: number): void {
    for (let v = 0; v < this.numVifs; v++) {
      if (!this.vifUsed[v] || this.vifIf[v] !== ifindex) continue;
      for (const id of [...this.table.ids()]) {
        if (this.state[id] === ENTRY_RESOLVED && this.parent[id] === v) this.freeEntry(id);
      }
      this.clearVif(v);
    }
    this.recomputeNumVifs();
    this.interfaces.delete(ifindex);
  }

  // ------------------------------------------------------------------ MFC

  /**
   * add_mfc's core: update a resolved entry in place (counters kept), resolve a pending one
   * (counters zeroed, held packets run through ip_mdq), or create a new one.
   * IPv4 copies ttls/flags only for vifs below the current numvifs (update_mfc_params), so
   * a vif added later gets no traffic until the entry is re-added; IPv6 copies the whole set.
   */
  protected addMfcCore(key: Uint32Array, parent: number, ttls: ArrayLike<number>, flags: ArrayLike<number> | null, rp: ArrayLike<number> | null, flagMask: number, limit: number): number {
    let id = this.table.find(key);
    if (id >= 0 && this.state[id] === ENTRY_RESOLVED) {
      this.setParams(id, parent, ttls, flags, rp, flagMask, limit);
      return id;
    }
    if (id >= 0) {
      // Resolution of a pending entry.
      const p = this.pending.get(id)!;
      this.pending.delete(id);
      this.initEntry(id);
      this.setParams(id, parent, ttls, flags, rp, flagMask, limit);
      this.state[id] = ENTRY_RESOLVED;
      this.resolvedCount++;
      // Held packets were counted in the ledger when they arrived (miss_*): the replay
      // must not count them a second time.
      const fwd = this.ledger.forwarded;
      const wrong = this.ledger.wrong_if;
      for (const h of p.queue) this.forwardHeld(id, h.ifindex, h.data);
      this.ledger.forwarded = fwd;
      this.ledger.wrong_if = wrong;
      return id;
    }
    id = this.table.insert(key);
    this.initEntry(id);
    this.setParams(id, parent, ttls, flags, rp, flagMask, limit);
    this.state[id] = ENTRY_RESOLVED;
    this.resolvedCount++;
    return id;
  }

  /** Run a held packet through ip_mdq; the family knows its TTL semantics. */
  protected abstract forwardHeld(id: number, ifindex: number, data: Buffer): void;

  private initEntry(id: number): void {
    const m = this.maxVifs;
    this.parent[id] = PARENT_NONE;
    this.ttls.fill(0, id * m, id * m + m);
    this.mflags.fill(0, id * m, id * m + m);
    const aw = this.addrWords;
    this.rp.fill(0, id * aw, id * aw + aw);
    this.cnt[id * 4] = 0;
    this.cnt[id * 4 + 1] = 0;
    this.cnt[id * 4 + 2] = 0;
    this.cnt[id * 4 + 3] = -1;
    this.lastAssert[id] = -Infinity; // ratecheck: the first one always passes
    this.created[id] = this.now;
    this.hasMeters[id] = 0;
  }

  /** `limit`: slots at and above it keep their previous value (IPv4 passes numvifs). */
  private setParams(id: number, parent: number, ttls: ArrayLike<number>, flags: ArrayLike<number> | null, rp: ArrayLike<number> | null, flagMask: number, limit: number): void {
    this.parent[id] = parent;
    const base = id * this.maxVifs;
    const n = Math.min(limit, ttls.length, this.maxVifs);
    for (let v = 0; v < n; v++) {
      this.ttls[base + v] = ttls[v];
      this.mflags[base + v] = flags ? flags[v] & flagMask : 0;
    }
    const aw = this.addrWords;
    for (let w = 0; w < aw; w++) this.rp[id * aw + w] = rp ? rp[w] : 0;
  }

  protected freeEntry(id: number): void {
    if (this.state[id] === ENTRY_RESOLVED) this.resolvedCount--;
    else if (this.state[id] === ENTRY_PENDING) this.pending.delete(id);
    this.state[id] = ENTRY_FREE;
    this.hasMeters[id] = 0;
    this.onEntryFreed(id);
    this.table.remove(id);
  }

  /** Hook for state kept beside an entry (bandwidth meters). */
  protected onEntryFreed(_id: number): void {}

  // ------------------------------------------------------------------ forwarding

  /**
   * ip_mdq: the packet matched a resolved entry. `ttl` is the TTL the thresholds are
   * compared with (the incoming TTL; before any decrement).
   */
  protected mdq(id: number, ifindex: number, buf: Uint8Array, off: number, len: number, ttl: number): void {
    const parent = this.parent[id];
    if (parent >= this.numVifs || this.vifIf[parent] !== ifindex) {
      this.stat.wrong_if++;
      this.cnt[id * 4 + 2]++;
      this.ledger.wrong_if++;
      this.onWrongIf(id, ifindex, buf, off, len);
      return;
    }
    this.ledger.forwarded++;
    if (this.isLocallyOriginated(parent, buf, off)) {
      this.vifPktOut[parent]++;
      this.vifBytesOut[parent] += len;
    } else {
      this.vifPktIn[parent]++;
      this.vifBytesIn[parent] += len;
    }
    const c = this.cnt;
    const ci = id * 4;
    c[ci]++;
    c[ci + 1] += len;
    c[ci + 3] = this.now;
    this.beforeFanout(buf, off);
    const ttls = this.ttls;
    const base = id * this.maxVifs;
    const n = this.numVifs;
    for (let v = 0; v < n; v++) {
      const t = ttls[base + v];
      // Forward iff the threshold is set and the incoming TTL is strictly greater.
      if (t !== 0 && ttl > t) {
        this.vifPktOut[v]++;
        this.vifBytesOut[v] += len;
        if (this.vifIsRegister[v] !== 0) this.registerSend(id, v, buf, off, len);
        else this.transmit(v, buf, off, len);
      }
    }
    if (this.hasMeters[id] !== 0) this.meterPacket(id, len);
  }

  protected abstract onWrongIf(id: number, ifindex: number, buf: Uint8Array, off: number, len: number): void;
  protected abstract isLocallyOriginated(parent: number, buf: Uint8Array, off: number): boolean;
  /** the one in-place header change before the copies go out (IPv4: TTL and checksum) */
  protected abstract beforeFanout(buf: Uint8Array, off: number): void;
  protected abstract registerSend(id: number, vif: number, buf: Uint8Array, off: number, len: number): void;
  protected meterPacket(_id: number, _len: number): void {}

  /**
   * The lookup missed (id < 0) or found a pending entry (id >= 0): hold the packet and,
   * for a new (S,G), create the pending entry and send NOCACHE.
   */
  protected miss(id: number, key: Uint32Array, ifindex: number, buf: Uint8Array, off: number, len: number): void {
    if (id >= 0) {
      const p = this.pending.get(id)!;
      if (p.queue.length < this.upqMax) {
        p.queue.push({ ifindex, data: Buffer.from(buf.subarray(off, off + len)) });
        this.ledger.miss_queued++;
      } else {
        this.stat.upq_ovflw++;
        this.ledger.miss_overflow++;
      }
      return;
    }
    let vif = this.vifForIf(ifindex);
    if (vif < 0) {
      vif = this.missOnNonVif();
      if (vif < 0) {
        this.ledger.miss_novif++;
        return;
      }
    }
    if (this.pending.size >= this.pendingLimit) {
      this.ledger.miss_cap++;
      return;
    }
    const u = this.headerUpcall(UPCALL_NOCACHE, vif, buf, off, len);
    if (!this.sendUpcall(u, true)) {
      this.ledger.miss_sockfull++;
      return;
    }
    const nid = this.table.insert(key);
    this.initEntry(nid);
    this.state[nid] = ENTRY_PENDING;
    this.pending.set(nid, {
      queue: [{ ifindex, data: Buffer.from(buf.subarray(off, off + len)) }],
      expire: UPCALL_EXPIRE_TICKS,
      arrivalVif: vif,
    });
    this.ledger.miss_upcall++;
  }

  /** IPv4 drops a miss on a non-vif interface (-1); IPv6 upcalls with mif = nummifs. */
  protected abstract missOnNonVif(): number;
  protected abstract headerUpcall(type: number, vif: number, buf: Uint8Array, off: number, len: number): Upcall;

  /**
   * Queue an upcall on the routing socket. `nocache` marks the one upcall whose counting
   * differs by family (IPv6 counts NOCACHE only once it was queued).
   */
  protected sendUpcall(u: Upcall, nocache = false): boolean {
    const countFirst = !(nocache && this.family === 'inet6');
    if (countFirst) this.stat.upcalls++;
    if (!this.upcalls.push(u)) {
      this.stat.upq_sockfull++;
      return false;
    }
    if (!countFirst) this.stat.upcalls++;
    return true;
  }

  // ------------------------------------------------------------------ views

  /** Entry ids in a stable order (by key), for displays. */
  entryIds(which: 'resolved' | 'pending' | 'all' = 'resolved'): number[] {
    const out: number[] = [];
    for (const id of this.table.ids()) {
      const s = this.state[id];
      if (which === 'all' || (which === 'resolved' ? s === ENTRY_RESOLVED : s === ENTRY_PENDING)) out.push(id);
    }
    const kw = this.table.keyWords;
    const keys = this.table.keys;
    // sort by group then source, the order operators read tables in
    const half = kw / 2;
    out.sort((a, b) => {
      for (let w = half; w < kw; w++) if (keys[a * kw + w] !== keys[b * kw + w]) return keys[a * kw + w] - keys[b * kw + w];
      for (let w = 0; w < half; w++) if (keys[a * kw + w] !== keys[b * kw + w]) return keys[a * kw + w] - keys[b * kw + w];
      return 0;
    });
    return out;
  }

  isPending(id: number): boolean {
    return this.state[id] === ENTRY_PENDING;
  }

  pendingInfo(id: number): { queued: number; expireTicks: number; arrivalVif: number } | null {
    const p = this.pending.get(id);
    return p ? { queued: p.queue.length, expireTicks: p.expire, arrivalVif: p.arrivalVif } : null;
  }

  /** Time until the pending entry is freed, given the tick phase. */
  pendingExpiresIn(id: number): number {
    const p = this.pending.get(id);
    if (!p) return 0;
    return this.nextTick - this.now + (p.expire - 1) * EXPIRE_TICK_MS;
  }

  /** Outgoing vifs with their thresholds, as the entry holds them. */
  oifsOf(id: number): { vif: number; ttl: number }[] {
    const out: { vif: number; ttl: number }[] = [];
    const base = id * this.maxVifs;
    for (let v = 0; v < this.maxVifs; v++) if (this.ttls[base + v] !== 0) out.push({ vif: v, ttl: this.ttls[base + v] });
    return out;
  }

  clearEntryCounters(id: number): void {
    this.cnt[id * 4] = 0;
    this.cnt[id * 4 + 1] = 0;
    this.cnt[id * 4 + 2] = 0;
  }

  /** packets accepted (mfc_pkt_cnt) */
  pkts(id: number): number {
    return this.cnt[id * 4];
  }
  /** bytes accepted (mfc_byte_cnt) */
  bytes(id: number): number {
    return this.cnt[id * 4 + 1];
  }
  /** wrong-interface arrivals (mfc_wrong_if) */
  wrongIfs(id: number): number {
    return this.cnt[id * 4 + 2];
  }
  /** engine time of the last accepted packet, -1 for never */
  lastUsedAt(id: number): number {
    return this.cnt[id * 4 + 3];
  }

  clearAllCounters(): void {
    resetCounters(this.stat);
    resetCounters(this.ledger);
    this.heldDropped = 0;
    this.vifPktIn.fill(0);
    this.vifPktOut.fill(0);
    this.vifBytesIn.fill(0);
    this.vifBytesOut.fill(0);
    for (const id of this.table.ids()) this.clearEntryCounters(id);
  }

  /** Bytes held per resolved entry by the table and its parallel arrays. */
  memoryBytes(): number {
    const arrays = [this.state, this.parent, this.ttls, this.mflags, this.rp, this.cnt, this.lastAssert, this.created, this.hasMeters];
    return this.table.byteSize() + arrays.reduce((s, a) => s + a.byteLength, 0);
  }
}
