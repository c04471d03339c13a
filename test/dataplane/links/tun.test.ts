// TUN links on devices this test creates inside a namespace of its own. A real UDP socket
// in that namespace sends through the device (the link reads it) and receives what the
// link writes (the kernel takes it as arriving on the device).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Link, RxBatch } from '../../../src/dataplane/links/link.js';
import { openTunLink } from '../../../src/dataplane/links/tun.js';
import { Netns, buildUdp, nsExec, skipReason, sleep, udpChecksumOk, udpPayload, udpReceive, udpSend, until } from './helpers.js';

const why = skipReason();

function collector(into: Buffer[]): (b: RxBatch) => void {
  return (b) => {
    for (let i = 0; i < b.count; i++) into.push(Buffer.from(b.buf.subarray(b.offsets[i]!, b.offsets[i]! + b.lengths[i]!)));
  };
}

const devExists = (ns: string, dev: string): boolean => nsExec(ns, 'ip', ['link', 'show', 'dev', dev], { allowFail: true }) !== '';

describe('tun link', { skip: why ?? false }, () => {
  const nets = new Netns();
  const links: Link[] = [];
  let T = '';
  const dev = `mt${process.pid}`.slice(0, 15);

  before(() => {
    T = nets.add('t');
  });

  after(async () => {
    for (const l of links.splice(0)) await l.close();
    nets.cleanup();
  });

  const open = async (name: string, opts: Parameters<typeof openTunLink>[1] = {}): Promise<Link> => {
    const l = await openTunLink(name, { netns: T, ...opts });
    links.push(l);
    return l;
  };
  const done = async (l: Link): Promise<void> => {
    await l.close();
    links.splice(links.indexOf(l), 1);
  };

  it('creates the device up, with MTU and addresses, and removes it on close', async () => {
    const l = await open(dev, { mtu: 1400, addrs4: ['192.0.2.1/24'], addrs6: ['2001:db8:78::1/64'] });
    assert.equal(l.kind, 'tun');
    assert.equal(l.name, dev);
    assert.equal(l.mtu, 1400);
    assert.equal(l.ifindex, Number(nsExec(T, 'cat', [`/sys/class/net/${dev}/ifindex`]).trim()));
    assert.deepEqual([...l.addrs4], ['192.0.2.1']);
    assert.ok(l.addrs6.includes('2001:db8:78::1'), `addrs6 ${l.addrs6.join(',')}`);
    const show = nsExec(T, 'ip', ['link', 'show', 'dev', dev]);
    assert.match(show, /[<,]UP[,>]/);
    assert.match(show, /mtu 1400/);
    await done(l);
    assert.equal(devExists(T, dev), false, 'device removed on close');
  });

  it('attaches to an existing persistent device and leaves it in place', async () => {
    const name = `${dev.slice(0, 13)}p`;
    nsExec(T, 'ip', ['tuntap', 'add', 'mode', 'tun', 'name', name]);
    try {
      const l = await open(name);
      assert.equal((l as unknown as { created: boolean }).created, false);
      assert.match(nsExec(T, 'ip', ['link', 'show', 'dev', name]), /[<,]UP[,>]/);
      await done(l);
      assert.equal(devExists(T, name), true, 'persistent device kept');
    } finally {
      nsExec(T, 'ip', ['tuntap', 'del', 'mode', 'tun', 'name', name], { allowFail: true });
    }
  });

  it('receives what a socket sends to a group through the device (IPv4 and IPv6)', async () => {
    const l = await open(dev, { addrs4: ['192.0.2.1/24'], addrs6: ['2001:db8:78::1/64'] });
    const got: Buffer[] = [];
    l.start(collector(got));
    udpSend(T, 4, '239.78.0.1', 6000, '192.0.2.1', 5, 'tun4', 3);
    udpSend(T, 6, 'ff15::78:1', 6000, `::%${dev}`, 5, 'tun6', 4);
    const mine = (d: Buffer): boolean => udpPayload(d).dport === 6000;
    assert.ok(await until(() => got.filter(mine).length >= 10, 3000), `got ${got.filter(mine).length}/10`);
    const v4 = got.filter(mine).filter((d) => d[0]! >> 4 === 4);
    const v6 = got.filter(mine).filter((d) => d[0]! >> 4 === 6);
    assert.deepEqual(v4.map((d) => udpPayload(d).payload), [0, 1, 2, 3, 4].map((i) => `tun4-${i}`));
    assert.deepEqual(v6.map((d) => udpPayload(d).payload), [0, 1, 2, 3, 4].map((i) => `tun6-${i}`));
    for (const d of v4) {
      assert.equal(udpPayload(d).dst, '239.78.0.1');
      assert.equal(udpPayload(d).src, '192.0.2.1');
      assert.equal(udpPayload(d).ttl, 3);
      assert.ok(udpChecksumOk(d));
    }
    for (const d of v6) {
      assert.equal(udpPayload(d).dst, 'ff15::78:1');
      assert.equal(udpPayload(d).ttl, 4);
      assert.ok(udpChecksumOk(d));
    }
    assert.ok(l.counters.rxPackets >= 10);
    await done(l);
  });

  it('writes datagrams the host receives on the device, never reading them back', async () => {
    const l = await open(dev, { addrs4: ['192.0.2.1/24'], addrs6: ['2001:db8:78::1/64'] });
    const own: Buffer[] = [];
    l.start(collector(own));
    const rx4 = await udpReceive(T, 4, '239.78.0.2', 6001, '192.0.2.1');
    const rx6 = await udpReceive(T, 6, 'ff15::78:2', 6001, `::%${dev}`);
    try {
      const d4 = [0, 1, 2].map((i) => buildUdp('192.0.2.99', '239.78.0.2', 6001, `w4-${i}`));
      const d6 = [0, 1, 2].map((i) => buildUdp('2001:db8:78::99', 'ff15::78:2', 6001, `w6-${i}`));
      for (let i = 0; i < 3; i++) {
        l.send(d4[i]!, 0, d4[i]!.length);
        l.send(d6[i]!, 0, d6[i]!.length);
      }
      l.flush();
      assert.equal(l.counters.txPackets, 6);
      assert.equal(l.counters.txBytes, 3 * (d4[0]!.length + d6[0]!.length));
      await Promise.all([rx4.waitFor(3, 3000), rx6.waitFor(3, 3000)]);
      assert.deepEqual(rx4.messages.map((m) => m.payload), ['w4-0', 'w4-1', 'w4-2']);
      assert.deepEqual(rx6.messages.map((m) => m.payload), ['w6-0', 'w6-1', 'w6-2']);
      assert.equal(rx4.messages[0]!.from, '192.0.2.99');
      // the host sends through the device after it had every write: one of ours read back
      // would have been queued on the device before this one
      udpSend(T, 4, '239.78.0.12', 6012, '192.0.2.1', 1, 'behind');
      assert.ok(await until(() => own.some((d) => udpPayload(d).dport === 6012), 3000), 'the link reads what the host sends');
      assert.equal(own.filter((d) => udpPayload(d).dport === 6001).length, 0, 'own writes not read back');
    } finally {
      rx4.stop();
      rx6.stop();
    }
    await done(l);
  });

  it('counts datagrams the device refuses in txDropped, never throwing', async () => {
    const l = await open(dev, { addrs4: ['192.0.2.1/24'] });
    const rx = await udpReceive(T, 4, '239.78.0.3', 6002, '192.0.2.1');
    try {
      const a = buildUdp('192.0.2.99', '239.78.0.3', 6002, 'a');
      const junk = Buffer.alloc(30); // version nibble 0: the TUN driver refuses it
      const b = buildUdp('192.0.2.99', '239.78.0.3', 6002, 'b');
      l.send(a, 0, a.length);
      l.send(junk, 0, junk.length);
      l.send(b, 0, b.length);
      assert.doesNotThrow(() => l.flush());
      assert.equal(l.counters.txPackets, 2);
      assert.equal(l.counters.txDropped, 1);
      await rx.waitFor(2, 3000);
      assert.deepEqual(rx.messages.map((m) => m.payload), ['a', 'b']);
    } finally {
      rx.stop();
    }
    await done(l);
  });

  it('drains a burst larger than one batch across wakeups and costs no CPU idle', async () => {
    const l = await open(dev, { addrs4: ['192.0.2.1/24'] });
    const got: Buffer[] = [];
    let batches = 0;
    l.start((b) => {
      batches++;
      collector(got)(b);
    });
    // 300 datagrams queued on the device at once: more than one wakeup's worth of batches.
    udpSend(T, 4, '239.78.0.4', 6003, '192.0.2.1', 300, 'burst', 2, 0);
    const mine = (): Buffer[] => got.filter((d) => udpPayload(d).dport === 6003);
    assert.ok(await until(() => mine().length >= 300, 5000), `got ${mine().length}/300`);
    assert.deepEqual(mine().map((d) => udpPayload(d).payload), Array.from({ length: 300 }, (_, i) => `burst-${i}`));
    assert.ok(batches >= 5, `${batches} batches of at most 64`);
    // a fixed interval on purpose: the test asserts that nothing is spent for a while
    const c0 = process.cpuUsage();
    await sleep(1000);
    const c = process.cpuUsage(c0);
    assert.ok(c.user + c.system < 100_000, `idle CPU ${(c.user + c.system) / 1000} ms over 1 s`);
    await done(l);
    assert.equal(devExists(T, dev), false);
  });
});

if (why) {
  it('tun link tests', (t) => t.skip(why));
}
