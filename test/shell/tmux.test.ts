// The real interactive shell in a real pseudo-terminal: tmux runs it at 80x24, we type a
// session with Tab, `?` and a typo, and read the screen with capture-pane.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const S = `mrsh-e2e-${process.pid}`;

const tmux = (...args: string[]) => spawnSync('tmux', ['-L', S, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', S).stdout;

async function until(ok: (s: string) => boolean, ms = 8000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const s = screen();
    if (ok(s)) return s;
    if (Date.now() - t0 > ms) throw new Error(`timed out; screen:\n${s}`);
    await sleep(50);
  }
}

test('interactive session in tmux: Tab, ?, a typo, Ctrl-D', { skip: hasTmux ? false : 'tmux not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-tmux-'));
  const hist = join(dir, 'history');
  const cmd = `cd ${ROOT} && MRSH_HISTORY=${hist} NO_COLOR=1 ${process.execPath} --import tsx src/cli.ts`;
  assert.equal(tmux('new-session', '-d', '-s', S, '-x', '80', '-y', '24', cmd).status, 0);
  tmux('set-option', '-t', S, 'remain-on-exit', 'on');
  try {
    // The first start compiles the sources through tsx: give a cold cache on a busy machine time.
    await until((s) => /^mrsh#/m.test(s), 30_000); // capture-pane trims trailing blanks
    await sleep(500); // keys sent before Ink puts the tty in raw mode would be lost
    for (const l of ['mrt init', 'vif add 0 virtual eth0', 'vif add 1 virtual eth1', 'mfc add 10.0.0.1 239.1.1.1 iif 0 oif 1:4']) {
      tmux('send-keys', '-t', S, '-l', l);
      tmux('send-keys', '-t', S, 'Enter');
    }
    await until((s) => s.includes('mfc 1/0'));
    tmux('send-keys', '-t', S, '-l', 'sh');
    tmux('send-keys', '-t', S, 'Tab');
    await until((s) => /^mrsh# show\s*$/m.test(s));
    tmux('send-keys', '-t', S, '-l', 'mr?');
    let s = await until((x) => x.includes('mrsh# show mr?'));
    assert.match(s, /mroute\s+the multicast routing table/);
    assert.match(s, /mrt\s+multicast routing on\/off/);
    tmux('send-keys', '-t', S, '-l', 'oute');
    tmux('send-keys', '-t', S, 'Enter');
    s = await until((x) => x.includes('Outgoing interface list:') && x.includes('TTL threshold 4'));
    assert.match(s, /\(10\.0\.0\.1, 239\.1\.1\.1\), 00:00:0\d\/stopped/);
    tmux('send-keys', '-t', S, '-l', 'mfc add 10.0.0.2 239.1.1.1 iif 0 ttl=5');
    tmux('send-keys', '-t', S, 'Enter');
    s = await until((x) => x.includes("% Invalid input at 'ttl=5'"));
    const lines = s.split('\n');
    const i = lines.findIndex((l) => l.startsWith('mrsh# mfc add 10.0.0.2'));
    assert.equal(lines[i + 1], `${' '.repeat('mrsh# mfc add 10.0.0.2 239.1.1.1 iif 0 '.length)}^`);
    assert.ok(s.split('\n').every((l) => l.length <= 80));
    assert.match(s, /IPv4 on IPv6 off \| vifs 2\/0 \| mfc 1\/0/);
    tmux('send-keys', '-t', S, 'C-d');
    await until(() => tmux('list-panes', '-t', S, '-F', '#{pane_dead}').stdout.trim() === '1');
    const h = readFileSync(hist, 'utf8').split('\n');
    assert.ok(h.includes('show mroute'));
    assert.ok(h.includes('mfc add 10.0.0.2 239.1.1.1 iif 0 ttl=5'));
  } finally {
    tmux('kill-server');
  }
});

test('the terminal keeps what the shell printed: tmux history, after exit too; idle draws nothing', { skip: hasTmux ? false : 'tmux not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-tmux-'));
  const cmd = `cd ${ROOT} && MRSH_HISTORY=${join(dir, 'history')} NO_COLOR=1 ${process.execPath} --import tsx src/cli.ts`;
  assert.equal(tmux('new-session', '-d', '-s', S, '-x', '80', '-y', '24', cmd).status, 0);
  tmux('set-option', '-t', S, 'remain-on-exit', 'on');
  tmux('set-option', '-t', S, 'history-limit', '5000');
  const history = () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', S).stdout;
  try {
    await until((s) => /^mrsh#/m.test(s), 30_000);
    await sleep(500); // keys sent before Ink puts the tty in raw mode would be lost
    // more than a screenful: `help` alone is longer than 24 rows
    for (const l of ['mrt init', 'vif add 0 virtual eth0', 'help', 'show vif']) {
      tmux('send-keys', '-t', S, '-l', l);
      tmux('send-keys', '-t', S, 'Enter');
    }
    await until((s) => s.includes('mrsh# show vif') && /Vif\s+Thresh/.test(s));
    const h = history();
    for (const want of ['multicast router shell', 'mrsh# mrt init', 'mrsh# vif add 0 virtual eth0', 'mrsh# help', 'mrsh# show vif'])
      assert.ok(h.includes(want), `history lacks ${want}:\n${h}`);
    // idle: the pane's content stops changing (nothing redrawn)
    const a = screen();
    await sleep(1500);
    assert.equal(screen(), a);
    tmux('send-keys', '-t', S, 'C-d');
    await until(() => tmux('list-panes', '-t', S, '-F', '#{pane_dead}').stdout.trim() === '1');
    const after = history();
    for (const want of ['mrsh# mrt init', 'mrsh# help', 'mrsh# show vif']) assert.ok(after.includes(want), `after exit, history lacks ${want}:\n${after}`);
  } finally {
    tmux('kill-server');
  }
});
