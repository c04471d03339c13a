// The panes on their own: pure renders of given state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import { StatusLine } from '../../src/shell/StatusLine.js';
import { UpcallPane } from '../../src/shell/UpcallPane.js';
import { UpcallTally } from '../../src/shell/upcall-tally.js';
import { painter } from '../../src/format/style.js';
import { testRouter } from '../commands/helpers.js';
import { plain } from './helpers.js';

test('status line: families, vifs, entries, rates, cut to the width', async () => {
  const t = await testRouter();
  await t.runAll('mrt init\nvif add 0 virtual e0\nmfc add 10.0.0.1 239.1.1.1 iif 0');
  const ui = render(<StatusLine status={t.router.status()} width={80} busy={null} p={painter(false)} />);
  const f = plain(ui.lastFrame());
  assert.equal(f.trimEnd(), ' IPv4 on IPv6 off | vifs 1/0 | mfc 1/0 | unresolved 0 | fwd 0 pps | upcalls 0/s');
  const narrow = render(<StatusLine status={t.router.status()} width={30} busy={null} p={painter(false)} />);
  assert.equal(plain(narrow.lastFrame()).length, 30);
  await t.router.close();
});

test('upcall pane: counts, rate, newest events, BW_UPCALL decoded', () => {
  let now = 0;
  const tally = new UpcallTally(8, () => now);
  tally.add({ seq: 1, timeMs: 0, family: 'inet', type: 'NOCACHE', vif: 0, source: '10.0.0.1', group: '239.1.1.1', hex: '', length: 20 });
  tally.add({
    seq: 2,
    timeMs: 0,
    family: 'inet',
    type: 'BW_UPCALL',
    vif: 0,
    source: '0.0.0.0',
    group: '0.0.0.0',
    hex: '',
    length: 20,
    bw: [{ source: '10.0.0.1', group: '239.1.1.1', flags: 0x1 | 0x4, thresholdMs: 3000, thresholdPackets: 10, thresholdBytes: 0, measuredMs: 1200, measuredPackets: 10, measuredBytes: 0 }],
  });
  now = 1000;
  const snap = tally.snapshot();
  const ui = render(<UpcallPane snap={snap} height={4} width={100} p={painter(false)} />);
  const lines = plain(ui.lastFrame()).split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0], /upcalls NOCACHE 1 {2}WRONGVIF 0 {2}WHOLEPKT 0 {2}BW_UPCALL 1 {2}2\/s/);
  assert.match(lines[2], /NOCACHE {3}vif 0 \(10\.0\.0\.1, 239\.1\.1\.1\)/);
  assert.match(lines[3], /BW_UPCALL vif 0 \(10\.0\.0\.1, 239\.1\.1\.1\) 10 pkts >= 10 in 1\.2s\/3\.0s/);
});
