// The generic core of the multicast forwarding engine: what FreeBSD's ip_mroute.c and
// ip6_mroute.c share. It owns the vif table, the MFC (resolved and pending entries), the
// forwarding decision (ip_mdq), the upcall queue and the statistics. The families
// (inet.ts, inet6.ts) parse their headers, encode their upcalls and apply their own
// errno rules around this core.
//
// The engine takes packets and time and gives packets (through `transmit`), upcalls and
// counters. It never reads a clock: time only moves when advance() is called.

import { MfcTable } from './mfc-table.js';
import { META_SLOW, MfcPublisher, sharedArray, type MfcShare } from './shared-mfc.js';
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
  /** Keep what a decision reads in shared memory, for forwarding workers (shared-mfc.ts). */
  shared?: boolean;
}

/**
 * Entry counters kept outside the engine (forwarding workers' own, worker-counters.ts):
 * added to the slot's on read. `rebase` makes an id's outside counts start again from 0.
 */
export interface OutsideEntryCounters {
  pkts(id: number): number;
  bytes(id: number): number;
  lastUsed(id: number): number;
  rebase(id: number): void;
  /** adds the outside counts so far to the engine's own (before the engine zeroes any) */
  fold(): void;
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
  /** the shared view forwarding workers read, when the engine was made `shared` */
  readonly share: MfcPublisher | null;
  /** counts of the packets forwarding workers decided (null: none) */
  outside: OutsideEntryCounters | null = null;

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

  // ---- MFC: the key index plus one typed array per cold field ----
  /**
   * The index's slot is the entry's hot line (mfc-table.ts): key, parent, state, the oif
   * set's offset and the counters, so a decision touches that line and the oif set. The
   * counters live only there: read them through pkts(), bytes(), wrongIfs() and
   * lastUsedAt(). `state` and `parent` are also kept per id for every other reader; only
   * setState() and setParent() write them, which keep the slot's copy in step.
   */
  readonly table: MfcTable;
  state!: Uint8Array;
  parent!: Uint16Array;
  ttls!: Uint8Array; // [id * maxVifs + v], as set; the forwarding path reads the oif set
  mflags!: Uint8Array; // mfcc_flags, [id * maxVifs + v]
  rp!: Uint32Array; // mfcc_rp, [id * addrWords + w]
  lastAssert!: Float64Array;
  created!: Float64Array;
  /** entries that carry bandwidth meters: checked per packet before any meter work */
  hasMeters!: Uint8Array;
  /**
   * Oif sets: each distinct ttls vector once ([set * maxVifs + v]), shared by every entry
   * whose ttls are that vector; an entry's slot holds its set's offset. A router's million
   * (S,G) use a handful of oif sets, so the fan-out reads memory that stays in cache
   * instead of one more line per entry. Set 0 is the empty set (no outputs). `ttls` per id
   * stays the entry's own copy for every other reader; the set is interned from it.
   */
  private oifTtls: Uint8Array;
  private oifRefs: Int32Array;
  private readonly oifIndex = new Map<string, number>();
  private oifFree: number[] = [];
  private oifNext = 1;
  /** the set interned last (0: none) */
  private oifLast = 0;
  /**
   * numvifs when the sets last matched the entries' ttls below it. The Linux personality
   * clears an entry's ttls at and above numvifs after an add (ipmr_update_thresholds);
   * those slots are never read until numvifs grows, so the sets are re-interned then.
   */
  private oifSyncedVifs = 0;
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
    const shared = opts.shared === true;
    this.share = shared ? new MfcPublisher((epoch) => this.shareSnapshot(epoch)) : null;
    this.vifUsed = new Uint8Array(n);
    this.vifFlags = new Uint8Array(n);
    this.vifThreshold = new Uint8Array(n);
    this.vifRateLimit = new Uint32Array(n);
    // what a worker's decision reads of a vif
    this.vifIf = shared ? sharedArray((b) => new Int32Array(b), n * 4) : new Int32Array(n);
    this.vifLcl = shared ? sharedArray((b) => new Uint32Array(b), n * 4) : new Uint32Array(n);
    this.vifRmt = new Uint32Array(n);
    this.vifIsRegister = shared ? sharedArray((b) => new Uint8Array(b), n) : new Uint8Array(n);
    this.vifPktIn = new Float64Array(n);
    this.vifPktOut = new Float64Array(n);
    this.vifBytesIn = new Float64Array(n);
    this.vifBytesOut = new Float64Array(n);
    this.addrWords = keyWords / 2;
    this.oifTtls = this.allocOifSets(16 * n);
    this.oifRefs = new Int32Array(16);
    this.table = new MfcTable(keyWords, opts.initialEntries ?? 1024, shared);
    this.allocEntryArrays(this.table.capacity);
    this.table.onGrow = (cap) => {
      this.allocEntryArrays(cap);
      this.share?.republish();
    };
    if (this.share) this.table.onRebuild = () => this.share!.republish();
  }

  private allocOifSets(bytes: number): Uint8Array {
    return this.share ? sharedArray((b) => new Uint8Array(b, 0, bytes), bytes) : new Uint8Array(bytes);
  }

  private shareSnapshot(epoch: number): MfcShare {
    const t = this.table;
    return {
      family: this.family,
      epoch,
      keyWords: t.keyWords,
      maxVifs: this.maxVifs,
      ctl: this.share!.ctl,
      slots: t.slots,
      nslots: t.slotCount,
      capacity: t.capacity,
      oifTtls: this.oifTtls,
      vifIf: this.vifIf,
      vifLcl: this.vifLcl,
      vifIsRegister: this.vifIsRegister,
    };
  }

  /** A change to what workers read starts (shared engines; nests). */
  protected wBegin(): void {
    this.share?.begin();
  }

  /** ... and ends: numvifs and the routing state are published with it. */
  protected wEnd(): void {
    const sh = this.share;
    if (sh === null) return;
    // workers cannot re-intern the oif sets when numvifs grew: done here, as the engine's
    // next decision would
    if (this.numVifs !== this.oifSyncedVifs) this.syncOifs();
    sh.end(this.numVifs, this.oifSyncedVifs, this.mrouter !== null);
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
    this.wBegin();
    try {
      this.mrouter = owner;
      this.nextTick = this.now + EXPIRE_TICK_MS;
    } finally {
      this.wEnd();
    }
  }

  /** MRT_DONE: everything goes; counters of the statistics survive, as in FreeBSD. */
  protected doneCore(): void {
    this.wBegin();
    try {
      this.mrouter = null;
      this.upcalls.clear();
      for (let v = 0; v < this.maxVifs; v++) this.clearVif(v);
      this.numVifs = 0;
      this.regVif = -1;
      for (const p of this.pending.values()) this.heldDropped += p.queue.length;
      this.pending.clear();
      this.table.clear();
      this.oifIndex.clear();
      this.oifFree = [];
      this.oifNext = 1;
      this.oifLast = 0;
      this.oifTtls.fill(0);
      this.oifRefs.fill(0);
      this.state.fill(0);
      this.hasMeters.fill(0);
      this.resolvedCount = 0;
    } finally {
      this.wEnd();
    }
  }

  // ------------------------------------------------------------------ vifs

  protected clearVif(v: number): void {
    this.wBegin();
    try {
      this.outside?.fold(); // what workers counted on the vif so far goes with it
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
    } finally {
      this.wEnd();
    }
  }

  /** numvifs = highest used index + 1 */
  protected recomputeNumVifs(): void {
    this.wBegin();
    try {
      let n = this.maxVifs;
      while (n > 0 && !this.vifUsed[n - 1]) n--;
      this.numVifs = n;
    } finally {
      this.wEnd();
    }
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
    this.wBegin();
    try {
      for (let v = 0; v < this.numVifs; v++) {
        if (!this.vifUsed[v] || this.vifIf[v] !== ifindex) continue;
        for (const id of [...this.table.ids()]) {
          if (this.state[id] === ENTRY_RESOLVED && this.parent[id] === v) this.freeEntry(id);
        }
        this.clearVif(v);
      }
      this.recomputeNumVifs();
      this.interfaces.delete(ifindex);
    } finally {
      this.wEnd();
    }
  }

  // ------------------------------------------------------------------ MFC

  /**
   * add_mfc's core: update a resolved entry in place (counters kept), resolve a pending one
   * (counters zeroed, held packets run through ip_mdq), or create a new one.
   * IPv4 copies ttls/flags only for vifs below the current numvifs (update_mfc_params), so
   * a vif added later gets no traffic until the entry is re-added; IPv6 copies the whole set.
   */
  protected addMfcCore(key: Uint32Array, parent: number, ttls: ArrayLike<number>, flags: ArrayLike<number> | null, rp: ArrayLike<number> | null, flagMask: number, limit: number): number {
    this.wBegin();
    try {
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
        this.setState(id, ENTRY_RESOLVED);
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
      this.setState(id, ENTRY_RESOLVED);
      this.resolvedCount++;
      return id;
    } finally {
      this.wEnd();
    }
  }

  /** Run a held packet through ip_mdq; the family knows its TTL semantics. */
  protected abstract forwardHeld(id: number, ifindex: number, data: Buffer): void;

  /** Entry state, here and in the entry's slot. */
  protected setState(id: number, st: number): void {
    this.state[id] = st;
    const t = this.table;
    const b = t.slotBase(id) + t.metaWord;
    t.slots[b] = (t.slots[b] & (0xffff | META_SLOW)) | (st << 16);
  }

  /**
   * Whether the entry carries bandwidth meters. Its slot is marked META_SLOW with it: a
   * forwarding worker leaves such an entry's packets to the control thread, which meters.
   */
  setMetered(id: number, on: boolean): void {
    this.wBegin();
    this.hasMeters[id] = on ? 1 : 0;
    const t = this.table;
    const b = t.slotBase(id) + t.metaWord;
    t.slots[b] = on ? t.slots[b] | META_SLOW : t.slots[b] & ~META_SLOW;
    this.wEnd();
  }

  /** Parent vif, here and in the entry's slot. */
  private setParent(id: number, parent: number): void {
    this.parent[id] = parent;
    const t = this.table;
    const b = t.slotBase(id) + t.metaWord;
    t.slots[b] = ((t.slots[b] & 0xffff0000) | (parent & 0xffff)) >>> 0;
  }

  private initEntry(id: number): void {
    const m = this.maxVifs;
    this.state[id] = ENTRY_FREE;
    this.parent[id] = PARENT_NONE;
    const t = this.table;
    const b = t.slotBase(id);
    t.slots[b + t.metaWord] = PARENT_NONE | (ENTRY_FREE << 16);
    this.releaseOif(id);
    const c = (b + t.cntWord) >> 1;
    t.slotsF[c] = 0;
    t.slotsF[c + 1] = 0;
    t.slotsF[c + 2] = 0;
    t.slotsF[c + 3] = -1;
    this.ttls.fill(0, id * m, id * m + m);
    this.mflags.fill(0, id * m, id * m + m);
    const aw = this.addrWords;
    this.rp.fill(0, id * aw, id * aw + aw);
    this.lastAssert[id] = -Infinity; // ratecheck: the first one always passes
    this.created[id] = this.now;
    this.hasMeters[id] = 0;
    this.outside?.rebase(id);
  }

  /** `limit`: slots at and above it keep their previous value (IPv4 passes numvifs). */
  private setParams(id: number, parent: number, ttls: ArrayLike<number>, flags: ArrayLike<number> | null, rp: ArrayLike<number> | null, flagMask: number, limit: number): void {
    this.setParent(id, parent);
    const base = id * this.maxVifs;
    const n = Math.min(limit, ttls.length, this.maxVifs);
    for (let v = 0; v < n; v++) {
      this.ttls[base + v] = ttls[v];
      this.mflags[base + v] = flags ? flags[v] & flagMask : 0;
    }
    const aw = this.addrWords;
    for (let w = 0; w < aw; w++) this.rp[id * aw + w] = rp ? rp[w] : 0;
    this.internOif(id);
  }

  // ------------------------------------------------------------------ oif sets

  /** Point the entry's slot at the set equal to its ttls (created if new). */
  private internOif(id: number): void {
    const m = this.maxVifs;
    const own = this.ttls.subarray(id * m, id * m + m);
    let set = 0;
    let nonzero = false;
    for (let v = 0; v < m; v++) if (own[v] !== 0) nonzero = true;
    // A daemon installs run after run of routes with one oif list: the set interned last
    // is compared byte by byte before any string is built for the index.
    const last = this.oifLast;
    let same = nonzero && last !== 0;
    for (let v = 0; same && v < m; v++) if (this.oifTtls[last * m + v] !== own[v]) same = false;
    if (same) set = last;
    else if (nonzero) {
      const key = String.fromCharCode.apply(null, own as unknown as number[]);
      const known = this.oifIndex.get(key);
      if (known !== undefined) set = known;
      else {
        set = this.oifFree.length > 0 ? this.oifFree.pop()! : this.oifNext++;
        if (set >= this.oifRefs.length) {
          const refs = new Int32Array(this.oifRefs.length * 2);
          refs.set(this.oifRefs);
          this.oifRefs = refs;
          const sets = this.allocOifSets(refs.length * m);
          sets.set(this.oifTtls);
          this.oifTtls = sets;
          this.share?.republish();
        }
        this.oifTtls.set(own, set * m);
        this.oifIndex.set(key, set);
      }
    }
    const t = this.table;
    const w = t.slotBase(id) + t.oifWord;
    const old = t.slots[w] / m;
    if (set !== 0) this.oifRefs[set]++;
    t.slots[w] = set * m;
    this.dropOifSet(old);
    if (set !== 0) this.oifLast = set;
  }

  /** The entry no longer uses its set: back to the empty one. */
  private releaseOif(id: number): void {
    const t = this.table;
    const w = t.slotBase(id) + t.oifWord;
    const old = t.slots[w] / this.maxVifs;
    t.slots[w] = 0;
    this.dropOifSet(old);
  }

  private dropOifSet(set: number): void {
    if (set === 0 || --this.oifRefs[set] > 0) return;
    const m = this.maxVifs;
    const vec = this.oifTtls.subarray(set * m, set * m + m);
    this.oifIndex.delete(String.fromCharCode.apply(null, vec as unknown as number[]));
    vec.fill(0);
    this.oifFree.push(set);
    if (this.oifLast === set) this.oifLast = 0;
  }

  /** numvifs changed: if it grew, entries whose ttls differ from their set in the new vifs are re-interned. */
  private syncOifs(): void {
    this.wBegin();
    try {
      const from = this.oifSyncedVifs;
      const to = this.numVifs;
      this.oifSyncedVifs = to;
      if (to <= from) return;
      const m = this.maxVifs;
      const t = this.table;
      for (const id of t.ids()) {
        if (this.state[id] !== ENTRY_RESOLVED) continue;
        const set = t.slots[t.slotBase(id) + t.oifWord];
        for (let v = from; v < to; v++) {
          if (this.oifTtls[set + v] !== this.ttls[id * m + v]) {
            this.internOif(id);
            break;
          }
        }
      }
    } finally {
      this.wEnd();
    }
  }

  /** Bytes of the oif sets in use, for the memory benchmark. */
  protected oifBytes(): number {
    return this.oifTtls.byteLength + this.oifRefs.byteLength;
  }

  protected freeEntry(id: number): void {
    this.wBegin();
    try {
      if (this.state[id] === ENTRY_RESOLVED) this.resolvedCount--;
      else if (this.state[id] === ENTRY_PENDING) this.pending.delete(id);
      this.setState(id, ENTRY_FREE);
      this.hasMeters[id] = 0;
      this.onEntryFreed(id);
      this.releaseOif(id);
      this.table.remove(id);
    } finally {
      this.wEnd();
    }
  }

  /** Hook for state kept beside an entry (bandwidth meters). */
  protected onEntryFreed(_id: number): void {}

  // ------------------------------------------------------------------ forwarding

  /**
   * ip_mdq: the packet matched a resolved entry. `ttl` is the TTL the thresholds are
   * compared with (the incoming TTL; before any decrement).
   */
  protected mdq(id: number, ifindex: number, buf: Uint8Array, off: number, len: number, ttl: number): void {
    this.mdqSlot(this.table.slotBase(id), ifindex, buf, off, len, ttl);
  }

  /**
   * ip_mdq on the entry whose slot starts at word `b` (what the lookup returned): parent,
   * oif offset and counters come from that one line.
   */
  protected mdqSlot(b: number, ifindex: number, buf: Uint8Array, off: number, len: number, ttl: number): void {
    const t = this.table;
    const slots = t.slots;
    const id = slots[b + t.refWord] - 1;
    const parent = slots[b + t.metaWord] & 0xffff;
    const c = t.slotsF;
    const ci = (b + t.cntWord) >> 1;
    if (parent >= this.numVifs || this.vifIf[parent] !== ifindex) {
      this.stat.wrong_if++;
      c[ci + 2]++;
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
    c[ci]++;
    c[ci + 1] += len;
    c[ci + 3] = this.now;
    if (this.numVifs !== this.oifSyncedVifs) this.syncOifs();
    const base = slots[b + t.oifWord];
    this.beforeFanout(buf, off);
    const ttls = this.oifTtls;
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
    if (this.metering() && this.hasMeters[id] !== 0) this.meterPacket(id, len);
  }

  protected abstract onWrongIf(id: number, ifindex: number, buf: Uint8Array, off: number, len: number): void;
  protected abstract isLocallyOriginated(parent: number, buf: Uint8Array, off: number): boolean;
  /** the one in-place header change before the copies go out (IPv4: TTL and checksum) */
  protected abstract beforeFanout(buf: Uint8Array, off: number): void;
  protected abstract registerSend(id: number, vif: number, buf: Uint8Array, off: number, len: number): void;
  protected meterPacket(_id: number, _len: number): void {}
  /** Whether any entry has meters: lets a decision skip the per-entry flag's line. */
  protected metering(): boolean {
    return false;
  }

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
    this.wBegin();
    const nid = this.table.insert(key);
    this.initEntry(nid);
    this.setState(nid, ENTRY_PENDING);
    this.wEnd();
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

  /** f64 index of an entry's first counter in its slot */
  private cntAt(id: number): number {
    const t = this.table;
    return (t.slotBase(id) + t.cntWord) >> 1;
  }

  clearEntryCounters(id: number): void {
    const c = this.cntAt(id);
    const f = this.table.slotsF;
    f[c] = 0;
    f[c + 1] = 0;
    f[c + 2] = 0;
    this.outside?.rebase(id);
  }

  /** packets accepted (mfc_pkt_cnt), here and by forwarding workers */
  pkts(id: number): number {
    const o = this.outside;
    return this.table.slotsF[this.cntAt(id)] + (o ? o.pkts(id) : 0);
  }
  /** bytes accepted (mfc_byte_cnt) */
  bytes(id: number): number {
    const o = this.outside;
    return this.table.slotsF[this.cntAt(id) + 1] + (o ? o.bytes(id) : 0);
  }
  /** wrong-interface arrivals (mfc_wrong_if) */
  wrongIfs(id: number): number {
    return this.table.slotsF[this.cntAt(id) + 2];
  }
  /** engine time of the last accepted packet, -1 for never */
  lastUsedAt(id: number): number {
    const here = this.table.slotsF[this.cntAt(id) + 3];
    const o = this.outside;
    return o ? Math.max(here, o.lastUsed(id)) : here;
  }

  clearAllCounters(): void {
    this.outside?.fold();
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
    const arrays = [this.state, this.parent, this.ttls, this.mflags, this.rp, this.lastAssert, this.created, this.hasMeters];
    return this.table.byteSize() + this.oifBytes() + arrays.reduce((s, a) => s + a.byteLength, 0);
  }
}
