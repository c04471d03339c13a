// Forwarding benchmark: one input, three outputs, in network namespaces (bench/lib/topology.ts).
// The Linux kernel's own multicast forwarding (bench/lib/kernel-mroute.c) is the yardstick;
// mrsh runs in the router namespace as a child process (bench/lib/mrsh-forwarder.ts) on
// core 0, the sender and receivers' work on core 1.
//   node --import tsx bench/forward.ts [--pairs N] [--case 64|1400|1000_groups|100k_groups|2flows] [--step SECONDS]
//                                      [--quick] [--relay] [--verbose]
//                                      [--no-xdp] [--no-host-bypass] [--receivers-off-core] [--variant NAME=VALUE]
//                                      [--relay-floor]
// Prints a table and, as its last line, a JSON object of the figures.
// Each case (64 B and 1400 B with 1 (S,G); 64 B with 1,000 and 100,000 groups round-robin)
// runs as N interleaved pairs, kernel then mrsh (default 5; --quick: 64 B only, 3 pairs);
// every ratio is the median of the per-pair ratios with its min-max. Per run: the peak
// forwarded rate while the offered rate is raised in steps (see measure()), the loss-free
// rate (the most forwarded with <= 0.1 % lost), and the router core's cost per packet at
// the highest offered rate both sides of the pair carried loss-free: CPU cycles from
// `perf stat -C 0` where the machine has a PMU, else core 0's busy time (/proc/stat),
// softirq included, so the kernel's forwarding is counted. Figures are input packets/s
// (mean over the three receivers); sizes are IP datagram bytes.
// 2flows: 64 B, two (S,G) on a 2-queue input veth, kernel then mrsh with 1 and with 2
// forwarding workers (`mrt workers`), each pair interleaved; mrsh may use both cores there.
// --relay runs the links-only relay instead of the Router; --relay-floor adds it as a
// further run in every pair, beside the Router: what the same links cost with no engine at
// all, the floor under any figure of mrsh's on this topology (ratio_relay_* keys).
// mrsh's packet links run with their defaults (src/dataplane/links/packet.ts: PACKET_MMAP
// RX and TX rings, PACKET_QDISC_BYPASS) plus the opt-in host bypass
// (MRSH_PACKET_HOST_BYPASS=1: a tcx ingress program drops multicast data frames on the
// router's interfaces after mrsh's packet socket has them, so the router namespace's IP
// stack does not also process every input frame - the kernel run needs that stack, mrsh
// does not). The harness itself is unchanged: same topology, same offered-rate ladder,
// the router's work on core 0 for both. --no-host-bypass runs mrsh without it.
// mrsh's packet links also take their multicast input through XDP (MRSH_PACKET_XDP=1,
// opt-in; --no-xdp runs without): an AF_XDP socket whose interface NAPI is threaded, its
// kthread moved to mrsh's core (core 0) and busy-polled from mrsh's receive calls - so
// r0's receive work stays on core 0 as RPS keeps it there for the kernel, minus the
// backlog and the inter-processor interrupt that wakes it (src/dataplane/links/packet.ts,
// native/mrsh_xsk.c).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildTopology, devCounter, teardown, type Topology } from './lib/topology.js';
import { routerAvailable } from './lib/mrsh-forwarder.js';
import { nativeUnavailableReason } from '../src/dataplane/links/native.js';
import { fmtSpread, fmtSpreadInt, spread } from './lib/anchor.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}bench/out`;
const args = process.argv.slice(2);
const STEP_SECS = Number(args.includes('--step') ? args[args.indexOf('--step') + 1] : 0) || 1.5;
const START_RATE = 40_000;
const LOSS_FREE = 0.001;
const PAIRS = Math.max(1, Number(args.includes('--pairs') ? args[args.indexOf('--pairs') + 1] : args.includes('--quick') ? 3 : 5));
const LOSS_STOP = 0.05;
const VERBOSE = args.includes('--verbose');
const ROUTER_CORE = '0';
const OTHER_CORE = '1';
const GROUP_BASE = '239.1.0.0';
/** --variant NAME=VALUE: a third run in every pair, mrsh with that environment variable
 * (e.g. MRSH_PACKET_TX_RING=0), reported beside mrsh's defaults: an A/B of a link setting
 * on the same ladder, interleaved like everything else */
const RELAY_FLOOR = args.includes('--relay-floor');
const VARIANT = args.includes('--variant') ? args[args.indexOf('--variant') + 1]! : null;
const VARIANT_ENV: Record<string, string> | null = VARIANT && /^[A-Z_][A-Z0-9_]*=/.test(VARIANT) ? { [VARIANT.split('=')[0]!]: VARIANT.slice(VARIANT.indexOf('=') + 1) } : null;
if (VARIANT && !VARIANT_ENV) {
  console.error(`--variant ${VARIANT}: expected NAME=VALUE (an environment variable for mrsh's runs)`);
  process.exit(2);
}
/** the first group of a run; the 2-flow case moves it (twoFlowsBase) */
let groupBase = GROUP_BASE;

interface Run {
  label: string;
  /** the peak forwarded rate over the offered-rate steps, and that step's figures */
  forwardedPps: number;
  offeredPps: number;
  routerRxPps: number;
  perReceiver: number[];
  /** the most forwarded with <= LOSS_FREE lost */
  lossFreePps: number;
  /** share of the router's core busy at the peak step */
  routerCoreBusy: number;
  steps: Step[];
}

function compile(): void {
  mkdirSync(out, { recursive: true });
  for (const p of ['kernel-mroute', 'mcgen', 'mcsink']) {
    const r = spawnSync('cc', ['-O2', '-Wall', '-o', `${out}/${p}`, `${root}bench/lib/${p}.c`], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`cc ${p}.c failed`);
  }
}

/** Start a child, resolve when it prints a line starting with "ready". */
function startReady(cmd: string, argv: string[], what: string, env?: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: env ? { ...process.env, ...env } : process.env });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not get ready in 20 s`)), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before ready`));
    });
    createInterface({ input: child.stdout! }).on('line', (l) => {
      lines.push(l);
      if (l.startsWith('ready')) {
        clearTimeout(timer);
        resolve({ child, lines });
      }
    });
  });
}

function stopChild(c: { child: ChildProcess; lines: string[] }): Promise<string[]> {
  return new Promise((resolve) => {
    if (c.child.exitCode !== null) return resolve(c.lines);
    const kill = setTimeout(() => c.child.kill('SIGKILL'), 5000);
    c.child.on('exit', () => {
      clearTimeout(kill);
      setTimeout(() => resolve(c.lines), 50); // let the last stdout lines arrive
    });
    c.child.kill('SIGTERM');
  });
}

/** jiffies [busy, total] of one CPU since boot */
function cpuTimes(cpu: string): [number, number] {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${cpu} `))!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return [total - v[3]! - (v[4] ?? 0), total]; // idle and iowait are not busy
}

interface Step {
  rate: number;
  /** the router core's cost per input packet: cycles (perf) or busy nanoseconds */
  costPerPkt: number;
  /** share of the router's core busy during the step */
  routerCoreBusy: number;
  offeredPps: number;
  routerRxPps: number;
  forwardedPps: number;
  perReceiver: number[];
  loss: number;
}

/** Run the sender in ns for `secs` at `rate` pps (0 = saturating) and measure what came out. */
function step(
  senderNs: string,
  senderIf: string[],
  rx: { ns: string; dev: string }[],
  routerIn: { ns: string; dev: string; counter?: string },
  size: number,
  groups: number,
  rate: number,
  secs: number,
): Step {
  const before = rx.map((r) => devCounter(r.ns, r.dev, 'rx_packets'));
  const inCounter = routerIn.counter ?? 'rx_packets';
  const rin0 = devCounter(routerIn.ns, routerIn.dev, inCounter);
  const c0 = cpuTimes(ROUTER_CORE);
  const perf = CYCLES ? spawn('perf', ['stat', '-x', ',', '-e', 'cycles', '-C', ROUTER_CORE, '--', 'sleep', String(secs)], { stdio: ['ignore', 'ignore', 'pipe'] }) : null;
  let perfOut = '';
  perf?.stderr!.on('data', (d: Buffer) => (perfOut += d));
  const gen = spawnSync(
    'taskset',
    ['-c', OTHER_CORE, 'ip', 'netns', 'exec', senderNs, `${out}/mcgen`, ...senderIf,
      '--group-base', groupBase, '--groups', String(groups), '--size', String(size), '--duration', String(secs), '--rate', String(rate)],
    { encoding: 'utf8' },
  );
  if (gen.status !== 0) throw new Error(`mcgen failed: ${gen.stderr}`);
  const c1 = cpuTimes(ROUTER_CORE);
  if (perf) spawnSync('sh', ['-c', `while kill -0 ${perf.pid} 2>/dev/null; do sleep 0.05; done`]);
  spawnSync('sleep', ['0.3']); // let queued packets drain before reading counters
  const m = /sent (\d+) packets in ([\d.]+) s/.exec(gen.stdout);
  const sent = m ? Number(m[1]) : NaN;
  const el = m ? Number(m[2]) : secs;
  const got = rx.map((r, i) => devCounter(r.ns, r.dev, 'rx_packets') - before[i]!);
  const routerRx = devCounter(routerIn.ns, routerIn.dev, inCounter) - rin0;
  const busy = (c1[0] - c0[0]) / Math.max(1, c1[1] - c0[1]);
  const cycles = perf ? Number(perfOut.trim().split('\n').at(-1)?.split(',')[0]) : NaN;
  return {
    rate,
    costPerPkt: (CYCLES ? cycles : busy * el * 1e9) / Math.max(1, routerRx),
    routerCoreBusy: busy,
    offeredPps: sent / el,
    routerRxPps: routerRx / el,
    forwardedPps: got.reduce((a, b) => a + b, 0) / got.length / el,
    perReceiver: got.map((g) => g / el),
    loss: 1 - Math.min(...got) / sent,
  };
}

/**
 * Offered rates climb by 25 % until two steps in a row lose more than LOSS_STOP without
 * forwarding more than the best so far, or the sender cannot offer more. The figure is the peak forwarded rate over the steps - not the
 * saturating run's, since more offered load can forward less (native-io.md pitfall 7) -
 * and the loss-free rate (<= LOSS_FREE lost) is shown beside it. On this kind of VM a single
 * stall loses a few % at any rate, so the loss-free figure is the noisier of the two; a
 * step that lost a little is tried twice (below).
 */
function measure(
  label: string,
  senderNs: string,
  senderIf: string[],
  rx: { ns: string; dev: string }[],
  routerIn: { ns: string; dev: string; counter?: string },
  size: number,
  groups: number,
  start: number,
): Run {
  const steps: Step[] = [];
  let best: Step | null = null;
  let peak = 0;
  let lossy = 0;
  for (let rate = start; lossy < 2; rate = Math.round(rate * 1.25)) {
    let st = step(senderNs, senderIf, rx, routerIn, size, groups, rate, STEP_SECS);
    // A step that lost a little (more than LOSS_FREE, less than LOSS_STOP) is run once more
    // and the better of the two kept: on this kind of VM one stall of the whole machine
    // loses that much at any rate, while a rate beyond what the forwarder carries loses in
    // both tries. Both sides of a pair get the same second chance.
    if (st.loss > LOSS_FREE && st.loss <= LOSS_STOP) {
      const again = step(senderNs, senderIf, rx, routerIn, size, groups, rate, STEP_SECS);
      if (again.loss < st.loss) st = again;
    }
    steps.push(st);
    if (st.loss <= LOSS_FREE && (!best || st.forwardedPps > best.forwardedPps)) best = st;
    // Stop once losing and no longer forwarding more than before.
    lossy = st.loss > LOSS_STOP && st.forwardedPps <= peak * 1.02 ? lossy + 1 : 0;
    peak = Math.max(peak, st.forwardedPps);
    if (st.offeredPps < rate * 0.9) break; // the sender's ceiling
  }
  if (VERBOSE) {
    for (const st of steps) {
      console.error(`  ${label}: offered ${fmt(st.offeredPps)} -> router in ${fmt(st.routerRxPps)} -> forwarded ${fmt(st.forwardedPps)} (loss ${(st.loss * 100).toFixed(2)} %, router core ${pct(st.routerCoreBusy)} busy)`);
    }
  }
  const top = steps.reduce((a, b) => (b.forwardedPps > a.forwardedPps ? b : a));
  return {
    label,
    forwardedPps: top.forwardedPps,
    offeredPps: top.offeredPps,
    routerRxPps: top.routerRxPps,
    perReceiver: top.perReceiver,
    lossFreePps: best?.forwardedPps ?? 0,
    routerCoreBusy: top.routerCoreBusy,
    steps,
  };
}

/** Both sides' cost per packet at the highest offered rate both carried loss-free (the
 * ladders of a pair climb the same rates), or null when they share none. */
function costAtCommonRate(k: Run, m: Run): { rate: number; kernel: number; mrsh: number } | null {
  for (const ks of [...k.steps].reverse()) {
    if (ks.loss > LOSS_FREE) continue;
    const ms = m.steps.find((x) => x.rate === ks.rate && x.loss <= LOSS_FREE);
    if (ms) return { rate: ks.rate, kernel: ks.costPerPkt, mrsh: ms.costPerPkt };
  }
  return null;
}

/** Whether perf can count cycles here (a VM often has no PMU: `<not supported>`). */
const CYCLES = (() => {
  const r = spawnSync('perf', ['stat', '-x', ',', '-e', 'cycles', '-C', ROUTER_CORE, '--', 'sleep', '0.05'], { encoding: 'utf8' });
  return r.status === 0 && /^\d+,/m.test(r.stderr);
})();

async function kernelRun(t: Topology, size: number, groups: number, start: number): Promise<Run> {
  const k = await startReady(
    'taskset',
    ['-c', ROUTER_CORE, 'ip', 'netns', 'exec', t.router, `${out}/kernel-mroute`,
      '--source', t.senderAddr, '--group-base', groupBase, '--groups', String(groups), t.iif, ...t.oifs],
    'kernel-mroute',
  );
  try {
    return measure(
      `kernel ${size} B, ${groups} group${groups > 1 ? 's' : ''}`,
      t.sender,
      ['--if', t.senderAddr],
      t.receivers.map((ns) => ({ ns, dev: 'o0' })),
      { ns: t.router, dev: t.iif },
      size,
      groups,
      start,
    );
  } finally {
    await stopChild(k);
  }
}

// ---------------------------------------------------------------------------------------
// MRSH RUNS. impl 'router' is the real Router (src/router/router.ts, dynamic import inside
// mrsh-forwarder.ts); until it exists only the links-only 'relay' can run, and the JSON
// reports the mrsh_* figures as null.
// ---------------------------------------------------------------------------------------
function forwarderArgs(impl: string, kind: string, iif: string, oifs: string[], source: string, groups: number, extra: string[] = [], cores = ROUTER_CORE): string[] {
  return ['-c', cores, process.execPath, '--import', 'tsx', `${root}bench/lib/mrsh-forwarder.ts`,
    '--impl', impl, '--kind', kind, '--iif', iif, '--oifs', oifs.join(','), '--source', source,
    '--group-base', groupBase, '--groups', String(groups), ...extra];
}

/** workers: forwarding worker threads (mrt workers); the process may then use both cores */
async function mrshPacketRun(t: Topology, impl: 'router' | 'relay', size: number, groups: number, start: number, workers = 0, variantEnv: Record<string, string> | null = null): Promise<Run> {
  const extra = workers > 0 ? ['--workers', String(workers)] : [];
  const f = await startReady(
    'ip',
    ['netns', 'exec', t.router, 'taskset', ...forwarderArgs(impl, 'packet', t.iif, t.oifs, t.senderAddr, groups, extra, workers > 0 ? `${ROUTER_CORE},${OTHER_CORE}` : ROUTER_CORE)],
    `mrsh-forwarder (${impl}, packet${workers ? `, ${workers} workers` : ''}${variantEnv ? `, ${VARIANT}` : ''})`,
    {
      ...(args.includes('--no-host-bypass') ? {} : { MRSH_PACKET_HOST_BYPASS: process.env.MRSH_PACKET_HOST_BYPASS ?? '1' }),
      ...(args.includes('--no-xdp') ? {} : { MRSH_PACKET_XDP: process.env.MRSH_PACKET_XDP ?? '1' }),
      ...(variantEnv ?? {}),
    },
  );
  let run: Run | null = null;
  try {
    run = measure(
      `mrsh ${impl} packet ${size} B, ${groups} group${groups > 1 ? 's' : ''}${workers ? `, ${workers} worker${workers > 1 ? 's' : ''}` : ''}${variantEnv ? `, ${VARIANT}` : ''}`,
      t.sender,
      ['--if', t.senderAddr],
      t.receivers.map((ns) => ({ ns, dev: 'o0' })),
      { ns: t.router, dev: t.iif },
      size,
      groups,
      start,
    );
    return run;
  } finally {
    const lines = await stopChild(f);
    const last = lines.at(-1);
    if (last?.startsWith('{')) {
      summaries.push(last);
      // say which input path was measured: XDP silently falling back would mislabel the row
      const vifs = (JSON.parse(last) as { vifs?: { link?: { xdp?: boolean } }[] }).vifs;
      if (run && vifs?.[0]?.link?.xdp) run.label += ' (xdp)';
    }
  }
}

// TUN: the sender sits in the router namespace and sends out of mt-in; mrsh reads mt-in
// and writes to mt-o1..3, whose rx counters count what mrsh delivered to the host.
async function mrshTunRun(t: Topology, impl: 'router' | 'relay', size: number, groups: number): Promise<Run> {
  const oifs = ['mt-o1', 'mt-o2', 'mt-o3'];
  const f = await startReady(
    'ip',
    ['netns', 'exec', t.router, 'taskset', ...forwarderArgs(impl, 'tun', 'mt-in', oifs, '203.0.113.1', groups, ['--iif-addr', '203.0.113.1/24'])],
    `mrsh-forwarder (${impl}, tun)`,
  );
  try {
    return measure(
      `mrsh ${impl} tun ${size} B, ${groups} group${groups > 1 ? 's' : ''}`,
      t.router,
      ['--ifname', 'mt-in'],
      oifs.map((dev) => ({ ns: t.router, dev })),
      // the host sends into mt-in: its tx counter is what reached mrsh's TUN
      { ns: t.router, dev: 'mt-in', counter: 'tx_packets' },
      size,
      groups,
      START_RATE,
    );
  } finally {
    const lines = await stopChild(f);
    const last = lines.at(-1);
    if (last?.startsWith('{')) summaries.push(last);
  }
}

const summaries: string[] = [];

/**
 * The first of two consecutive groups whose (S,G) the workers' fanout program
 * (native/mrsh_bpf.c fanout_prog: (src ^ dst) * 0x9e3779b1, h ^ h >> 16, mod members) gives
 * to different members of two: so the two flows are one per worker.
 */
function twoFlowsBase(source: string): string {
  const u32 = (a: string): number => a.split('.').reduce((x, y) => x * 256 + Number(y), 0) >>> 0;
  const member = (s: number, g: number): number => {
    let h = Math.imul((s ^ g) >>> 0, 0x9e3779b1) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    return h % 2;
  };
  const s = u32(source);
  for (let g = u32('239.2.0.0'); ; g++) {
    if (member(s, g) !== member(s, g + 1)) return [g >>> 24, (g >>> 16) & 255, (g >>> 8) & 255, g & 255].join('.');
  }
}

interface TwoFlows {
  kernel: Run[];
  one: Run[];
  two: Run[];
}

/**
 * 64 B, 2 (S,G) on a 2-queue input veth: the kernel, then mrsh with 1 and with 2
 * forwarding workers (taskset to both cores, fanout input, no XDP: one path for both),
 * interleaved in pairs. The sender shares core 1 with the second worker on this machine.
 */
async function twoFlowsRuns(): Promise<TwoFlows> {
  const t = buildTopology(`mrsh-b2-${process.pid}`, 3, { inputQueues: 2 });
  const r: TwoFlows = { kernel: [], one: [], two: [] };
  const saved = { base: groupBase, xdp: process.env.MRSH_PACKET_XDP };
  groupBase = twoFlowsBase(t.senderAddr);
  process.env.MRSH_PACKET_XDP = '0';
  try {
    let start = START_RATE;
    for (let p = 0; p < PAIRS; p++) {
      const k = await kernelRun(t, 64, 2, start);
      r.kernel.push(k);
      const m1 = await mrshPacketRun(t, 'router', 64, 2, start, 1);
      r.one.push(m1);
      const m2 = await mrshPacketRun(t, 'router', 64, 2, start, 2);
      r.two.push(m2);
      start = Math.max(START_RATE, Math.round(Math.min(k.forwardedPps, m1.forwardedPps, m2.forwardedPps) / 2));
    }
    return r;
  } finally {
    groupBase = saved.base;
    if (saved.xdp === undefined) delete process.env.MRSH_PACKET_XDP;
    else process.env.MRSH_PACKET_XDP = saved.xdp;
    teardown(t);
  }
}

const pct = (x: number): string => `${Math.round(x * 100)} %`;

function fmt(n: number | null | undefined): string {
  return n === null || n === undefined || Number.isNaN(n) ? '-' : Math.round(n).toLocaleString('en-US');
}

interface Case {
  key: string;
  size: number;
  groups: number;
}

const CASES: Case[] = [
  { key: '64', size: 64, groups: 1 },
  { key: '1400', size: 1400, groups: 1 },
  { key: '1000_groups', size: 64, groups: 1000 },
  { key: '100k_groups', size: 64, groups: 100_000 },
];

interface CaseResult {
  c: Case;
  kernel: Run[];
  mrsh: Run[];
  /** --variant's runs, and per pair their peak and loss-free rates over mrsh's defaults */
  variant: Run[];
  variantPeak: number[];
  variantLossFree: number[];
  /** per pair: the variant's cost per packet over the default's, at a rate both carried loss-free */
  variantCost: number[];
  /** --relay-floor's runs, and per pair their figures over the kernel's */
  relay: Run[];
  relayPeak: number[];
  relayLossFree: number[];
  relayCost: number[];
  /** per pair: mrsh / kernel */
  peak: number[];
  lossFree: number[];
  cost: number[];
  costRates: number[];
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('bench/forward.ts needs root (network namespaces, veth, TUN)');
    console.log(JSON.stringify({ error: 'not root' }));
    process.exit(1);
  }
  compile();
  const nativeWhy = nativeUnavailableReason();
  const impl: 'router' | 'relay' = routerAvailable() && !args.includes('--relay') ? 'router' : 'relay';
  const t = buildTopology(undefined, undefined, args.includes('--receivers-off-core') ? { receiversCpu: OTHER_CORE } : {});
  const cleanup = (): void => teardown(t);
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const quick = args.includes('--quick');
  const results: CaseResult[] = [];
  let tun: Run | null = null;
  try {
    if (nativeWhy) console.error(`mrsh runs skipped: ${nativeWhy}`);
    const only = args.includes('--case') ? args[args.indexOf('--case') + 1] : null;
    for (const c of only ? CASES.filter((x) => x.key === only) : quick ? CASES.slice(0, 1) : CASES) {
      const r: CaseResult = { c, kernel: [], mrsh: [], variant: [], variantPeak: [], variantLossFree: [], variantCost: [], relay: [], relayPeak: [], relayLossFree: [], relayCost: [], peak: [], lossFree: [], cost: [], costRates: [] };
      // the next pair's ladders start at half the last peak both reached: same rates on both sides
      let start = START_RATE;
      for (let p = 0; p < PAIRS; p++) {
        const k = await kernelRun(t, c.size, c.groups, start);
        r.kernel.push(k);
        if (nativeWhy) continue;
        const m = await mrshPacketRun(t, impl, c.size, c.groups, start);
        r.mrsh.push(m);
        r.peak.push(m.forwardedPps / k.forwardedPps);
        if (k.lossFreePps > 0) r.lossFree.push(m.lossFreePps / k.lossFreePps);
        const cost = costAtCommonRate(k, m);
        if (cost) {
          r.cost.push(cost.mrsh / cost.kernel);
          r.costRates.push(cost.rate);
        }
        if (VARIANT_ENV && impl === 'router') {
          const v = await mrshPacketRun(t, impl, c.size, c.groups, start, 0, VARIANT_ENV);
          r.variant.push(v);
          r.variantPeak.push(v.forwardedPps / Math.max(1, m.forwardedPps));
          if (m.lossFreePps > 0) r.variantLossFree.push(v.lossFreePps / m.lossFreePps);
          const vc = costAtCommonRate(m, v);
          if (vc) r.variantCost.push(vc.mrsh / vc.kernel);
        }
        if (RELAY_FLOOR && impl === 'router') {
          const f = await mrshPacketRun(t, 'relay', c.size, c.groups, start);
          r.relay.push(f);
          r.relayPeak.push(f.forwardedPps / k.forwardedPps);
          if (k.lossFreePps > 0) r.relayLossFree.push(f.lossFreePps / k.lossFreePps);
          const fc = costAtCommonRate(k, f);
          if (fc) r.relayCost.push(fc.mrsh / fc.kernel);
        }
        start = Math.max(START_RATE, Math.round(Math.min(k.forwardedPps, m.forwardedPps) / 2));
      }
      results.push(r);
    }
    if (!nativeWhy) tun = await mrshTunRun(t, impl, 64, 1);
  } finally {
    cleanup();
  }
  const only2 = args.includes('--case') ? args[args.indexOf('--case') + 1] === '2flows' : !quick;
  const two = !nativeWhy && impl === 'router' && only2 ? await twoFlowsRuns() : null;

  const real = impl === 'router';
  const med = (xs: number[]): number | null => (xs.length ? spread(xs).median : null);
  const res: Record<string, number | string | null> = {};
  const get = (key: string): CaseResult | undefined => results.find((r) => r.c.key === key);
  const peaks = (runs: Run[]): number[] => runs.map((x) => x.forwardedPps);
  // the keys of earlier versions, now medians over the pairs
  res.kernel_pps_64 = med(peaks(get('64')?.kernel ?? []));
  res.kernel_pps_1400 = med(peaks(get('1400')?.kernel ?? []));
  res.kernel_pps_1000_groups = med(peaks(get('1000_groups')?.kernel ?? []));
  res.kernel_pps_100k_groups = med(peaks(get('100k_groups')?.kernel ?? []));
  const mr = (key: string): number | null => (real ? med(peaks(get(key)?.mrsh ?? [])) : null);
  res.mrsh_packet_pps_64 = mr('64');
  res.mrsh_tun_pps_64 = real && tun ? tun.forwardedPps : null;
  res.ratio_packet_64 = real ? med(get('64')?.peak ?? []) : null;
  res.mrsh_packet_pps_1400 = mr('1400');
  res.ratio_packet_1400 = real ? med(get('1400')?.peak ?? []) : null;
  res.mrsh_packet_pps_1000_groups = mr('1000_groups');
  res.ratio_packet_1000_groups = real ? med(get('1000_groups')?.peak ?? []) : null;
  res.mrsh_packet_pps_100k_groups = mr('100k_groups');
  res.ratio_packet_100k_groups = real ? med(get('100k_groups')?.peak ?? []) : null;
  res.ratio_lossfree_64 = real ? med(get('64')?.lossFree ?? []) : null;
  res.ratio_lossfree_1400 = real ? med(get('1400')?.lossFree ?? []) : null;
  res.ratio_cycles_64 = real && CYCLES ? med(get('64')?.cost ?? []) : null;
  res.ratio_cpu_time_64 = real && !CYCLES ? med(get('64')?.cost ?? []) : null;
  res.cost_unit = CYCLES ? 'cycles (perf stat -C 0)' : 'core 0 busy ns (/proc/stat; perf: cycles not supported here)';
  res.pairs = PAIRS;
  if (VARIANT_ENV) {
    res.variant = VARIANT;
    for (const r of results) {
      if (!r.variant.length) continue;
      res[`variant_pps_${r.c.key}`] = med(peaks(r.variant));
      res[`ratio_variant_over_default_${r.c.key}`] = med(r.variantPeak);
      res[`ratio_variant_over_default_lossfree_${r.c.key}`] = med(r.variantLossFree);
      res[`ratio_variant_over_default_cost_${r.c.key}`] = med(r.variantCost);
    }
  }
  for (const r of results) {
    if (!r.relay.length) continue;
    res[`relay_pps_${r.c.key}`] = med(peaks(r.relay));
    res[`ratio_relay_${r.c.key}`] = med(r.relayPeak);
    res[`ratio_relay_lossfree_${r.c.key}`] = med(r.relayLossFree);
    res[`ratio_relay_cost_${r.c.key}`] = med(r.relayCost);
  }
  // 2 flows on a 2-queue input, 1 and 2 forwarding workers (twoFlowsRuns)
  res.kernel_pps_2flows = two ? med(peaks(two.kernel)) : null;
  res.mrsh_1worker_pps_2flows = two ? med(peaks(two.one)) : null;
  res.mrsh_2workers_pps_2flows = two ? med(peaks(two.two)) : null;
  const perPair = (a: Run[], b: Run[], f: (x: Run) => number): number[] => a.map((x, i) => f(x) / Math.max(1, f(b[i]!)));
  const twoSp = two ? { w1: spread(perPair(two.one, two.kernel, (x) => x.forwardedPps)), w2: spread(perPair(two.two, two.kernel, (x) => x.forwardedPps)), sc: spread(perPair(two.two, two.one, (x) => x.forwardedPps)), lf: spread(perPair(two.two, two.one, (x) => Math.max(1, x.lossFreePps))) } : null;
  res.ratio_1worker_2flows = twoSp ? twoSp.w1.median : null;
  res.ratio_2workers_2flows = twoSp ? twoSp.w2.median : null;
  res.scaling_2workers_2flows = twoSp ? twoSp.sc.median : null;
  res.scaling_2workers_2flows_min = twoSp ? twoSp.sc.min : null;
  res.scaling_2workers_2flows_max = twoSp ? twoSp.sc.max : null;
  res.scaling_2workers_2flows_lossfree = twoSp ? twoSp.lf.median : null;
  if (!real) {
    // Links-only ceiling while the Router is not there: reported apart, never as mrsh_*.
    res.relay_packet_pps_64 = med(peaks(get('64')?.mrsh ?? []));
    res.relay_tun_pps_64 = tun?.forwardedPps ?? null;
  }

  const w = [44, 12, 12, 12, 12, 12];
  const row = (c: string[]): string => c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join(' ');
  console.log(row(['run (pps)', 'offered', 'router in', 'forwarded', 'loss-free', 'core 0 busy']));
  for (const r of results) {
    for (let p = 0; p < r.kernel.length; p++) {
      for (const x of [r.kernel[p], r.mrsh[p], r.variant[p], r.relay[p]]) {
        if (x) console.log(row([`${x.label} #${p + 1}`, fmt(x.offeredPps), fmt(x.routerRxPps), fmt(x.forwardedPps), fmt(x.lossFreePps), pct(x.routerCoreBusy)]));
      }
    }
  }
  if (tun) console.log(row([tun.label, fmt(tun.offeredPps), fmt(tun.routerRxPps), fmt(tun.forwardedPps), fmt(tun.lossFreePps), pct(tun.routerCoreBusy)]));
  if (two) {
    for (let p = 0; p < two.kernel.length; p++) {
      for (const x of [two.kernel[p], two.one[p], two.two[p]]) {
        if (x) console.log(row([`${x.label} #${p + 1}`, fmt(x.offeredPps), fmt(x.routerRxPps), fmt(x.forwardedPps), fmt(x.lossFreePps), pct(x.routerCoreBusy)]));
      }
    }
  }
  console.log('\nmrsh / kernel, median of per-pair ratios (min-max):');
  const sp = (xs: number[]): string => (xs.length ? `${fmtSpread(spread(xs))} over ${xs.length}` : '-');
  for (const r of results) {
    const k = spread(peaks(r.kernel));
    console.log(`  ${r.c.key.padEnd(12)} peak ${sp(r.peak)}; loss-free ${sp(r.lossFree)}; cost/packet ${sp(r.cost)}${r.costRates.length ? ` (at ${r.costRates.map(fmt).join(', ')} pps)` : ''}; kernel peak ${fmtSpreadInt(k)}`);
  }
  for (const r of results) {
    if (r.variant.length) console.log(`  ${r.c.key.padEnd(12)} ${VARIANT} over mrsh's defaults: peak ${sp(r.variantPeak)}; loss-free ${sp(r.variantLossFree)}; cost/packet ${sp(r.variantCost)}; its peak ${fmtSpreadInt(spread(peaks(r.variant)))}`);
    if (r.relay.length) console.log(`  ${r.c.key.padEnd(12)} links-only relay / kernel: peak ${sp(r.relayPeak)}; loss-free ${sp(r.relayLossFree)}; cost/packet ${sp(r.relayCost)}; its peak ${fmtSpreadInt(spread(peaks(r.relay)))}`);
  }
  if (twoSp) {
    console.log(`  2flows       1 worker / kernel ${fmtSpread(twoSp.w1)}; 2 workers / kernel ${fmtSpread(twoSp.w2)}; 2 workers / 1 worker ${fmtSpread(twoSp.sc)} peak, ${fmtSpread(twoSp.lf)} loss-free; kernel peak ${fmtSpreadInt(spread(peaks(two!.kernel)))}`);
  }
  console.log(`  cost unit: ${res.cost_unit}; loss-free: <= ${LOSS_FREE * 100} % lost over a ${STEP_SECS} s step`);
  if (args.includes('--receivers-off-core')) console.log('receivers on core 1: the sender\'s core is the limit; compare core 0 busy at equal offered load (--verbose)');
  if (impl === 'relay') console.log('note: src/router/router.ts not present - mrsh rows are the links-only relay, not the engine');
  for (const s of summaries) if (VERBOSE) console.error(`forwarder: ${s}`);
  for (const k of Object.keys(res)) if (typeof res[k] === 'number') res[k] = Math.round((res[k] as number) * 1000) / 1000;
  console.log(`reproduce: sudo npm run bench:forward${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`);
  console.log(JSON.stringify(res));
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? String(e));
  process.exit(1);
});
