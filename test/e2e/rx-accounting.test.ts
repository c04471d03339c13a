// Every frame in exactly one counter from the wire on (issue #14 §3). A daemon in namespace
// r has a dev vif (r0), a dev+xdp vif (r2) and a tun vif; mixed frames (valid multicast,
// non-IP, VLAN-tagged, truncated, bad total length) are sent into each, then a flood while
// the daemon is stopped (SIGSTOP) so the kernel's ring or queue overflows. For each link,
// the frames the interface itself counted equal `show vif`'s Frames = To-Engine +
// Link-Drops + Kernel-Drops, and each class lands under its reason.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Netns, hasPython, nsExec, skipReason } from '../dataplane/links/helpers.js';
import { ControlClient } from '../../src/control/client.js';
import { Daemon, cleanupDaemons, tempDir } from '../control/daemon-helpers.js';
import { ifStat } from './traffic.js';
import type { LinkRx } from '../../src/router/api.js';

const why = skipReason() ?? (hasPython ? null : 'python3 is needed to send raw frames');
const TUN = `mrx${process.pid % 100000}`;
const PER_CLASS = 300;
const FLOOD = 6000;

// One IPv4 UDP datagram 198.51.100.2 -> 239.53.0.1 (the checksum is not the link's business).
const IP = '4500002a000040000811' + '0000' + 'c6336402' + 'ef350001' + '1f401f400016' + '0000' + '00'.repeat(14);
const ETH = '01005e350001' + '020000000001';
/** the frame classes as hex, for a link with an Ethernet header (eth) or without (tun) */
function classes(eth: boolean): Record<string, string> {
  const e = (type: string, body: string) => (eth ? ETH + type + body : body);
  const c: Record<string, string> = {
    valid: e('0800', IP),
    truncated: e('0800', IP.slice(0, 20)), // 10 bytes of an IP header
    'bad-length': e('0800', '450005dc' + IP.slice(8)), // total length 1500 in a 42-byte datagram
  };
  if (eth) {
    c['not-ip'] = ETH + '88b5' + '00'.repeat(46);
    c.vlan = ETH + '8100' + '0064' + '0800' + IP;
  } else c['not-ip'] = '5' + IP.slice(1); // version 5
  return c;
}

/** python: send each hex frame `count` times on dev, in bursts with a pause (the daemon keeps up) */
function sendFrames(ns: string, dev: string, frames: string[], count: number, burst: number, pauseMs: number): void {
  const py = `
import socket, sys, time
dev, count, burst, pause = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]) / 1000
frames = [bytes.fromhex(h) for h in sys.argv[5:]]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
n = 0
for i in range(count):
    for f in frames:
        try:
            s.send(f)
        except OSError as e:  # ENOBUFS: refused on the sender's side, never on the wire
            if e.errno != 105: raise
            time.sleep(0.001)
        n += 1
        if n % burst == 0 and pause: time.sleep(pause)
`;
  nsExec(ns, 'python3', ['-c', py, dev, String(count), String(burst), String(pauseMs), ...frames]);
}

const total = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);

describe('every frame in exactly one counter, from the wire on', { concurrency: false, timeout: 120_000 }, () => {
  const ns = new Netns(`mrsh-rx-${process.pid}`);
  let S = '';
  let R = '';
  let d: Daemon | null = null;
  let c: ControlClient | null = null;

  before(async () => {
    if (why) return;
    S = ns.add('s');
    R = ns.add('r');
    ns.veth(S, 's0', R, 'r0');
    ns.veth(S, 's2', R, 'r2');
    const dir = tempDir();
    const sock = join(dir, 'mrsh.sock');
    writeFileSync(join(dir, 'startup.conf'), ['mrt init ipv4', 'vif add 0 dev r0', 'vif add 1 dev r2 xdp', `vif add 2 tun ${TUN} local 192.0.2.1`, 'mfc add 198.51.100.2 239.53.0.1 iif 0'].join('\n') + '\n');
    // the xdp vif tunes r2 and cleanupDaemons() ends the daemon with SIGKILL: its record of
    // the NAPI originals goes in the test's own directory, not in /run/mrsh for good
    d = new Daemon(sock, ['-f', join(dir, 'startup.conf')], { ns: R, env: { MRSH_RUN_DIR: join(dir, 'run') } });
    await d.ready(30_000);
    assert.match(d.log, /5 of 5 commands applied/, d.log);
    c = await ControlClient.connect(sock);
  });

  after(() => {
    c?.close();
    if (d) d.kill('SIGCONT');
    cleanupDaemons();
    ns.cleanup();
  });

  async function rxOf(vif: number): Promise<LinkRx & { xdp: boolean }> {
    const r = await c!.request('show vif | json');
    assert.ok(r.ok && r.output?.kind === 'vif');
    const v = r.output.vifs.find((x) => x.index === vif)!;
    assert.ok(v.rx, `vif ${vif} reports its link input`);
    return { ...v.rx, xdp: v.link?.xdp === true };
  }

  /** what the interface itself counted as received (a TUN: what the host sent into it) */
  const wire = (dev: string, tun: boolean): number => (tun ? ifStat(R, dev, 'tx_packets') + ifStat(R, dev, 'tx_dropped') : ifStat(R, dev, 'rx_packets'));

  /** waits until the link's Frames equal the interface's count; returns both */
  async function settle(vif: number, dev: string, tun: boolean, base: { rx: LinkRx; wire: number }): Promise<{ rx: LinkRx; frames: number; wire: number }> {
    const end = Date.now() + 10_000;
    for (;;) {
      const rx = await rxOf(vif);
      const w = wire(dev, tun) - base.wire;
      const frames = rx.frames - base.rx.frames;
      if (frames === w || Date.now() > end) return { rx, frames, wire: w };
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  for (const [vif, dev, tun, label] of [
    [0, 'r0', false, 'dev'],
    [1, 'r2', false, 'dev + xdp'],
    [2, TUN, true, 'tun'],
  ] as const) {
    it(`${label}: mixed frames by reason, then a flood past the kernel's ring; the interface's count = Frames`, async (t) => {
      if (why) return t.skip(why);
      const sendNs = tun ? R : S;
      const sendDev = tun ? TUN : vif === 0 ? 's0' : 's2';
      const base = { rx: await rxOf(vif), wire: wire(dev, tun) };
      if (vif === 1) assert.ok(base.rx.xdp, 'the xdp vif really has XDP input');
      const cls = classes(!tun);
      sendFrames(sendNs, sendDev, Object.values(cls), PER_CLASS, 50, 2);
      const a = await settle(vif, dev, tun, base);
      t.diagnostic(`mixed: interface ${a.wire}, Frames ${a.frames}, link ${JSON.stringify(a.rx.dropped)}, kernel ${JSON.stringify(a.rx.kernelDropped)}`);
      assert.equal(a.frames, a.wire, 'Frames = what the interface received');
      const kernel = total(a.rx.kernelDropped) - total(base.rx.kernelDropped);
      assert.equal(kernel, 0, 'paced: nothing lost in the kernel');
      const by = (r: string) => (a.rx.dropped[r] ?? 0) - (base.rx.dropped[r] ?? 0);
      if (tun) {
        // a TUN carries bare datagrams: the link hands all of them on, the engine's ledger judges
        assert.equal(total(a.rx.dropped) - total(base.rx.dropped), 0);
        assert.ok(a.rx.handed - base.rx.handed >= 4 * PER_CLASS);
      } else {
        for (const r of ['not-ip', 'vlan', 'truncated', 'bad-length']) assert.equal(by(r), PER_CLASS, `${r} counted under its reason`);
        assert.ok(a.rx.handed - base.rx.handed >= PER_CLASS, 'the valid frames reached the engine');
      }
      // the daemon stopped: the kernel's ring (a TUN's queue) overflows, and says so
      const base2 = { rx: a.rx, wire: wire(dev, tun) };
      d!.kill('SIGSTOP');
      try {
        sendFrames(sendNs, sendDev, [cls.valid!], FLOOD, 1000, 0);
      } finally {
        d!.kill('SIGCONT');
      }
      const b = await settle(vif, dev, tun, base2);
      const kdrops = total(b.rx.kernelDropped) - total(base2.rx.kernelDropped);
      t.diagnostic(`flood: interface ${b.wire}, Frames ${b.frames}, handed ${b.rx.handed - base2.rx.handed}, kernel ${JSON.stringify(b.rx.kernelDropped)}`);
      assert.equal(b.frames, b.wire, 'Frames = what the interface received, kernel drops included');
      assert.ok(kdrops > 0, 'the overflow is counted as the kernel\'s drops');
    });
  }
});
