// npm run bench:cli — start-up of a compiled one-shot and the rate of a batch file.
// Last line: JSON with oneshot_ms (median of 20 runs of `node bin/mrsh.js show vif --json`)
// and batch_lines_per_s (a 100,000-line file of mfc add, whole process wall time).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'mrsh.js');

const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
if (build.status !== 0) console.error(`build failed (measuring whatever dist/ holds):\n${build.stdout}${build.stderr}`);

function wall(args: string[]): { ms: number; code: number | null; out: string; err: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { ms: performance.now() - t0, code: r.status, out: r.stdout, err: r.stderr };
}

const runs: number[] = [];
for (let i = 0; i < 20; i++) {
  const r = wall(['show', 'vif', '--json']);
  if (r.code !== 0) throw new Error(`one-shot failed: ${r.err}`);
  runs.push(r.ms);
}
runs.sort((a, b) => a - b);
const oneshot = (runs[9] + runs[10]) / 2;
console.log(`one-shot show vif --json: median ${oneshot.toFixed(1)} ms (min ${runs[0].toFixed(1)}, max ${runs[19].toFixed(1)})`);

const N = 100_000;
const dir = mkdtempSync(join(tmpdir(), 'mrsh-bench-'));
const file = join(dir, 'mfc.conf');
const lines = ['mrt init', 'vif add 0 virtual eth0', 'vif add 1 virtual eth1', 'vif add 2 virtual eth2'];
for (let i = 0; i < N; i++) lines.push(`mfc add 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} 239.1.${(i >> 8) & 255}.${i & 255} iif 0 oif 1 oif 2:8`);
writeFileSync(file, `${lines.join('\n')}\n`);
const empty = join(dir, 'empty.conf');
writeFileSync(empty, 'mrt init\n');
const base = wall(['-f', empty]).ms;
const b = wall(['-f', file]);
if (b.code !== 0) throw new Error(`batch failed: ${b.err}`);
const rate = N / (b.ms / 1000);
const rateNet = N / (Math.max(1, b.ms - base) / 1000);
console.log(`batch of ${N} mfc add: ${b.ms.toFixed(0)} ms wall (${rate.toFixed(0)} lines/s; ${rateNet.toFixed(0)} lines/s without the ${base.toFixed(0)} ms start-up)`);
console.log('reproduce: npm run bench:cli');
console.log(
  JSON.stringify({
    oneshot_ms: Math.round(oneshot * 10) / 10,
    batch_lines_per_s: Math.round(rate),
    batch_lines_per_s_excl_startup: Math.round(rateNet),
    batch_ms: Math.round(b.ms),
  }),
);
