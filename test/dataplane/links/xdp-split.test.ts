// XDP input split across links (worker threads): each binds AF_XDP sockets on its own rx
// queues of a 2-queue veth, all sharing one XDP program and one xskmap (native/mrsh_xsk.c).
// Each flow is one socket of the peer's (one source port, one destination port), so the
// peer's flow hash keeps it on one veth queue; veth's per-queue counters (ethtool -S) say
// how many frames each queue redirected to its xsk. Each flow ends with a marker sent by
// the same socket, so a link has read all of a flow once it has read its marker.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { openPacketLink } from '../../../src/dataplane/links/packet.js';
import type { Link, RxBatch } from '../../../src/dataplane/links/link.js';
import { Netns, nsExec, sh, skipReason, udpPayload, until } from './helpers.js';
import { LinkWorker } from './worker-client.js';

const FLOWS = 24;
const PER_FLOW = 5;

const FLOWS_SENDER = `
const dgram = require('node:dgram');
const [group, port, ifc, flows, per, tag] = process.argv.slice(1);
let open = Number(flows);
for (let f = 0; f < Number(flows); f++) {
  const s = dgram.createSocket('udp4');
  s.bind(0, () => {
    s.setMulticastInterface(ifc);
    s.setMulticastTTL(8);
    let i = 0;
    const next = () => {
      const last = i === Number(per);
      s.send(Buffer.from(tag + f + '-' + (last ? 'mark' : i)), Number(port) + f, group, (err) => {
        if (err) { console.error(err.message); process.exit(1); }
        if (last) { s.close(); if (--open === 0) process.exit(0); return; }
        i++;
        next();
      });
    };
    next();
  });
}
`;

/** rx_queue_N_xdp_redirect of a veth, per queue */
function redirects(ns: string, dev: string): number[] {
  const out = nsExec(ns, 'ethtool', ['-S', dev]);
  const q: number[] = [];
  for (const m of out.matchAll(/rx_queue_(\d+)_xdp_redirect:\s*(\d+)/g)) q[Number(m[1])] = Number(m[2]);
  return q;
}

function collect(l: Link): string[] {
  const got: string[] = [];
  l.start((b: RxBatch) => {
    for (let i = 0; i < b.count; i++) {
      const d = b.buf.subarray(b.offsets[i]!, b.offsets[i]! + b.lengths[i]!);
      if (d[0]! >> 4 === 4 && d[9] === 17) got.push(udpPayload(d).payload);
    }
  });
  return got;
}

const ofTag = (got: string[], tag: string): string[] => got.filter((p) => p.startsWith(tag));
const marksOf = (got: string[], tag: string): number => ofTag(got, tag).filter((p) => p.endsWith('-mark')).length;

let why = skipReason();
if (!why) {
  try {
    sh('ethtool', ['--version']);
  } catch {
    why = 'ethtool is needed to read the veth queues’ counters';
  }
}

describe('XDP input split across links by rx queue', { skip: why ?? false }, () => {
  const nets = new Netns(`mrsh-xs-${process.pid}`);
  const links: Link[] = [];
  const workers: LinkWorker[] = [];
  let A = '';
  let R = '';
  let round = 0;

  before(() => {
    A = nets.add('a');
    R = nets.add('r');
    sh('ip', ['link', 'add', 'a0', 'netns', A, 'numtxqueues', '2', 'numrxqueues', '2', 'type', 'veth', 'peer', 'name', 'r0', 'netns', R, 'numtxqueues', '2', 'numrxqueues', '2']);
    nsExec(A, 'ip', ['link', 'set', 'a0', 'up']);
    nsExec(R, 'ip', ['link', 'set', 'r0', 'up']);
    nsExec(A, 'ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'a0']);
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
  const done = async (l: Link): Promise<void> => {
    await l.close();
    links.splice(links.indexOf(l), 1);
  };
  /** one round of flows; its tag and the queues' redirect counts before it */
  const send = (): { tag: string; before: number[] } => {
    const tag = `r${++round}f`;
    const before = redirects(R, 'r0');
    nsExec(A, process.execPath, ['-e', FLOWS_SENDER, '239.85.1.1', String(5500 + round * 32), '192.0.2.1', String(FLOWS), String(PER_FLOW), tag]);
    return { tag, before };
  };
  const delta = (before: number[]): number[] => redirects(R, 'r0').map((v, i) => v - (before[i] ?? 0));
  const progs = (): string[] => [...nsExec(R, 'ip', ['-d', 'link', 'show', 'r0']).matchAll(/prog\/xdp id (\d+)/g)].map((m) => m[1]!);
  const ALL = FLOWS * (PER_FLOW + 1);

  it('two links on queues 0 and 1 share one program; each takes its queue only; closing one leaves the other receiving', async () => {
    const l0 = await open({ xdp: true, xdpQueues: [0] });
    const l1 = await open({ xdp: true, xdpQueues: [1] });
    for (const [l, q] of [[l0, 0], [l1, 1]] as const) {
      assert.equal(l.xdp, true, `link ${q} has XDP input (${(l as unknown as { xdpError: string }).xdpError})`);
      assert.deepEqual((l as unknown as { xdpQueueIds: number[] }).xdpQueueIds, [q]);
    }
    assert.equal(progs().length, 1, 'one XDP program on the interface');
    const got = [collect(l0), collect(l1)];
    const { tag, before } = send();
    assert.ok(await until(() => marksOf(got[0]!, tag) + marksOf(got[1]!, tag) >= FLOWS, 5000), `every flow's marker (${marksOf(got[0]!, tag)} + ${marksOf(got[1]!, tag)})`);
    const d = delta(before);
    const n = got.map((g) => ofTag(g, tag).length);
    assert.ok(d[0]! > 0 && d[1]! > 0, `both queues carried flows (${d.join(', ')})`);
    assert.deepEqual(n, [d[0], d[1]], `each link got exactly its queue's frames (links ${n.join(', ')}, queues ${d.join(', ')})`);
    assert.equal(new Set([...ofTag(got[0]!, tag), ...ofTag(got[1]!, tag)]).size, ALL, 'every datagram, none twice');

    await done(l1);
    assert.equal(progs().length, 1, 'the program stays while a link uses it');
    const r2 = send();
    assert.ok(await until(() => marksOf(got[0]!, r2.tag) >= FLOWS, 5000), `the other link gets every flow (${marksOf(got[0]!, r2.tag)})`);
    const d2 = delta(r2.before);
    assert.equal(d2[1], 0, 'queue 1, unbound now, redirects nothing: its frames take the packet socket');
    assert.equal(ofTag(got[0]!, r2.tag).length, ALL, 'queue 0 by XDP and queue 1 by the packet socket, every datagram once');
    assert.equal(new Set(ofTag(got[0]!, r2.tag)).size, ALL);
    await done(l0);
    assert.deepEqual(progs(), [], 'the last close detaches the program');
  });

  it('refuses a queue bound twice (EBUSY) or one the interface lacks (EINVAL), leaving the others as they were', async () => {
    const l0 = await open({ xdp: true, xdpQueues: [0] });
    // this process's sockets (packet and AF_XDP among them; this file runs no child
    // process that outlives its call) and BPF objects: refused opens leave none
    const fds = (): string => {
      const kinds = readdirSync('/proc/self/fd').map((f) => {
        try {
          return readlinkSync(`/proc/self/fd/${f}`);
        } catch {
          return '';
        }
      });
      return `${kinds.filter((k) => k.startsWith('socket:')).length} sockets, ${kinds.filter((k) => k.includes('bpf')).length} bpf`;
    };
    const before = fds();
    await assert.rejects(openPacketLink('r0', { netns: R, xdp: true, xdpQueues: [0] }), (e: NodeJS.ErrnoException) => e.code === 'EBUSY' && /rx queue 0 is bound by another xdp link of this process/.test(e.message));
    // xdp without queue numbers opens the link without XDP input and says why (as before)
    const every = await openPacketLink('r0', { netns: R, xdp: true });
    assert.equal(every.xdp, false);
    assert.match((every as unknown as { xdpError: string }).xdpError, /rx queue 0 is bound by another xdp link/);
    await every.close();
    await assert.rejects(openPacketLink('r0', { netns: R, xdp: true, xdpQueues: [5] }), (e: NodeJS.ErrnoException) => e.code === 'EINVAL' && /rx queue 5: the interface has 2/.test(e.message));
    await assert.rejects(openPacketLink('r0', { netns: R, xdp: true, xdpQueues: [1, 1] }), (e: NodeJS.ErrnoException) => e.code === 'EINVAL' && /listed twice/.test(e.message));
    await assert.rejects(openPacketLink('r0', { netns: R, xdpQueues: [1] }), /xdpQueues needs xdp: true/);
    assert.equal(fds(), before, 'the refused opens left nothing open');
    assert.equal(progs().length, 1);
    // still receiving on queue 0
    const got = collect(l0);
    const { tag, before: b } = send();
    assert.ok(await until(() => marksOf(got, tag) >= FLOWS, 5000));
    assert.equal(ofTag(got, tag).length, ALL);
    assert.ok(delta(b)[0]! > 0);
    await done(l0);
    assert.deepEqual(progs(), []);
  });

  it('a queue nobody binds falls back to the packet sockets of the fanout group', async () => {
    const l0 = await open({ xdp: true, xdpQueues: [0], fanout: { group: 21 } });
    const l1 = await open({ fanout: { group: 21 } });
    const got = [collect(l0), collect(l1)];
    const { tag, before } = send();
    assert.ok(await until(() => marksOf(got[0]!, tag) + marksOf(got[1]!, tag) >= FLOWS, 5000));
    const d = delta(before);
    assert.ok(d[0]! > 0 && d[1] === 0, `queue 0 by XDP only (${d.join(', ')})`);
    assert.equal(new Set([...ofTag(got[0]!, tag), ...ofTag(got[1]!, tag)]).size, ALL);
    assert.equal(ofTag(got[0]!, tag).length + ofTag(got[1]!, tag).length, ALL, 'every datagram once');
    assert.ok(ofTag(got[0]!, tag).length >= d[0]!, 'the xdp link got its queue');
    await done(l1);
    await done(l0);
  });

  it('two worker threads, one queue each', async () => {
    const ws = [new LinkWorker(), new LinkWorker()];
    workers.push(...ws);
    for (const [i, w] of ws.entries()) {
      const r = await w.call<{ xdp: boolean }>({ op: 'openPacket', name: 'r0', opts: { netns: R, xdp: true, xdpQueues: [i] } });
      assert.equal(r.xdp, true);
    }
    assert.equal(progs().length, 1, 'one program for both threads');
    for (const w of ws) await w.call({ op: 'start' });
    const { tag, before } = send();
    let reps = await Promise.all(ws.map((w) => w.report()));
    const pay = (k: number): string[] => ofTag(reps[k]!.received.map((s) => s.split(' ')[3]!), tag);
    const end = Date.now() + 5000;
    while (marksOf(pay(0), tag) + marksOf(pay(1), tag) < FLOWS && Date.now() < end) reps = await Promise.all(ws.map((w) => w.report()));
    const d = delta(before);
    assert.deepEqual([pay(0).length, pay(1).length], [d[0], d[1]], `each worker its queue's frames (queues ${d.join(', ')})`);
    assert.equal(new Set([...pay(0), ...pay(1)]).size, ALL);
    await ws[0]!.stop();
    workers.splice(workers.indexOf(ws[0]!), 1);
    assert.equal(progs().length, 1, 'program kept for the other worker');
    await ws[1]!.stop();
    workers.splice(workers.indexOf(ws[1]!), 1);
    assert.deepEqual(progs(), [], 'detached when the last worker closed');
  });

  it('a worker that ends without closing its link gives its queue back', async () => {
    const w = new LinkWorker();
    workers.push(w);
    await w.call({ op: 'openPacket', name: 'r0', opts: { netns: R, xdp: true, xdpQueues: [0] } });
    await w.call({ op: 'start' });
    const l1 = await open({ xdp: true, xdpQueues: [1] });
    await w.terminate();
    workers.splice(workers.indexOf(w), 1);
    assert.equal(progs().length, 1, 'the program stays for the link left');
    const l0 = await open({ xdp: true, xdpQueues: [0] });
    assert.equal(l0.xdp, true, 'queue 0 is free again');
    const got = [collect(l0), collect(l1)];
    const { tag, before } = send();
    assert.ok(await until(() => marksOf(got[0]!, tag) + marksOf(got[1]!, tag) >= FLOWS, 5000));
    const d = delta(before);
    assert.deepEqual([ofTag(got[0]!, tag).length, ofTag(got[1]!, tag).length], [d[0], d[1]]);
    await done(l0);
    await done(l1);
    assert.deepEqual(progs(), []);
  });
});
