// Captures Wireshark opens, from a daemon forwarding real packets between namespaces: the
// datagrams a real sender put on a veth arrive on vif 0 and leave on vif 1; a one-shot
// against the daemon writes them as pcapng to a file and to a pipe read by tshark
// (`mrsh capture 0 pcap - | tshark -r -`), and `monitor capture` streams every packet,
// whole, through the control socket into tshark until it is interrupted.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Netns, nsExec, skipReason, udpSend } from '../dataplane/links/helpers.js';
import { ControlClient } from '../../src/control/client.js';
import { Daemon, ROOT, cleanupDaemons, mrsh, tempDir } from '../control/daemon-helpers.js';

const PORT = 5412;
const SRC = '198.51.100.2';
const GROUP = '239.77.1.1';
const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli.ts')];
const FIELDS = ['frame.packet_flags_direction', 'frame.time_epoch', 'ip.src', 'ip.dst', 'ip.ttl', 'ip.proto', 'frame.len', 'frame.cap_len', 'udp.payload', 'frame.interface_name'];

const why = skipReason() ?? (spawnSync('tshark', ['-v']).status === 0 ? null : 'tshark is not installed (scripts/ci-deps.sh)');

interface Row {
  dir: number;
  time: number;
  src: string;
  dst: string;
  ttl: number;
  proto: number;
  len: number;
  caplen: number;
  payload: string;
  ifname: string;
}

function rows(text: string): Row[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const f = l.split('\t');
      return {
        dir: parseInt(f[0], 16),
        time: Number(f[1]),
        src: f[2],
        dst: f[3],
        ttl: Number(f[4]),
        proto: Number(f[5]),
        len: Number(f[6]),
        caplen: Number(f[7]),
        payload: Buffer.from(f[8].replace(/:/g, ''), 'hex').toString(),
        ifname: f[9],
      };
    });
}

const tsharkArgs = (file: string) => ['-r', file, '-T', 'fields', ...FIELDS.flatMap((f) => ['-e', f])];

describe('pcapng captures from a daemon on real links', { concurrency: false }, () => {
  const ns = new Netns(`mrsh-pc-${process.pid}`);
  let S = '';
  let sock = '';
  let dir = '';
  let client: ControlClient | null = null;

  /** waits until the daemon has forwarded n packets of (SRC, GROUP) */
  async function forwarded(n: number): Promise<void> {
    const end = Date.now() + 10000;
    for (;;) {
      const r = await client!.request(`show mroute ${SRC} ${GROUP} | json`);
      const got = r.ok && r.output?.kind === 'mroute' ? r.output.entries[0]?.packets ?? 0 : 0;
      if (got >= n) return;
      if (Date.now() > end) throw new Error(`forwarded ${got} of ${n} packets`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  before(async () => {
    if (why) return;
    S = ns.add('s');
    const R = ns.add('r');
    const O = ns.add('o');
    ns.veth(S, 's0', R, 'r0');
    ns.veth(O, 'o0', R, 'r1');
    nsExec(S, 'ip', ['addr', 'add', `${SRC}/24`, 'dev', 's0']);
    nsExec(S, 'ip', ['route', 'add', '239.0.0.0/8', 'dev', 's0']);
    nsExec(O, 'ip', ['addr', 'add', '203.0.113.2/24', 'dev', 'o0']);
    dir = tempDir();
    sock = join(dir, 'mrsh.sock');
    writeFileSync(join(dir, 'startup.conf'), `mrt init ipv4\nvif add 0 dev r0\nvif add 1 dev r1\nmfc add ${SRC} ${GROUP} iif 0 oif 1\n`);
    const d = new Daemon(sock, ['-f', join(dir, 'startup.conf')], { ns: R });
    await d.ready();
    client = await ControlClient.connect(sock);
  });

  after(() => {
    client?.close();
    cleanupDaemons();
    ns.cleanup();
  });

  it('capture N pcap FILE and pcap - | tshark -r -: what arrived on vif 0 and what left on vif 1, stamped', async (t) => {
    if (why) return t.skip(why);
    const t0 = Date.now() / 1000;
    udpSend(S, 4, GROUP, PORT, SRC, 5, 'pc', 8, 2);
    await forwarded(5);
    const t1 = Date.now() / 1000;

    // vif 0 through a pipe: the bytes crossed the control socket and stdout whole
    const piped = spawnSync('sh', ['-c', `"$@" capture 0 pcap - | tshark ${tsharkArgs('-').map((a) => `'${a}'`).join(' ')}`, 'sh', ...CLI, '--socket', sock], { encoding: 'utf8', timeout: 30000 });
    assert.equal(piped.status, 0, piped.stderr);
    assert.match(piped.stderr, /packets of vif 0 \(\d+ sent, \d+ arrived\) written to standard output/, 'the summary goes to stderr, not into the pipe');
    const in0 = rows(piped.stdout).filter((r) => r.proto === 17);
    assert.deepEqual(
      in0.map((r) => r.payload),
      ['pc-0', 'pc-1', 'pc-2', 'pc-3', 'pc-4'],
    );
    for (const r of in0) {
      assert.equal(r.dir, 1, 'inbound');
      assert.equal(r.ttl, 8, 'as the sender sent it');
      assert.equal(r.src, SRC);
      assert.equal(r.dst, GROUP);
      assert.equal(r.ifname, 'vif0');
      assert.equal(r.caplen, r.len, 'small datagrams are kept whole');
      assert.ok(r.time >= t0 - 0.01 && r.time <= t1 + 0.01, `timestamp ${r.time} within the send (${t0}..${t1})`);
    }

    // vif 1 into a file, written by the client
    const file = join(dir, 'vif1.pcapng');
    const one = mrsh(['--socket', sock, 'capture', '1', 'pcap', file]);
    assert.equal(one.status, 0, one.stderr);
    assert.match(one.stdout, /5 packets of vif 1 \(5 sent, 0 arrived\) written to /);
    const out1 = rows(spawnSync('tshark', tsharkArgs(file), { encoding: 'utf8' }).stdout);
    assert.deepEqual(
      out1.map((r) => [r.dir, r.ttl, r.payload]),
      [0, 1, 2, 3, 4].map((i) => [2, 7, `pc-${i}`]),
      'outbound, TTL decremented',
    );
    // the file's link type: LINKTYPE_RAW (101) in its interface description block
    const b = readFileSync(file);
    const shbLen = b.readUInt32LE(4);
    assert.equal(b.readUInt32LE(shbLen), 1, 'IDB after the section header');
    assert.equal(b.readUInt16LE(shbLen + 8), 101, 'LINKTYPE_RAW');
    const info = spawnSync('capinfos', ['-E', file], { encoding: 'utf8' }).stdout;
    assert.match(info, /Raw IP/);
  });

  it('monitor capture N pcap - streams every packet whole through the daemon into tshark until SIGINT', async (t) => {
    if (why) return t.skip(why);
    const N = 200;
    // a real pipe between them (a FIFO): tshark refuses a socket on its standard input,
    // which is what a child's stdio pipe is
    const fifo = join(dir, 'stream');
    spawnSync('mkfifo', [fifo]);
    const shark = spawn('tshark', ['-l', ...tsharkArgs(fifo)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let sharkErr = '';
    shark.stderr!.setEncoding('utf8').on('data', (d: string) => (sharkErr += d));
    const fd = openSync(fifo, 'w'); // returns once tshark opened its end
    const mon = spawn(CLI[0], [...CLI.slice(1), '--socket', sock, 'monitor', 'capture', '1', 'pcap', '-'], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    const kill = setTimeout(() => {
      mon.kill('SIGKILL');
      shark.kill('SIGKILL');
    }, 60000);
    try {
      let err = '';
      mon.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
      const lines: string[] = [];
      createInterface({ input: shark.stdout! }).on('line', (l) => lines.push(l));
      const sharkDone = new Promise<number | null>((r) => shark.once('exit', r));
      const monDone = new Promise<number | null>((r) => mon.once('exit', r));
      const until = async (pred: () => boolean, what: string) => {
        const end = Date.now() + 20000;
        while (!pred()) {
          if (Date.now() > end) throw new Error(`${what}; mrsh said: ${err}; tshark said: ${sharkErr}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await until(() => err.includes('capturing vif 1 to standard output'), 'the capture did not start');
      // payloads of 1000 bytes and more: several writes of the stream per packet
      const big = 'x'.repeat(1200);
      udpSend(S, 4, GROUP, PORT, SRC, N, big, 8, 0);
      await until(() => lines.length >= N, `tshark saw ${lines.length} of ${N} packets`);
      mon.kill('SIGINT');
      assert.equal(await monDone, 0);
      assert.equal(await sharkDone, 0);
      assert.match(err, new RegExp(`${N} packets of vif 1 written to standard output`));
      const got = rows(lines.join('\n'));
      assert.equal(got.length, N, 'no packet missing, none extra');
      const seen = new Set(got.map((r) => r.payload));
      for (let i = 0; i < N; i++) assert.ok(seen.has(`${big}-${i}`), `datagram ${i} in the capture`);
      for (const r of got) {
        assert.equal(r.dir, 2, 'outbound');
        assert.equal(r.ttl, 7);
        assert.equal(r.caplen, r.len, 'whole');
        assert.equal(r.len, 20 + 8 + big.length + 1 + String(Number(r.payload.slice(big.length + 1))).length);
      }
    } finally {
      clearTimeout(kill);
      mon.kill('SIGKILL');
      shark.kill('SIGKILL');
    }
  });
});
