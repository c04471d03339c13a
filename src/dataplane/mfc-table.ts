// The Multicast Forwarding Cache's (S,G) index: an open-addressing hash from a key of
// `keyWords` 32-bit words (IPv4: origin, group; IPv6: 4 + 4 words) to a dense entry id.
//
// FreeBSD chains entries in a 256-bucket hash (MFCHASH); a userspace table of a million
// entries needs neither chains nor per-entry objects, so the keys live in one typed array
// and the engine keeps every per-entry field in parallel typed arrays indexed by the id.
// Lookups read a caller-owned scratch key and allocate nothing.

const EMPTY = 0;
const TOMBSTONE = -1;

export class MfcTable {
  readonly keyWords: number;
  /** keys[id * keyWords + w] */
  keys: Uint32Array;
  /** capacity of the id space; grows by doubling */
  capacity: number;
  /** number of live ids */
  size = 0;

  /** slots hold id + 1, EMPTY or TOMBSTONE; length is a power of two */
  private slots: Int32Array;
  private mask: number;
  private used = 0; // live + tombstones, to decide when to rebuild
  private freeIds: number[] = [];
  private nextId = 0;
  /** called when the id space grows so parallel arrays can follow */
  onGrow: ((newCapacity: number) => void) | null = null;

  constructor(keyWords: number, initialCapacity = 64) {
    this.keyWords = keyWords;
    this.capacity = Math.max(16, initialCapacity);
    this.keys = new Uint32Array(this.capacity * keyWords);
    let n = 16;
    while (n < this.capacity * 2) n *= 2;
    this.slots = new Int32Array(n);
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

  private keyEquals(id: number, key: Uint32Array, off: number): boolean {
    const kw = this.keyWords;
    const base = id * kw;
    const keys = this.keys;
    for (let w = 0; w < kw; w++) if (keys[base + w] !== key[off + w]) return false;
    return true;
  }

  /** The entry id for key[off .. off + keyWords), or -1. */
  find(key: Uint32Array, off = 0): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = this.hash(key, off) & mask;
    for (;;) {
      const s = slots[i];
      if (s === EMPTY) return -1;
      if (s > 0 && this.keyEquals(s - 1, key, off)) return s - 1;
      i = (i + 1) & mask;
    }
  }

  /** Fast path for two-word keys (IPv4 origin, group) without a scratch array. */
  find2(origin: number, group: number): number {
    const slots = this.slots;
    const mask = this.mask;
    const keys = this.keys;
    let i = this.hash2(origin, group) & mask;
    for (;;) {
      const s = slots[i];
      if (s === EMPTY) return -1;
      if (s > 0) {
        const b = (s - 1) * 2;
        if (keys[b] === origin && keys[b + 1] === group) return s - 1;
      }
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
    if ((this.used + 1) * 2 > this.slots.length) this.rebuild(this.size + 1);
    let id: number;
    if (this.freeIds.length > 0) id = this.freeIds.pop()!;
    else {
      if (this.nextId >= this.capacity) this.growIds();
      id = this.nextId++;
    }
    const kw = this.keyWords;
    for (let w = 0; w < kw; w++) this.keys[id * kw + w] = key[off + w];
    const slots = this.slots;
    const mask = this.mask;
    let i = this.hash(key, off) & mask;
    while (slots[i] > 0) i = (i + 1) & mask;
    if (slots[i] === EMPTY) this.used++;
    slots[i] = id + 1;
    this.size++;
    return id;
  }

  /** Remove an id; its key stays readable until the id is reused. */
  remove(id: number): void {
    const kw = this.keyWords;
    const slots = this.slots;
    const mask = this.mask;
    let i = this.hash(this.keys, id * kw) & mask;
    for (;;) {
      const s = slots[i];
      if (s === EMPTY) return; // not present: nothing to do
      if (s === id + 1) break;
      i = (i + 1) & mask;
    }
    slots[i] = TOMBSTONE;
    this.size--;
    this.freeIds.push(id);
  }

  /** Live ids in unspecified order. */
  *ids(): IterableIterator<number> {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) if (slots[i] > 0) yield slots[i] - 1;
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
    const slots = new Int32Array(n);
    const mask = n - 1;
    const kw = this.keyWords;
    for (let j = 0; j < old.length; j++) {
      const s = old[j];
      if (s <= 0) continue;
      let i = this.hash(this.keys, (s - 1) * kw) & mask;
      while (slots[i] !== EMPTY) i = (i + 1) & mask;
      slots[i] = s;
    }
    this.slots = slots;
    this.mask = mask;
    this.used = this.size;
  }

  /** Bytes held by the index and keys, for the memory benchmark. */
  byteSize(): number {
    return this.slots.byteLength + this.keys.byteLength;
  }
}
