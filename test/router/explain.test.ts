// explain: each stage of the engine's decision named, and its verdict matching what the
// engine does with the same packet (inject on a fresh router in the same state).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testRouter, BASE } from '../commands/helpers.js';

const SETUP6 = `mrt init ipv6
vif add 0 virtual e0 ipv6
vif add 1 virtual e1 ipv6
mfc add 2001:db8::1 ff0e::1 iif 0 oif 1`;

/** the verdict, the checks that failed, and what the engine did with one packet */
async function both(setup: string, source: string, group: string, opts: { ttl?: number; vif?: number }) {
  const t = await testRouter();
  try {
    await t.runAll(setup);
    const x = t.router.explain(source, group, opts);
    const r = t.router.inject({ vif: opts.vif ?? 0, source, group, ttl: opts.ttl ?? 64 });
    return { x, failed: x.steps.filter((s) => !s.ok).map((s) => s.check), forwarded: r.forwarded, upcalls: r.upcalls };
  } finally {
    await t.router.close();
  }
}

describe('explain', () => {
  it('before mrt init: nothing is forwarded', async () => {
    const t = await testRouter();
    const x = t.router.explain('10.1.1.1', '239.1.1.1');
    assert.equal(x.verdict, 'not-forwarded');
    assert.deepEqual(x.steps.map((s) => s.check), ['multicast routing']);
    await t.router.close();
  });

  it('forwarded: each oif by its threshold, as the engine sends', async () => {
    const r = await both(BASE, '10.1.1.1', '239.1.1.1', { ttl: 5, vif: 0 });
    assert.equal(r.x.verdict, 'forwarded');
    assert.deepEqual(r.failed, ['oif 2'], 'TTL 5 is not above threshold 8');
    assert.equal(r.forwarded, 1, 'the engine sent one copy, on vif 1');
    const hi = await both(BASE, '10.1.1.1', '239.1.1.1', { ttl: 9, vif: 0 });
    assert.equal(hi.x.verdict, 'forwarded');
    assert.deepEqual(hi.failed, []);
    assert.equal(hi.forwarded, 2);
  });

  it('pre-lookup refusals come from the classifier, and the engine sends nothing', async () => {
    for (const [s, g, ttl, check] of [
      ['10.1.1.1', '224.0.0.9', 64, 'group scope'],
      ['10.1.1.1', '10.2.2.2', 64, 'group'],
      ['169.254.1.1', '239.1.1.1', 64, 'source'],
      ['239.9.9.9', '239.1.1.1', 64, 'source'],
      ['10.1.1.1', '239.1.1.1', 1, 'packet TTL'],
    ] as const) {
      const r = await both(BASE, s, g, { ttl, vif: 0 });
      assert.equal(r.x.verdict, 'not-forwarded', `${s} ${g} ttl ${ttl}`);
      assert.deepEqual(r.failed, [check], `${s} ${g} ttl ${ttl}`);
      assert.equal(r.forwarded + r.upcalls, 0, `${s} ${g} ttl ${ttl}: the engine agrees`);
    }
  });

  it('no entry, then pending after the first packet', async () => {
    const t = await testRouter();
    await t.runAll(BASE);
    assert.equal(t.router.explain('10.5.5.5', '239.5.5.5').verdict, 'no-entry');
    t.router.inject({ vif: 1, source: '10.5.5.5', group: '239.5.5.5', count: 2 });
    const x = t.router.explain('10.5.5.5', '239.5.5.5');
    assert.equal(x.verdict, 'pending');
    assert.match(x.steps.find((s) => s.check === 'MFC entry')!.detail, /arrival vif 1, 2 packet\(s\) held/);
    await t.router.close();
  });

  it('wrong arrival vif: the RPF check, as the engine counts it', async () => {
    const r = await both(BASE, '10.1.1.1', '239.1.1.1', { vif: 1 });
    assert.equal(r.x.verdict, 'not-forwarded');
    assert.deepEqual(r.failed, ['arrival']);
    assert.equal(r.forwarded, 0);
  });

  it('IPv6: scopes and the interface set', async () => {
    const ok = await both(SETUP6, '2001:db8::1', 'ff0e::1', { vif: 0 });
    assert.equal(ok.x.family, 'inet6');
    assert.equal(ok.x.verdict, 'forwarded');
    assert.equal(ok.forwarded, 1);
    const link = await both(SETUP6, '2001:db8::1', 'ff02::1', { vif: 0 });
    assert.equal(link.x.verdict, 'not-forwarded');
    assert.match(link.x.steps.at(-1)!.detail, /scope 2 \(link-local\)/);
    assert.equal(link.forwarded + link.upcalls, 0);
  });

  it('a source and group of different families are refused', async () => {
    const t = await testRouter();
    assert.throws(() => t.router.explain('10.1.1.1', 'ff0e::1'), /EINVAL/);
    await t.router.close();
  });
});
