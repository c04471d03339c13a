// npm run bench:cli — start-up of a compiled one-shot and the rate of a batch file, each
// beside an anchor measured in the same run, the two sides interleaved (bench/lib/anchor.ts):
//  - one-shot `mrsh show vif --json` beside a bare `node -e ''` start (oneshot_ratio_node:
//    mrsh's time over node's) and beside `smcroutectl show interfaces` asking a smcrouted
//    in a namespace this bench creates (oneshot_ratio_smcroutectl: mrsh's time over
//    smcroutectl's). Not quite the same work: mrsh's one-shot builds its router in the
//    process and asks it, smcroutectl asks a running daemon over its socket; both are the
//    command an operator or script runs once to read the vif table.
//  - a batch file of mfc add (batch_lines_per_s: 100,000 lines, whole process wall time)
//    beside `smcroutectl -b` (smcroute's batch mode: commands on stdin, one per line) adding
//    the same (S,G) routes to a freshly started smcrouted (batch_ratio_smcroutectl: mrsh's
//    lines/s over smcroutectl's). smcrouted's add is quadratic in its table (it walks its
//    route list; measured here: 2,000 adds 0.36 s, 20,000 more 49 s), so 100,000 adds would
//    take it ~20 minutes a run: the pairs use the same BENCH_CLI_SMC_N adds (default 5,000)
//    on both sides, and say so in batch_smcroute_n.
// Addresses are documentation ones (RFC 5737 sources, 233.252.0.0/24 groups). Needs root
// for the namespace; without smcroute the smcroute keys are left out.
// Last line: JSON. Reproduce: npm run bench:cli   (BENCH_PAIRS, default 10 one-shot / 5 batch)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fmtSpread, round3, spread } from './lib/anchor.js';
import { docSG, SMCROUTECTL, SMCROUTED, SmcrouteNs } from './lib/smcroute-ns.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'mrsh.js');
const ONESHOT_PAIRS = Math.max(5, Number(process.env.BENCH_PAIRS ?? 10));
const BATCH_PAIRS = Math.max(5, Number(process.env.BENCH_BATCH_PAIRS ?? 5));
const SMC_N = Number(process.env.BENCH_CLI_SMC_N ?? 5000);
const N = 100_000;

const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
if (build.status !== 0) console.error(`build failed (measuring whatever dist/ holds):\n${build.stdout}${build.stderr}`);

function timed(cmd: string, args: string[], input?: string): { ms: number; code: number | null; out: string; err: string } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', input, maxBuffer: 1 << 26 });
  return { ms: performance.now() - t0, code: r.status, out: r.stdout, err: r.stderr };
}
const mrsh = (args: string[]) => timed(process.execPath, [BIN, ...args]);
function ok<T extends { code: number | null; err: string }>(r: T, what: string): T {
  if (r.code !== 0) throw new Error(`${what} failed: ${r.err}`);
  return r;
}

const dir = mkdtempSync(join(tmpdir(), 'mrsh-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const vifLines = ['mrt init', 'vif add 0 virtual eth0', 'vif add 1 virtual eth1', 'vif add 2 virtual eth2'];
function mrshBatch(n: number): string {
  const lines = [...vifLines];
  for (let i = 0; i < n; i++) {
    const { source, group } = docSG(i);
    lines.push(`mfc add ${source} ${group} iif 0 oif 1 oif 2`);
  }
  const f = join(dir, `mfc-${n}.conf`);
  writeFileSync(f, `${lines.join('\n')}\n`);
  return f;
}
function smcBatch(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const { source, group } = docSG(i);
    lines.push(`add r0 ${source} ${group} r1 r2`);
  }
  return `${lines.join('\n')}\n`;
}

const haveSmc = process.getuid?.() === 0 && existsSync(SMCROUTED) && existsSync(SMCROUTECTL);
if (!haveSmc) console.error('smcroute comparison skipped: needs root and Debian smcroute (smcrouted, smcroutectl)');
const smc = haveSmc ? new SmcrouteNs() : null;
const out: Record<string, number> = {};
try {
  smc?.start();
  ok(mrsh(['show', 'vif', '--json']), 'one-shot'); // warm the page cache before pairs count

  // ---- one-shot: node -e '', mrsh, smcroutectl, round after round ----
  const node: number[] = [];
  const one: number[] = [];
  const ctl: number[] = [];
  const rNode: number[] = [];
  const rCtl: number[] = [];
  for (let p = 0; p < ONESHOT_PAIRS; p++) {
    const a = ok(timed(process.execPath, ['-e', '']), "node -e ''").ms;
    const m = ok(mrsh(['show', 'vif', '--json']), 'one-shot').ms;
    node.push(a);
    one.push(m);
    rNode.push(m / a);
    if (smc) {
      const t0 = performance.now();
      const r = smc.ctl(['show', 'interfaces']);
      const c = performance.now() - t0;
      if (r.status !== 0) throw new Error(`smcroutectl show interfaces: ${r.stderr}`);
      ctl.push(c);
      rCtl.push(m / c);
    }
  }
  const oneS = spread(one);
  const nodeS = spread(node);
  const rNodeS = spread(rNode);
  console.log(`one-shot show vif --json: median ${oneS.median.toFixed(1)} ms (${oneS.min.toFixed(1)}–${oneS.max.toFixed(1)})`);
  console.log(`  node -e '':               ${nodeS.median.toFixed(1)} ms (${nodeS.min.toFixed(1)}–${nodeS.max.toFixed(1)}); mrsh/node ${fmtSpread(rNodeS)} over ${ONESHOT_PAIRS} pairs`);
  out.oneshot_ms = Math.round(oneS.median * 10) / 10;
  out.oneshot_ms_node = Math.round(nodeS.median * 10) / 10;
  out.oneshot_ratio_node = round3(rNodeS.median);
  out.oneshot_ratio_node_min = round3(rNodeS.min);
  out.oneshot_ratio_node_max = round3(rNodeS.max);
  if (smc) {
    const ctlS = spread(ctl);
    const rCtlS = spread(rCtl);
    console.log(`  smcroutectl show interfaces: ${ctlS.median.toFixed(1)} ms (${ctlS.min.toFixed(1)}–${ctlS.max.toFixed(1)}); mrsh/smcroutectl ${fmtSpread(rCtlS)}`);
    out.oneshot_ms_smcroutectl = Math.round(ctlS.median * 10) / 10;
    out.oneshot_ratio_smcroutectl = round3(rCtlS.median);
    out.oneshot_ratio_smcroutectl_min = round3(rCtlS.min);
    out.oneshot_ratio_smcroutectl_max = round3(rCtlS.max);
  }

  // ---- batch: mrsh's 100,000 lines beside its own start-up; SMC_N adds beside smcroutectl -b ----
  const big = mrshBatch(N);
  const empty = join(dir, 'empty.conf');
  writeFileSync(empty, 'mrt init\n');
  const small = mrshBatch(SMC_N);
  const smcInput = smcBatch(SMC_N);
  const bigMs: number[] = [];
  const baseMs: number[] = [];
  const rateNet: number[] = [];
  const mSmall: number[] = [];
  const cSmall: number[] = [];
  const rBatch: number[] = [];
  for (let p = 0; p < BATCH_PAIRS; p++) {
    const base = ok(mrsh(['-f', empty]), 'empty batch').ms;
    const b = ok(mrsh(['-f', big]), 'batch').ms;
    baseMs.push(base);
    bigMs.push(b);
    rateNet.push(N / (Math.max(1, b - base) / 1000));
    if (smc) {
      smc.start(); // an empty table for every run
      const m = ok(mrsh(['-f', small]), 'small batch').ms;
      const r = timed(SMCROUTECTL, ['-p', '-u', smc.sock, '-b'], smcInput);
      if (r.code !== 0) throw new Error(`smcroutectl -b: ${r.err}`);
      const routes = smc.kernelRoutes();
      if (routes !== SMC_N) throw new Error(`smcroutectl -b installed ${routes} of ${SMC_N} routes`);
      mSmall.push(m);
      cSmall.push(r.ms);
      rBatch.push(SMC_N / m / (SMC_N / r.ms));
    }
  }
  const bigS = spread(bigMs);
  const rate = N / (bigS.median / 1000);
  const netS = spread(rateNet);
  console.log(
    `batch of ${N} mfc add: ${bigS.median.toFixed(0)} ms wall (${bigS.min.toFixed(0)}–${bigS.max.toFixed(0)}; ${rate.toFixed(0)} lines/s; ${netS.median.toFixed(0)} lines/s without the ${spread(baseMs).median.toFixed(0)} ms start-up)`,
  );
  out.batch_lines_per_s = Math.round(rate);
  out.batch_lines_per_s_excl_startup = Math.round(netS.median);
  out.batch_ms = Math.round(bigS.median);
  if (smc) {
    const mS = spread(mSmall);
    const cS = spread(cSmall);
    const rS = spread(rBatch);
    console.log(
      `batch of ${SMC_N} adds: mrsh -f ${mS.median.toFixed(0)} ms (${mS.min.toFixed(0)}–${mS.max.toFixed(0)}), smcroutectl -b ${cS.median.toFixed(0)} ms (${cS.min.toFixed(0)}–${cS.max.toFixed(0)}); mrsh/smcroutectl lines/s ${fmtSpread(rS)} over ${BATCH_PAIRS} pairs`,
    );
    out.batch_smcroute_n = SMC_N;
    out.batch_ms_mrsh_smcroute_n = Math.round(mS.median);
    out.batch_ms_smcroutectl = Math.round(cS.median);
    out.batch_ratio_smcroutectl = round3(rS.median);
    out.batch_ratio_smcroutectl_min = round3(rS.min);
    out.batch_ratio_smcroutectl_max = round3(rS.max);
  }
  out.pairs = Math.min(ONESHOT_PAIRS, BATCH_PAIRS);
} finally {
  smc?.close();
}
console.log('reproduce: npm run bench:cli');
console.log(JSON.stringify(out));
