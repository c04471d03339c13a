// bench:engine — forwarding decisions/s of the engine alone (in-memory, no syscalls).
// Reproduce: npm run bench:engine
// Prints a table, then as its last line one JSON object with every figure.

import { InetEngine } from '../src/dataplane/inet.js';
import { buildPacket } from '../src/router/packets.js';
import { formatIPv4 } from '../src/dataplane/addr.js';

const TARGET_MS = Number(process.env.BENCH_MS ?? 600);

function setup(entries: number, oifs: number) {
  const e = new InetEngine({ initialEntries: entries });
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

function decisions(entries: number, oifs: number, size: number): number {
  const e = setup(entries, oifs);
  let copies = 0;
  e.transmit = () => {
    copies++;
  };
  // A pool of packets spread at random over the entries (65,536 distinct flows at 64 B, so a
  // million-entry table is not measured from a cache-warm corner); TTL 255 lets each packet
  // pass 200 times before its header is restored.
  const poolSize = Math.min(entries, size <= 256 ? 65536 : 4096);
  const pool: Buffer[] = [];
  for (let i = 0; i < poolSize; i++) {
    const idx = entries <= poolSize ? i : Math.floor(Math.random() * entries);
    pool.push(buildPacket('inet', src(idx), '239.1.1.1', 255, size));
  }
  const fresh = pool.map((p) => Buffer.from(p));
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < TARGET_MS) {
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < poolSize; i++) {
        const p = pool[i];
        e.input(1, p, 0, p.length);
      }
      n += poolSize;
    }
    // restore TTL and checksum (the engine decrements in place)
    for (let i = 0; i < poolSize; i++) fresh[i].copy(pool[i], 0, 0, 12);
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  if (copies !== n * oifs) throw new Error(`expected ${n * oifs} copies, got ${copies}`);
  return n / (elapsed / 1000);
}

function median(xs: number[]): number {
  return xs.sort((a, b) => a - b)[xs.length >> 1];
}

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

function bytesPerEntry(count: number): { exact: number } {
  const e = setup(count, 3);
  if (e.resolvedCount !== count) throw new Error('entries missing');
  // The engine keeps no per-entry objects: the index and the typed arrays are all of it.
  const exact = e.memoryBytes() / count;
  return { exact };
}

const rows: [string, number][] = [];
const out: Record<string, number> = {};
for (const entries of [1, 1000, 1_000_000]) {
  for (const oifs of [1, 3, 8]) {
    for (const size of [64, 1400]) {
      if (entries === 1_000_000 && oifs !== 3) continue; // the million-entry table is built once per case: keep it to the headline one
      // The million-entry case walks memory at random: take the median of three runs.
      const r = entries === 1_000_000 ? median([0, 1, 2].map(() => decisions(entries, oifs, size))) : decisions(entries, oifs, size);
      const label = `${entries === 1_000_000 ? '1m' : entries}x${oifs}_${size}`;
      rows.push([`decisions/s ${entries} entries x ${oifs} oifs, ${size} B`, r]);
      out[`decisions_per_s_${label}`] = Math.round(r);
    }
  }
}
out.decisions_per_s_1m_entries = out['decisions_per_s_1mx3_64'];
out.mfc_adds_per_s = Math.round(adds(1_000_000));
rows.push(['MFC adds/s (1,000,000 new entries)', out.mfc_adds_per_s]);
const mem = bytesPerEntry(1_000_000);
out.bytes_per_entry = Math.round(mem.exact);
rows.push(['bytes per entry at 1,000,000 entries (table + arrays)', out.bytes_per_entry]);


const w = Math.max(...rows.map((r) => r[0].length));
console.log('mrsh engine benchmark (one core, in-memory links)');
for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${Math.round(v).toLocaleString('en-US').padStart(12)}`);
console.log('reproduce: npm run bench:engine');
console.log(JSON.stringify(out));
