// Links inside worker threads: each worker loads its own copy of the addon (an N-API
// module, so one instance per thread) and opens, polls, sends on and closes its own TUN or
// packet link on its own event loop, while the main thread (the test) does the same.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openPacketLink } from '../../../src/dataplane/links/packet.js';
import type { Link, RxBatch } from '../../../src/dataplane/links/link.js';
import { Netns, buildUdp, nsExec, skipReason, udpPayload, udpReceive, udpSend, until } from './helpers.js';
import { LinkWorker } from './worker-client.js';

const why = skipReason();

describe('links in worker threads', { skip: why ?? false }, () => {
  const nets = new Netns(`mrsh-wk-${process.pid}`);
  const workers: LinkWorker[] = [];
  const links: Link[] = [];
  let A = '';
  let R = '';
  const tun = `mwk${process.pid % 100000}`;

  before(() => {
    A = nets.add('a');
    R = nets.add('r');
    nets.veth(A, 'a0', R, 'r0');
    nsExec(A, 'ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'a0']);
    nsExec(R, 'ip', ['addr', 'add', '192.0.2.2/24', 'dev', 'r0']);
  });

  after(async () => {
    for (const w of workers.splice(0)) await w.stop();
    for (const l of links.splice(0)) await l.close();
    nets.cleanup();
  });

  const worker = (): LinkWorker => {
    const w = new LinkWorker();
    workers.push(w);
    return w;
  };

  it('a worker receives on its own packet link what the peer sends, while the main thread has one too', async () => {
    const w = worker();
    await w.call({ op: 'openPacket', name: 'r0', opts: { netns: R } });
    await w.call({ op: 'start' });
    // the main thread's own link on the same interface: both get every frame (no fanout)
    const main = await openPacketLink('r0', { netns: R });
    links.push(main);
    const mine: string[] = [];
    main.start((b: RxBatch) => {
      for (let i = 0; i < b.count; i++) {
        const d = b.buf.subarray(b.offsets[i]!, b.offsets[i]! + b.lengths[i]!);
        if (d[0]! >> 4 === 4 && d[9] === 17) mine.push(udpPayload(d).payload);
      }
    });
    udpSend(A, 4, '239.81.0.1', 5200, '192.0.2.1', 30, 'wk', 8, 0);
    udpSend(A, 4, '239.81.0.1', 5201, '192.0.2.1', 1, 'marker', 8, 0);
    const r = await w.until((r) => r.received.some((s) => s.endsWith(' marker-0')), 5000);
    const got = r.received.filter((s) => s.startsWith('192.0.2.1 239.81.0.1 5200 ')).map((s) => s.split(' ')[3]);
    assert.deepEqual(got.sort(), Array.from({ length: 30 }, (_, i) => `wk-${i}`).sort(), 'the worker got every datagram once');
    assert.ok(await until(() => mine.includes('marker-0'), 5000), 'the main thread link too');
    assert.equal(mine.filter((p) => p.startsWith('wk-')).length, 30);
  });

  it('a worker sends on its packet link and the peer receives', async () => {
    const w = worker();
    await w.call({ op: 'openPacket', name: 'r0', opts: { netns: R } });
    const rx = await udpReceive(A, 4, '239.81.0.2', 5202, '192.0.2.1');
    try {
      const ds = [0, 1, 2, 3, 4].map((i) => buildUdp('192.0.2.2', '239.81.0.2', 5202, `out-${i}`));
      const res = await w.call<{ txPackets: number; txDropped: number }>({ op: 'send', datagrams: ds });
      assert.deepEqual(res, { txPackets: 5, txDropped: 0 });
      await rx.waitFor(5, 5000);
      assert.deepEqual(rx.messages.map((m) => m.payload), ['out-0', 'out-1', 'out-2', 'out-3', 'out-4']);
    } finally {
      rx.stop();
    }
    await w.call({ op: 'close' });
  });

  it('a worker owns a TUN device: reads what the host sends into it, writes what the host receives', async () => {
    const w = worker();
    await w.call({ op: 'openTun', name: tun, opts: { netns: R, addrs4: ['198.51.100.1/24'] } });
    await w.call({ op: 'start' });
    udpSend(R, 4, '239.81.0.3', 5203, '198.51.100.1', 10, 'tn', 8, 0);
    udpSend(R, 4, '239.81.0.3', 5204, '198.51.100.1', 1, 'marker', 8, 0);
    const r = await w.until((r) => r.received.some((s) => s.endsWith(' marker-0')), 5000);
    assert.equal(r.received.filter((s) => s.includes(' 5203 tn-')).length, 10);
    const rx = await udpReceive(R, 4, '239.81.0.4', 5205, '198.51.100.1');
    try {
      const ds = [0, 1, 2].map((i) => buildUdp('198.51.100.9', '239.81.0.4', 5205, `tw-${i}`));
      await w.call({ op: 'send', datagrams: ds });
      await rx.waitFor(3, 5000);
      assert.deepEqual(rx.messages.map((m) => m.payload), ['tw-0', 'tw-1', 'tw-2']);
    } finally {
      rx.stop();
    }
    await w.call({ op: 'close' });
    assert.doesNotMatch(nsExec(R, 'ip', ['link', 'show']), new RegExp(`${tun}:`), 'the device went with the worker link');
  });

  it('two workers open, receive and close at the same time without disturbing each other', async () => {
    const ws = [worker(), worker()];
    await Promise.all(ws.map((w) => w.call({ op: 'openPacket', name: 'r0', opts: { netns: R } })));
    await Promise.all(ws.map((w) => w.call({ op: 'start' })));
    udpSend(A, 4, '239.81.0.5', 5206, '192.0.2.1', 20, 'two', 8, 0);
    udpSend(A, 4, '239.81.0.5', 5207, '192.0.2.1', 1, 'marker', 8, 0);
    for (const w of ws) {
      const r = await w.until((r) => r.received.some((s) => s.endsWith(' marker-0')), 5000);
      assert.equal(r.received.filter((s) => s.includes(' 5206 two-')).length, 20);
    }
    await ws[0]!.stop();
    workers.splice(workers.indexOf(ws[0]!), 1);
    udpSend(A, 4, '239.81.0.5', 5208, '192.0.2.1', 1, 'after', 8, 0);
    const r = await ws[1]!.until((r) => r.received.some((s) => s.endsWith(' after-0')), 5000);
    assert.ok(r.received.some((s) => s.endsWith(' after-0')), 'the other worker keeps receiving after one ended');
  });
});
