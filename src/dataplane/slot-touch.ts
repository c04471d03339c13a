// A decision on a large MFC waits on one cache miss: the slot its (S,G) hashes to. One
// packet at a time, those misses come one after another (here about 200 ns each, most of a
// decision at a million entries). So a receive batch's home slots are read first: one pass
// reads the addresses and hashes them, a second reads the slots in a loop so short that the
// core keeps a dozen misses in flight at once; the decisions that follow find their lines
// cached. (Touching each slot from the hashing loop overlaps almost nothing: its body fills
// the core's reorder window.) Only worth it when the slots outgrow the L2
// (MfcIndex.large); the passes read and change nothing, so a batch of junk costs only reads.
import type { MfcIndex } from './mfc-table.js';
import { readU32 } from './packet.js';

let home4 = new Int32Array(64);
let home6 = new Int32Array(64);
const key6 = new Uint32Array(8);
/** where the touched words go, so the reads are not optimised away */
let sink = 0;

/** Touch the home slots of the datagrams at buf[offsets[i], +lengths[i]) in `v4` / `v6`. */
export function touchHomeSlots(v4: MfcIndex, v6: MfcIndex | null, buf: Uint8Array, offsets: Int32Array, lengths: Int32Array, count: number): void {
  const big4 = v4.large;
  const big6 = v6 !== null && v6.large;
  if (!big4 && !big6) return;
  if (home4.length < count) {
    home4 = new Int32Array(count);
    home6 = new Int32Array(count);
  }
  const h4 = home4;
  const h6 = home6;
  let n4 = 0;
  let n6 = 0;
  for (let i = 0; i < count; i++) {
    const o = offsets[i];
    const ver = buf[o] >>> 4;
    if (ver === 4 && big4 && lengths[i] >= 20) {
      h4[n4++] = v4.home2(readU32(buf, o + 12), readU32(buf, o + 16));
    } else if (ver === 6 && big6 && lengths[i] >= 40) {
      for (let w = 0; w < 8; w++) key6[w] = readU32(buf, o + 8 + w * 4);
      h6[n6++] = v6!.home(key6);
    }
  }
  let s = 0;
  // IPv4: the home slot's line and the next slot's, where the probe goes on for the keys
  // displaced at the index's load (up to 1/2); reading both raised decisions/s at a
  // million entries by a quarter to a half over the home line alone (bench:engine).
  const s4 = v4.slots;
  const m4 = s4.length - 1;
  for (let i = 0; i < n4; i++) s ^= s4[h4[i]] ^ s4[(h4[i] + 16) & m4];
  // IPv6: the home slot's two lines (key and id; the counters a hit writes)
  if (n6 > 0) {
    const s6 = v6!.slots;
    for (let i = 0; i < n6; i++) s ^= s6[h6[i]] ^ s6[h6[i] + 8];
  }
  sink ^= s;
}

/** The sink's value (for a test that the reads happen at all). */
export function touchSink(): number {
  return sink;
}
