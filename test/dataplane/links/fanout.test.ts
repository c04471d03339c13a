// PACKET_FANOUT: packet links of one group on one interface share its input, every
// datagram of an (S,G) to the same member whatever its ports (native/mrsh_fanout.c and the
// fanout program in native/mrsh_bpf.c). Real UDP sockets in the peer namespace send 24
// (S,G) flows (flows.ts); one veth queue keeps each member's frames in order.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openPacketLink } from '../../../src/dataplane/links/packet.js';
import type { Link } from '../../../src/dataplane/links/link.js';
import { Netns, buildUdp, nsExec, skipReason, udpReceive, until } from './helpers.js';
import { PER_FLOW, checkSplit, collect, marks, sendFlows as sendFrom, type Flows } from './flows.js';
import { LinkWorker } from './worker-client.js';

const sendFlows = (A: string, f: Flows): void => sendFrom(A, f, f.fam === 4 ? '192.0.2.1' : 'a0');

const why = skipReason();

describe('packet fanout: (S,G) flows split across the links of a group', { skip: why ?? false }, () => {
  const nets = new Netns(`mrsh-fo-${process.pid}`);
  const links: Link[] = [];
  const workers: LinkWorker[] = [];
  let A = '';
  let R = '';
  const v4: Flows = { fam: 4, sources: ['192.0.2.1', '192.0.2.11', '192.0.2.12', '192.0.2.13'], groups: ['239.82.0.1', '239.82.0.2', '239.82.0.3', '239.82.7.4', '239.82.9.5', '239.83.0.6'], base: 7000, tag: 'f4' };
  const v6: Flows = { fam: 6, sources: ['2001:db8:a::1', '2001:db8:a::11', '2001:db8:a::12', '2001:db8:a::13'], groups: ['ff0e::82:1', 'ff0e::82:2', 'ff0e::82:3', 'ff15::1:4', 'ff15::2:5', 'ff0e::83:6'], base: 7100, tag: 'f6' };

  before(() => {
    A = nets.add('a');
    R = nets.add('r');
    nets.veth(A, 'a0', R, 'r0');
    for (const s of v4.sources) nsExec(A, 'ip', ['addr', 'add', `${s}/24`, 'dev', 'a0']);
    for (const s of v6.sources) nsExec(A, 'ip', ['-6', 'addr', 'add', `${s}/64`, 'dev', 'a0', 'nodad']);
    nsExec(R, 'ip', ['addr', 'add', '192.0.2.2/24', 'dev', 'r0']);
  });

  after(async () => {
    for (const w of workers.splice(0)) await w.stop();
    for (const l of links.splice(0)) await l.close();
    nets.cleanup();
  });

  const open = async (opts: Parameters<typeof openPacketLink>[1]): Promise<Link> => {
    const l = await openPacketLink('r0', { netns: R, ...opts });
    links.push(l);
    return l;
  };
  const closeAll = async (): Promise<void> => {
    for (const l of links.splice(0)) await l.close();
  };

  for (const rxRing of [true, false]) {
    it(`two links in one group (this thread, ${rxRing ? 'RX ring' : 'recvmmsg'}): IPv4 and IPv6 flows each on one member, every datagram once`, async () => {
      const got = [await open({ fanout: { group: 7 }, rxRing }), await open({ fanout: { group: 7 }, rxRing })].map(collect);
      const fid = links.map((l) => (l as unknown as { fanoutId: number }).fanoutId);
      assert.ok(fid[0]! >= 0 && fid[0] === fid[1], `one kernel group (${fid.join(', ')})`);
      for (const f of [v4, v6]) {
        sendFlows(A, f);
        const flows = f.sources.length * f.groups.length;
        assert.ok(await until(() => marks(got[0]!, f) + marks(got[1]!, f) >= flows, 5000), `every flow's marker arrived (${marks(got[0]!, f)} + ${marks(got[1]!, f)} of ${flows})`);
        checkSplit(got, f);
      }
      await closeAll();
    });
  }

  it('a link of another group, and one without fanout, still get every datagram', async () => {
    const got = [await open({ fanout: { group: 7 } }), await open({ fanout: { group: 7 } }), await open({ fanout: { group: 8 } }), await open({})].map(collect);
    const f = { ...v4, tag: 'g8' };
    sendFlows(A, f);
    const flows = f.sources.length * f.groups.length;
    assert.ok(await until(() => marks(got[2]!, f) >= flows && marks(got[3]!, f) >= flows && marks(got[0]!, f) + marks(got[1]!, f) >= flows, 5000));
    checkSplit([got[0]!, got[1]!], f);
    const all = flows * (PER_FLOW + 1);
    assert.equal(got[2]!.filter((s) => s.includes(' g8-')).length, all, 'group 8 is a group of its own');
    assert.equal(got[3]!.filter((s) => s.includes(' g8-')).length, all, 'a link without fanout sees all');
    await closeAll();
  });

  it("a member's own transmissions are not input of the group", async () => {
    const got = [await open({ fanout: { group: 9 }, qdiscBypass: false }), await open({ fanout: { group: 9 }, qdiscBypass: false })].map(collect);
    const own = [0, 1, 2, 3, 4, 5].map((i) => buildUdp('192.0.2.2', `239.84.0.${i + 1}`, 7300 + i, `own-${i}`));
    for (const d of own) links[0]!.send(d, 0, d.length);
    links[0]!.flush();
    assert.equal(links[0]!.counters.txPackets, own.length);
    // our frames pass the taps while they are sent; the peer's flows come after them
    const f = { ...v4, tag: 'o4' };
    sendFlows(A, f);
    assert.ok(await until(() => marks(got[0]!, f) + marks(got[1]!, f) >= f.sources.length * f.groups.length, 5000));
    assert.deepEqual([...got[0]!, ...got[1]!].filter((s) => s.includes(' own-')), [], 'own frames not read back');
    await closeAll();
  });

  it('two members in two worker threads split the flows the same way', async () => {
    const ws = [new LinkWorker(), new LinkWorker()];
    workers.push(...ws);
    for (const w of ws) await w.call({ op: 'openPacket', name: 'r0', opts: { netns: R, fanout: { group: 11 } } });
    for (const w of ws) await w.call({ op: 'start' });
    for (const f of [{ ...v4, tag: 'w4' }, { ...v6, tag: 'w6' }]) {
      sendFlows(A, f);
      const flows = f.sources.length * f.groups.length;
      let reports = await Promise.all(ws.map((w) => w.report()));
      const end = Date.now() + 5000;
      while (marks(reports[0]!.received, f) + marks(reports[1]!.received, f) < flows && Date.now() < end) reports = await Promise.all(ws.map((w) => w.report()));
      checkSplit(reports.map((r) => r.received), f);
    }
    for (const w of ws.splice(0)) {
      await w.stop();
      workers.splice(workers.indexOf(w), 1);
    }
  });

  it('a worker that ends without closing its link leaves the group: the other member gets every flow', async () => {
    const w = new LinkWorker();
    workers.push(w);
    await w.call({ op: 'openPacket', name: 'r0', opts: { netns: R, fanout: { group: 12 } } });
    await w.call({ op: 'start' });
    const got = collect(await open({ fanout: { group: 12 } }));
    const f = { ...v4, tag: 'dw' };
    sendFlows(A, f);
    const flows = f.sources.length * f.groups.length;
    let rep = await w.report();
    const end = Date.now() + 5000;
    while (marks(rep.received, f) + marks(got, f) < flows && Date.now() < end) rep = await w.report();
    assert.ok(marks(rep.received, f) > 0 && marks(got, f) > 0, 'both members had flows');
    await w.terminate();
    workers.splice(workers.indexOf(w), 1);
    const g = { ...v4, tag: 'dx' };
    sendFlows(A, g);
    assert.ok(await until(() => marks(got, g) >= flows, 5000), `the remaining member gets every flow (${marks(got, g)} of ${flows})`);
    assert.equal(got.filter((s) => s.includes(' dx-')).length, flows * (PER_FLOW + 1));
    await closeAll();
  });

  it('receive: false: a send-only link that delivers nothing and sends to the peer', async () => {
    const tx = await open({ receive: false });
    const rxAll = collect(await open({}));
    const none: string[] = collect(tx);
    const rx = await udpReceive(A, 4, '239.84.1.1', 7400, '192.0.2.1');
    try {
      const ds = [0, 1, 2].map((i) => buildUdp('192.0.2.2', '239.84.1.1', 7400, `so-${i}`));
      for (const d of ds) tx.send(d, 0, d.length);
      tx.flush();
      await rx.waitFor(3, 5000);
      assert.deepEqual(rx.messages.map((m) => m.payload), ['so-0', 'so-1', 'so-2']);
    } finally {
      rx.stop();
    }
    const f = { ...v4, tag: 'so', sources: ['192.0.2.1'], groups: ['239.84.1.2'] };
    sendFlows(A, f);
    assert.ok(await until(() => marks(rxAll, f) >= 1, 5000), 'a receiving link on the interface got the peer’s datagrams');
    assert.deepEqual(none, [], 'the send-only link got nothing');
    assert.equal(tx.counters.rxPackets, 0);
    await closeAll();
  });

  it('refuses a bad group, and fanout or xdp on a send-only link, opening nothing', async () => {
    for (const group of [0, 65536, 1.5, NaN]) {
      await assert.rejects(openPacketLink('r0', { netns: R, fanout: { group } }), (e: NodeJS.ErrnoException) => e.code === 'EINVAL' && /fanout\.group must be an integer 1\.\.65535/.test(e.message));
    }
    await assert.rejects(openPacketLink('r0', { netns: R, fanout: { group: 3 }, receive: false }), /receive: false has none/);
    await assert.rejects(openPacketLink('r0', { netns: R, xdp: true, receive: false }), /receive: false has none/);
    // packet sockets of the namespace (its /proc/net/packet): a refused open leaves none
    const sockets = (): number => nsExec(R, 'cat', ['/proc/net/packet']).trim().split('\n').length - 1;
    const before = sockets();
    await assert.rejects(openPacketLink('r0', { netns: R, fanout: { group: 0 } }));
    await assert.rejects(openPacketLink('r0', { netns: R, fanout: { group: 3 }, receive: false }));
    assert.equal(sockets(), before, 'no socket left open');
  });
});
