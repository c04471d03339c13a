// A forwarding worker thread (workers.ts starts it): its own links on the router's
// interfaces, whose receive side the kernel splits by (S,G) (PACKET_FANOUT, AF_XDP per rx
// queue, TUN queues), and a Forwarder over the control thread's shared MFC. What the
// Forwarder does not decide is sent back whole to the control thread, one message per
// receive batch, and goes through the engine there as if it had arrived on its own link.

import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { Forwarder, type FamilyIndex } from '../dataplane/forwarder.js';
import { touchHomeSlots } from '../dataplane/slot-touch.js';
import type { Link, RxBatch } from '../dataplane/links/link.js';
import type { EpochMessage, WorkerInit } from '../dataplane/worker-shares.js';
import { workerInput } from './spawn-worker.js';
import { captureFromShared, type SharedCaptureRings } from './capture.js';
import { writeLinkCounters, type WorkerLinkSpec, type ToWorker, type FromWorker } from './worker-protocol.js';

const input = workerInput<{ init: WorkerInit; epochs: MessagePort; timeOrigin: number; captures: SharedCaptureRings }>(workerData);
const port = parentPort!;
const epochs = input.epochs;
// the control thread's clock (performance.now() there), from this thread's
const clockSkew = performance.timeOrigin - input.timeOrigin;
const now = () => performance.now() + clockSkew;

interface Held {
  link: Link;
  ifindex: number;
  counters: Float64Array;
}
const links = new Map<string, Held>();
const vifLinks: [(Link | null)[], (Link | null)[]] = [[], []];
const dirty: Link[] = [];
const rings = captureFromShared(input.captures);

const fwd = new Forwarder(
  input.init.inet,
  input.init.inet6,
  (f, vif, buf, off, len) => {
    const l = vifLinks[f][vif];
    if (!l) return; // canSend said yes: only a vif deleted in this very batch
    l.send(buf, off, len);
    if (dirty.length === 0 || (dirty[dirty.length - 1] !== l && !dirty.includes(l))) dirty.push(l);
  },
  (family) => adoptEpochs(family),
);
fwd.capture = (f, vif, out, buf, off, len) => rings[f][vif]?.record(buf, off, len, fwd.now, !out);

/** takes the posted epochs until the family's current one */
function adoptEpochs(family: FamilyIndex): void {
  const ctl = fwd.fam[family].ctl;
  for (;;) {
    const m = receiveMessageOnPort(epochs);
    if (m === undefined) return; // posted before the epoch moved: next call finds it
    const e = m.message as EpochMessage;
    fwd.adopt(e.family, e.share, e.entries);
    if (e.family === family && e.share.epoch === Atomics.load(ctl, 1)) return;
  }
}

function onBatch(h: Held) {
  return (batch: RxBatch): void => {
    fwd.now = now();
    const { buf, offsets, lengths, count } = batch;
    let punted: number[] | null = null;
    touchHomeSlots(fwd.fam[0].index, fwd.fam[1].index, buf, offsets, lengths, count);
    for (let i = 0; i < count; i++) {
      if (!fwd.input(h.ifindex, buf, offsets[i], lengths[i])) (punted ??= []).push(i);
    }
    for (let i = 0; i < dirty.length; i++) dirty[i].flush();
    dirty.length = 0;
    writeLinkCounters(h.counters, h.link.counters);
    if (punted !== null) {
      let bytes = 0;
      for (const i of punted) bytes += lengths[i];
      const data = new Uint8Array(bytes);
      const lens = new Int32Array(punted.length);
      let o = 0;
      punted.forEach((i, k) => {
        data.set(buf.subarray(offsets[i], offsets[i] + lengths[i]), o);
        lens[k] = lengths[i];
        o += lengths[i];
      });
      const msg: FromWorker = { op: 'punt', ifindex: h.ifindex, data, lengths: lens };
      port.postMessage(msg, [data.buffer, lens.buffer]);
    }
  };
}

async function open(spec: WorkerLinkSpec): Promise<Link> {
  if (spec.kind === 'tun') {
    const { openTunLink } = await import('../dataplane/links/tun.js');
    return openTunLink(spec.name, { multiQueue: true });
  }
  const { openPacketLink } = await import('../dataplane/links/packet.js');
  // XDP only on the queues given (never from the environment's default), and the host
  // bypass is the control thread's link's to attach, once
  const xdp = spec.xdpQueues !== undefined ? { xdp: true, xdpQueues: spec.xdpQueues } : { xdp: false };
  return openPacketLink(spec.name, { fanout: { group: spec.fanoutGroup }, hostBypass: false, ...xdp });
}

/** the kernel's drop counters of this worker's sockets, read once a second (a syscall each) */
function kernelDrops(): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [k, h] of links) {
    h.link.refreshCounters?.();
    out[k] = { ...h.link.counters.kernelDropped };
    writeLinkCounters(h.counters, h.link.counters);
  }
  return out;
}
setInterval(() => {
  if (links.size > 0) port.postMessage({ op: 'kernel-drops', seq: -1, drops: kernelDrops() } satisfies FromWorker);
}, 1000).unref();

port.on('message', (m: ToWorker) => {
  void handle(m).catch((err: Error) => port.postMessage({ op: 'error', key: 'key' in m && typeof m.key === 'string' ? m.key : '', message: err.message } satisfies FromWorker));
});

async function handle(m: ToWorker): Promise<void> {
  switch (m.op) {
    case 'open': {
      const link = await open(m.spec);
      const h: Held = { link, ifindex: link.ifindex, counters: m.counters };
      links.set(m.key, h);
      link.start(onBatch(h));
      port.postMessage({ op: 'opened', key: m.key } satisfies FromWorker);
      return;
    }
    case 'vif': {
      const h = m.key === null ? null : links.get(m.key) ?? null;
      vifLinks[m.family][m.vif] = h ? h.link : null;
      fwd.setCanSend(m.family, m.vif, h !== null);
      port.postMessage({ op: 'vif-done', seq: m.seq } satisfies FromWorker);
      return;
    }
    case 'close': {
      const h = links.get(m.key);
      if (!h) return;
      links.delete(m.key);
      for (const f of [0, 1] as const) for (let v = 0; v < vifLinks[f].length; v++) if (vifLinks[f][v] === h.link) vifLinks[f][v] = null;
      writeLinkCounters(h.counters, h.link.counters);
      await h.link.close();
      port.postMessage({ op: 'closed', key: m.key } satisfies FromWorker);
      return;
    }
    case 'kernel-drops':
      port.postMessage({ op: 'kernel-drops', seq: m.seq, drops: kernelDrops() } satisfies FromWorker);
      return;
    case 'stop': {
      for (const h of links.values()) await h.link.close();
      links.clear();
      port.postMessage({ op: 'stopped' } satisfies FromWorker);
      return;
    }
  }
}

