// Packet links on real veth pairs in namespaces made for this test:
//   ns a (sender, a0) ── veth ── r0 [ns r: packet links] r1 ── veth ── b0 (ns b, receiver)
// The sender keeps tx checksum offload ON, so what r0 reads is CHECKSUM_PARTIAL
// (native-io.md pitfall 1) and must come out with valid UDP checksums.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Link, RxBatch } from '../../../src/dataplane/links/link.js';
import { openPacketLink } from '../../../src/dataplane/links/packet.js';
import {
  Netns,
  buildUdp,
  hasPython,
  nsExec,
  skipReason,
  sleep,
  txOffloadOn,
  udpChecksumOk,
  udpCsumErrors,
  udpPayload,
  udpReceive,
  udpSend,
  until,
} from './helpers.js';

const why = skipReason();

interface Got {
  bytes: Buffer;
  eth: Buffer;
}

/** Copy every datagram out of the batch (the batch memory is reused after the callback). */
function collector(into: Got[]): (b: RxBatch) => void {
  return (b) => {
    for (let i = 0; i < b.count; i++) {
      const off = b.offsets[i]!;
      into.push({
        bytes: Buffer.from(b.buf.subarray(off, off + b.lengths[i]!)),
        eth: Buffer.from(b.buf.subarray(off - 14, off)),
      });
    }
  };
}

function macOf(ns: string, dev: string): string {
  return nsExec(ns, 'cat', [`/sys/class/net/${dev}/address`]).trim();
}

describe('packet link', { skip: why ?? false }, () => {
  const nets = new Netns();
  const links: Link[] = [];
  let A = '';
  let R = '';
  let B = '';
  let offloadNote = '';

  before(() => {
    A = nets.add('a');
    R = nets.add('r');
    B = nets.add('b');
    nets.veth(A, 'a0', R, 'r0');
    nets.veth(R, 'r1', B, 'b0');
    nsExec(A, 'ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'a0']);
    nsExec(A, 'ip', ['-6', 'addr', 'add', '2001:db8:77:1::1/64', 'dev', 'a0', 'nodad']);
    nsExec(R, 'ip', ['addr', 'add', '192.0.2.2/24', 'dev', 'r0']);
    nsExec(R, 'ip', ['addr', 'add', '198.51.100.2/24', 'dev', 'r1']);
    nsExec(B, 'ip', ['addr', 'add', '198.51.100.1/24', 'dev', 'b0']);
    nsExec(B, 'ip', ['-6', 'addr', 'add', '2001:db8:77:2::1/64', 'dev', 'b0', 'nodad']);
    // Receivers accept forwarded sources: reverse path via the router.
    nsExec(B, 'ip', ['route', 'add', 'default', 'via', '198.51.100.2']);
    nsExec(B, 'ip', ['-6', 'route', 'add', 'default', 'via', '2001:db8:77:2::2', 'dev', 'b0', 'onlink']);
    const off = txOffloadOn(A, 'a0');
    offloadNote = off.confirmed ? 'tx offload confirmed on' : (off.why ?? 'ethtool did not confirm tx on');
  });

  after(async () => {
    for (const l of links.splice(0)) await l.close();
    nets.cleanup();
  });

  const open = async (ifname: string): Promise<Link> => {
    const l = await openPacketLink(ifname, { netns: R });
    links.push(l);
    return l;
  };

  it('describes the interface', async () => {
    const l = await open('r0');
    assert.equal(l.kind, 'packet');
    assert.equal(l.name, 'r0');
    assert.equal(l.mtu, 1500);
    assert.equal(l.ifindex, Number(nsExec(R, 'cat', ['/sys/class/net/r0/ifindex']).trim()));
    assert.deepEqual([...l.addrs4], ['192.0.2.2']);
    await l.close();
    links.splice(links.indexOf(l), 1);
  });

  it('receives IPv4 and IPv6 UDP multicast with valid checksums despite tx offload', async (t) => {
    t.diagnostic(offloadNote);
    const l = await open('r0');
    const got: Got[] = [];
    l.start(collector(got));
    udpSend(A, 4, '239.77.0.1', 5000, '192.0.2.1', 5, 'v4', 7);
    udpSend(A, 6, 'ff15::77:1', 5000, '::%a0', 5, 'v6', 9);
    const mine = (g: Got): boolean => udpPayload(g.bytes).dport === 5000;
    assert.ok(await until(() => got.filter(mine).length >= 10, 3000), `got ${got.filter(mine).length}/10`);
    const v4 = got.filter(mine).filter((g) => g.bytes[0]! >> 4 === 4);
    const v6 = got.filter(mine).filter((g) => g.bytes[0]! >> 4 === 6);
    assert.deepEqual(
      v4.map((g) => udpPayload(g.bytes).payload),
      [0, 1, 2, 3, 4].map((i) => `v4-${i}`),
    );
    assert.deepEqual(
      v6.map((g) => udpPayload(g.bytes).payload),
      [0, 1, 2, 3, 4].map((i) => `v6-${i}`),
    );
    for (const g of v4) {
      const p = udpPayload(g.bytes);
      assert.equal(p.src, '192.0.2.1');
      assert.equal(p.dst, '239.77.0.1');
      assert.equal(p.ttl, 7);
      assert.ok(udpChecksumOk(g.bytes), 'IPv4 UDP checksum valid');
      assert.equal(g.bytes.length, 20 + 8 + 4, 'length is the IP datagram, Ethernet header stripped');
    }
    for (const g of v6) {
      const p = udpPayload(g.bytes);
      assert.equal(p.dst, 'ff15::77:1');
      assert.equal(p.ttl, 9);
      assert.ok(udpChecksumOk(g.bytes), 'IPv6 UDP checksum valid');
    }
    const completed = (l as unknown as { checksumsCompleted: number }).checksumsCompleted;
    t.diagnostic(`CHECKSUM_PARTIAL frames completed: ${completed}`);
    if (offloadNote === 'tx offload confirmed on') assert.ok(completed >= 10, 'the partial-checksum path was exercised');
    assert.ok(l.counters.rxPackets >= 10);
    assert.ok(l.counters.rxBytes >= 10 * 32);
    await l.close();
    links.splice(links.indexOf(l), 1);
  });

  it('drops non-IP frames and counts them', { skip: hasPython ? false : 'python3 not available to send a raw frame' }, async () => {
    const l = await open('r0');
    const got: Got[] = [];
    l.start(collector(got));
    const py =
      'import socket,sys\n' +
      's=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n' +
      's.bind(("a0",0))\n' +
      'for i in range(3): s.send(bytes.fromhex("ffffffffffff020000000001" + "88b5") + b"not ip" * 10)\n';
    nsExec(A, 'python3', ['-c', py]);
    assert.ok(await until(() => l.counters.rxDropped >= 3, 2000), `rxDropped ${l.counters.rxDropped}`);
    assert.equal(got.filter((g) => g.bytes.includes(Buffer.from('not ip'))).length, 0);
    await l.close();
    links.splice(links.indexOf(l), 1);
  });

  it('sends with the multicast MAC, its own source MAC, and does not read its own frames back', async () => {
    const out = await open('r1');
    const own: Got[] = [];
    out.start(collector(own));
    const rx4 = await udpReceive(B, 4, '239.77.0.2', 5001, '198.51.100.1');
    const rx6 = await udpReceive(B, 6, 'ff15::77:2', 5001, '::%b0');
    const tap = await openPacketLink('b0', { netns: B });
    links.push(tap);
    const tapped: Got[] = [];
    tap.start(collector(tapped));
    try {
      const d4 = [0, 1, 2].map((i) => buildUdp('192.0.2.1', '239.77.0.2', 5001, `tx4-${i}`));
      const d6 = [0, 1, 2].map((i) => buildUdp('2001:db8:77:1::1', 'ff15::77:2', 5001, `tx6-${i}`));
      // One shared buffer with several datagrams in it, as the router sends slices of its ring.
      const shared = Buffer.concat([d4[1]!, d6[1]!]);
      out.send(d4[0]!, 0, d4[0]!.length);
      out.send(d6[0]!, 0, d6[0]!.length);
      out.send(shared, 0, d4[1]!.length);
      out.send(shared, d4[1]!.length, d6[1]!.length);
      out.send(d4[2]!, 0, d4[2]!.length);
      out.send(d6[2]!, 0, d6[2]!.length);
      out.flush();
      assert.equal(out.counters.txPackets, 6);
      assert.equal(out.counters.txDropped, 0);
      assert.equal(out.counters.txBytes, 3 * d4[0]!.length + 3 * d6[0]!.length);
      await Promise.all([rx4.waitFor(3, 3000), rx6.waitFor(3, 3000)]);
      assert.deepEqual(rx4.messages.map((m) => m.payload), ['tx4-0', 'tx4-1', 'tx4-2']);
      assert.deepEqual(rx6.messages.map((m) => m.payload), ['tx6-0', 'tx6-1', 'tx6-2']);
      assert.equal(rx4.messages[0]!.from, '192.0.2.1');

      await until(() => tapped.filter((g) => udpPayload(g.bytes).dport === 5001).length >= 6, 2000);
      const srcMac = Buffer.from(macOf(R, 'r1').replace(/:/g, ''), 'hex');
      const frames = tapped.filter((g) => udpPayload(g.bytes).dport === 5001);
      assert.equal(frames.length, 6);
      for (const f of frames) {
        const v4 = f.bytes[0]! >> 4 === 4;
        assert.equal(f.eth.subarray(0, 6).toString('hex'), v4 ? '01005e4d0002' : '333300770002');
        assert.deepEqual(f.eth.subarray(6, 12), srcMac);
        assert.equal(f.eth.readUInt16BE(12), v4 ? 0x0800 : 0x86dd);
      }
      // B answers on b0 after it had every frame: a frame of our own looped back to the
      // link would have been queued on r1's socket before this one arrives
      udpSend(B, 4, '239.77.0.12', 5012, '198.51.100.1', 1, 'behind');
      assert.ok(await until(() => own.some((g) => udpPayload(g.bytes).dport === 5012), 3000), 'the link reads what B sends');
      assert.equal(own.filter((g) => udpPayload(g.bytes).dport === 5001).length, 0, 'own transmissions not looped back');
    } finally {
      rx4.stop();
      rx6.stop();
    }
  });

  it('counts refused datagrams in txDropped and keeps sending the rest', async () => {
    const out = await open('r1');
    const rx = await udpReceive(B, 4, '239.77.0.3', 5002, '198.51.100.1');
    try {
      const ok1 = buildUdp('192.0.2.1', '239.77.0.3', 5002, 'before');
      const big = buildUdp('192.0.2.1', '239.77.0.3', 5002, 'x'.repeat(1600)); // > MTU: EMSGSIZE
      const junk = Buffer.alloc(40); // not IP at all
      const ok2 = buildUdp('192.0.2.1', '239.77.0.3', 5002, 'after');
      out.send(ok1, 0, ok1.length);
      out.send(big, 0, big.length);
      out.send(junk, 0, junk.length);
      out.send(ok2, 0, ok2.length);
      assert.doesNotThrow(() => out.flush());
      assert.equal(out.counters.txPackets, 2);
      assert.equal(out.counters.txDropped, 2);
      await rx.waitFor(2, 3000);
      assert.deepEqual(rx.messages.map((m) => m.payload), ['before', 'after']);
    } finally {
      rx.stop();
    }
  });

  it('forwards CHECKSUM_PARTIAL input to a receiver that verifies the checksum', async (t) => {
    t.diagnostic(offloadNote);
    const inl = await open('r0');
    const outl = await open('r1');
    const rx4 = await udpReceive(B, 4, '239.77.0.4', 5003, '198.51.100.1');
    const rx6 = await udpReceive(B, 6, 'ff15::77:4', 5003, '::%b0');
    const errs4 = udpCsumErrors(B, 4);
    const errs6 = udpCsumErrors(B, 6);
    // A minimal relay: what the router does, minus the MFC lookup.
    inl.start((b) => {
      for (let i = 0; i < b.count; i++) {
        const off = b.offsets[i]!;
        const v = b.buf[off]! >> 4;
        const dst4 = v === 4 && b.buf[off + 16] === 239 && b.buf[off + 17] === 77;
        const dst6 = v === 6 && b.buf[off + 24] === 0xff && b.buf[off + 25] === 0x15;
        if (dst4 || dst6) outl.send(b.buf, off, b.lengths[i]!);
      }
      outl.flush();
    });
    try {
      udpSend(A, 4, '239.77.0.4', 5003, '192.0.2.1', 10, 'fwd4');
      udpSend(A, 6, 'ff15::77:4', 5003, '::%a0', 10, 'fwd6');
      await Promise.all([rx4.waitFor(10, 3000), rx6.waitFor(10, 3000)]);
      assert.equal(rx4.messages.length, 10, 'all IPv4 datagrams delivered (a bad checksum is dropped by the receiver)');
      assert.equal(rx6.messages.length, 10, 'all IPv6 datagrams delivered');
      assert.equal(udpCsumErrors(B, 4), errs4, 'no UDP checksum errors at the receiver');
      assert.equal(udpCsumErrors(B, 6), errs6, 'no UDP6 checksum errors at the receiver');
    } finally {
      rx4.stop();
      rx6.stop();
    }
  });

  it('host bypass: the link still gets multicast data, the host stack does not, until close', async (t) => {
    // A local member on the router host (R) joined on r0: it hears the group unless the
    // tcx program drops the data frames after the packet socket has them.
    const l = await openPacketLink('r0', { netns: R, hostBypass: true });
    links.push(l);
    const why = (l as unknown as { hostBypassError: string | null }).hostBypassError;
    if (why) return t.skip(`tcx unavailable here: ${why}`);
    const got: Got[] = [];
    l.start(collector(got));
    const local = await udpReceive(R, 4, '239.77.0.6', 5006, '192.0.2.2');
    try {
      udpSend(A, 4, '239.77.0.6', 5006, '192.0.2.1', 5, 'hb');
      const mine = (g: Got): boolean => udpPayload(g.bytes).dport === 5006;
      assert.ok(await until(() => got.filter(mine).length >= 5, 3000), `link got ${got.filter(mine).length}/5`);
      // a unicast datagram to the same port behind them (the program passes it): when it is
      // in, any multicast datagram the host stack took would be too
      udpSend(A, 4, '192.0.2.2', 5006, '192.0.2.1', 1, 'unicast');
      await local.waitFor(1, 3000);
      assert.deepEqual(local.messages.map((m) => m.payload), ['unicast-0'], 'the host stack saw none of the multicast data');
      await l.close();
      udpSend(A, 4, '239.77.0.6', 5006, '192.0.2.1', 3, 'after');
      await local.waitFor(4, 3000);
      assert.deepEqual(local.messages.slice(1).map((m) => m.payload), ['after-0', 'after-1', 'after-2'], 'program detached on close');
    } finally {
      local.stop();
    }
  });

  it('XDP input: multicast data through AF_XDP with checksums completed, the rest through the packet socket, detached on close', async (t) => {
    t.diagnostic(offloadNote);
    const warnings: string[] = [];
    const onWarn = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarn);
    const l = await openPacketLink('r0', { netns: R, xdp: true });
    links.push(l);
    await sleep(0); // warnings are emitted on the next tick
    process.off('warning', onWarn);
    assert.equal(l.xdp, true, `XDP input attached (${warnings.join('; ') || 'no warning'})`);
    assert.match(nsExec(R, 'ip', ['-d', 'link', 'show', 'r0']), /prog\/xdp/, 'an XDP program on r0');
    const got: Got[] = [];
    l.start(collector(got));
    udpSend(A, 4, '239.77.0.9', 5009, '192.0.2.1', 5, 'x4', 7);
    udpSend(A, 6, 'ff15::77:9', 5009, '::%a0', 5, 'x6', 9);
    // link-local group: not multicast data to route, so the XDP program passes it on
    udpSend(A, 4, '224.0.0.99', 5009, '192.0.2.1', 2, 'll', 1);
    const mine = (g: Got): boolean => udpPayload(g.bytes).dport === 5009;
    assert.ok(await until(() => got.filter(mine).length >= 12, 3000), `got ${got.filter(mine).length}/12`);
    const data = got.filter(mine).filter((g) => !udpPayload(g.bytes).payload.startsWith('ll'));
    assert.deepEqual(
      data.map((g) => udpPayload(g.bytes).payload).sort(),
      [0, 1, 2, 3, 4].flatMap((i) => [`x4-${i}`, `x6-${i}`]).sort(),
    );
    for (const g of data) assert.ok(udpChecksumOk(g.bytes), `UDP checksum valid (${udpPayload(g.bytes).payload})`);
    const completed = (l as unknown as { checksumsCompleted: number }).checksumsCompleted;
    t.diagnostic(`partial checksums completed on the AF_XDP path: ${completed}`);
    if (offloadNote === 'tx offload confirmed on') assert.ok(completed >= 10, 'the partial-checksum path was exercised');
    assert.equal(got.filter(mine).filter((g) => udpPayload(g.bytes).payload.startsWith('ll')).length, 2, 'link-local group via the packet socket');
    if (hasPython) {
      // Whole frames from a raw socket: a valid checksum and a wrong one that is not the
      // pseudo-header sum must both come through the AF_XDP path exactly as sent.
      const valid = buildUdp('192.0.2.1', '239.77.0.10', 5010, 'valid');
      const wrong = Buffer.from(buildUdp('192.0.2.1', '239.77.0.10', 5010, 'wrong'));
      wrong.writeUInt16BE(wrong.readUInt16BE(26) ^ 0x1234, 26);
      const frame = (ip: Buffer): string => '01005e4d000a' + '020000000001' + '0800' + ip.toString('hex');
      const py =
        'import socket,sys\n' +
        's=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n' +
        's.bind(("a0",0))\n' +
        'for h in sys.argv[1:]: s.send(bytes.fromhex(h))\n';
      nsExec(A, 'python3', ['-c', py, frame(valid), frame(wrong)]);
      const raw = (g: Got): boolean => udpPayload(g.bytes).dport === 5010;
      assert.ok(await until(() => got.filter(raw).length >= 2, 3000), `raw frames: ${got.filter(raw).length}/2`);
      const byPayload = new Map(got.filter(raw).map((g) => [udpPayload(g.bytes).payload, g.bytes]));
      assert.deepEqual(byPayload.get('valid'), valid, 'a valid checksum is left alone');
      assert.deepEqual(byPayload.get('wrong'), wrong, 'a wrong checksum that is not a partial one is passed on as it came');
      // A truncated datagram (IP total length beyond the frame) is dropped and counted.
      const cut = Buffer.from(buildUdp('192.0.2.1', '239.77.0.11', 5011, 'cut'));
      cut.writeUInt16BE(1000, 2);
      const dropped0 = l.counters.rxDropped;
      nsExec(A, 'python3', ['-c', py, '01005e4d000b' + '020000000001' + '0800' + cut.toString('hex')]);
      assert.ok(await until(() => l.counters.rxDropped > dropped0, 3000), 'counted as dropped');
      assert.equal(got.filter((g) => udpPayload(g.bytes).dport === 5011).length, 0, 'not delivered');
    }
    await l.close();
    links.splice(links.indexOf(l), 1);
    assert.doesNotMatch(nsExec(R, 'ip', ['-d', 'link', 'show', 'r0']), /prog\/xdp/, 'program detached on close');
  });

  it('XDP input: refused with the reason when a frame would not fit, the packet socket still works', async () => {
    nsExec(R, 'ip', ['link', 'set', 'r0', 'mtu', '3000']);
    try {
      const l = await openPacketLink('r0', { netns: R, xdp: true });
      links.push(l);
      assert.equal(l.xdp, false);
      assert.match((l as unknown as { xdpError: string }).xdpError, /MTU larger than an AF_XDP frame/);
      assert.doesNotMatch(nsExec(R, 'ip', ['-d', 'link', 'show', 'r0']), /prog\/xdp/, 'nothing left attached');
      const got: Got[] = [];
      l.start(collector(got));
      udpSend(A, 4, '239.77.0.12', 5012, '192.0.2.1', 3, 'm');
      assert.ok(await until(() => got.filter((g) => udpPayload(g.bytes).dport === 5012).length >= 3, 3000), 'through the packet socket');
      await l.close();
      links.splice(links.indexOf(l), 1);
    } finally {
      nsExec(R, 'ip', ['link', 'set', 'r0', 'mtu', '1500']);
    }
  });

  it('forwards the same with and without the PACKET_MMAP rings and qdisc bypass', async () => {
    for (const v of [
      { rxRing: false, txRing: false, qdiscBypass: false },
      { rxRing: true, txRing: false, qdiscBypass: true },
      { rxRing: false, txRing: true, qdiscBypass: false },
      { rxRing: true, txRing: true, qdiscBypass: true },
    ]) {
      const inl = await openPacketLink('r0', { netns: R, ...v });
      const outl = await openPacketLink('r1', { netns: R, ...v });
      links.push(inl, outl);
      // 239.78/16: the relay of the CHECKSUM_PARTIAL test (still open) only forwards 239.77/16
      const rx = await udpReceive(B, 4, '239.78.0.7', 5007, '198.51.100.1');
      inl.start((b) => {
        for (let i = 0; i < b.count; i++) {
          const off = b.offsets[i]!;
          if (b.buf[off]! >> 4 === 4 && b.buf[off + 16] === 239 && b.buf[off + 17] === 78) outl.send(b.buf, off, b.lengths[i]!);
        }
        outl.flush();
      });
      try {
        udpSend(A, 4, '239.78.0.7', 5007, '192.0.2.1', 200, 'v', 8, 1);
        await rx.waitFor(200, 5000);
        assert.equal(rx.messages.length, 200, `all delivered with ${JSON.stringify(v)}`);
        assert.equal(outl.counters.txPackets, 200);
        assert.equal(outl.counters.txDropped, 0);
      } finally {
        rx.stop();
        await inl.close();
        await outl.close();
      }
    }
  });

  it('costs no CPU while idle', async () => {
    const l = await open('r0');
    l.start(() => {});
    // a fixed interval on purpose: the test asserts that nothing is spent for a while
    const c0 = process.cpuUsage();
    await sleep(1000);
    const c = process.cpuUsage(c0);
    assert.ok(c.user + c.system < 100_000, `idle CPU ${(c.user + c.system) / 1000} ms over 1 s`);
  });

  it('removes itself cleanly: close is idempotent and later sends are dropped', async () => {
    const l = await open('r1');
    l.start(() => {});
    await l.close();
    await l.close();
    const d = buildUdp('192.0.2.1', '239.77.0.9', 5009, 'late');
    l.send(d, 0, d.length);
    l.flush();
    assert.equal(l.counters.txDropped, 1);
  });
});

if (why) {
  it('packet link tests', (t) => t.skip(why));
}
