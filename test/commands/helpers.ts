// A real embedded Router on a fake clock, and helpers to run lines through the table.
import { execute, type ExecResult } from '../../src/commands/exec.js';
import { makeCtx } from '../../src/commands/context.js';
import type { Family, RouterApi } from '../../src/router/api.js';
import { Router } from '../../src/router/router.js';

export interface TestRouter {
  router: Router;
  advance(ms: number): void;
  run(line: string): Promise<ExecResult>;
  runAll(lines: string | string[]): Promise<ExecResult[]>;
}

/** Date.now is pinned while the router is made, so upcall and capture times are fixed */
export async function testRouter(start = 1_000_000, wallEpoch = Date.UTC(2025, 0, 1, 12, 0, 0), opts: { startupFile?: string } = {}): Promise<TestRouter> {
  let t = start;
  const realNow = Date.now;
  Date.now = () => wallEpoch;
  let router: Router;
  try {
    router = await Router.create({ clock: () => t, autoTimers: false, startupFile: opts.startupFile });
  } finally {
    Date.now = realNow;
  }
  const ctx = makeCtx(router);
  const run = async (line: string): Promise<ExecResult> => {
    const r = await execute(line, ctx);
    if (r === null) throw new Error(`blank line: ${line}`);
    return r;
  };
  return {
    router,
    advance(ms) {
      t += ms;
      router.tick();
    },
    run,
    async runAll(lines) {
      const list = typeof lines === 'string' ? lines.split('\n').filter((l) => l.trim()) : lines;
      const out: ExecResult[] = [];
      for (const l of list) {
        const r = await run(l);
        if (!r.ok) throw new Error(`setup line failed: ${l}: ${r.error.message}`);
        out.push(r);
      }
      return out;
    },
  };
}

/** everything a command could change, as one comparable string */
export function snapshot(r: RouterApi): string {
  const fams: Family[] = ['inet', 'inet6'];
  return JSON.stringify({
    status: fams.map((f) => r.mrtStatus(f)),
    vifs: fams.map((f) => r.listVifs(f).map((v) => ({ ...v }))),
    mfc: fams.map((f) => r.listMfc(f).map((e) => ({ ...e, pps: 0, bps: 0 }))),
    pending: fams.map((f) => r.listPending(f)),
    config: r.runningConfig(),
  });
}

export const BASE = `mrt init
mrt api config disable-wrongvif border-vif rp bw-upcall
vif add 0 virtual eth0 local 10.0.0.1
vif add 1 virtual eth1 local 10.0.1.1
vif add 2 virtual eth2 local 10.0.2.1 threshold 8
mfc add 10.1.1.1 239.1.1.1 iif 0 oif 1 oif 2:8`;
