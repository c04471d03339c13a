// Static policy: NOCACHE resolved by rules, first match wins, the same (S,G) on two
// inbound vifs, idle expiry on a fake clock, running-config and explain.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testRouter } from '../commands/helpers.js';

const SETUP = `mrt init
mrt assert enable
vif add 0 virtual eth0
vif add 1 virtual eth1
vif add 2 virtual eth2
vif add 3 virtual eth3
policy add from 0 group 239.1.0.0/16 to 2 3:4
policy add from 1 source 10.1.0.0/16 group 239.1.0.0/16 to 2
policy add from 0 source 10.9.9.9 group 239.1.2.3 to 3
policy expire 10`;

describe('static policy', () => {
  it('a NOCACHE installs the first matching rule; held packets go out', async () => {
    const t = await testRouter();
    await t.runAll(SETUP);
    const r = t.router.inject({ vif: 0, source: '10.9.9.9', group: '239.1.2.3', count: 3 });
    assert.equal(r.upcalls, 1);
    const [e] = t.router.listMfc('inet');
    assert.equal(e.installedBy, 'policy');
    assert.equal(e.parent, 0);
    assert.deepEqual(e.oifs.map((o) => o.vif), [2, 3], 'rule 1 wins over the narrower rule 3 (first match)');
    assert.equal(e.packets, 3, 'the held packets were forwarded');
    assert.equal(t.router.capture(2, 'inet').length, 3);
    const p = t.router.policy();
    assert.deepEqual(p.rules.map((x) => [x.hits, x.installed]), [[1, 1], [0, 0], [0, 0]]);
    // no rule from vif 2: unmatched, stays pending
    t.router.inject({ vif: 2, source: '10.9.9.9', group: '239.1.9.9' });
    assert.equal(t.router.listPending('inet').length, 1);
    assert.equal(t.router.policy().unmatched, 1);
    const out = await t.run('show mroute');
    assert.ok(out.ok && out.output.kind === 'mroute');
    await t.router.close();
  });

  it('the same (S,G) on two inbound vifs: the first arrival owns the entry, the other is wrong-vif', async () => {
    const t = await testRouter();
    await t.runAll(SETUP);
    t.router.inject({ vif: 1, source: '10.1.0.5', group: '239.1.7.7', count: 2 });
    t.router.inject({ vif: 0, source: '10.1.0.5', group: '239.1.7.7', count: 5 });
    const [e] = t.router.listMfc('inet');
    assert.equal(e.parent, 1);
    assert.equal(e.packets, 2);
    assert.equal(e.wrongIf, 5);
    assert.ok(t.router.upcalls().some((u) => u.type === 'WRONGVIF'));
    const x = t.router.explain('10.1.0.5', '239.1.7.7', { vif: 0 });
    const steps = x.steps.map((s) => `${s.check}: ${s.detail}`).join('\n');
    assert.match(steps, /installed by rule 2/);
    assert.match(steps, /first arrival's rule installs it and the entry keeps that iif \(vif 1\)/);
    assert.equal(x.verdict, 'not-forwarded');
    await t.router.close();
  });

  it('idle installed entries expire; user entries and used ones do not', async () => {
    const t = await testRouter();
    await t.runAll(SETUP);
    await t.runAll('mfc add 10.5.5.5 239.1.5.5 iif 0 oif 2');
    t.router.inject({ vif: 0, source: '10.6.6.6', group: '239.1.6.6' });
    t.router.inject({ vif: 0, source: '10.7.7.7', group: '239.1.7.7' });
    for (let s = 0; s < 12; s++) {
      t.advance(1000);
      t.router.inject({ vif: 0, source: '10.7.7.7', group: '239.1.7.7' }); // keeps flowing
    }
    const groups = t.router.listMfc('inet').map((e) => e.group).sort();
    assert.deepEqual(groups, ['239.1.5.5', '239.1.7.7']);
    assert.equal(t.router.policy().expired, 1);
    await t.router.close();
  });

  it('running-config carries rules and expiry, not the entries they installed', async () => {
    const t = await testRouter();
    await t.runAll(SETUP);
    t.router.inject({ vif: 0, source: '10.6.6.6', group: '239.1.6.6' });
    const cfg = t.router.runningConfig();
    assert.ok(cfg.includes('policy add from 0 group 239.1.0.0/16 to 2 3:4'));
    assert.ok(cfg.includes('policy add from 0 source 10.9.9.9/32 group 239.1.2.3/32 to 3'));
    assert.ok(cfg.includes('policy expire 10'));
    assert.ok(!cfg.some((l) => l.startsWith('mfc add')));
    const t2 = await testRouter();
    await t2.runAll(cfg.filter((l) => !l.startsWith('!')));
    assert.deepEqual(t2.router.runningConfig(), cfg);
    await t.router.close();
    await t2.router.close();
  });

  it('IPv6 rules', async () => {
    const t = await testRouter();
    await t.runAll('mrt init ipv6\nvif add 0 virtual a ipv6\nvif add 1 virtual b ipv6\npolicy add from 0 group ff0e::/16 to 1');
    t.router.inject({ vif: 0, source: '2001:db8::1', group: 'ff0e::5', count: 2 });
    const [e] = t.router.listMfc('inet6');
    assert.equal(e.installedBy, 'policy');
    assert.equal(e.packets, 2);
    await t.router.close();
  });
});
