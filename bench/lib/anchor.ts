// What every bench reports its figures against: an anchor measured in the same run, the
// two sides interleaved in pairs, the median of the per-pair ratios with its min–max.
// A shared 2-core machine moves absolute figures by tens of percent between runs; a ratio
// to something measured seconds apart on the same cores moves far less.

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) return { median: NaN, min: NaN, max: NaN };
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  const median = s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

/**
 * Run `a` and `b` alternately `pairs` times; each returns a figure (a rate, a time). The
 * ratio of each pair is b / a. Returns both sides' spreads and the ratios'.
 */
export function interleave(pairs: number, a: () => number, b: () => number): { a: Spread; b: Spread; ratio: Spread; ratios: number[] } {
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const x = a();
    const y = b();
    as.push(x);
    bs.push(y);
    ratios.push(y / x);
  }
  return { a: spread(as), b: spread(bs), ratio: spread(ratios), ratios };
}

/** "1.23 (1.10–1.31)" */
export function fmtSpread(s: Spread, digits = 2): string {
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

/** "1,234,567 (1,100,000–1,300,000)" */
export function fmtSpreadInt(s: Spread): string {
  const f = (x: number) => Math.round(x).toLocaleString('en-US');
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

export const round3 = (x: number): number => Math.round(x * 1000) / 1000;

// ---------------------------------------------------------------- calibration loop

/**
 * The in-process anchor for CPU-bound benches: a fixed hash-probe loop over a 1 MiB
 * Uint32Array (open addressing, linear probing, xorshift keys), the same kind of work as
 * an MFC lookup but code that never changes with the engine. 1 MiB stays in L2 here, so
 * it measures the core's speed at the moment (frequency, a neighbour's load), not memory.
 * Returns probes per second over about `ms` milliseconds.
 */
const CAL_BITS = 18;
const CAL_MASK = (1 << CAL_BITS) - 1;
const calTable = (() => {
  const t = new Uint32Array(1 << CAL_BITS);
  let x = 0x2545f491;
  for (let i = 0; i < t.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    t[i] = x >>> 0;
  }
  return t;
})();
let calSink = 0;

export function calibrate(ms: number): number {
  const t = calTable;
  let x = 0x9e3779b9 | 0;
  let sum = 0;
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 65536; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      let h = Math.imul(x, 0x85ebca6b);
      h ^= h >>> 13;
      let j = h & CAL_MASK;
      // probe until a word whose low two bits are 0 (a quarter of them): ~4 probes
      while ((t[j] & 3) !== 0) {
        sum = (sum + t[j]) | 0;
        j = (j + 1) & CAL_MASK;
      }
      sum ^= t[j];
    }
    n += 65536;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  calSink ^= sum;
  return n / (elapsed / 1000);
}

/** Keeps the calibration loop's result observable so it is never optimised away. */
export function calibrationSink(): number {
  return calSink;
}
