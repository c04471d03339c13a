// XDP input on a multi-queue interface: every rx queue has its own AF_XDP socket, so frames
// the sender's flow hash puts on queue 1 take the XDP path too instead of falling back to
// the packet socket. veth's per-queue counters (ethtool -S) say which queue redirected what.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openPacketLink } from '../../../src/dataplane/links/packet.js';
import type { Link, RxBatch } from '../../../src/dataplane/links/link.js';
import { Netns, nsExec, sh, skipReason, until } from './helpers.js';

const FLOWS = 24;
const PER_FLOW = 5;

// Each flow its own socket (so its own source port and flow hash), all from one process.
const FLOWS_SENDER = `
const dgram = require('node:dgram');
const [group, port, ifc, flows, per] = process.argv.slice(1);
let open = Number(flows);
for (let f = 0; f < Number(flows); f++) {
  const s = dgram.createSocket('udp4');
  s.bind(0, () => {
    s.setMulticastInterface(ifc);
    s.setMulticastTTL(8);
    let left = Number(per);
    for (let i = 0; i < Number(per); i++)
      s.send(Buffer.from('f' + f + '-' + i), Number(port), group, (err) => {
        if (err) { console.error(err.message); process.exit(1); }
        if (--left === 0) { s.close(); if (--open === 0) process.exit(0); }
      });
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

let why = skipReason();
if (!why) {
  try {
    sh('ethtool', ['--version']);
  } catch {
    why = 'ethtool is needed to read the veth queues’ counters';
  }
}

describe('XDP input on every rx queue', { skip: why ?? false }, () => {
  const nets = new Netns(`mrsh-xq-${process.pid}`);
  const links: Link[] = [];
  let A = '';
  let R = '';

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
    for (const l of links.splice(0)) await l.close();
    nets.cleanup();
  });

  it('binds a socket per queue and takes every flow through XDP, whichever queue it lands on', async () => {
    const l = await openPacketLink('r0', { netns: R, xdp: true });
    links.push(l);
    assert.equal(l.xdp, true, `XDP input attached (${(l as unknown as { xdpError: string | null }).xdpError})`);
    assert.equal((l as unknown as { xdpQueues: number }).xdpQueues, 2, 'both rx queues bound');
    const got = new Set<string>();
    l.start((b: RxBatch) => {
      for (let i = 0; i < b.count; i++) {
        const off = b.offsets[i]!;
        const p = Buffer.from(b.buf.subarray(off + 28, off + b.lengths[i]!)).toString();
        if (b.buf[off + 9] === 17) got.add(p);
      }
    });
    const before = redirects(R, 'r0');
    nsExec(A, process.execPath, ['-e', FLOWS_SENDER, '239.1.1.1', '5100', '192.0.2.1', String(FLOWS), String(PER_FLOW)]);
    const want = FLOWS * PER_FLOW;
    assert.ok(await until(() => got.size >= want, 5000), `link got ${got.size}/${want}`);
    const after = redirects(R, 'r0');
    const d = after.map((v, i) => v - (before[i] ?? 0));
    // The flow hash is random per boot: 24 flows all on one queue has odds of 2^-23.
    assert.ok(d[0]! > 0 && d[1]! > 0, `both queues carried flows (redirected per queue: ${d.join(', ')})`);
    assert.equal(d[0]! + d[1]!, want, `every datagram redirected to an xsk, none passed to the packet socket (${d.join(', ')})`);
    await l.close();
    links.splice(links.indexOf(l), 1);
    assert.doesNotMatch(nsExec(R, 'ip', ['-d', 'link', 'show', 'r0']), /prog\/xdp/, 'program detached on close');
  });
});
