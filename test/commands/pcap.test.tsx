// capture ... pcap FILE and monitor capture in the embedded modes (batch file, shell), read
// back with tshark; the refusals (stdout outside a one-shot, a file that cannot be made,
// a vif out of range) change nothing and name the file and errno.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { App } from '../../src/shell/App.js';
import { testRouter } from './helpers.js';
import { sleep, waitFor } from '../shell/helpers.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli.ts')];
const noShark = spawnSync('tshark', ['-v']).status === 0 ? null : 'tshark is not installed (scripts/ci-deps.sh)';

/** direction, TTL, length, captured length, interface name of each packet */
function read(file: string): string[] {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.packet_flags_direction', '-e', 'ip.ttl', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.interface_name', '-e', 'frame.time_epoch'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

const SETUP = `mrt init
vif add 0 virtual a
vif add 1 virtual b
mfc add 192.0.2.1 239.1.1.1 iif 0 oif 1
`;

test('batch: monitor capture until the file ends, capture N pcap FILE; both directions, snap length, stamps', { skip: noShark ?? false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-pcap-'));
  try {
    const f = join(dir, 'b.conf');
    writeFileSync(f, `${SETUP}monitor capture 1 pcap ${dir}/mon.pcapng\ninject 0 192.0.2.1 239.1.1.1 count 3 size 1000\ncapture 1 pcap ${dir}/out.pcapng\ncapture 0 pcap ${dir}/in.pcapng\n`);
    const t0 = Date.now() / 1000;
    const r = spawnSync(CLI[0], [...CLI.slice(1), '-f', f], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const t1 = Date.now() / 1000;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /3 packets of vif 1 \(3 sent, 0 arrived\) written to .*out\.pcapng \(pcapng\)/);
    assert.match(r.stderr, /monitor capture: 3 packets written to .*mon\.pcapng/);
    // monitor: whole packets; capture: the ring's first 128 bytes of each
    const mon = read(join(dir, 'mon.pcapng'));
    assert.equal(mon.length, 3);
    for (const l of mon) {
      const [dirn, ttl, len, cap, name, time] = l.split('\t');
      assert.deepEqual([dirn, ttl, len, cap, name], ['0x00000002', '63', '1000', '1000', 'vif1']);
      assert.ok(Number(time) >= t0 - 0.01 && Number(time) <= t1 + 0.01, 'stamped with the time it passed');
    }
    assert.deepEqual(read(join(dir, 'out.pcapng')).map((l) => l.split('\t').slice(0, 5).join(' ')), Array(3).fill('0x00000002 63 1000 128 vif1'));
    assert.deepEqual(read(join(dir, 'in.pcapng')).map((l) => l.split('\t').slice(0, 5).join(' ')), Array(3).fill('0x00000001 64 1000 128 vif0'), 'arrived, as sent: TTL 64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refused: - outside a one-shot, a directory that does not exist, a vif out of range; no file is made', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-pcap-'));
  const t = await testRouter();
  try {
    await t.runAll(SETUP);
    let r = await t.run('capture 1 pcap -');
    assert.ok(!r.ok);
    assert.match(r.error.message, /^capture: -: standard output \(-\) is for a one-shot command/);
    assert.equal(r.error.offset, 'capture 1 pcap '.length, 'the caret under the file');
    r = await t.run(`capture 1 pcap ${dir}/no/such/x.pcapng`);
    assert.ok(!r.ok);
    assert.match(r.error.message, /x\.pcapng: ENOENT: no such file or directory$/);
    r = await t.run(`capture 40 pcap ${dir}/v.pcapng`);
    assert.ok(!r.ok);
    assert.match(r.error.message, /EINVAL: vif 40 out of range/);
    r = await t.run(`monitor capture 40 pcap ${dir}/m.pcapng`);
    assert.ok(!r.ok);
    assert.ok(!existsSync(join(dir, 'v.pcapng')) && !existsSync(join(dir, 'm.pcapng')));
    // a one-shot takes -: the pcapng goes to stdout, the summary to stderr
    const one = spawnSync(CLI[0], [...CLI.slice(1), '--socket', join(dir, 'none.sock'), 'capture', '0', 'pcap', '-'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    // an explicit socket that does not answer is an error: nothing written
    assert.equal(one.status, 1);
    assert.equal(one.stdout.length, 0);
  } finally {
    await t.router.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shell: monitor capture runs until Ctrl-C; capture 1 pcap - is refused with a caret', { skip: noShark ?? false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-pcap-'));
  const t = await testRouter();
  await t.runAll(SETUP);
  const ui = render(<App router={t.router} color={false} historyPath={null} />);
  const type = async (s: string) => {
    ui.stdin.write(s);
    await sleep(20);
  };
  try {
    await waitFor(ui.lastFrame, (s) => s.includes('mrsh# '));
    await type(`monitor capture 1 pcap ${dir}/sh.pcapng\r`);
    await waitFor(ui.lastFrame, (s) => s.includes('Ctrl-C to stop') && s.includes('| capture (Ctrl'));
    await type('inject 0 192.0.2.1 239.1.1.1 count 4\r');
    await waitFor(ui.lastFrame, (s) => s.includes('injected 4 packets'));
    await type('\x03');
    await waitFor(ui.lastFrame, (s) => s.includes(`capture stopped: 4 packets of vif 1 written to ${dir}/sh.pcapng`), 5000);
    assert.deepEqual(read(join(dir, 'sh.pcapng')).map((l) => l.split('\t').slice(0, 4).join(' ')), Array(4).fill('0x00000002 63 60 60'));
    await type('capture 1 pcap -\r');
    const f = await waitFor(ui.lastFrame, (s) => s.includes('% capture: -: standard output'));
    assert.match(f, /\n {21}\^\n% capture: -/, 'caret under the -');
  } finally {
    ui.unmount();
    await t.router.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
