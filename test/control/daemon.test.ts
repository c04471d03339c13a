// `mrsh daemon` as a process: startup file, one-shot clients attaching, stale sockets,
// another user refused by the socket's mode, SIGHUP as a diff, SIGTERM cleanup, and
// SIGKILL during write memory (the startup file is always whole).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlClient } from '../../src/control/client.js';
import { Daemon, cleanupDaemons, mrsh, mrshAsync, prepareUserCli, tempDir } from './daemon-helpers.js';

const BASE = `mrt init ipv4
vif add 0 virtual eth0
vif add 1 virtual eth1
vif add 2 virtual eth2
mfc add 10.0.0.1 239.1.1.1 iif 0 oif 1
`;

const haveNobody = spawnSync('id', ['-u', 'nobody']).status === 0 && spawnSync('runuser', ['--help']).status === 0 && process.getuid?.() === 0;

describe('mrsh daemon', { concurrency: false }, () => {
  after(cleanupDaemons);

  it('applies the startup file, serves one-shot clients, stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const sock = join(dir, 's.sock');
    const conf = join(dir, 'startup.conf');
    writeFileSync(conf, BASE);
    const d = new Daemon(sock, ['-f', conf]);
    await d.ready();
    assert.equal(statSync(sock).mode & 0o777, 0o600);
    let r = mrsh(['--socket', sock, 'inject', '0', '10.0.0.1', '239.1.1.1', 'count', '4']);
    assert.equal(r.status, 0, r.stderr);
    // several one-shot clients at once
    const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => mrshAsync(['--socket', sock, 'mfc', 'add', `10.0.9.${i}`, '239.9.9.9', 'iif', '0', 'oif', '2'])));
    for (const x of rs) assert.equal(x.status, 0, x.stderr);
    r = mrsh(['--socket', sock, 'show', 'mroute', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.entries.length, 7);
    assert.equal(j.entries.find((e: { group: string }) => e.group === '239.1.1.1').packets, 4);
    // errors keep their exit statuses through the socket
    assert.equal(mrsh(['--socket', sock, 'show', 'mr', '1.2.3.4.5']).status, 2);
    const bad = mrsh(['--socket', sock, 'vif', 'add', '40', 'virtual', 'x']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /EINVAL: vif index 40 out of range/);
    d.kill('SIGTERM');
    assert.equal(await d.exited, 0);
    assert.equal(existsSync(sock), false, 'socket file removed');
    assert.match(d.log, /SIGTERM: stopping/);
    // every log line says when
    for (const l of d.log.trimEnd().split('\n')) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z mrsh\[\d+\]: /, l);
  });

  it('a stale socket is reported and not trusted', async () => {
    const dir = tempDir();
    const sock = join(dir, 's.sock');
    const d = new Daemon(sock, []);
    await d.ready();
    d.kill('SIGKILL');
    await d.exited;
    assert.ok(existsSync(sock), 'SIGKILL leaves the socket file');
    // named explicitly: an error
    const r = mrsh(['--socket', sock, 'show', 'mrt']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /stale socket, no daemon answers \(ECONNREFUSED\)/);
    // the default path: reported, then an embedded router
    const r2 = mrsh(['show', 'mrt'], { env: { MRSH_SOCKET: sock } });
    assert.equal(r2.status, 0);
    assert.match(r2.stderr, /stale socket.*running on an embedded router/);
    // a new daemon replaces the stale file
    const d2 = new Daemon(sock, []);
    await d2.ready();
    assert.match(d2.log, /stale socket/);
    d2.kill();
    await d2.exited;
  });

  it('another user is refused by the socket mode; --group admits a group', { skip: haveNobody ? false : 'needs root, runuser and the user nobody' }, async () => {
    await prepareUserCli();
    const dir = tempDir();
    const sock = join(dir, 's.sock');
    const d = new Daemon(sock, []);
    await d.ready();
    const r = mrsh(['--socket', sock, 'show', 'mrt'], { user: 'nobody' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /permission denied \(EACCES\)/);
    d.kill();
    await d.exited;
    const group = spawnSync('id', ['-gn', 'nobody'], { encoding: 'utf8' }).stdout.trim();
    const d2 = new Daemon(sock, ['--group', group]);
    await d2.ready();
    assert.equal(statSync(sock).mode & 0o777, 0o660);
    const r2 = mrsh(['--socket', sock, 'show', 'mrt', '--json'], { user: 'nobody' });
    assert.equal(r2.status, 0, r2.stderr);
    d2.kill();
    await d2.exited;
  });

  // issue #14 §4: whoever bound the path first received the client's commands and files
  it('a client refuses a socket another user listens on, and sends it nothing', { skip: haveNobody ? false : 'needs root, runuser and the user nobody' }, async () => {
    const dir = tempDir();
    const nd = join(dir, 'nobody');
    mkdirSync(nd);
    const uid = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout);
    chownSync(nd, uid, -1);
    const sock = join(nd, 'fake.sock');
    // a fake daemon, as nobody: it prints whatever it is sent and answers every line "ok"
    const fake = spawn('runuser', ['-u', 'nobody', '--', process.execPath, '-e', `
      require('net').createServer((c) => c.on('data', (d) => { process.stdout.write(d); for (const l of String(d).split('\\n')) if (l) { const id = JSON.parse(l).id; c.write(JSON.stringify({ id, ok: true, output: null, result: {} }) + '\\n'); } }))
        .listen(${JSON.stringify(sock)}, () => { require('fs').chmodSync(${JSON.stringify(sock)}, 0o777); console.error('listening'); });`], { cwd: nd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let got = '';
    let log = '';
    fake.stdout!.setEncoding('utf8').on('data', (d: string) => (got += d));
    fake.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
    try {
      while (!log.includes('listening')) {
        if (fake.exitCode !== null) throw new Error(`fake daemon: ${log}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const secret = join(dir, 'secret.conf');
      writeFileSync(secret, 'mrt init\n# secret\n', { mode: 0o600 });
      const r = mrshAsync(['--socket', sock, 'configure', 'replace', secret]);
      const res = await r;
      assert.equal(res.status, 1, res.stderr);
      assert.match(res.stderr, new RegExp(`runs as uid ${uid}, neither root nor you .*not trusted, nothing sent`));
      // the default path (MRSH_SOCKET) is no more trusted than a named one
      const r2 = mrsh(['show', 'mrt'], { env: { MRSH_SOCKET: sock } });
      assert.equal(r2.status, 1);
      assert.match(r2.stderr, /not trusted/);
      assert.equal(got, '', 'the fake daemon received nothing');
    } finally {
      // runuser's child too (the whole group), or its pipes keep this test process alive
      try {
        process.kill(-fake.pid!, 'SIGKILL');
      } catch {
        fake.kill('SIGKILL');
      }
      fake.stdout!.destroy();
      fake.stderr!.destroy();
    }
  });

  it('a file that is not a socket at --socket is refused and kept', async () => {
    const dir = tempDir();
    const f = join(dir, 'f.sock');
    writeFileSync(f, 'data\n');
    const d = new Daemon(f, []);
    assert.equal(await d.exited, 1);
    assert.match(d.log, /f\.sock exists and is not a socket: refusing to replace it/);
    assert.equal(readFileSync(f, 'utf8'), 'data\n');
  });

  it('SIGHUP applies the startup file as a diff: unchanged entries keep their counters', async () => {
    const dir = tempDir();
    const sock = join(dir, 's.sock');
    const conf = join(dir, 'startup.conf');
    writeFileSync(conf, BASE + 'mfc add 10.0.0.2 239.1.1.2 iif 0 oif 1\n');
    const d = new Daemon(sock, ['-f', conf]);
    await d.ready();
    const c = await ControlClient.connect(sock);
    await c.request('inject 0 10.0.0.1 239.1.1.1 count 7');
    await c.request('mfc add 10.0.7.7 239.7.7.7 iif 0 oif 2'); // runtime state
    writeFileSync(conf, BASE + 'mfc add 10.0.0.3 239.1.1.3 iif 0 oif 2\n');
    d.kill('SIGHUP');
    for (let i = 0; i < 100 && !d.log.includes('SIGHUP: '); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(d.log, /SIGHUP: .*1 removed, 1 added or changed, \d+ unchanged, 1 runtime kept/);
    const r = await c.request('show mroute | json');
    assert.ok(r.ok && r.output?.kind === 'mroute');
    const groups = r.output.entries.map((e) => e.group).sort();
    assert.deepEqual(groups, ['239.1.1.1', '239.1.1.3', '239.7.7.7']);
    assert.equal(r.output.entries.find((e) => e.group === '239.1.1.1')!.packets, 7, 'counters untouched');
    c.close();
    d.kill();
    await d.exited;
  });

  it('SIGKILL during write memory, many times: the startup file is always whole', async () => {
    const dir = tempDir();
    const sock = join(dir, 's.sock');
    const conf = join(dir, 'startup.conf');
    const header = ['! mrsh running configuration', ...BASE.trim().split('\n')];
    writeFileSync(conf, header.join('\n') + '\n');
    const entry = (k: number) => `mfc add 10.${(k >> 8) & 255}.${k & 255}.9 239.8.${(k >> 8) & 255}.${k & 255} iif 0 oif 1`;
    let k = 0;
    for (let round = 0; round < 8; round++) {
      const d = new Daemon(sock, ['-f', conf]);
      await d.ready();
      const c = await ControlClient.connect(sock);
      // write memory over and over, each time with one more entry; the kill lands mid-stream
      const killAt = Date.now() + 100 + Math.random() * 300;
      let writes = 0;
      while (Date.now() < killAt) {
        await c.request(entry(k++));
        const w = await c.request('write memory');
        if (w.ok) writes++;
      }
      d.kill('SIGKILL');
      await d.exited;
      c.close();
      const text = readFileSync(conf, 'utf8');
      const lines = text.split('\n');
      assert.equal(lines.pop(), '', 'ends with a newline: not cut short');
      assert.deepEqual(lines.slice(0, header.length), header);
      const entries = lines.slice(header.length);
      // exactly the first n entries, in order: the file of one write memory, whole
      entries.forEach((l, i) => assert.equal(l, entry(i)));
      assert.ok(writes > 0);
      k = entries.length; // the restarted daemon loads this file
    }
  });
});
