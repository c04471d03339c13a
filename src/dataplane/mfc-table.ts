// The Multicast Forwarding Cache's (S,G) index: an open-addressing hash from a key of
// `keyWords` 32-bit words (IPv4: origin, group; IPv6: 4 + 4 words) to a dense entry id.
//
// FreeBSD chains entries in a 256-bucket hash (MFCHASH); a userspace table of a million
// entries needs neither chains nor per-entry objects. Each slot of the index is one
// 64-byte cache line (IPv4) holding everything a forwarding decision reads and writes:
//
//   word  0..kw-1   the key
//         kw        id + 1, or EMPTY / TOMBSTONE
//         kw+1      meta: parent vif (bits 0-15) | entry state (bits 16-23)
//         kw+2      offset of the entry's oif set (its ttls) in the engine's ttls array
//         kw+3      unused
//   f64 at word cntWord: packets, bytes, wrong-if arrivals, last used (ms, -1 never)
//
// so a probe touches one line and a hit needs no other per-entry memory but the oif set.
// An IPv6 key is 8 words: its slot is two lines (128 bytes, the pair the L2 spatial
// prefetcher fetches together): the probe reads the first (key, id, meta, oif offset),
// the hit's counters are the second. Slots are a power-of-two multiple of the line in one
// large typed array, so they stay line-aligned (large backing stores are page-aligned).
//
// Slots move when the index is rebuilt; `slotOf[id]` says where an id lives, for the
// per-id views. Keys are also kept per id (`keys`) for displays, deletes and meters.
// Lookups read a caller-owned scratch key (or two numbers) and allocate nothing.

import { largeWords } from './huge-pages.js';

const EMPTY = 0;
/** 2 MB of slot words: a core's L2 here */
const LARGE_WORDS = 512 * 1024;
const TOMBSTONE = 0xffffffff;

/**
 * The read side of the index: the slot layout, the hash and the probes. A forwarding
 * worker (forwarder.ts) builds one over the slots the control thread shares with it.
 */
export class MfcIndex {
  readonly keyWords: number;
  /** words per slot: 16 (one line) for IPv4, 32 (two lines) for IPv6 */
  readonly stride: number;
  /** word of the slot holding id + 1 */
  readonly refWord: number;
  /** word of the slot holding parent | state << 16 | flags << 24 */
  readonly metaWord: number;
  /** word of the slot holding the oif set's offset */
  readonly oifWord: number;
  /** first word of the four f64 counters (even, so they are f64-aligned) */
  readonly cntWord: number;
  /** the slots, as words; replaced when the index is rebuilt (read it per call) */
  slots: Uint32Array;
  /** the same memory as f64, for the counters */
  slotsF: Float64Array;
  protected nslots: number;
  protected mask: number;

  constructor(keyWords: number, slots: Uint32Array | null, nslots: number) {
    this.keyWords = keyWords;
    this.refWord = keyWords;
    this.metaWord = keyWords + 1;
    this.oifWord = keyWords + 2;
    const lineWords = 16;
    // counters right after the lookup words if they fit in the line, else in the next line
    this.cntWord = keyWords + 4 + 8 <= lineWords ? keyWords + 4 : lineWords;
    let st = lineWords;
    while (st < this.cntWord + 8) st *= 2;
    this.stride = st;
    this.nslots = nslots;
    this.mask = nslots - 1;
    this.slots = slots ?? new Uint32Array(0);
    this.slotsF = new Float64Array(this.slots.buffer, 0, this.slots.byteLength >> 3);
  }

  /** slots in the index (a power of two) */
  get slotCount(): number {
    return this.nslots;
  }

  /** A view of another index's slots (a worker's copy of the control thread's). */
  attach(slots: Uint32Array, nslots: number): void {
    this.slots = slots;
    this.slotsF = new Float64Array(slots.buffer, 0, slots.byteLength >> 3);
    this.nslots = nslots;
    this.mask = nslots - 1;
  }

  protected hash(key: Uint32Array, off: number): number {
    // murmur3-style mixing over all words: addresses often differ only in low bits.
    let h = 0x9747b28c;
    for (let w = 0; w < this.keyWords; w++) {
      let k = Math.imul(key[off + w], 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h;
  }

  /** The first word of the slot holding key[off .. off + keyWords), or -1. */
  lookup(key: Uint32Array, off = 0): number {
    const slots = this.slots;
    const mask = this.mask;
    const st = this.stride;
    const kw = this.keyWords;
    let i = this.hash(key, off) & mask;
    for (;;) {
      const b = i * st;
      const s = slots[b + kw];
      if (s === EMPTY) return -1;
      if (s !== TOMBSTONE) {
        let w = 0;
        while (w < kw && slots[b + w] === key[off + w]) w++;
        if (w === kw) return b;
      }
      i = (i + 1) & mask;
    }
  }

  /** lookup() for two-word keys (IPv4 origin, group) without a scratch array. */
  lookup2(origin: number, group: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = this.hash2(origin, group) & mask;
    for (;;) {
      const b = i << 4; // stride 16
      const s = slots[b + 2];
      if (s === EMPTY) return -1;
      if (s !== TOMBSTONE && slots[b] === origin && slots[b + 1] === group) return b;
      i = (i + 1) & mask;
    }
  }

  /** Whether the slots outgrow a core's L2 cache (2 MB), so touching a batch's home slots first pays. */
  get large(): boolean {
    return this.slots.length > LARGE_WORDS;
  }

  /** The word of an IPv4 key's home slot that its probe reads first (slot-touch.ts). */
  home2(origin: number, group: number): number {
    return ((this.hash2(origin, group) & this.mask) << 4) + 2;
  }

  /** home2() for any key (IPv6's eight words). */
  home(key: Uint32Array, off = 0): number {
    return (this.hash(key, off) & this.mask) * this.stride + this.keyWords;
  }

  protected hash2(a: number, b: number): number {
    // Same function as hash() for keyWords === 2, unrolled.
    let h = 0x9747b28c;
    let k = Math.imul(a, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    k = Math.imul(b, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h;
  }

}

export class MfcTable extends MfcIndex {
  /** keys[id * keyWords + w]: the key of each id, for displays and deletes */
  keys: Uint32Array;
  /** capacity of the id space; grows by doubling */
  capacity: number;
  /** number of live ids */
  size = 0;

  /** slotOf[id]: the slot index of a live id */
  slotOf: Int32Array;

  private used = 0; // live + tombstones, to decide when to rebuild
  private freeIds: number[] = [];
  private nextId = 0;
  /** called when the id space grows so parallel arrays can follow */
  onGrow: ((newCapacity: number) => void) | null = null;
  /** called when `slots` was replaced (a rebuild): forwarding workers must be told */
  onRebuild: (() => void) | null = null;
  /** slots live in a SharedArrayBuffer, for forwarding workers to read (shared-mfc.ts) */
  readonly shared: boolean;

  constructor(keyWords: number, initialCapacity = 64, shared = false) {
    super(keyWords, null, 16);
    this.shared = shared;
    this.capacity = Math.max(16, initialCapacity);
    this.keys = new Uint32Array(this.capacity * keyWords);
    this.slotOf = new Int32Array(this.capacity);
    let n = 16;
    while (n < this.capacity * 2) n *= 2;
    this.attach(this.allocSlots(n * this.stride), n);
  }

  private allocSlots(words: number): Uint32Array {
    return largeWords(words, this.shared);
  }


  /** The entry id for key[off .. off + keyWords), or -1. */
  find(key: Uint32Array, off = 0): number {
    const b = this.lookup(key, off);
    return b < 0 ? -1 : this.slots[b + this.refWord] - 1;
  }

  /** find() for two-word keys. */
  find2(origin: number, group: number): number {
    const b = this.lookup2(origin, group);
    return b < 0 ? -1 : this.slots[b + 2] - 1;
  }

  /** First word of a live id's slot. */
  slotBase(id: number): number {
    return this.slotOf[id] * this.stride;
  }

  /**
   * Insert a key that is not present; returns its new id. The slot's meta, oif offset and
   * counters are zero: the engine initialises them.
   */
  insert(key: Uint32Array, off = 0): number {
    if ((this.used + 1) * 2 > this.nslots) this.rebuild(this.size + 1);
    let id: number;
    if (this.freeIds.length > 0) id = this.freeIds.pop()!;
    else {
      if (this.nextId >= this.capacity) this.growIds();
      id = this.nextId++;
    }
    const kw = this.keyWords;
    for (let w = 0; w < kw; w++) this.keys[id * kw + w] = key[off + w];
    const b = this.place(this.hash(key, off));
    const slots = this.slots;
    slots.fill(0, b, b + this.stride); // a reused tombstone keeps its old words
    for (let w = 0; w < kw; w++) slots[b + w] = key[off + w];
    slots[b + kw] = id + 1;
    this.slotOf[id] = b / this.stride;
    this.size++;
    return id;
  }

  /** The first free slot (empty or tombstone) on the probe path of hash `h`: its first word. */
  private place(h: number): number {
    const slots = this.slots;
    const mask = this.mask;
    const st = this.stride;
    const rw = this.refWord;
    let i = h & mask;
    while (slots[i * st + rw] !== EMPTY && slots[i * st + rw] !== TOMBSTONE) i = (i + 1) & mask;
    if (slots[i * st + rw] === EMPTY) this.used++;
    return i * st;
  }

  /** Remove an id; its key stays readable in `keys` until the id is reused. */
  remove(id: number): void {
    const b = this.slotOf[id] * this.stride;
    if (this.slots[b + this.refWord] !== id + 1) return; // not present: nothing to do
    this.slots[b + this.refWord] = TOMBSTONE;
    this.size--;
    this.freeIds.push(id);
  }

  /** Live ids in unspecified order. */
  *ids(): IterableIterator<number> {
    const slots = this.slots;
    const st = this.stride;
    const rw = this.refWord;
    for (let i = 0; i < this.nslots; i++) {
      const s = slots[i * st + rw];
      if (s !== EMPTY && s !== TOMBSTONE) yield s - 1;
    }
  }

  clear(): void {
    this.slots.fill(0);
    this.used = 0;
    this.size = 0;
    this.freeIds = [];
    this.nextId = 0;
  }

  private growIds(): void {
    const cap = this.capacity * 2;
    const keys = new Uint32Array(cap * this.keyWords);
    keys.set(this.keys);
    this.keys = keys;
    const slotOf = new Int32Array(cap);
    slotOf.set(this.slotOf);
    this.slotOf = slotOf;
    this.capacity = cap;
    this.onGrow?.(cap);
  }

  /** A new index at most 1/3 full (growth stays amortised), live slots moved whole. */
  private rebuild(need: number): void {
    let n = 16;
    while (n < need * 3) n *= 2;
    const old = this.slots;
    const oldN = this.nslots;
    const st = this.stride;
    const rw = this.refWord;
    this.slots = this.allocSlots(n * st);
    this.slotsF = new Float64Array(this.slots.buffer);
    this.nslots = n;
    this.mask = n - 1;
    this.used = 0;
    const slots = this.slots;
    for (let j = 0; j < oldN; j++) {
      const ob = j * st;
      const s = old[ob + rw];
      if (s === EMPTY || s === TOMBSTONE) continue;
      const b = this.place(this.hash(old, ob));
      // word by word: a subarray per slot was most of a rebuild's time, and garbage
      for (let w = 0; w < st; w++) slots[b + w] = old[ob + w];
      this.slotOf[s - 1] = b / st;
    }
    this.onRebuild?.();
  }

  /** Bytes held by the index and keys, for the memory benchmark. */
  byteSize(): number {
    return this.slots.byteLength + this.keys.byteLength + this.slotOf.byteLength;
  }
}
