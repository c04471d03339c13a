// Large tables probed at random (the MFC index's slots: 256 MB at a million entries) miss
// the TLB on nearly every probe with 4 KB pages; transparent huge pages cover them with a
// few hundred 2 MB pages, which about halves a cold probe here. Most distributions set THP
// to "madvise", so the memory has to ask: the native addon does, before the first touch.
// Without the addon (virtual links only, or not Linux) this is a no-op.
import { loadNative } from './links/native.js';

/** Below this a table fits the TLB's reach anyway, and holds no whole 2 MB page. */
const MIN_BYTES = 8 << 20;

/** A zeroed Uint32Array of `words`, over a SharedArrayBuffer when `shared`, backed by huge pages where it is large and the kernel allows. */
export function largeWords(words: number, shared: boolean): Uint32Array {
  const a = shared ? new Uint32Array(new SharedArrayBuffer(words * 4)) : new Uint32Array(words);
  if (a.byteLength >= MIN_BYTES) loadNative()?.adviseHugePages(a);
  return a;
}
