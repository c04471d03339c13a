// show running-config prints a batch file that rebuilds exactly the current state.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '../../src/router/router.js';
import { runBatch } from '../../src/commands/batch.js';

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
