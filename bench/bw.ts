// bench:bw — bandwidth meters and PIM Register encapsulation.
// Reproduce: npm run bench:bw
//  - idle_leq_cpu_per_s: CPU seconds per wall second of a router (real timers, no traffic)
//    holding 100,000 LEQ meters (packets <= 0) with intervals spread over 3-210 s, as a PIM
//    daemon's keepalive-style meters would be; idle_leq_cpu_per_s_3s is the worst case
//    where all 100,000 use the 3 s minimum and fire together every 3 s.
//  - geq_ns_per_packet: added cost per forwarded packet of one GEQ meter on the entry.
//  - registers_per_s: in-engine PIM Register encapsulations per second (64-byte inner).
// Prints a table, then as its last line one JSON object.

import { Router } from '../src/router/router.js';
import { InetEngine } from '../src/dataplane/inet.js';
import { buildPacket } from '../src/router/packets.js';
import { formatIPv4 } from '../src/dataplane/addr.js';

const WALL_MS = Number(process.env.BENCH_WALL_MS ?? 12_000);

async function idleLeq(spread: boolean): Promise<number> {
  const r = await Router.create();
  r.mrtInit('inet');
  r.apiConfig(0x200);
  await r.addVif({ family: 'inet', index: 0, link: { kind: 'virtual', name: 'in0' } });
  await r.addVif({ family: 'inet', index: 1, link: { kind: 'virtual', name: 'out0' } });
  let records = 0;
  r.on('upcall', (ev) => {
    records += ev.bw?.length ?? 0;
  });
  for (let i = 0; i < 100_000; i++) {
    const s = formatIPv4((0x0a800000 + i) >>> 0);
    r.addMfc({ family: 'inet', source: s, group: '239.1.1.1', parent: 0, oifs: [{ vif: 1, ttl: 1 }] });
    const sec = spread ? 3 + Math.floor(Math.random() * 208) : 3;
    r.addBwUpcall({ source: s, group: '239.1.1.1', op: 'leq', packets: 0, intervalMs: sec * 1000 });
  }
  // let set-up garbage settle, then measure a quiet window
  global.gc?.();
  await new Promise((res) => setTimeout(res, 500));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const keep = setInterval(() => {}, 1000); // keep the loop alive: router timers are unref'd
  await new Promise((res) => setTimeout(res, WALL_MS));
  clearInterval(keep);
  const c = process.cpuUsage(c0);
  const wall = (performance.now() - t0) / 1000;
  await r.close();
  const cpu = (c.user + c.system) / 1e6;
  console.error(`  (${spread ? 'spread' : '3 s'}: ${records} BW records delivered in ${wall.toFixed(1)} s)`);
  return cpu / wall;
}

function setupEngine(register: boolean) {
  const e = new InetEngine();
  e.attachInterface({ ifindex: 1, name: 'if0', addrs4: ['10.0.0.1'], addrs6: [], multicast: true });
  e.attachInterface({ ifindex: 2, name: 'if1', addrs4: ['10.0.1.1'], addrs6: [], multicast: true });
  const so = {};
  e.init(so, 1);
  e.setApiConfig(so, 0x303);
  e.addVif(so, { vifi: 0, flags: 0, threshold: 1, rateLimit: 0, lclAddr: '10.0.0.1', rmtAddr: '0.0.0.0' });
  e.addVif(so, { vifi: 1, flags: 0, threshold: 1, rateLimit: 0, lclAddr: '10.0.1.1', rmtAddr: '0.0.0.0' });
  e.addVif(so, { vifi: 2, flags: 4, threshold: 1, rateLimit: 0, lclAddr: '127.0.0.2', rmtAddr: '0.0.0.0' });
  const ttls = new Array(32).fill(0);
  ttls[register ? 2 : 1] = 1;
  e.addMfc(so, { origin: '10.0.0.100', mcastgrp: '239.1.1.1', parent: 0, ttls, flags: new Array(32).fill(0), rp: '10.9.9.9' }, true);
  return { e, so };
}

function nsPerPacket(e: InetEngine, ms = 1500): number {
  const pool = Array.from({ length: 256 }, () => buildPacket('inet', '10.0.0.100', '239.1.1.1', 255, 64));
  const fresh = pool.map((p) => Buffer.from(p));
  let n = 0;
  const t0 = process.hrtime.bigint();
  let el = 0;
  while (el < ms) {
    for (let r = 0; r < 200; r++) {
      for (let i = 0; i < pool.length; i++) e.input(1, pool[i], 0, pool[i].length);
      n += pool.length;
    }
    for (let i = 0; i < pool.length; i++) fresh[i].copy(pool[i], 0, 0, 12);
    el = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  return (el * 1e6) / n;
}

function geqCost(): number {
  const without: number[] = [];
  const withm: number[] = [];
  for (let round = 0; round < 3; round++) {
    const a = setupEngine(false);
    a.e.transmit = () => {};
    without.push(nsPerPacket(a.e));
    const b = setupEngine(false);
    b.e.transmit = () => {};
    // threshold far away: the meter counts every packet and never fires inside the run
    b.e.addBwUpcall(b.so, { src: '10.0.0.100', dst: '239.1.1.1', flags: 0x5, threshold: { timeSec: 3600, timeUsec: 0, packets: 1e12, bytes: 0 } });
    withm.push(nsPerPacket(b.e));
  }
  const med = (a: number[]) => a.sort((x, y) => x - y)[1];
  return Math.max(0, med(withm) - med(without));
}

function registers(): number {
  const { e } = setupEngine(true);
  let sent = 0;
  e.transmitUnicast = () => {
    sent++;
  };
  const ns = nsPerPacket(e, 1500);
  if (sent === 0) throw new Error('no Registers were built');
  return 1e9 / ns;
}

const out: Record<string, number> = {};
out.geq_ns_per_packet = Number(geqCost().toFixed(1));
out.registers_per_s = Math.round(registers());
out.idle_leq_cpu_per_s = Number((await idleLeq(true)).toFixed(4));
out.idle_leq_cpu_per_s_3s = Number((await idleLeq(false)).toFixed(4));
console.log('mrsh bandwidth-meter and Register benchmark');
console.log(`CPU s per wall s, 100,000 idle LEQ meters (3-210 s)   ${out.idle_leq_cpu_per_s}`);
console.log(`CPU s per wall s, 100,000 idle LEQ meters (all 3 s)   ${out.idle_leq_cpu_per_s_3s}`);
console.log(`added ns per forwarded packet, one GEQ meter           ${out.geq_ns_per_packet}`);
console.log(`PIM Register encapsulations per second                 ${out.registers_per_s.toLocaleString('en-US')}`);
console.log('reproduce: npm run bench:bw');
console.log(JSON.stringify(out));
