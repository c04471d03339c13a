// The real interactive shell in a real pseudo-terminal: tmux runs it at 80x24, we type a
// session with Tab, `?` and a typo, and read the screen with capture-pane; lines typed
// ahead of a long command (embedded and attached), a resize, the scrollback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './helpers.js';
import { Daemon, cleanupDaemons, mrsh, tempDir } from '../control/daemon-helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
// each test its own tmux server: a new one under a name just killed can fail to start
let S = '';
let servers = 0;

/** the next test's server (the one before it was just killed: its name can fail to start) */
const newServer = (): void => void (S = `mrsh-e2e-${process.pid}-${++servers}`);
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

/**
 * Waits until the shell reads keys: Ink turns the tty's canonical mode off (raw mode) when
 * its input handler is in place; keys sent before that are cooked by the line discipline
 * (Enter becomes \n, echoed by the tty) and do not reach the shell as typed.
 */
async function untilRaw(ms = 30_000): Promise<void> {
  const tty = tmux('display-message', '-p', '-t', S, '#{pane_tty}').stdout.trim();
  const t0 = Date.now();
  for (;;) {
    const r = spawnSync('stty', ['-F', tty, '-a'], { encoding: 'utf8' });
    if (r.status === 0 && /(^|\s)-icanon(\s|$)/.test(r.stdout)) return;
    if (Date.now() - t0 > ms) throw new Error(`the shell never put ${tty} in raw mode: ${r.stdout}${r.stderr}\nscreen:\n${screen()}`);
    await sleep(20);
  }
}

test('interactive session in tmux: Tab, ?, a typo, Ctrl-D', { skip: hasTmux ? false : 'tmux not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-tmux-'));
  const hist = join(dir, 'history');
  const cmd = `cd ${ROOT} && MRSH_HISTORY=${hist} NO_COLOR=1 ${process.execPath} --import tsx src/cli.ts`;
  newServer();
  { const r = tmux('new-session', '-d', '-s', S, '-x', '80', '-y', '24', cmd); assert.equal(r.status, 0, r.stderr); }
  tmux('set-option', '-t', S, 'remain-on-exit', 'on');
  try {
    // The first start compiles the sources through tsx: give a cold cache on a busy machine time.
    await until((s) => /^mrsh#/m.test(s), 30_000); // capture-pane trims trailing blanks
    await untilRaw();
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
  newServer();
  { const r = tmux('new-session', '-d', '-s', S, '-x', '80', '-y', '24', cmd); assert.equal(r.status, 0, r.stderr); }
  tmux('set-option', '-t', S, 'remain-on-exit', 'on');
  tmux('set-option', '-t', S, 'history-limit', '5000');
  const history = () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', S).stdout;
  try {
    await until((s) => /^mrsh#/m.test(s), 30_000);
    await untilRaw();
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
    // (a fixed interval on purpose: it asserts that nothing changes for a while)
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

/** the pane's whole history, wrapped lines joined */
const historyOf = () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', S).stdout;

async function startIn(cmd: string, cols = 80, rows = 24): Promise<void> {
  newServer();
  assert.equal(tmux('new-session', '-d', '-s', S, '-x', String(cols), '-y', String(rows), cmd).status, 0);
  tmux('set-option', '-t', S, 'remain-on-exit', 'on');
  tmux('set-option', '-t', S, 'history-limit', '5000');
  await until((s) => /^mrsh[@#]/m.test(s), 30_000);
  await untilRaw();
}

function typeLines(lines: string[]): void {
  for (const l of lines) {
    tmux('send-keys', '-t', S, '-l', l);
    tmux('send-keys', '-t', S, 'Enter');
  }
}

/**
 * Types eight mfc adds and a show while a million-packet inject runs, then checks that
 * every line ran, in order: each echoed after the inject's result, all eight entries in
 * the show that followed them.
 */
async function typeAhead(prompt: string): Promise<void> {
  typeLines(['mrt init', 'vif add 0 virtual eth0', 'vif add 1 virtual eth1', 'mfc add 10.9.9.9 239.9.9.9 iif 0 oif 1']);
  await until((s) => s.includes('mfc 1/0'));
  const ahead = Array.from({ length: 8 }, (_, i) => `mfc add 10.0.0.${i + 1} 239.1.1.1 iif 0 oif 1`);
  typeLines(['inject 0 10.9.9.9 239.9.9.9 count 1000000', ...ahead, 'show mfc']);
  // typed ahead for real: all of it went in before the inject answered
  assert.ok(!historyOf().includes('injected 1000000 packets'), 'the inject was still running when the lines were typed');
  // the show's own output, not the echo of the mfc add lines
  const shownAfter = (h: string) => (h.lastIndexOf(`${prompt}show mfc`) < 0 ? '' : h.slice(h.lastIndexOf(`${prompt}show mfc`)));
  await until(() => /10\.0\.0\.8\s+239\.1\.1\.1/.test(shownAfter(historyOf())), 60_000);
  const h = historyOf();
  const at = h.indexOf('injected 1000000 packets');
  assert.ok(at >= 0, h);
  let prev = at;
  for (const l of [...ahead, 'show mfc']) {
    const i = h.indexOf(`${prompt}${l}`, prev);
    assert.ok(i > prev, `${l} ran after the line before it:\n${h}`);
    prev = i;
  }
  const shown = h.slice(prev);
  for (let i = 1; i <= 8; i++) assert.match(shown, new RegExp(`10\\.0\\.0\\.${i}\\s+239\\.1\\.1\\.1`), `entry ${i} in show mfc`);
  assert.doesNotMatch(h, /^% /m, 'no line failed');
}

test('type-ahead in tmux, embedded: every line typed while a long inject runs is run, in order', { skip: hasTmux ? false : 'tmux not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-tmux-'));
  try {
    await startIn(`cd ${ROOT} && MRSH_HISTORY=${join(dir, 'history')} NO_COLOR=1 ${process.execPath} --import tsx src/cli.ts`);
    await typeAhead('mrsh# ');
  } finally {
    tmux('kill-server');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('type-ahead in tmux, attached to a daemon: every line typed while a long inject runs is run, in order', { skip: hasTmux ? false : 'tmux not installed' }, async () => {
  const dir = tempDir();
  const sock = join(dir, 'mrsh.sock');
  const d = new Daemon(sock, []);
  try {
    await d.ready();
    await startIn(`cd ${ROOT} && MRSH_HISTORY=${join(dir, 'history')} NO_COLOR=1 ${process.execPath} --import tsx src/cli.ts --socket ${sock}`);
    await typeAhead('mrsh@mrsh.sock# ');
    // and the daemon has them
    const r = mrsh(['--socket', sock, 'show', 'mfc']);
    for (let i = 1; i <= 8; i++) assert.match(r.stdout, new RegExp(`10\\.0\\.0\\.${i}\\s`));
  } finally {
    tmux('kill-server');
    cleanupDaemons();
  }
});

test('resize in tmux: after the window narrows to 50 columns, output wraps to 50 and nothing is lost', { skip: hasTmux ? false : 'tmux not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-tmux-'));
  try {
    await startIn(`cd ${ROOT} && MRSH_HISTORY=${join(dir, 'history')} NO_COLOR=1 ${process.execPath} --import tsx src/cli.ts`, 100, 30);
    tmux('set-option', '-t', S, 'window-size', 'manual');
    assert.equal(tmux('resize-window', '-t', S, '-x', '50', '-y', '30').status, 0);
    // the live part redraws at the new width
    await until((s) => s.split('\n').filter((l) => l.includes('IPv4 off')).every((l) => l.length <= 50) && s.includes('IPv4 off'));
    typeLines(['explain 10.0.0.1 239.1.1.1']);
    const phrase = 'not initialised: nothing is forwarded (mrt init ipv4)';
    const s = await until((x) => x.replace(/\s+/g, '').includes(phrase.replace(/\s+/g, '')));
    const lines = s.split('\n');
    assert.ok(lines.every((l) => l.length <= 50), `a line wider than 50:\n${s}`);
    assert.ok(!lines.some((l) => l.includes(phrase)), 'the 79-column reason did not fit on one row: it wrapped');
    // the command's output: from its echo to the live pane below it (whose one-row header
    // and status line are fitted to the width by design)
    const out = s.slice(s.lastIndexOf('mrsh# explain'), s.indexOf('─ upcalls', s.lastIndexOf('mrsh# explain')));
    assert.ok(out.includes('(mrt init ipv4)') && !out.includes('…'), `nothing cut off:\n${out}`);
    // the echoed command is whole too
    assert.ok(s.replace(/\s+/g, '').includes('mrsh#explain10.0.0.1239.1.1.1'));
  } finally {
    tmux('kill-server');
    rmSync(dir, { recursive: true, force: true });
  }
});
