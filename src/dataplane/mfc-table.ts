// The Multicast Forwarding Cache's (S,G) index: an open-addressing hash from a key of
// `keyWords` 32-bit words (IPv4: origin, group; IPv6: 4 + 4 words) to a dense entry id.
//
// FreeBSD chains entries in a 256-bucket hash (MFCHASH); a userspace table of a million
// entries needs neither chains nor per-entry objects, so the keys live in one typed array
// and the engine keeps every per-entry field in parallel typed arrays indexed by the id.
// Lookups read a caller-owned scratch key and allocate nothing.

const EMPTY = 0;
const TOMBSTONE = 0xffffffff;

export class MfcTable {
  readonly keyWords: number;
  /** keys[id * keyWords + w]: the key of each id, for displays and deletes */
  keys: Uint32Array;
  /** capacity of the id space; grows by doubling */
  capacity: number;
  /** number of live ids */
  size = 0;

  /**
   * The open-addressing slots, `stride` words each: id + 1 (or EMPTY / TOMBSTONE), then a
   * copy of the key. Keeping the key in the slot makes a probe touch one cache line
   * instead of two, which is what decides the speed of a table of a million entries.
   */
  private slots: Uint32Array;
  private readonly stride: number;
  private nslots: number;
  private mask: number;
  private used = 0; // live + tombstones, to decide when to rebuild
  private freeIds: number[] = [];
  private nextId = 0;
  /** called when the id space grows so parallel arrays can follow */
  onGrow: ((newCapacity: number) => void) | null = null;

  constructor(keyWords: number, initialCapacity = 64) {
    this.keyWords = keyWords;
    this.stride = 1 + keyWords;
    this.capacity = Math.max(16, initialCapacity);
    this.keys = new Uint32Array(this.capacity * keyWords);
    let n = 16;
    while (n < this.capacity * 2) n *= 2;
    this.nslots = n;
    this.slots = new Uint32Array(n * this.stride);
    this.mask = n - 1;
  }

  private hash(key: Uint32Array, off: number): number {
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

  /** The entry id for key[off .. off + keyWords), or -1. */
  find(key: Uint32Array, off = 0): number {
    const slots = this.slots;
    const mask = this.mask;
    const st = this.stride;
    const kw = this.keyWords;
    let i = this.hash(key, off) & mask;
    for (;;) {
      const b = i * st;
      const s = slots[b];
      if (s === EMPTY) return -1;
      if (s !== TOMBSTONE) {
        let w = 0;
        while (w < kw && slots[b + 1 + w] === key[off + w]) w++;
        if (w === kw) return s - 1;
      }
      i = (i + 1) & mask;
    }
  }

  /** Fast path for two-word keys (IPv4 origin, group) without a scratch array. */
  find2(origin: number, group: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = this.hash2(origin, group) & mask;
    for (;;) {
      const b = i * 3;
      const s = slots[b];
      if (s === EMPTY) return -1;
      if (s !== TOMBSTONE && slots[b + 1] === origin && slots[b + 2] === group) return s - 1;
      i = (i + 1) & mask;
    }
  }

  private hash2(a: number, b: number): number {
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

  /** Insert a key that is not present; returns its new id. */
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
    this.place(id, key, off);
    this.size++;
    return id;
  }

  private place(id: number, key: Uint32Array, off: number): void {
    const slots = this.slots;
    const mask = this.mask;
    const st = this.stride;
    let i = this.hash(key, off) & mask;
    while (slots[i * st] !== EMPTY && slots[i * st] !== TOMBSTONE) i = (i + 1) & mask;
    if (slots[i * st] === EMPTY) this.used++;
    slots[i * st] = id + 1;
    for (let w = 0; w < this.keyWords; w++) slots[i * st + 1 + w] = key[off + w];
  }

  /** Remove an id; its key stays readable until the id is reused. */
  remove(id: number): void {
    const kw = this.keyWords;
    const slots = this.slots;
    const mask = this.mask;
    const st = this.stride;
    let i = this.hash(this.keys, id * kw) & mask;
    for (;;) {
      const s = slots[i * st];
      if (s === EMPTY) return; // not present: nothing to do
      if (s === id + 1) break;
      i = (i + 1) & mask;
    }
    slots[i * st] = TOMBSTONE;
    this.size--;
    this.freeIds.push(id);
  }

  /** Live ids in unspecified order. */
  *ids(): IterableIterator<number> {
    const slots = this.slots;
    const st = this.stride;
    for (let i = 0; i < this.nslots; i++) {
      const s = slots[i * st];
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
    this.capacity = cap;
    this.onGrow?.(cap);
  }

  private rebuild(need: number): void {
    let n = 16;
    while (n < need * 3) n *= 2; // rebuild to at most 1/3 full, so growth is amortised
    const old = this.slots;
    const oldN = this.nslots;
    const st = this.stride;
    this.slots = new Uint32Array(n * st);
    this.nslots = n;
    this.mask = n - 1;
    this.used = 0;
    const kw = this.keyWords;
    for (let j = 0; j < oldN; j++) {
      const s = old[j * st];
      if (s === EMPTY || s === TOMBSTONE) continue;
      this.place(s - 1, this.keys, (s - 1) * kw);
    }
  }

  /** Bytes held by the index and keys, for the memory benchmark. */
  byteSize(): number {
    return this.slots.byteLength + this.keys.byteLength;
  }
}
