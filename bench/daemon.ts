// bench:daemon — a routing daemon's own routing socket served by `mrsh daemon` through
// `mrsh exec`, against the same program on the Linux kernel.
//   sudo npm run bench:daemon [-- --pairs N] [--adds N] [--samples N] [--rounds N] [--quick]
//                             [--only adds|nocache|forward]
//  - mfc_adds_per_s_shim / _kernel: bench/lib/mfc-adds.c (raw IGMP socket, MRT_INIT, vif 0,
//    N MRT_ADD_MFC of distinct (S,G) with parent 0, then one synchronous
//    getsockopt(MRT_VERSION), so every add has been applied; timed) under `mrsh exec`
//    against a fresh `mrsh daemon`, and on the kernel, each in its own namespace; the runs
//    are interleaved kernel/mrsh pairs, and ratio_mfc_adds is the median of the per-pair
//    ratios (mrsh / kernel), with its min and max.
//  - nocache_to_forward_ms_p50/_p99 (mrsh, kernel): Debian's smcrouted with a (*,G) rule in
//    the router namespace of test/e2e/smcroute-lab.ts (on the kernel, or under mrsh exec
//    beside mrsh daemon); each sample is a new (S,G) (a new source address): the time from
//    its first packet leaving the sender to the first packet of it arriving at the
//    receiver's socket, both read from CLOCK_MONOTONIC (process.hrtime), so one clock. The
//    sender repeats the packet every GAP ms until one arrives (at most MAX_PER_SAMPLE):
//    if the held first packet is forwarded, the figure is its whole trip.
//    Kernel and mrsh rounds alternate.
//  - smcroute_forward_pps beside static_mfc_forward_pps: one mrsh daemon, one (S,G) 64 B
//    flow r0 -> r1, r2, its entry installed either by smcrouted's (S,G) rule under mrsh exec
//    or by mrsh's own `mfc add` (same vifs, same links), alternating in the same run; each
//    figure is the peak forwarded rate (mean of the two receivers' o0 rx_packets) over a
//    ladder of offered rates, 1 s each, from bench/lib/mcgen.c (see ladder()). The daemon runs on
//    core 0, the sender on core 1. Bounded traffic only.
//  - join_to_forward_ms_p50/_max (mrsh, kernel) and ratio_join_to_forward: Debian's pimd
//    2.3 as DR and RP of one router, a receiver's IGMP join to its first datagram while the
//    source already flows (bench/daemon-pimd.ts, run as a child; goal ratio <= 1.5).
// Prints a table, the command that reproduces it, and last one JSON line. Without
// `mrsh exec` (or its endpoint) it prints the kernel figures, says what is missing, and
// exits 1.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../src/control/client.js';
import { A, INSTALLED_CLI as CLI, Lab, MrshDaemon, Smcrouted, mrshExecMissing, poll, smcrouteMissing, type Mode } from '../test/e2e/smcroute-lab.js';
import { sh } from '../test/dataplane/links/helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}bench/out`;
const args = process.argv.slice(2);
const opt = (k: string, d: number): number => (args.includes(`--${k}`) ? Number(args[args.indexOf(`--${k}`) + 1]) : d);
const QUICK = args.includes('--quick');
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const PAIRS = opt('pairs', QUICK ? 5 : 7);
const ADDS = opt('adds', QUICK ? 20000 : 50000);
const SAMPLES = opt('samples', QUICK ? 30 : 60);
const ROUNDS = opt('rounds', QUICK ? 2 : 4);
const MAX_RATE = 600_000;
const GAP_MS = 1;
const MAX_PER_SAMPLE = 200;
const LAT_GROUP = '239.1.2.3';
const LAT_PORT = 5600;
const PPS_GROUP = '239.1.9.9';
const PPS_PORT = 5601;
const ROUTER_CORE = '0';
const OTHER_CORE = '1';

function compile(): void {
  mkdirSync(out, { recursive: true });
  for (const p of ['mfc-adds', 'mcgen']) {
    const r = spawnSync('cc', ['-O2', '-Wall', '-o', `${out}/${p}`, `${root}bench/lib/${p}.c`], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`cc ${p}.c failed`);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};
const pctile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const fmt = (n: number | null | undefined, digits = 0): string =>
  n === null || n === undefined || Number.isNaN(n) ? '-' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** the daemon and its threads on one core */
function pin(pid: number | undefined, core: string): void {
  if (pid) spawnSync('taskset', ['-a', '-p', '-c', core, String(pid)], { stdio: 'ignore' });
}

// ---------------------------------------------------------------------------------------
// 1. MRT_ADD_MFC throughput
// ---------------------------------------------------------------------------------------
interface AddsRun {
  adds: number;
  secs: number;
  adds_per_s: number;
  version: number;
}

function parseAdds(what: string, r: { status: number | null; stdout: string | Buffer; stderr: string | Buffer }): AddsRun {
  const lines = String(r.stdout ?? '').trim().split('\n');
  const last = lines.at(-1) ?? '';
  if (r.status !== 0 || !last.startsWith('{')) throw new Error(`${what}: mfc-adds exited ${r.status}: ${String(r.stderr ?? '')}${String(r.stdout ?? '')}`);
  return JSON.parse(last) as AddsRun;
}

function addsNs(name: string): { ns: string; ifindex: number } {
  sh('ip', ['netns', 'del', name], { allowFail: true });
  sh('ip', ['netns', 'add', name]);
  sh('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  sh('ip', ['netns', 'exec', name, 'ip', 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
  sh('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'v0', 'up']);
  sh('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'v1', 'up']);
  return { ns: name, ifindex: Number(sh('ip', ['netns', 'exec', name, 'cat', '/sys/class/net/v0/ifindex']).trim()) };
}

async function mfcAdds(lab: Lab, mrshOk: boolean): Promise<{ kernel: number[]; mrsh: number[]; ratios: number[] }> {
  const k = addsNs(`${lab.ns.prefix}-ak`);
  const m = addsNs(`${lab.ns.prefix}-am`);
  lab.ns.names.push(k.ns, m.ns);
  const argv = (ifindex: number) => [`${out}/mfc-adds`, '--adds', String(ADDS), '--vif-ifindex', String(ifindex)];
  const res = { kernel: [] as number[], mrsh: [] as number[], ratios: [] as number[] };
  for (let p = 0; p < PAIRS; p++) {
    const kr = parseAdds('kernel', spawnSync('ip', ['netns', 'exec', k.ns, ...argv(k.ifindex)], { encoding: 'utf8', timeout: 120_000 }));
    res.kernel.push(kr.adds_per_s);
    if (!mrshOk) continue;
    // a fresh daemon per pair: every run starts on an empty table
    const d = new MrshDaemon(lab, `adds${p}`, m.ns, CLI);
    try {
      await d.ready();
      const r = await spawnAsync('ip', ['netns', 'exec', m.ns, ...CLI, 'exec', '--socket', d.socket, '--', ...argv(m.ifindex)], 180_000);
      const mr = parseAdds(`mrsh exec (daemon log:\n${d.log.slice(-2000)})`, r);
      if (mr.version !== kr.version) throw new Error(`MRT_VERSION: mrsh says ${mr.version}, the kernel ${kr.version}`);
      res.mrsh.push(mr.adds_per_s);
      res.ratios.push(mr.adds_per_s / kr.adds_per_s);
    } finally {
      await d.stop();
    }
  }
  return res;
}

function spawnAsync(cmd: string, argv: string[], timeoutMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('exit', (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------
// 2. NOCACHE to first forwarded packet, with smcroute's (*,G) rule
// ---------------------------------------------------------------------------------------
const PROBE_SENDER = `
const dgram = require('node:dgram');
const [group, port, gap, max] = process.argv.slice(1).map((x, i) => (i ? Number(x) : x));
const live = new Map();
const stop = (idx) => { const st = live.get(idx); if (!st) return; live.delete(idx); clearTimeout(st.timer); st.s.close(); };
require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => {
  const [cmd, idx, src] = l.split(' ');
  if (cmd === 'stop') return stop(idx);
  const s = dgram.createSocket('udp4');
  s.bind(0, src, () => {
    s.setMulticastInterface(src); s.setMulticastTTL(8); s.setMulticastLoopback(false);
    const st = { s, timer: null };
    live.set(idx, st);
    let k = 0;
    const t0 = process.hrtime.bigint();
    const tick = () => {
      if (!live.has(idx)) return;
      s.send(idx + ' ' + t0 + ' ' + k, port, group);
      if (++k >= max) return stop(idx);
      st.timer = setTimeout(tick, gap);
    };
    tick();
  });
});
process.stdin.on('end', () => process.exit(0));
console.log('ready');
`;

const PROBE_RECEIVER = `
const s = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true });
const [group, port, ifaddr] = process.argv.slice(1);
const seen = new Set();
s.on('message', (m) => {
  const now = process.hrtime.bigint();
  const [idx, t0, k] = m.toString().split(' ');
  if (seen.has(idx)) return;
  seen.add(idx);
  console.log('got ' + idx + ' ' + (now - BigInt(t0)) + ' ' + k);
});
s.bind(Number(port), () => { s.addMembership(group, ifaddr); console.log('ready'); });
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`;

class LineChild {
  readonly child: ChildProcess;
  private waiters: { pred: (l: string) => boolean; res: (l: string | null) => void; t: NodeJS.Timeout }[] = [];
  constructor(lab: Lab, ns: string, script: string, argv: string[]) {
    this.child = lab.track(spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script, ...argv], { stdio: ['pipe', 'pipe', 'inherit'], detached: true }));
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      const i = this.waiters.findIndex((w) => w.pred(l));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        clearTimeout(w!.t);
        w!.res(l);
      } else this.early.push(l);
    });
  }
  /** lines no one waited for yet ("ready" before the caller asks, a late "got") */
  private early: string[] = [];
  next(pred: (l: string) => boolean, timeoutMs: number): Promise<string | null> {
    const j = this.early.findIndex(pred);
    if (j >= 0) return Promise.resolve(this.early.splice(j, 1)[0]!);
    return new Promise((res) => {
      const w = { pred, res, t: setTimeout(() => ((this.waiters = this.waiters.filter((x) => x !== w)), res(null)), timeoutMs) };
      this.waiters.push(w);
    });
  }
  write(l: string): void {
    this.child.stdin!.write(l + '\n');
  }
  end(): void {
    this.child.stdin!.end();
  }
}

const latencySource = (i: number): string => `192.0.2.${10 + i}`;

async function latencyRound(lab: Lab, mode: Mode, round: number): Promise<{ ms: number[]; lost: number; heldFirst: number }> {
  const d = mode === 'mrsh' ? new MrshDaemon(lab, `lat${round}`, lab.R, CLI) : null;
  let s: Smcrouted | null = null;
  const rx = new LineChild(lab, lab.O[0]!, PROBE_RECEIVER, [LAT_GROUP, String(LAT_PORT), A.o4[0]!]);
  const tx = new LineChild(lab, lab.S, PROBE_SENDER, [LAT_GROUP, String(LAT_PORT), String(GAP_MS), String(MAX_PER_SAMPLE)]);
  try {
    if (d) await d.ready();
    const conf = ['phyint r0 enable', 'phyint r1 enable', 'phyint r2 enable', `mroute from r0 group ${LAT_GROUP} to r1`, ''].join('\n');
    s = new Smcrouted(lab, `lat${round}-${mode}`, conf, mode, d?.socket);
    await s.ready();
    const [rr, tr] = await Promise.all([rx.next((l) => l === 'ready', 10_000), tx.next((l) => l === 'ready', 10_000)]);
    if (!rr || !tr) throw new Error('latency probes did not start');
    const ms: number[] = [];
    let lost = 0;
    let heldFirst = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const idx = `${round}.${i}`;
      const got = rx.next((l) => l.startsWith(`got ${idx} `), 3000);
      tx.write(`go ${idx} ${latencySource(i)}`);
      const l = await got;
      tx.write(`stop ${idx}`);
      if (!l) {
        lost++;
        continue;
      }
      const [, , ns, k] = l.split(' ');
      ms.push(Number(ns) / 1e6);
      if (k === '0') heldFirst++;
    }
    if (mode === 'mrsh') {
      const km = lab.kernelMroute();
      if (km.vif4.length || km.mfc4.length) throw new Error(`mrsh round used the kernel's multicast routing: ${JSON.stringify(km)}`);
    }
    return { ms, lost, heldFirst };
  } finally {
    rx.end();
    tx.end();
    await s?.stop();
    await d?.stop();
  }
}

// ---------------------------------------------------------------------------------------
// 3. forwarding: smcroute's (S,G) state on mrsh against mrsh's own `mfc add`
// ---------------------------------------------------------------------------------------
function rxPackets(lab: Lab): number[] {
  return lab.O.map((ns) => lab.rxPackets(ns, 'o0'));
}

/**
 * Offered rates climb by 10 % from 50k pps, 1 s each (25 % steps made one step a ratio of 0.8), until two steps in a row lose more
 * than 5 % without forwarding more, the sender cannot offer more, or MAX_RATE; the figure
 * is the peak forwarded rate, with its step's offered rate and loss.
 */
function ladder(lab: Lab): { pps: number; offered: number; loss: number; limit: string } {
  let best = { pps: 0, offered: 0, loss: 0, limit: `the ladder's top (${fmt(MAX_RATE)} pps)` };
  let lossy = 0;
  for (let rate = 50_000; rate <= MAX_RATE; rate = Math.round(rate * 1.1)) {
    const before = rxPackets(lab);
    const gen = spawnSync(
      'taskset',
      ['-c', OTHER_CORE, 'ip', 'netns', 'exec', lab.S, `${out}/mcgen`, '--if', A.s4, '--group-base', PPS_GROUP, '--groups', '1', '--port', String(PPS_PORT), '--size', '64', '--duration', '1', '--rate', String(rate)],
      { encoding: 'utf8' },
    );
    if (gen.status !== 0) throw new Error(`mcgen failed: ${gen.stderr}`);
    const m = /sent (\d+) packets in ([\d.]+) s/.exec(gen.stdout);
    const sent = Number(m?.[1]);
    const el = Number(m?.[2]);
    // let the forwarder drain: until the receivers' counters stop moving
    let last = rxPackets(lab);
    for (let i = 0; i < 50; i++) {
      spawnSync('sleep', ['0.05']);
      const now = rxPackets(lab);
      if (now.every((v, j) => v === last[j])) break;
      last = now;
    }
    const got = last.map((v, j) => v - before[j]!);
    const pps = got.reduce((a, b) => a + b, 0) / got.length / el;
    const loss = 1 - Math.min(...got) / sent;
    const more = pps > best.pps * 1.02;
    if (pps > best.pps) best = { ...best, pps, offered: sent / el, loss };
    lossy = loss > 0.05 && !more ? lossy + 1 : 0;
    if (lossy >= 2) {
      best.limit = 'the forwarder (loss)';
      break;
    }
    if (sent / el < rate * 0.9) {
      best.limit = "the sender's ceiling";
      break;
    }
  }
  return best;
}

async function forwardRuns(lab: Lab): Promise<{ smcroute: number[]; static: number[]; detail: string[] }> {
  const d = new MrshDaemon(lab, 'pps', lab.R, CLI);
  const res = { smcroute: [] as number[], static: [] as number[], detail: [] as string[] };
  try {
    await d.ready();
    pin(d.child.pid, ROUTER_CORE);
    const c = await ControlClient.connect(d.socket);
    const must = async (line: string): Promise<void> => {
      const r = await c.request(line);
      if (!r.ok) throw new Error(`${line}: ${r.error.message}`);
    };
    try {
      const viaSmcroute = async (r: number): Promise<void> => {
        // smcrouted's (S,G) rule, under mrsh exec
        const conf = ['phyint r0 enable', 'phyint r1 enable', 'phyint r2 enable', `mroute from r0 source ${A.s4} group ${PPS_GROUP} to r1 r2`, ''].join('\n');
        const s = new Smcrouted(lab, `pps${r}`, conf, 'mrsh', d.socket);
        try {
          await s.ready();
          pin(s.pid, OTHER_CORE);
          const a = ladder(lab);
          res.smcroute.push(a.pps);
          res.detail.push(`round ${r + 1} smcroute: ${fmt(a.pps)} pps at ${fmt(a.offered)} offered (${(a.loss * 100).toFixed(1)} % lost; limit: ${a.limit})`);
        } finally {
          await s.stop();
        }
      };
      const viaMfcAdd = async (r: number): Promise<void> => {
        // mrsh's own entry for the same flow, once the routing socket is free
        const end = Date.now() + 10_000;
        for (;;) {
          const ok = await c.request('mrt init ipv4');
          if (ok.ok) break;
          if (Date.now() > end) throw new Error(`mrt init ipv4 after smcrouted stopped: ${ok.error.message}`);
          await poll(() => false, 50);
        }
        await must('vif add 0 dev r0');
        await must('vif add 1 dev r1');
        await must('vif add 2 dev r2');
        await must(`mfc add ${A.s4} ${PPS_GROUP} iif 0 oif 1 oif 2`);
        const b = ladder(lab);
        res.static.push(b.pps);
        res.detail.push(`round ${r + 1} mfc add:  ${fmt(b.pps)} pps at ${fmt(b.offered)} offered (${(b.loss * 100).toFixed(1)} % lost; limit: ${b.limit})`);
        await must('mrt done ipv4');
      };
      // ABBA: neither side always runs first
      for (let r = 0; r < ROUNDS; r++) {
        if (r % 2 === 0) {
          await viaSmcroute(r);
          await viaMfcAdd(r);
        } else {
          await viaMfcAdd(r);
          await viaSmcroute(r);
        }
      }
    } finally {
      c.close();
    }
  } finally {
    await d.stop();
  }
  return res;
}

// ---------------------------------------------------------------------------------------
async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('bench/daemon.ts needs root (network namespaces, veth, raw sockets)');
    console.log(JSON.stringify({ error: 'not root' }));
    process.exit(1);
  }
  const noSmc = smcrouteMissing();
  if (noSmc) {
    console.error(noSmc);
    console.log(JSON.stringify({ error: noSmc }));
    process.exit(1);
  }
  compile();
  const missing = mrshExecMissing();
  if (missing) console.error(`bench:daemon: ${missing}; only the kernel figures are measured`);
  const lab = new Lab(`mrsh-bd-${process.pid}`);
  process.on('SIGINT', () => {
    lab.cleanup();
    process.exit(130);
  });
  const res: Record<string, number | string | null> = {};
  const table: [string, string, string, string][] = [];
  const pps: [string, string, string, string][] = [];
  const detail: string[] = [];
  try {
    lab.build();
    for (let i = 0; i < SAMPLES; i++) sh('ip', ['netns', 'exec', lab.S, 'ip', 'addr', 'add', `${latencySource(i)}/24`, 'dev', 's0']);

    // a figure not measured (--only) is null, never 0
    const adds = ONLY && ONLY !== 'adds' ? { kernel: [NaN], mrsh: [NaN], ratios: [NaN] } : await mfcAdds(lab, !missing);
    const kAdds = median(adds.kernel);
    const mAdds = missing ? null : median(adds.mrsh);
    res.mfc_adds_per_s_shim = mAdds;
    res.mfc_adds_per_s_kernel = kAdds;
    res.ratio_mfc_adds = missing ? null : median(adds.ratios);
    res.ratio_mfc_adds_min = missing ? null : Math.min(...adds.ratios);
    res.ratio_mfc_adds_max = missing ? null : Math.max(...adds.ratios);
    res.mfc_adds_n = ADDS;
    res.mfc_adds_pairs = PAIRS;
    const ratioTxt = res.ratio_mfc_adds === null ? '-' : `${fmt(res.ratio_mfc_adds as number, 2)} (${fmt(res.ratio_mfc_adds_min as number, 2)}-${fmt(res.ratio_mfc_adds_max as number, 2)})`;
    table.push([`MRT_ADD_MFC/s (${fmt(ADDS)} adds, median of ${PAIRS} pairs)`, fmt(kAdds), fmt(mAdds), ratioTxt]);
    detail.push(`mfc adds per pair (kernel / mrsh): ${adds.kernel.map((k, i) => `${fmt(k)} / ${fmt(adds.mrsh[i])}`).join(', ')}`);

    const lat: Record<Mode, { ms: number[]; lost: number; heldFirst: number }> = { kernel: { ms: [], lost: 0, heldFirst: 0 }, mrsh: { ms: [], lost: 0, heldFirst: 0 } };
    for (let r = 0; r < (ONLY && ONLY !== 'nocache' ? 0 : ROUNDS); r++) {
      for (const mode of ['kernel', 'mrsh'] as const) {
        if (mode === 'mrsh' && missing) continue;
        const x = await latencyRound(lab, mode, r);
        lat[mode].ms.push(...x.ms);
        lat[mode].lost += x.lost;
        lat[mode].heldFirst += x.heldFirst;
      }
    }
    const q = (m: Mode, p: number): number | null => (lat[m].ms.length ? Math.round(pctile(lat[m].ms, p) * 1000) / 1000 : null);
    res.nocache_to_forward_ms_p50_mrsh = q('mrsh', 50);
    res.nocache_to_forward_ms_p99_mrsh = q('mrsh', 99);
    res.nocache_to_forward_ms_p50_kernel = q('kernel', 50);
    res.nocache_to_forward_ms_p99_kernel = q('kernel', 99);
    res.nocache_samples = SAMPLES * ROUNDS;
    res.nocache_lost_mrsh = missing ? null : lat.mrsh.lost;
    res.nocache_lost_kernel = lat.kernel.lost;
    const lr = (p: number): string => {
      const a = q('mrsh', p);
      const b = q('kernel', p);
      return a !== null && b !== null ? fmt(a / b, 2) : '-';
    };
    table.push([`NOCACHE to forwarded, p50 (ms, ${SAMPLES * ROUNDS} new (S,G))`, fmt(q('kernel', 50), 3), fmt(q('mrsh', 50), 3), lr(50)]);
    table.push(['NOCACHE to forwarded, p99 (ms)', fmt(q('kernel', 99), 3), fmt(q('mrsh', 99), 3), lr(99)]);
    detail.push(`NOCACHE samples whose held first packet was the first forwarded: kernel ${lat.kernel.heldFirst}/${lat.kernel.ms.length}, mrsh ${lat.mrsh.heldFirst}/${lat.mrsh.ms.length}; none arrived in 3 s: kernel ${lat.kernel.lost}, mrsh ${missing ? '-' : lat.mrsh.lost}`);

    if (!missing && (!ONLY || ONLY === 'forward')) {
      const f = await forwardRuns(lab);
      res.smcroute_forward_pps = Math.round(median(f.smcroute));
      res.static_mfc_forward_pps = Math.round(median(f.static));
      res.ratio_smcroute_static = median(f.smcroute.map((v, i) => v / f.static[i]!));
      pps.push([`forwarded pps, 64 B, 1 (S,G) x 2 oifs (median of ${ROUNDS})`, fmt(res.static_mfc_forward_pps), fmt(res.smcroute_forward_pps), fmt(res.ratio_smcroute_static as number, 2)]);
      detail.push(...f.detail);
    } else {
      res.smcroute_forward_pps = null;
      res.static_mfc_forward_pps = null;
      res.ratio_smcroute_static = null;
    }
  } finally {
    lab.cleanup();
  }

  // join_to_forward_ms: pimd on the kernel vs under mrsh exec, its own topology and rounds
  // (bench/daemon-pimd.ts, one child: the last line of its output is its JSON)
  const pj = spawnSync(process.execPath, ['--import', 'tsx', 'bench/daemon-pimd.ts', '--rounds', String(QUICK ? 1 : ROUNDS), '--groups', String(QUICK ? 3 : 5)], { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8', timeout: 900_000 });
  const pjLast = (pj.stdout ?? '').trim().split('\n').pop() ?? '';
  let pjRes: Record<string, number | string> = {};
  try {
    pjRes = JSON.parse(pjLast);
  } catch {
    pjRes = { error: `bench/daemon-pimd.ts: no JSON (exit ${pj.status}): ${(pj.stderr ?? '').slice(-300)}` };
  }
  for (const k of ['join_to_forward_ms_p50_kernel', 'join_to_forward_ms_p50_mrsh', 'join_to_forward_ms_max_kernel', 'join_to_forward_ms_max_mrsh', 'ratio_join_to_forward']) res[k] = typeof pjRes[k] === 'number' ? (pjRes[k] as number) : null;
  if (pjRes.error || pjRes.missing) detail.push(`join_to_forward: ${pjRes.error ?? pjRes.missing}`);
  const jv = (k: string): string => (typeof res[k] === 'number' ? fmt(res[k] as number, 1) : '-');
  table.push(['join_to_forward_ms p50 (pimd: IGMP join to 1st datagram)', jv('join_to_forward_ms_p50_kernel'), jv('join_to_forward_ms_p50_mrsh'), typeof res.ratio_join_to_forward === 'number' ? fmt(res.ratio_join_to_forward as number, 2) : '-']);

  const w = [52, 16, 18, 16];
  const row = (c: string[]): string => c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join(' ');
  console.log(row(['figure', 'kernel', 'mrsh (exec)', 'ratio mrsh/k']));
  for (const r of table) console.log(row(r));
  if (pps.length) {
    console.log(row(['mrsh daemon, same flow, interleaved', 'mrsh mfc add', 'smcroute (exec)', 'ratio smc/mfc']));
    for (const r of pps) console.log(row(r));
  }
  for (const l of detail) console.log(`  ${l}`);
  if (missing) console.log(`mrsh figures missing: ${missing}`);
  for (const k of Object.keys(res)) if (typeof res[k] === 'number') res[k] = Math.round((res[k] as number) * 1000) / 1000;
  if (missing) res.error = missing;
  console.log(`reproduce: sudo npm run bench:daemon${args.length ? ` -- ${args.join(' ')}` : ''}`);
  console.log(JSON.stringify(res));
  process.exit(missing ? 1 : 0);
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? String(e));
  process.exit(1);
});
