// Vifs by name: wherever a vif number is accepted, its link's name is too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testRouter } from './helpers.js';
import { present } from '../../src/format/present.js';
import { getGrammar } from '../../src/commands/table.js';
import { helpLines, tabComplete } from '../../src/shell/completion.js';
import { stateWords } from '../../src/shell/state-words.js';

const SETUP = 'mrt init\nmrt api config border-vif\nvif add 0 virtual eth0\nvif add 1 virtual eth1\nvif add 2 virtual eth2';

test('iif NAME, oif NAME:TTL, flags NAME:border, explain vif NAME, inject NAME, capture NAME, policy, vif del NAME', async () => {
  const t = await testRouter();
  try {
    await t.runAll(SETUP);
    await t.runAll('mfc add 10.0.0.1 239.1.1.1 iif eth0 oif eth1:5 oif 2 flags eth2:border');
    const [e] = t.router.listMfc('inet');
    assert.equal(e.parent, 0);
    assert.deepEqual(
      e.oifs.filter((o) => o.ttl > 0).map((o) => [o.vif, o.ttl]),
      [
        [1, 5],
        [2, 1],
      ],
    );
    let r = await t.run('explain 10.0.0.1 239.1.1.1 vif eth0');
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    r = await t.run('inject eth0 10.0.0.1 239.1.1.1 count 2');
    assert.ok(r.ok && r.output.kind === 'inject' && r.output.result.forwarded === 4, JSON.stringify(r));
    r = await t.run('capture eth1 last 1');
    assert.ok(r.ok && r.output.kind === 'capture' && r.output.packets.length === 1);
    await t.runAll('policy add from eth0 group 239.2.0.0/16 to eth1 eth2:4');
    await t.runAll('vif del eth2');
    assert.deepEqual(
      t.router.listVifs('inet').map((v) => v.index),
      [0, 1],
    );
    r = await t.run('mfc add 10.0.0.2 239.1.1.1 iif eth9');
    assert.ok(!r.ok);
    assert.match(r.error.message, /no vif named eth9/);
    assert.equal(r.error.offset, 'mfc add 10.0.0.2 239.1.1.1 iif '.length);
  } finally {
    await t.router.close();
  }
});

test('show vif has a name column', async () => {
  const t = await testRouter();
  try {
    await t.runAll(SETUP);
    const r = await t.run('show vif');
    const text = present(r, 'show vif', { color: false, json: false }).text!;
    assert.match(text.split('\n')[1], /Name\s*$/);
    assert.match(text.split('\n')[2], /^\s+0 .* eth0$/);
  } finally {
    await t.router.close();
  }
});

test('Tab and ? offer vif numbers and names, sources and groups, policy groups from the state', async () => {
  const t = await testRouter();
  try {
    await t.runAll(`${SETUP}\nmfc add 10.0.0.1 239.1.1.1 iif 0 oif 1\npolicy add from 0 group 239.2.0.0/16 to 1`);
    const g = getGrammar();
    const s = stateWords(t.router);
    assert.equal(tabComplete(g, 'mfc add 10.0.0.9 239.1.1.1 iif et', s).text, 'mfc add 10.0.0.9 239.1.1.1 iif eth');
    assert.equal(tabComplete(g, 'mfc add 10.0.0.9 239.1.1.1 iif eth', s).list?.map((c) => c.word).join(' '), 'eth0 eth1 eth2');
    assert.equal(tabComplete(g, 'vif del eth1', s).text, 'vif del eth1 ');
    assert.equal(tabComplete(g, 'show mroute 239.1', s).text, 'show mroute 239.1.1.1 ');
    assert.equal(tabComplete(g, 'explain 10.0', s).text, 'explain 10.0.0.1 ');
    assert.equal(tabComplete(g, 'policy del from 0 group 239.2', s).text, 'policy del from 0 group 239.2.0.0/16 ');
    const help = helpLines(g, 'inject ', 100, s).join('\n');
    assert.match(help, /eth0\s+vif 0 \(eth0\)/);
    assert.match(help, /^\s+2\s+vif 2 \(eth2\)/m);
  } finally {
    await t.router.close();
  }
});
