// bench/daemon-pimd.ts — join_to_forward_ms for Debian's unmodified pimd 2.3.x, pimd on the
// Linux kernel (the yardstick) against pimd under `mrsh exec` beside `mrsh daemon`, in the
// same run (issue #11; goal: mrsh within 1.5x of the kernel).
//   sudo node --import tsx bench/daemon-pimd.ts [-- --rounds N] [--groups N] [--gap MS]
// The one-router topology of test/e2e/pimd-lab.ts (S - R - O, O2), pimd in R as DR, BSR
// and RP, waited for by condition until its RP set formed. Each sample is a new group: a
// receiver in O2 joins and a sender starts (every --gap ms), so pimd installs (S,G) r0 -> r2
// and the source flows; then a receiver in O joins, and the figure is the ms from its
// join to its first datagram, both on that receiver's clock (the IGMP report's way to
// pimd, pimd's MRT_ADD_MFC adding r1, the next datagram). Kernel and mrsh rounds
// alternate, each with a fresh pimd (and a fresh mrsh daemon). Bounded traffic only.
// Prints a table, the command that reproduces it, and last one JSON line. Without the
// mrsh half (`mrsh exec` or its plumbing) it prints the kernel figures, says what is
// missing, and exits 1.
import { A, KernelDataplane, MrshDaemon, MrshDataplane, PimLab, Pimd, joinToForward, mrshPimdMissing, pimdMissing, poll, toolsMissing, type Mode } from '../test/e2e/pimd-lab.js';
import { skipReason } from '../test/dataplane/links/helpers.js';

const args = process.argv.slice(2);
const opt = (k: string, d: number): number => (args.includes(`--${k}`) ? Number(args[args.indexOf(`--${k}`) + 1]) : d);
const ROUNDS = opt('rounds', 3);
const GROUPS = opt('groups', 5);
const GAP = opt('gap', 2);

const q = (a: number[], p: number): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : NaN;
};
const r1 = (x: number): number => Math.round(x * 10) / 10;

async function round(lab: PimLab, mode: Mode, k: number): Promise<{ samples: number[]; rpMs: number }> {
  const R = lab.router('R');
  let daemon: MrshDaemon | null = null;
  let pimd: Pimd | null = null;
  try {
    if (mode === 'mrsh') {
      daemon = new MrshDaemon(lab, `bench-${k}`, R.ns);
      await daemon.ready();
    }
    const dp = mode === 'kernel' ? new KernelDataplane(lab, R.ns) : new MrshDataplane(daemon!);
    const groups = Array.from({ length: GROUPS }, (_, i) => `239.0.3.${(k % 50) * 5 + i + 1}`);
    let rpMs = 0;
    const samples = await joinToForward(
      lab,
      async (conf) => {
        const p = new Pimd(lab, R, `bench-${mode}-${k}`, conf, mode, daemon?.socket);
        pimd = p;
        await p.ready();
        // joinToForward waits for the RP set next: note when it formed
        void p.rpReady(A.r0).then((ms) => (rpMs = ms), () => {});
        return p;
      },
      dp,
      groups,
      GAP,
    );
    return { samples, rpMs };
  } finally {
    if (pimd) await (pimd as Pimd).stop();
    await daemon?.stop();
    await poll(() => lab.kernelState(R.ns).vifs.length === 0, 5000);
  }
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.log(JSON.stringify({ error: 'not root' }));
    return 1;
  }
  const why = skipReason() ?? pimdMissing() ?? toolsMissing();
  if (why) {
    console.log(JSON.stringify({ error: why }));
    return 1;
  }
  const missing = mrshPimdMissing();
  const lab = new PimLab('one', `mrsh-pimb-${process.pid}`);
  const res: Record<string, number | string> = {};
  const all: Record<Mode, number[]> = { kernel: [], mrsh: [] };
  const errors: string[] = [];
  try {
    lab.build();
    for (let k = 0; k < ROUNDS; k++) {
      for (const mode of ['kernel', 'mrsh'] as const) {
        if (mode === 'mrsh' && missing) continue;
        try {
          const r = await round(lab, mode, k * 2 + (mode === 'mrsh' ? 1 : 0));
          all[mode].push(...r.samples);
          console.error(`round ${k} ${mode}: RP set after ${r.rpMs} ms; join_to_forward ${r.samples.map(r1).join(' ')} ms`);
        } catch (e) {
          errors.push(`${mode} round ${k}: ${(e as Error).message.split('\n')[0]}`);
          console.error(errors[errors.length - 1]);
        }
      }
    }
  } finally {
    lab.cleanup();
  }
  for (const mode of ['kernel', 'mrsh'] as const) {
    if (!all[mode].length) continue;
    res[`join_to_forward_ms_p50_${mode}`] = r1(q(all[mode], 0.5));
    res[`join_to_forward_ms_max_${mode}`] = r1(Math.max(...all[mode]));
    res[`join_to_forward_samples_${mode}`] = all[mode].length;
  }
  if (all.kernel.length && all.mrsh.length) res.ratio_join_to_forward = r1((q(all.mrsh, 0.5) / q(all.kernel, 0.5)) * 100) / 100;
  const row = (c: (string | number)[]): string => c.map((x, i) => String(x).padEnd(i ? 14 : 34)).join('');
  console.log(row(['figure', 'kernel', 'mrsh (exec)', 'ratio mrsh/k']));
  console.log(
    row([
      'join_to_forward_ms p50',
      res.join_to_forward_ms_p50_kernel ?? '-',
      res.join_to_forward_ms_p50_mrsh ?? '-',
      res.ratio_join_to_forward ?? '-',
    ]),
  );
  console.log(row(['join_to_forward_ms max', res.join_to_forward_ms_max_kernel ?? '-', res.join_to_forward_ms_max_mrsh ?? '-', '']));
  console.log(`  ${ROUNDS} rounds x ${GROUPS} groups, sender every ${GAP} ms; pimd ${A.r0} DR+BSR+RP, receiver behind r1 (IGMPv2), anchor behind r2`);
  if (missing) console.log(`mrsh figures missing: ${missing}`);
  for (const e of errors) console.log(`error: ${e}`);
  console.log(`reproduce: sudo node --import tsx bench/daemon-pimd.ts${args.length ? ` -- ${args.join(' ')}` : ''}`);
  if (missing) res.missing = missing;
  console.log(JSON.stringify(res));
  return missing || errors.length ? 1 : 0;
}

process.exitCode = await main();
