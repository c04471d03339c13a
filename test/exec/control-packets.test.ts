// What a PIM daemon's control packets meet under `mrsh exec`, against the kernel in the
// same namespace (tools/pim_probe.py, run once on the kernel, then under the preload
// library): malformed IGMP/PIM sends get the kernel's own answer and leave mrsh running;
// PIM Registers addressed to the router are decapsulated into the register vif as
// Linux's pim_rcv does (a NOCACHE upcall naming the register vif), malformed ones are
// dropped and counted; a `pimreg` interface exists while the register vif does; an IGMP
// flood to a socket that does not read is bounded by that socket and counted.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { Lab, Probe, labMissing, until } from './lab.js';

const skip = labMissing() ?? (spawnSync('python3', ['--version']).error ? 'no python3' : null);
const TOOL = new URL('./tools/pim_probe.py', import.meta.url).pathname;
const LOCAL = '192.0.2.1';
const SENDS = ['igmp-ihl-beyond', 'igmp-truncated', 'igmp-empty', 'pim-ihl-beyond', 'pim-truncated', 'pim-oversize'];
const REGISTERS = ['short', 'badsum', 'unicast-inner', 'overlong-inner', 'null', 'good'];

const hasLink = (ns: string, dev: string): boolean => spawnSync('ip', ['-n', ns, 'link', 'show', dev], { stdio: 'ignore' }).status === 0;

describe('control packets of a PIM daemon under mrsh exec', { skip: skip ?? false }, () => {
  const lab = new Lab();
  const kernelProbes: Probe[] = [];
  before(() => lab.open());
  after(() => {
    for (const p of kernelProbes) p.kill();
    lab.close();
  });

  const onKernel = (): Probe => {
    const p = new Probe(spawn('ip', ['netns', 'exec', lab.ns, TOOL], { stdio: ['pipe', 'pipe', 'pipe'] }));
    kernelProbes.push(p);
    return p;
  };
  const json = async (p: Probe, cmd: string): Promise<any> => JSON.parse(await p.q(cmd));
  const stats = (): Record<string, number> => {
    const r = lab.mrsh('show', 'statistics', '--json');
    assert.equal(r.status, 0, r.stderr);
    return Object.fromEntries((JSON.parse(r.stdout).counters as { field: string; value: number }[]).map((c) => [c.field, c.value]));
  };

  /** one probe's answers to every case: malformed sends, then Registers and the upcalls they cause */
  async function scenario(p: Probe): Promise<{ sends: Record<string, unknown>; registers: Record<string, unknown>; upcalls: unknown[] }> {
    assert.deepEqual(await json(p, `init ${LOCAL}`), { ok: true });
    const sends: Record<string, unknown> = {};
    for (const c of SENDS) sends[c] = await json(p, `send ${c}`);
    await json(p, 'drain');
    const registers: Record<string, unknown> = {};
    for (const c of REGISTERS) registers[c] = await json(p, `register ${c} ${LOCAL}`);
    // the good Register's inner datagram misses the MFC: one NOCACHE upcall on the register vif
    let upcalls: unknown[] = [];
    const end = Date.now() + 10000;
    while (upcalls.length === 0 && Date.now() < end) {
      upcalls = ((await json(p, 'drain')) as { proto?: number }[]).filter((m) => m.proto === 0);
      if (upcalls.length === 0) await new Promise((r) => setTimeout(r, 50)); // polling the socket, bounded
    }
    return { sends, registers, upcalls };
  }

  let kernel: Awaited<ReturnType<typeof scenario>> | null = null;

  it('on the kernel (the yardstick): malformed sends answered, the good Register decapsulated into the register vif', async () => {
    const p = onKernel();
    try {
      kernel = await scenario(p);
      assert.ok(hasLink(lab.ns, 'pimreg'), "the kernel's pimreg exists while its register vif does");
    } finally {
      p.kill();
      await p.exited;
    }
    assert.deepEqual(kernel.sends['igmp-ihl-beyond'], { errno: 'EINVAL' });
    assert.deepEqual(kernel.sends['igmp-truncated'], { ret: 3 });
    // Linux's NOCACHE: the IP header and an 8-byte igmphdr
    assert.deepEqual(kernel.upcalls, [{ proto: 0, type: 1, vif: 1, src: '192.0.2.99', dst: '239.1.2.3', len: 28 }]);
    await until(() => !hasLink(lab.ns, 'pimreg'), () => "the kernel's pimreg stays after its socket closed");
  });

  it('under mrsh exec: the same answers and the same upcall; bad Registers counted; mrsh keeps running; pimreg comes and goes', async () => {
    assert.ok(kernel, 'the kernel half passed first');
    const before = stats();
    const p = lab.probe(TOOL);
    const m = await scenario(p).catch((e: Error) => {
      throw new Error(`${e.message}\nprobe stderr:\n${p.stderr}\nmrsh log:\n${lab.daemon.log.slice(-2000)}`);
    });
    assert.deepEqual(m, kernel, 'the kernel answers every send as on the kernel, and the Registers give the same upcalls');
    assert.ok(hasLink(lab.ns, 'pimreg'), 'mrsh made pimreg for the register vif');
    const after = stats();
    const d = (k: string): number => (after[k] ?? 0) - (before[k] ?? 0);
    assert.deepEqual(
      { tooshort: d('pims_rcv_tooshort'), badsum: d('pims_rcv_badsum'), bad: d('pims_rcv_badregisters'), registers: d('pims_rcv_registers_msgs'), total: d('pims_rcv_total_msgs') },
      { tooshort: 1, badsum: 1, bad: 2, registers: 1, total: 6 },
      'each malformed Register counted once by its reason; the Null-Register and the good one as messages',
    );
    assert.equal(lab.mrsh('show', 'mrt').status, 0, 'mrsh still answers');
    p.kill();
    await p.exited;
    await until(() => !hasLink(lab.ns, 'pimreg'), () => 'pimreg stays after the daemon closed its routing socket');
  });

  it("an IGMP flood to a socket that does not read: bounded by the socket, every report counted, the queue read back whole", async () => {
    const p = lab.probe(TOOL);
    assert.deepEqual(await json(p, `init ${LOCAL}`), { ok: true });
    await json(p, 'drain');
    const before = stats();
    const N = 20000;
    // IGMPv2 reports from 192.0.2.77 into vb: they arrive on va, the probe's vif 0
    const flood = `
import socket, struct
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
igmp = struct.pack('!BBH4s', 0x16, 0, 0, socket.inet_aton('239.1.1.1'))
igmp = igmp[:2] + struct.pack('!H', csum(igmp)) + igmp[4:]
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 28, 0, 0, 1, 2, 0, socket.inet_aton('192.0.2.77'), socket.inet_aton('239.1.1.1'))
ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('vb', 0))
frame = bytes.fromhex('01005e010101') + bytes.fromhex('020000000077') + b'\\x08\\x00' + ip + igmp
for i in range(${N}): s.send(frame)
`;
    const r = spawnSync('ip', ['netns', 'exec', lab.ns, 'python3', '-c', flood], { encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, r.stderr);
    const d = (k: string): number => (stats()[k] ?? 0) - (before[k] ?? 0);
    // wait until mrsh has taken in what it will of the flood (its counters stop moving)
    let last = -1;
    await until(
      () => {
        const n = d('control_to_daemon') + d('control_dropped_sockfull');
        const still = n === last;
        last = n;
        return still && n > 0;
      },
      () => `mrsh saw none of the flood`,
      30000,
    );
    const delivered = d('control_to_daemon');
    const dropped = d('control_dropped_sockfull');
    assert.ok(delivered + dropped <= N, `no report counted twice: ${delivered} + ${dropped} of ${N}`);
    assert.ok(dropped > 0, `the socket's buffer filled: ${dropped} dropped, ${delivered} delivered`);
    assert.ok(delivered < N / 4, `bounded by the socket: ${delivered} queued`);
    const queued = ((await json(p, 'drain')) as any[]).filter((x) => x.proto === 2 && x.src === '192.0.2.77').length;
    assert.equal(queued, delivered, 'what was counted delivered is what the program reads');
    assert.equal(lab.mrsh('show', 'mrt').status, 0, 'mrsh still answers');
  });

  it('IPv6: an MLD report on a mif reaches a pim6sd-like ICMPv6 routing socket, IPV6_PKTINFO naming the arrival interface', async () => {
    const p = lab.probe(new URL('./tools/mld_probe.py', import.meta.url).pathname, { env: { MLD_PIFI: String(lab.ifindex), MLD_COUNT: '1' } });
    // the probe prints "ready" unasked: take it as the answer to an empty line
    assert.equal(await p.q(''), 'ready', p.stderr);
    const frame = `
import socket
hbh = bytes([58, 0, 5, 2, 0, 0, 1, 0])  # next ICMPv6; router alert (MLD), PadN
mld = bytes([143, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0]) + socket.inet_pton(socket.AF_INET6, 'ff0e::1:3')
ip6 = bytes([0x60, 0, 0, 0]) + (len(hbh) + len(mld)).to_bytes(2, 'big') + bytes([0, 1]) + socket.inet_pton(socket.AF_INET6, 'fe80::77') + socket.inet_pton(socket.AF_INET6, 'ff02::16')
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('vb', 0))
s.send(bytes.fromhex('33330000001602000000007786dd') + ip6 + hbh + mld)
`;
    const got = p.q('', 10000);
    const r = spawnSync('ip', ['netns', 'exec', lab.ns, 'python3', '-c', frame], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(await got), { type: 143, from: 'fe80::77', ifindex: lab.ifindex, dst: 'ff02::16' });
  });
});
