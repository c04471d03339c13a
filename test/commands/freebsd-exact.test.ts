// issue #14 §7 and #12 §7: the engine as FreeBSD's, through the command table. Each case
// failed before its fix: meters started on a stale clock, intervals were rounded to
// milliseconds, mfc add refused what the kernel takes, and the pending cap was silent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execute, type ExecResult } from '../../src/commands/exec.js';
import { makeCtx } from '../../src/commands/context.js';
import { Router } from '../../src/router/router.js';
import type { UpcallEvent } from '../../src/router/api.js';

async function fakeClockRouter() {
  const clock = { t: 1_000_000 };
  const router = await Router.create({ clock: () => clock.t, autoTimers: false });
  const ctx = makeCtx(router);
  const run = async (line: string): Promise<ExecResult> => (await execute(line, ctx))!;
  const ok = async (line: string) => {
    const r = await run(line);
    assert.ok(r.ok, `${line}: ${r.ok ? '' : r.error.message}`);
    return r.output;
  };
  const upcalls: UpcallEvent[] = [];
  router.on('upcall', (e) => upcalls.push(e));
  /** records delivered so far: time moves by ms, the timers run, the socket is read */
  const records = (ms: number) => {
    clock.t += ms;
    router.tick();
    router.drainUpcalls();
    return upcalls.filter((u) => u.type === 'BW_UPCALL').flatMap((u) => u.bw ?? []);
  };
  for (const l of ['mrt init', 'mrt api config bw-upcall', 'vif add 0 virtual eth0', 'vif add 1 virtual eth1', 'mfc add 10.0.0.1 239.1.1.1 iif 0 oif 1']) await ok(l);
  return { clock, router, run, ok, records };
}

test('a bw meter starts on the current clock, not the last event', async () => {
  const { clock, router, ok, records } = await fakeClockRouter();
  clock.t += 10_000; // ten quiet seconds: no packet, no timer moved the engine
  await ok('bw-upcall add 10.0.0.1 239.1.1.1 leq packets 0 interval 3');
  const m = router.listMfc('inet')[0].bwMeters[0];
  assert.equal(m.startMs, clock.t);
  assert.equal(records(250).length, 0, 'no LEQ record 0.25 s after the add');
  assert.equal(records(1000).length, 0, 'none 1.25 s after');
  assert.equal(records(2500).length, 1, 'one at the end of the first interval');
  await router.close();
});

test('a GEQ measurement after a quiet spell counts from the add', async () => {
  const { clock, router, ok, records } = await fakeClockRouter();
  clock.t += 10_000;
  await ok('bw-upcall add 10.0.0.1 239.1.1.1 geq packets 1 interval 3');
  clock.t += 200;
  await ok('inject 0 10.0.0.1 239.1.1.1');
  const bw = records(1000);
  assert.equal(bw.length, 1);
  assert.equal(bw[0].measuredMs, 200);
  await router.close();
});

test('intervals keep microseconds: 2.999999 is EINVAL, 3.0004 stays 3.000400', async () => {
  const { router, run, ok } = await fakeClockRouter();
  const r = await run('bw-upcall add 10.0.0.1 239.1.1.1 geq packets 5 interval 2.999999');
  assert.ok(!r.ok);
  assert.match(r.error.message, /EINVAL/);
  await ok('bw-upcall add 10.0.0.1 239.1.1.1 geq packets 5 interval 3.0004');
  assert.equal(router.listMfc('inet')[0].bwMeters[0].intervalMs, 3000.4);
  assert.ok(router.runningConfig().includes('bw-upcall add 10.0.0.1 239.1.1.1 geq packets 5 interval 3.0004'));
  await router.close();
});

test('mfc add takes what the kernel takes, with warnings where it will not forward', async () => {
  const { router, ok } = await fakeClockRouter();
  const warn = async (line: string, re: RegExp | null) => {
    const o = (await ok(line)) as { kind: string; message?: string };
    if (re) assert.match(o.message ?? '', re, line);
    else assert.equal(o.message, undefined, line);
  };
  await warn('mfc add 10.0.0.2 239.1.1.2 iif 0 oif 1:0', null);
  assert.deepEqual(router.listMfc('inet').find((e) => e.group === '239.1.1.2')!.oifs, []);
  await warn('mfc add 10.0.0.2 10.9.9.9 iif 0 oif 1', /% Warning: group 10\.9\.9\.9 is not a multicast address/);
  await warn('mfc add 10.0.0.2 239.1.1.3 iif 40 oif 1', /% Warning: iif 40 is not a configured vif/);
  await warn('mfc add 10.0.0.2 239.1.1.4 iif 0 oif 7', /% Warning: oif 7 is not a configured vif/);
  await warn('mfc add 10.0.0.2 239.1.1.5 iif 0 oif 0 oif 1', /% Warning: oif 0 is also the iif/);
  await warn('mfc add 10.0.0.2 224.0.0.9 iif 0 oif 1', /% Warning: group 224\.0\.0\.9 is link-local/);
  await warn('mfc add 10.0.0.2 239.1.1.6 iif 0 oif 1 flags 1:border rp 10.0.0.9', /flags 1:border ignored: its API is off[^]*rp 10\.0\.0\.9 ignored: its API is off/);
  await router.close();
});

test('two vifs may not share a name; before mrt init every command says so', async () => {
  const { router, run } = await fakeClockRouter();
  const r = await run('vif add 2 virtual eth0');
  assert.ok(!r.ok);
  assert.match(r.error.message, /EADDRINUSE: vif 0 is already named eth0/);
  const bare = await Router.create({ clock: () => 0, autoTimers: false });
  const ctx = makeCtx(bare);
  for (const l of ['mfc del 10.0.0.1 239.1.1.1', 'vif del 0', 'mrt api config rp', 'bw-upcall add 10.0.0.1 239.1.1.1 geq packets 1 interval 3', 'mrt done']) {
    const x = (await execute(l, ctx))!;
    assert.ok(!x.ok, l);
    assert.match(x.error.message, /multicast routing is not initialised for ipv4 \(mrt init ipv4\)/, l);
  }
  await bare.close();
  await router.close();
});

test('the pending cap is a setting, shown in show statistics and in show pending when reached', async () => {
  const { router, ok } = await fakeClockRouter();
  await ok('mrt pending-limit 2');
  for (let i = 1; i <= 5; i++) await ok(`inject 0 10.5.0.${i} 239.5.5.5`);
  const text = (await execute('show pending', makeCtx(router)))!;
  assert.ok(text.ok);
  const { renderText } = await import('../../src/format/render.js');
  assert.match(renderText(text.output, { color: false })!, /Limit of 2 unresolved entries reached: 3 new flows got no entry and no upcall/);
  const st = (await ok('show statistics')) as { stats: Record<string, number> };
  assert.equal(st.stats.pending_limit, 2);
  assert.equal(st.stats.pkt_miss_cap, 3);
  assert.ok(router.runningConfig().includes('mrt pending-limit 2 ipv4'));
  await router.close();
});
