// The Ink app through ink-testing-library, against the real embedded router.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import { App } from '../../src/shell/App.js';
import { testRouter } from '../commands/helpers.js';
import { plain, sleep, waitFor } from './helpers.js';
import { helpLines } from '../../src/shell/completion.js';
import { getGrammar } from '../../src/commands/table.js';

/** types at a typist's pace (a key chunk per write); what follows waits for its frame */
async function type(stdin: { write(s: string): void }, text: string) {
  stdin.write(text);
  await sleep(20);
}

test('prompt, status line and upcall pane; commands run and the status follows', async () => {
  const t = await testRouter();
  const ui = render(<App router={t.router} color={false} historyPath={null} />);
  let f = await waitFor(ui.lastFrame, (s) => s.includes('mrsh# '));
  assert.match(f, /IPv4 off IPv6 off \| vifs 0\/0/);
  assert.match(f, /upcalls NOCACHE 0 {2}WRONGVIF 0 {2}WHOLEPKT 0 {2}BW_UPCALL 0/);
  for (const l of ['mrt init', 'vif add 0 virtual eth0', 'vif add 1 virtual eth1', 'mfc add 10.0.0.1 239.1.1.1 iif 0 oif 1']) {
    await type(ui.stdin, l);
    await type(ui.stdin, '\r');
  }
  f = await waitFor(ui.lastFrame, (s) => /IPv4 on IPv6 off \| vifs 2\/0 \| mfc 1\/0/.test(s));
  assert.ok(f.split('\n').length <= 24, 'fits the terminal');
  ui.unmount();
  await t.router.close();
});

test('? help, Tab completion and a typo with a caret', async () => {
  const t = await testRouter();
  const ui = render(<App router={t.router} color={false} historyPath={null} />);
  await waitFor(ui.lastFrame, (s) => s.includes('mrsh# '));
  await type(ui.stdin, 'sh');
  await type(ui.stdin, '\t');
  let f = await waitFor(ui.lastFrame, (s) => s.includes('mrsh# show '));
  await type(ui.stdin, '?');
  f = await waitFor(ui.lastFrame, (s) => s.includes('running-config'));
  assert.match(f, /mrsh# show \?/);
  assert.match(f, /mroute {2,}the multicast routing table, Cisco style/);
  // the line survives the help listing
  assert.match(f.split('\n').at(-1)!, /^mrsh# show/);
  await type(ui.stdin, '\x15'); // Ctrl-U
  await type(ui.stdin, 'mfc add 10.0.0.1 239.1.1.1 iff 0\r');
  f = await waitFor(ui.lastFrame, (s) => s.includes("% Invalid input at 'iff'"));
  const lines = f.split('\n');
  const at = lines.findIndex((l) => l.startsWith('mrsh# mfc add'));
  assert.equal(lines[at + 1], `${' '.repeat('mrsh# mfc add 10.0.0.1 239.1.1.1 '.length)}^`);
  ui.unmount();
  await t.router.close();
});

test('history: up arrow recalls, Ctrl-C cancels a line', async () => {
  const t = await testRouter();
  const ui = render(<App router={t.router} color={false} historyPath={null} />);
  await waitFor(ui.lastFrame, (s) => s.includes('mrsh# '));
  await type(ui.stdin, 'show mrt\r');
  await type(ui.stdin, 'foo');
  await type(ui.stdin, '\x03');
  let f = await waitFor(ui.lastFrame, (s) => s.includes('mrsh# foo^C'));
  await type(ui.stdin, '\x1b[A');
  f = await waitFor(ui.lastFrame, (s) => s.split('\n').at(-1)!.startsWith('mrsh# show mrt'));
  assert.ok(f);
  ui.unmount();
  await t.router.close();
});

test('the upcall pane decodes upcalls from the router', async () => {
  const t = await testRouter();
  await t.runAll('mrt init\nvif add 0 virtual eth0\nvif add 1 virtual eth1');
  const ui = render(<App router={t.router} color={false} historyPath={null} paneIntervalMs={20} />);
  await waitFor(ui.lastFrame, (s) => s.includes('mrsh# '));
  await type(ui.stdin, 'inject 0 10.9.9.9 239.5.5.5\r');
  const f = await waitFor(ui.lastFrame, (s) => s.includes('NOCACHE 1'));
  assert.match(f, /NOCACHE {3}vif 0 \(10\.9\.9\.9, 239\.5\.5\.5\)/);
  ui.unmount();
  await t.router.close();
});

test('a flood of 100,000 upcalls coalesces into few renders and typing still works', async () => {
  const t = await testRouter();
  // the real router, with a way to fire its upcall listeners the way a flood would
  const listeners = new Set<(ev: unknown) => void>();
  const router = new Proxy(t.router, {
    get(target, prop, recv) {
      if (prop === 'on') return (_e: string, fn: (ev: unknown) => void) => listeners.add(fn);
      if (prop === 'off') return (_e: string, fn: (ev: unknown) => void) => listeners.delete(fn);
      const v = Reflect.get(target, prop, recv);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const ui = render(<App router={router} color={false} historyPath={null} />);
  await waitFor(ui.lastFrame, (s) => s.includes('mrsh# '));
  const before = ui.frames.length;
  const t0 = Date.now();
  let seq = 0;
  // 100,000 upcalls over one second, in 10 ms bursts, while typing
  const typing = 'show vif';
  for (let burst = 0; burst < 100; burst++) {
    for (let i = 0; i < 1000; i++) {
      seq++;
      const ev = { seq, timeMs: Date.now(), family: 'inet', type: i % 10 ? 'NOCACHE' : 'WRONGVIF', vif: 0, source: '10.0.0.1', group: '239.1.1.1', hex: '', length: 20 };
      for (const l of listeners) l(ev);
    }
    if (burst % 10 === 0 && burst / 10 < typing.length) ui.stdin.write(typing[burst / 10]);
    await sleep(10); // the schedule of the flood (10 ms bursts), not a wait
  }
  const elapsed = Date.now() - t0;
  const f = await waitFor(ui.lastFrame, (s) => s.includes('NOCACHE 90000') && s.split('\n').at(-1)!.startsWith('mrsh# show vif'));
  assert.match(f, /WRONGVIF 10000/);
  const renders = ui.frames.length - before;
  // ≤ 10 pane renders a second plus one per key typed, with slack for timer jitter
  assert.ok(renders <= (elapsed / 1000) * 12 + typing.length + 5, `${renders} renders in ${elapsed} ms`);
  ui.unmount();
  await t.router.close();
});

test('long lines wrap, nothing is cut: echoed command, caret, error, ? help, explain', async () => {
  const t = await testRouter();
  await t.runAll('mrt init\nvif add 0 virtual eth0\nvif add 1 virtual eth1');
  const ui = render(<App router={t.router} color={false} historyPath={null} />);
  try {
  await waitFor(ui.lastFrame, (s) => s.includes('mrsh# '));
  // 100 columns in ink-testing-library: this line is longer
  const long = `mfc add 10.0.0.1 239.1.1.1 iif 0 ${Array.from({ length: 14 }, () => 'oif 1').join(' ')} bogus`;
  await type(ui.stdin, long + '\r');
  let f = await waitFor(ui.lastFrame, (s) => s.includes("% Invalid input at 'bogus'"));
  assert.ok(!f.includes('…'), f);
  const lines = f.split('\n');
  const at = lines.findIndex((l) => l.startsWith('mrsh# mfc add'));
  assert.equal(lines[at] + lines[at + 1], `mrsh# ${long}`);
  assert.equal(lines[at + 2], `${' '.repeat((`mrsh# ${long}`.length - 'bogus'.length) % 100)}^`);
  await type(ui.stdin, 'show ?');
  f = await waitFor(ui.lastFrame, (s) => s.includes('mrsh# show ?') && s.includes('running-config'));
  assert.ok(!f.includes('…'), f);
  assert.ok(f.split('\n').every((l) => l.length <= 100));
  // ? help narrower than its texts: each goes on under its column
  const help = helpLines(getGrammar(), 'show ', 50);
  assert.ok(help.every((l) => l.length <= 50 && !l.includes('…')), help.join('\n'));
  assert.ok(help.join(' ').replace(/\s+/g, ' ').includes('API negotiation (MRT_INIT, MRT_PIM, MRT_API_CONFIG)'));
  } finally {
  ui.unmount();
  await t.router.close();
  }
});

test('idle costs nothing: no frame is drawn while nothing changes', async () => {
  const t = await testRouter();
  const ui = render(<App router={t.router} color={false} historyPath={null} />);
  try {
  await waitFor(ui.lastFrame, (s) => s.includes('mrsh# '));
  // the start is over when a frame has stood for three pane intervals (100 ms each)
  let n = ui.frames.length;
  for (let t0 = Date.now(), still = Date.now(); Date.now() - still < 300; await sleep(20)) {
    if (ui.frames.length !== n) (n = ui.frames.length), (still = Date.now());
    assert.ok(Date.now() - t0 < 5000, 'the start settles');
  }
  // a fixed interval on purpose: the test asserts that nothing is drawn for a while
  const before = ui.frames.length;
  await sleep(2500);
  assert.equal(ui.frames.length - before, 0);
  } finally {
  ui.unmount();
  await t.router.close();
  }
});

test('conf t gives the mrsh(config)# prompt, commands keep their meaning, do and end', async () => {
  const t = await testRouter();
  const ui = render(<App router={t.router} color={false} historyPath={null} />);
  try {
    await waitFor(ui.lastFrame, (s) => s.includes('mrsh# '));
    await type(ui.stdin, 'conf t\r');
    await waitFor(ui.lastFrame, (s) => s.split('\n').at(-1)!.startsWith('mrsh(config)# '));
    await type(ui.stdin, 'mrt init\r');
    await type(ui.stdin, 'do show mrt\r');
    let f = await waitFor(ui.lastFrame, (s) => s.includes('mrsh(config)# do show mrt') && /IPv4\s+on/i.test(s));
    assert.ok(f.includes('mrsh(config)# mrt init'));
    await type(ui.stdin, 'exit\r');
    f = await waitFor(ui.lastFrame, (s) => s.split('\n').at(-1)!.startsWith('mrsh# '));
    await type(ui.stdin, 'conf t\r');
    await type(ui.stdin, 'end\r');
    f = await waitFor(ui.lastFrame, (s) => s.includes('mrsh(config)# end') && s.split('\n').at(-1)!.startsWith('mrsh# '));
    assert.ok(t.router.status().inet.initialized);
  } finally {
    ui.unmount();
    await t.router.close();
  }
});
