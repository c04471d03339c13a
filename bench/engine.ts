// bench:engine — forwarding decisions/s of the engine alone (in-memory, no syscalls), each
// case beside a calibration loop in the same process (bench/lib/anchor.ts): the two run
// alternately, PAIRS pairs, and a case is reported as the median of its per-pair ratios
// (min–max) with the absolute decisions/s beside. The headline, share_1m_of_1, is
// decisions/s at 1,000,000 entries (65,536 random flows) over decisions/s at 1 entry (the
// same 65,536 packets' worth of memory streamed, one flow), the two also interleaved in pairs.
// Reproduce: npm run bench:engine   (BENCH_MS per engine run, BENCH_PAIRS, default 300 / 5;
// BENCH_ONLY=share runs the headline pairs and the workers' scaling alone, for before/after runs side by side)
// scaling_2_workers: two forwarding workers (worker_threads) over one shared MFC, their summed
// decisions/s over one worker's alone, interleaved in pairs (this machine has 2 cores).
// Prints a table, then as its last line one JSON object with every figure.

import { InetEngine } from '../src/dataplane/inet.js';
import { buildPacket } from '../src/router/packets.js';
import { formatIPv4 } from '../src/dataplane/addr.js';
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../src/router/spawn-worker.js';
import { calibrate, calibrationSink, fmtSpread, fmtSpreadInt, round3, spread, type Spread } from './lib/anchor.js';
import { EngineShares } from '../src/dataplane/worker-shares.js';
import { Inet6Engine } from '../src/dataplane/inet6.js';
import { touchHomeSlots } from '../src/dataplane/slot-touch.js';
import { RX_SLOTS } from '../src/dataplane/links/fd-link.js';

const TARGET_MS = Number(process.env.BENCH_MS ?? 300);
const CAL_MS = Number(process.env.BENCH_CAL_MS ?? 150);
const PAIRS = Math.max(5, Number(process.env.BENCH_PAIRS ?? 5));
const ONLY_SHARE = process.env.BENCH_ONLY === 'share';
const TOUCH = process.env.BENCH_TOUCH !== '0';
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function setup(entries: number, oifs: number, shared = false) {
  const e = new InetEngine({ initialEntries: entries, shared });
  for (let i = 0; i < 9; i++) e.attachInterface({ ifindex: i + 1, name: `if${i}`, addrs4: [`10.0.${i}.1`], addrs6: [], multicast: true });
  const so = {};
  e.init(so, 1);
  for (let v = 0; v < 9; v++) e.addVif(so, { vifi: v, flags: 0, threshold: 1, rateLimit: 0, lclAddr: `10.0.${v}.1`, rmtAddr: '0.0.0.0' });
  const ttls = new Uint8Array(32);
  for (let v = 1; v <= oifs; v++) ttls[v] = 1;
  for (let i = 0; i < entries; i++) e.addMfc(so, { origin: src(i), mcastgrp: '239.1.1.1', parent: 0, ttls });
  return e;
}

function src(i: number): string {
  return formatIPv4((0x0a800000 + i) >>> 0);
}

/** A seeded generator, so every run (and the code before and after a change) sees the same flows. */
function xorshift(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

interface Case {
  label: string;
  title: string;
  oifs: number;
  /** decisions/s over about TARGET_MS */
  run(): number;
}

function makeCase(entries: number, oifs: number, size: number, poolOf?: number): Case {
  const e = setup(entries, oifs);
  let copies = 0;
  e.transmit = () => {
    copies++;
  };
  // A pool of packets spread at random over the entries (65,536 distinct flows at 64 B, so a
  // million-entry table is not measured from a cache-warm corner), in one buffer taken in
  // receive batches of RX_SLOTS as a link delivers them, each batch's home slots touched
  // first as RouterCore.onBatch does (BENCH_TOUCH=0 leaves that out, for the figure
  // without it); TTL 255 lets each packet pass 200 times before its header is restored.
  const poolSize = poolOf ?? Math.min(entries, size <= 256 ? 65536 : 4096);
  const rnd = xorshift(0x5eed + entries);
  const data = Buffer.alloc(poolSize * size);
  const offsets = new Int32Array(poolSize);
  const lengths = new Int32Array(poolSize).fill(size);
  for (let i = 0; i < poolSize; i++) {
    const idx = entries <= poolSize ? i % entries : Math.floor(rnd() * entries);
    offsets[i] = i * size;
    buildPacket('inet', src(idx), '239.1.1.1', 255, size).copy(data, i * size);
  }
  const batches: { offs: Int32Array; lens: Int32Array }[] = [];
  for (let j = 0; j < poolSize; j += RX_SLOTS) batches.push({ offs: offsets.subarray(j, j + RX_SLOTS), lens: lengths.subarray(j, j + RX_SLOTS) });
  const fresh = Buffer.from(data);
  const label = `${entries === 1_000_000 ? '1m' : entries}x${oifs}_${size}`;
  return {
    label,
    oifs,
    title: `${entries.toLocaleString('en-US')} entries x ${oifs} oifs, ${size} B${poolOf !== undefined ? `, ${poolOf.toLocaleString('en-US')} packets` : ''}`,
    run() {
      copies = 0;
      let n = 0;
      const t0 = process.hrtime.bigint();
      let elapsed = 0;
      while (elapsed < TARGET_MS) {
        for (let round = 0; round < 200; round++) {
          for (let k = 0; k < batches.length; k++) {
            const { offs, lens } = batches[k];
            const m = offs.length;
            if (TOUCH) touchHomeSlots(e.table, null, data, offs, lens, m);
            for (let i = 0; i < m; i++) e.input(1, data, offs[i], size);
          }
          n += poolSize;
        }
        // restore TTL and checksum (the engine decrements in place)
        for (let i = 0; i < poolSize; i++) fresh.copy(data, offsets[i], offsets[i], offsets[i] + 12);
        elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
      }
      if (copies !== n * oifs) throw new Error(`${label}: expected ${n * oifs} copies, got ${copies}`);
      return n / (elapsed / 1000);
    },
  };
}

interface Measured {
  c: Case;
  abs: Spread;
  ratio: Spread;
}

/** PAIRS pairs of (calibration, case); the ratio of a pair is decisions/s over probes/s. */
function measure(c: Case): Measured {
  const abs: number[] = [];
  const ratios: number[] = [];
  for (let p = 0; p < PAIRS; p++) {
    const cal = calibrate(CAL_MS);
    const d = c.run();
    abs.push(d);
    ratios.push(d / cal);
  }
  return { c, abs: spread(abs), ratio: spread(ratios) };
}

calibrate(CAL_MS); // warm the calibration loop's code before any pair counts
const cals: number[] = [];
const results: Measured[] = [];

// ---- headline: 1 entry against 1,000,000 entries, interleaved ----
// The 1-entry side streams as many packets (65,536 copies of its one flow) as the million
// side has flows, so the two differ only in the table and the share measures the table.
let one: Case | null = makeCase(1, 3, 64, 65536);
let million: Case | null = makeCase(1_000_000, 3, 64);
one.run();
million.run(); // first pass over the flows: code and caches warm before pairs count
const oneAbs: number[] = [];
const oneRatio: number[] = [];
const mAbs: number[] = [];
const mRatio: number[] = [];
const shares: number[] = [];
for (let p = 0; p < PAIRS; p++) {
  const c1 = calibrate(CAL_MS);
  const a = one.run();
  const c2 = calibrate(CAL_MS);
  const b = million.run();
  cals.push(c1, c2);
  oneAbs.push(a);
  oneRatio.push(a / c1);
  mAbs.push(b);
  mRatio.push(b / c2);
  shares.push(b / a);
}
results.push({ c: one, abs: spread(oneAbs), ratio: spread(oneRatio) });
results.push({ c: million, abs: spread(mAbs), ratio: spread(mRatio) });
const share = spread(shares);
million = null;
one = null;
gc();

// ---- the other cases, each beside the calibration loop ----
for (const entries of ONLY_SHARE ? [] : [1, 1000, 1_000_000]) {
  for (const oifs of [1, 3, 8]) {
    for (const size of [64, 1400]) {
      if (entries === 1_000_000 && oifs !== 3) continue; // a million-entry table per case: keep it to the headline's fan-out
      if (oifs === 3 && size === 64 && entries !== 1000) continue; // measured above
      const c = makeCase(entries, oifs, size);
      c.run();
      results.push(measure(c));
      gc();
    }
  }
}

// ---- forwarding workers over one shared MFC (src/dataplane/forwarder.ts) ----
// 1,000 entries x 3 oifs, 64 B; each worker has its own 500 flows. A pair is one worker
// alone, then two at once; scaling_2_workers is the two's summed decisions/s over the one's.
async function workerScaling(): Promise<{ one: Spread; two: Spread; scaling: Spread }> {
  const e = setup(1000, 3, true);
  const shares = new EngineShares([e, new Inet6Engine({ shared: true })]);
  const spawn = (k: number) =>
    spawnWorker(new URL('./lib/engine-worker.ts', import.meta.url), { init: shares.newWorker(), sources: Array.from({ length: 500 }, (_, i) => src(k * 500 + i)), group: '239.1.1.1', oifs: 3 });
  const ws = [spawn(0), spawn(1)];
  const run = (w: Worker, ms: number) =>
    new Promise<number>((res, rej) => {
      w.once('message', res);
      w.once('error', rej);
      w.postMessage({ run: ms });
    });
  await Promise.all(ws.map((w) => run(w, TARGET_MS))); // warm
  const one: number[] = [];
  const two: number[] = [];
  const sc: number[] = [];
  for (let p = 0; p < PAIRS; p++) {
    const a = await run(ws[p % 2], TARGET_MS);
    const b = (await Promise.all(ws.map((w) => run(w, TARGET_MS)))).reduce((x, y) => x + y, 0);
    one.push(a);
    two.push(b);
    sc.push(b / a);
  }
  await Promise.all(ws.map((w) => w.terminate()));
  return { one: spread(one), two: spread(two), scaling: spread(sc) };
}
const wk = await workerScaling();

function adds(count: number): number {
  const e = new InetEngine({ initialEntries: 1024 });
  e.attachInterface({ ifindex: 1, name: 'if0', addrs4: ['10.0.0.1'], addrs6: [], multicast: true });
  const so = {};
  e.init(so, 1);
  e.addVif(so, { vifi: 0, flags: 0, threshold: 1, rateLimit: 0, lclAddr: '10.0.0.1', rmtAddr: '0.0.0.0' });
  const ttls = new Uint8Array(32);
  ttls[1] = 1;
  const srcs = Array.from({ length: count }, (_, i) => src(i));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) e.addMfc(so, { origin: srcs[i], mcastgrp: '239.1.1.1', parent: 0, ttls });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return count / s;
}

function bytesPerEntry(count: number): number {
  const e = setup(count, 3);
  if (e.resolvedCount !== count) throw new Error('entries missing');
  // The engine keeps no per-entry objects: the index and the typed arrays are all of it.
  return e.memoryBytes() / count;
}

const out: Record<string, number> = {};
const calS = spread(cals);
out.calibration_probes_per_s = Math.round(calS.median);
const order = (m: Measured) => m.c.label;
results.sort((x, y) => {
  const k = (l: string) => (l.startsWith('1m') ? 2e6 : Number(l.split('x')[0])) * 100 + Number(l.split('x')[1].split('_')[0]) * 2 + (l.endsWith('1400') ? 1 : 0);
  return k(order(x)) - k(order(y));
});
for (const m of results) out[`decisions_per_s_${m.c.label}`] = Math.round(m.abs.median);
out.decisions_per_s_1m_entries = out['decisions_per_s_1mx3_64'];
for (const m of results) out[`ratio_cal_${m.c.label}`] = round3(m.ratio.median);
out.share_1m_of_1 = round3(share.median);
out.share_1m_of_1_min = round3(share.min);
out.share_1m_of_1_max = round3(share.max);
out.decisions_per_s_1_worker = Math.round(wk.one.median);
out.decisions_per_s_2_workers = Math.round(wk.two.median);
out.scaling_2_workers = round3(wk.scaling.median);
out.scaling_2_workers_min = round3(wk.scaling.min);
out.scaling_2_workers_max = round3(wk.scaling.max);
out.pairs = PAIRS;
if (!ONLY_SHARE) {
  out.mfc_adds_per_s = Math.round(adds(1_000_000));
  gc();
  out.bytes_per_entry = Math.round(bytesPerEntry(1_000_000));
}

const rows: [string, string, string][] = [['case', 'decisions/s median (min–max)', 'per calibration probe, median (min–max)']];
for (const m of results) rows.push([m.c.title, fmtSpreadInt(m.abs), fmtSpread(m.ratio, 3)]);
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
console.log(`mrsh engine benchmark (one core, in-memory links; ${PAIRS} pairs beside the calibration loop, ${fmtSpreadInt(calS)} probes/s)`);
for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
console.log(`share of 1-entry decisions/s kept at 1,000,000 entries x 3 oifs, 64 B (65,536 random flows): ${fmtSpread(share, 3)} over ${PAIRS} pairs`);
console.log(`forwarding workers over one shared MFC, 1,000 entries x 3 oifs, 64 B: 1 worker ${fmtSpreadInt(wk.one)}/s, 2 workers ${fmtSpreadInt(wk.two)}/s, scaling ${fmtSpread(wk.scaling, 3)} over ${PAIRS} pairs`);
if (!ONLY_SHARE) {
  console.log(`MFC adds/s (1,000,000 new entries): ${out.mfc_adds_per_s.toLocaleString('en-US')}`);
  console.log(`bytes per entry at 1,000,000 entries (table + arrays): ${out.bytes_per_entry}`);
}
if (calibrationSink() === 0.5) console.log(''); // keeps the loop's result live
console.log('reproduce: npm run bench:engine');
console.log(JSON.stringify(out));
