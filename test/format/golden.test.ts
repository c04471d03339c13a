// Golden files of every display, produced by the real embedded router on a fake clock
// (UPDATE_GOLDEN=1 npm test -- format/golden rewrites them after a deliberate change).
process.env.TZ = 'UTC';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { present } from '../../src/format/present.js';
import { testRouter, type TestRouter } from '../commands/helpers.js';

const DIR = join(import.meta.dirname, 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const SETUP = `mrt init
mrt api config disable-wrongvif border-vif rp bw-upcall
vif add 0 virtual eth0 local 10.0.0.1
vif add 1 virtual eth1 local 10.0.1.1
vif add 2 virtual eth2 local 10.0.2.1 threshold 8
vif add 3 register
mfc add 10.1.1.1 239.1.1.1 iif 0 oif 1 oif 2:8
mfc add 10.1.1.2 239.1.1.1 iif 0 oif 1 flags 0:disable-wrongvif flags 1:border rp 10.9.9.9
mfc add 10.1.1.3 239.2.2.2 iif 1
bw-upcall add 10.1.1.1 239.1.1.1 geq packets 100 interval 3
bw-upcall add 10.1.1.1 239.1.1.1 leq bytes 5000 interval 10
mrt init ipv6
vif add 0 virtual eth0 ipv6
vif add 1 virtual eth1 ipv6
mfc add 2001:db8::1 ff05::1 iif 0 oif 1`;

const TRAFFIC = `inject 0 10.1.1.1 239.1.1.1 ttl 9 size 200 count 50
inject 1 10.1.1.1 239.1.1.1 count 2
inject 0 10.7.7.7 239.5.5.5 count 2
inject 0 2001:db8::1 ff05::1 size 120 count 3
inject 0 2001:db8::7 ff05::7`;

const DISPLAYS: [string, string][] = [
  ['show-mroute', 'show mroute'],
  ['show-mroute-count', 'show mroute count'],
  ['show-mroute-detail', 'show mroute detail'],
  ['show-mroute-summary', 'show mroute summary'],
  ['show-mroute-table', 'show mroute table'],
  ['show-mroute-table-fill', 'show mroute table fill'],
  ['show-ipv6-mroute-table', 'show ipv6 mroute table'],
  ['show-mroute-sg', 'show mroute 239.1.1.1 10.1.1.2'],
  ['show-ipv6-mroute', 'show ipv6 mroute'],
  ['show-vif', 'show vif'],
  ['show-ipv6-vif', 'show ipv6 vif'],
  ['show-mfc', 'show mfc'],
  ['show-ipv6-mfc', 'show ipv6 mfc'],
  ['show-bw-upcall', 'show bw-upcall'],
  ['show-statistics', 'show statistics'],
  ['show-ipv6-statistics', 'show ipv6 statistics'],
  ['show-pending', 'show pending'],
  ['show-upcalls', 'show upcalls'],
  ['show-mrt', 'show mrt'],
  ['show-running-config', 'show running-config'],
  ['explain', 'explain 10.1.1.1 239.1.1.1 ttl 5'],
  ['explain-wrong-vif', 'explain 10.1.1.1 239.1.1.1 vif 1'],
  ['capture', 'capture 1 last 1'],
  ['help-vif', 'help vif'],
  ['show-mroute-json', 'show mroute count | json'],
  ['show-vif-json', 'show vif | json'],
  ['show-statistics-json', 'show ipv6 statistics | json'],
  ['show-bw-upcall-json', 'show bw-upcall | json'],
];

let t: TestRouter;

test('setup', async () => {
  t = await testRouter();
  await t.runAll(SETUP);
  t.advance(65_000);
  await t.runAll(TRAFFIC);
  t.advance(1_500);
});

for (const [name, line] of DISPLAYS) {
  test(`golden: ${line}`, async () => {
    const r = await t.run(line);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const text = `${present(r, line, { color: false, json: false, width: 80 }).text ?? ''}\n`;
    assert.doesNotMatch(text, /\x1b\[/, 'no ANSI without colour');
    const file = join(DIR, `${name}.txt`);
    if (UPDATE || !existsSync(file)) writeFileSync(file, text);
    assert.equal(text, readFileSync(file, 'utf8'));
  });
}

test('colour only when asked', async () => {
  const r = await t.run('show mroute');
  const colored = present(r, 'show mroute', { color: true, json: false }).text!;
  assert.match(colored, /\x1b\[/);
  const json = present(r, 'show mroute', { color: true, json: true }).text!;
  assert.doesNotMatch(json, /\x1b\[/);
});

test('netstat -g row layout is byte-exact', async () => {
  const r = await t.run('show mfc');
  assert.ok(r.ok);
  const lines = present(r, 'show mfc', { color: false, json: false }).text!.split('\n');
  // " %-15.15s %-15.15s %9lu  %3d   " then " vif:ttl" per oif
  assert.equal(lines[1], ' Origin          Group             Packets In-Vif  Out-Vifs:Ttls');
  assert.equal(lines[2], ` ${'10.1.1.1'.padEnd(15)} ${'239.1.1.1'.padEnd(15)} ${'50'.padStart(9)}  ${'0'.padStart(3)}    1:1 2:8`);
});

test('JSON is arrays of entries with schema 1', async () => {
  const r = await t.run('show mroute | json');
  const j = JSON.parse(present(r, 'show mroute | json', { color: false, json: false }).text!);
  assert.equal(j.schema, 1);
  assert.ok(Array.isArray(j.entries));
  const e = j.entries.find((x: { source: string }) => x.source === '10.1.1.1');
  assert.equal(e.packets, 50);
  assert.equal(e.wrongIf, 2);
  assert.deepEqual(e.oifs, [
    { vif: 1, name: 'eth1', ttl: 1 },
    { vif: 2, name: 'eth2', ttl: 8 },
  ]);
});

test('teardown', async () => {
  await t.router.close();
});

test('JSON figures are rounded to what they mean', async () => {
  const { roundFigures } = await import('../../src/format/json.js');
  assert.deepEqual(roundFigures({ uptimeMs: 8412.479188999998, pps: 12.345678, bps: 3, entries: [{ lastUsedAgoMs: 0.6, avg: 1 / 3 }] }), {
    uptimeMs: 8412,
    pps: 12.35,
    bps: 3,
    entries: [{ lastUsedAgoMs: 1, avg: 0.33 }],
  });
});

test('an empty show mroute is one line', async () => {
  const t = await testRouter();
  try {
    for (const [line, want] of [
      ['show mroute', 'IP Multicast Routing Table is empty'],
      ['show ipv6 mroute', 'IPv6 Multicast Routing Table is empty'],
    ]) {
      const r = await t.run(line);
      assert.equal(present(r, line, { color: false, json: false }).text, want);
    }
  } finally {
    await t.router.close();
  }
});
