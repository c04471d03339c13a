// bench:control — the control socket of a running `mrsh daemon`.
// Reproduce: npm run bench:control
//  - requests_per_s: command lines answered per second over the socket from 8 concurrent
//    clients, each keeping 16 requests in flight (a mix of `mfc add` updates of existing
//    entries and `explain S G`: per-request work is small, so this measures the socket,
//    the parser and JSON; `show mroute S G` lists the whole table and is used below).
//  - latency_ms_p50 / latency_ms_p99: round trip of one request (`show mroute S G`, one
//    outstanding at a time) while a load client keeps the router forwarding flat out:
//    `inject 0 S G count 2000` requests back to back, 2 in flight, each packet forwarded
//    to 2 vifs (virtual links, so forwarding is pure engine work on the daemon's thread).
//  - forward_pps_under_load: packets the daemon forwarded per second during that phase.
// The daemon is a separate process (node + tsx), as in use. Prints a table, then as its
// last line one JSON object.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../src/control/client.js';

const ROOT = new URL('..', import.meta.url).pathname;
const THROUGHPUT_MS = Number(process.env.BENCH_WALL_MS ?? 5000);
const LATENCY_SAMPLES = Number(process.env.BENCH_SAMPLES ?? 3000);
const CLIENTS = 8;
const WINDOW = 16;

const dir = mkdtempSync(join(tmpdir(), 'mrsh-bench-'));
const sock = join(dir, 'mrsh.sock');
const conf = join(dir, 'startup.conf');
const lines = ['mrt init ipv4', 'vif add 0 virtual in0', 'vif add 1 virtual out1', 'vif add 2 virtual out2'];
for (let i = 0; i < 256; i++) lines.push(`mfc add 10.0.${i}.1 239.1.${i}.1 iif 0 oif 1 oif 2`);
writeFileSync(conf, lines.join('\n') + '\n');

const daemon = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'daemon', '-f', conf, '--socket', sock], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
daemon.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
const cleanup = () => {
  daemon.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);

async function ready(): Promise<void> {
  const end = Date.now() + 20000;
  while (!log.includes('listening on')) {
    if (Date.now() > end || daemon.exitCode !== null) throw new Error(`daemon did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function throughput(): Promise<number> {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => ControlClient.connect(sock)));
  let done = 0;
  let stop = false;
  const worker = async (c: ControlClient, w: number) => {
    let k = w;
    while (!stop) {
      const i = k++ & 255;
      const line = k & 1 ? `mfc add 10.0.${i}.1 239.1.${i}.1 iif 0 oif 1 oif 2` : `explain 10.0.${i}.1 239.1.${i}.1`;
      const r = await c.request(line);
      if (!r.ok) throw new Error(`${line}: ${r.error.message}`);
      done++;
    }
  };
  // warm up
  await Promise.all(clients.map((c) => c.request('show mrt')));
  const t0 = performance.now();
  const all: Promise<void>[] = [];
  clients.forEach((c, ci) => {
    for (let w = 0; w < WINDOW; w++) all.push(worker(c, ci * WINDOW + w));
  });
  await new Promise((r) => setTimeout(r, THROUGHPUT_MS));
  stop = true;
  const dt = (performance.now() - t0) / 1000;
  const n = done;
  await Promise.all(all);
  for (const c of clients) c.close();
  return n / dt;
}

async function latencyUnderLoad(): Promise<{ p50: number; p99: number; max: number; pps: number }> {
  const load = await ControlClient.connect(sock);
  let stop = false;
  let forwarded = 0;
  const gen = async (g: number) => {
    let k = g;
    while (!stop) {
      const i = k++ & 255;
      const r = await load.request(`inject 0 10.0.${i}.1 239.1.${i}.1 count 2000`);
      if (!r.ok) throw new Error(r.error.message);
      if (r.output && r.output.kind === 'inject') forwarded += r.output.result.forwarded;
    }
  };
  const gens = [gen(0), gen(100)];
  await new Promise((r) => setTimeout(r, 300)); // let the load settle
  const c = await ControlClient.connect(sock);
  const samples: number[] = [];
  const f0 = forwarded;
  const t0 = performance.now();
  for (let s = 0; s < LATENCY_SAMPLES; s++) {
    const i = s & 255;
    const a = performance.now();
    const r = await c.request(`show mroute 10.0.${i}.1 239.1.${i}.1`);
    samples.push(performance.now() - a);
    if (!r.ok) throw new Error(r.error.message);
  }
  const dt = (performance.now() - t0) / 1000;
  const pps = (forwarded - f0) / 2 / dt; // 2 copies per packet
  stop = true;
  await Promise.all(gens);
  c.close();
  load.close();
  samples.sort((x, y) => x - y);
  return { p50: pct(samples, 50), p99: pct(samples, 99), max: samples[samples.length - 1], pps };
}

await ready();
const rps = await throughput();
const lat = await latencyUnderLoad();
const row = (k: string, v: string) => console.log(`${k.padEnd(34)} ${v}`);
row('requests/s (8 clients x 16 in flight)', rps.toFixed(0));
row('latency p50 under load (ms)', lat.p50.toFixed(3));
row('latency p99 under load (ms)', lat.p99.toFixed(3));
row('latency max under load (ms)', lat.max.toFixed(3));
row('forwarded packets/s during load', lat.pps.toFixed(0));
console.log('reproduce: npm run bench:control');
console.log(
  JSON.stringify({
    requests_per_s: Math.round(rps),
    latency_ms_p50: Number(lat.p50.toFixed(3)),
    latency_ms_p99: Number(lat.p99.toFixed(3)),
    latency_ms_max: Number(lat.max.toFixed(3)),
    forward_pps_under_load: Math.round(lat.pps),
    clients: CLIENTS,
    in_flight_per_client: WINDOW,
  }),
);
process.exit(0);
