// Multi-queue TUN: each link opened with multiQueue on one device name is a queue of its
// own (IFF_MULTI_QUEUE), and what the host sends into the device goes to one queue by a
// hash of its IP source and destination only (the steering program of native/mrsh_bpf.c;
// Linux's own choice, tun_automq_select_queue, hashes the ports too). The host's UDP
// sockets send 24 (S,G) flows with varying ports (flows.ts) into the device.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTunLink } from '../../../src/dataplane/links/tun.js';
import type { Link } from '../../../src/dataplane/links/link.js';
import { Netns, nsExec, skipReason, until } from './helpers.js';
import { checkSplit, collect, marks, sendFlows, type Flows } from './flows.js';
import { LinkWorker } from './worker-client.js';

const why = skipReason();

describe('multi-queue TUN: (S,G) flows split across queues', { skip: why ?? false }, () => {
  const nets = new Netns(`mrsh-tq-${process.pid}`);
  const links: Link[] = [];
  const workers: LinkWorker[] = [];
  let T = '';
  const dev = `mtq${process.pid % 100000}`;
  const v4: Flows = { fam: 4, sources: ['198.51.100.1', '198.51.100.11', '198.51.100.12', '198.51.100.13'], groups: ['239.86.0.1', '239.86.0.2', '239.86.0.3', '239.86.7.4', '239.86.9.5', '239.87.0.6'], base: 7600, tag: 'q4' };
  const v6: Flows = { fam: 6, sources: ['2001:db8:c::1', '2001:db8:c::11', '2001:db8:c::12', '2001:db8:c::13'], groups: ['ff0e::86:1', 'ff0e::86:2', 'ff0e::86:3', 'ff15::6:4', 'ff15::7:5', 'ff0e::87:6'], base: 7700, tag: 'q6' };

  before(() => {
    T = nets.add('t');
  });

  after(async () => {
    for (const w of workers.splice(0)) await w.stop();
    for (const l of links.splice(0)) await l.close();
    nets.cleanup();
  });

  const open = async (opts: Parameters<typeof openTunLink>[1] = {}): Promise<Link> => {
    const l = await openTunLink(dev, { netns: T, ...opts });
    links.push(l);
    return l;
  };
  const addrs = {
    addrs4: v4.sources.map((s) => `${s}/24`),
    addrs6: v6.sources.map((s) => `${s}/64`),
  };
  // each queue's ring holds txqueuelen datagrams: room for a whole round of flows, so a
  // reader that falls behind on a busy machine loses none
  const deepQueues = (): void => {
    nsExec(T, 'ip', ['link', 'set', dev, 'txqueuelen', '4096']);
  };
  const present = (): boolean => new RegExp(`${dev}:`).test(nsExec(T, 'ip', ['link', 'show']));

  it('two queues of one device: every datagram read once, each (S,G) on one queue, both queues used', async () => {
    const q0 = await open({ multiQueue: true, ...addrs });
    const q1 = await open({ multiQueue: true });
    assert.equal(q1.ifindex, q0.ifindex, 'the second open is another queue of the same device');
    assert.equal((q1 as unknown as { created: boolean }).created, false);
    assert.match(nsExec(T, 'ip', ['-d', 'link', 'show', dev]), /multi_queue/);
    deepQueues();
    const got = [collect(q0), collect(q1)];
    for (const f of [v4, v6]) {
      sendFlows(T, f, f.fam === 4 ? v4.sources[0]! : dev);
      const flows = f.sources.length * f.groups.length;
      assert.ok(await until(() => marks(got[0]!, f) + marks(got[1]!, f) >= flows, 5000), `every flow's marker (${marks(got[0]!, f)} + ${marks(got[1]!, f)} of ${flows})`);
      checkSplit(got, f);
    }
    await q0.close();
    links.splice(links.indexOf(q0), 1);
    assert.ok(present(), 'the device stays while a queue is open');
    const f = { ...v4, sources: v4.sources.slice(0, 2), groups: v4.groups.slice(0, 3), tag: 'one' };
    sendFlows(T, f, v4.sources[0]!);
    assert.ok(await until(() => marks(got[1]!, f) >= 6, 5000), `the remaining queue gets every flow (${marks(got[1]!, f)} markers, ${got[1]!.filter((s) => s.includes(' one-')).length} datagrams, error ${(q1 as unknown as { lastRxError: number }).lastRxError})`);
    assert.equal(got[1]!.filter((s) => s.includes(' one-')).length, 6 * 21);
    await q1.close();
    links.splice(links.indexOf(q1), 1);
    assert.ok(!present(), 'the device went with its last queue');
  });

  it('two worker threads, a queue each', async () => {
    const ws = [new LinkWorker(), new LinkWorker()];
    workers.push(...ws);
    await ws[0]!.call({ op: 'openTun', name: dev, opts: { netns: T, multiQueue: true, ...addrs } });
    await ws[1]!.call({ op: 'openTun', name: dev, opts: { netns: T, multiQueue: true } });
    deepQueues();
    for (const w of ws) await w.call({ op: 'start' });
    const f = { ...v4, tag: 'wq' };
    sendFlows(T, f, v4.sources[0]!);
    let reps = await Promise.all(ws.map((w) => w.report()));
    const end = Date.now() + 5000;
    while (marks(reps[0]!.received, f) + marks(reps[1]!.received, f) < 24 && Date.now() < end) reps = await Promise.all(ws.map((w) => w.report()));
    checkSplit(reps.map((r) => r.received), f);
    for (const w of ws.splice(0)) {
      await w.stop();
      workers.splice(workers.indexOf(w), 1);
    }
    assert.ok(!present());
  });

  it('refuses a second queue on a single-queue device, and a single-queue open of a multi-queue one', async () => {
    const single = await open({ addrs4: ['198.51.100.1/24'] });
    await assert.rejects(openTunLink(dev, { netns: T, multiQueue: true }), /TUNSETIFF \(multi-queue/);
    await assert.rejects(openTunLink(dev, { netns: T }), /TUNSETIFF/);
    await single.close();
    links.splice(links.indexOf(single), 1);
    const mq = await open({ multiQueue: true });
    await assert.rejects(openTunLink(dev, { netns: T }), /TUNSETIFF/);
    await mq.close();
    links.splice(links.indexOf(mq), 1);
    assert.ok(!present());
  });

  it('a worker that ends without closing its queue detaches it: the other queue gets every flow', async () => {
    const w = new LinkWorker();
    workers.push(w);
    await w.call({ op: 'openTun', name: dev, opts: { netns: T, multiQueue: true, ...addrs } });
    await w.call({ op: 'start' });
    const q = await open({ multiQueue: true });
    deepQueues();
    const got = collect(q);
    await w.terminate();
    workers.splice(workers.indexOf(w), 1);
    assert.match(nsExec(T, 'ip', ['-d', 'link', 'show', dev]), /numqueues 1 /, 'one queue left');
    const f = { ...v4, tag: 'dq' };
    sendFlows(T, f, v4.sources[0]!);
    assert.ok(await until(() => marks(got, f) >= 24, 5000), `every flow on the queue left (${marks(got, f)})`);
    assert.equal(got.filter((s) => s.includes(' dq-')).length, 24 * 21);
    await q.close();
    links.splice(links.indexOf(q), 1);
    assert.ok(!present());
  });
});
