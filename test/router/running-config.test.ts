// show running-config prints a batch file that rebuilds exactly the current state.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '../../src/router/router.js';
import { runBatch } from '../../src/commands/context.js';
import { VirtualLink } from '../../src/dataplane/links/virtual.js';

const CONFIG = `
mrt init ipv4
mrt api config disable-wrongvif border-vif rp bw-upcall
mrt assert enable
vif add 0 virtual eth0 local 10.0.0.1
vif add 1 virtual eth1 threshold 8
vif add 2 virtual eth2 local 10.0.2.1 remote 10.0.2.2
vif add 3 register
mrt register via 2
mfc add 10.0.0.5 239.1.1.1 iif 0 oif 1:4 oif 3 flags 1:disable-wrongvif flags 0:border rp 10.0.9.9
mfc add 10.0.0.6 239.1.1.2 iif 1 oif 0 oif 2:16
bw-upcall add 10.0.0.5 239.1.1.1 geq packets 100 interval 3
bw-upcall add 10.0.0.6 239.1.1.2 leq packets 0 bytes 10 interval 30.5
mrt init ipv6
mrt pim enable ipv6
vif add 0 virtual eth0 ipv6
vif add 1 virtual eth3 ipv6
vif add 2 register ipv6
mfc add 2001:db8::5 ff0e::1 iif 0 oif 1 oif 2
`;

async function build(text: string): Promise<Router> {
  const r = await Router.create({ clock: () => 1000, autoTimers: false });
  const errors: string[] = [];
  const res = await runBatch(text, r, { name: 'cfg', keepGoing: false, check: false, onResult: () => {}, onError: (t) => errors.push(t) });
  assert.deepEqual(errors, []);
  assert.equal(res.errors, 0);
  return r;
}

describe('running-config', () => {
  it('replayed into a fresh router, it reproduces the same state and the same config', async () => {
    const a = await build(CONFIG);
    const cfg = a.runningConfig();
    const b = await build(cfg.join('\n'));
    assert.deepEqual(b.runningConfig(), cfg);
    for (const f of ['inet', 'inet6'] as const) {
      const strip = (r: Router) => r.listMfc(f).map((m) => ({ ...m, createdMs: 0, pps: 0, bps: 0, bwMeters: m.bwMeters.map((x) => ({ ...x, startMs: 0 })) }));
      assert.deepEqual(strip(b), strip(a));
      const vifs = (r: Router) => r.listVifs(f).map((v) => ({ ...v, link: v.link && { ...v.link, ifindex: 0 } }));
      assert.deepEqual(vifs(b), vifs(a));
      assert.deepEqual(b.mrtStatus(f), a.mrtStatus(f));
    }
    await a.close();
    await b.close();
  });
});

describe('vif add ... dev NAME xdp', () => {
  // A stand-in opener: dev links become virtual links that report the XDP input asked for,
  // so the keyword's plumbing is tested without root (test/e2e runs the real one).
  const asked: { name: string; xdp: boolean | undefined }[] = [];
  const openLink = async (spec: { kind: string; name: string; xdp?: boolean }) => {
    asked.push({ name: spec.name, xdp: spec.xdp });
    const l = new VirtualLink(spec.name, []);
    return Object.assign(l, { kind: spec.kind as 'packet', xdp: spec.xdp === true });
  };
  const run = async (r: Router, text: string): Promise<string[]> => {
    const errors: string[] = [];
    await runBatch(text, r, { name: 'cfg', keepGoing: true, check: false, onResult: () => {}, onError: (t) => errors.push(t) });
    return errors;
  };

  it('opens the link with XDP input, shows it, and writes it back', async () => {
    const r = await Router.create({ clock: () => 1000, autoTimers: false, openLink });
    assert.deepEqual(await run(r, 'mrt init ipv4\nvif add 0 dev r0 xdp\nvif add 1 dev r1\nmrt init ipv6\nvif add 0 dev r0 xdp ipv6'), []);
    assert.deepEqual(asked.splice(0), [{ name: 'r0', xdp: true }, { name: 'r1', xdp: undefined }]);
    assert.deepEqual(r.listVifs('inet').map((v) => v.link?.xdp === true), [true, false]);
    const cfg = r.runningConfig();
    assert.ok(cfg.includes('vif add 0 dev r0 xdp'), cfg.join('\n'));
    assert.ok(cfg.includes('vif add 1 dev r1'));
    assert.ok(cfg.includes('vif add 0 dev r0 ipv6 xdp') || cfg.includes('vif add 0 dev r0 xdp ipv6'), cfg.join('\n'));
    await r.close();
  });

  it('refuses xdp on a link that is not a dev, and on a dev already open without it', async () => {
    const r = await Router.create({ clock: () => 1000, autoTimers: false, openLink });
    const errs = await run(r, 'mrt init ipv4\nvif add 0 tun t0 xdp\nvif add 1 dev r1\nmrt init ipv6\nvif add 1 dev r1 xdp ipv6');
    assert.equal(errs.length, 2, errs.join('\n'));
    assert.match(errs[0]!, /^cfg:2: only a dev link reads through XDP/);
    const [, line, caret] = errs[0]!.split('\n');
    assert.equal(caret!.indexOf('^'), line!.indexOf('xdp'), 'the caret under the offending token');
    assert.match(errs[1]!, /cfg:5.*EBUSY.*r1 is already open without XDP input/);
    assert.deepEqual(r.listVifs('inet').map((v) => v.index), [1], 'the refused lines changed nothing');
    assert.deepEqual(r.listVifs('inet6'), []);
    await r.close();
  });
});
