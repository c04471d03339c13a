// The body of a link test's worker thread: opens its own TUN or packet link through its
// own copy of the addon, counts the UDP datagrams it receives, and sends what it is told
// to. Driven by messages from worker-client.ts: {id, op, ...} in, {id, ok, result | error} out.
import { parentPort } from 'node:worker_threads';
import { openPacketLink, type PacketLinkOptions } from '../../../src/dataplane/links/packet.js';
import { openTunLink, type TunLinkOptions } from '../../../src/dataplane/links/tun.js';
import type { Link, RxBatch } from '../../../src/dataplane/links/link.js';
import { udpPayload } from './helpers.js';

export type WorkerRequest =
  | { op: 'openPacket'; name: string; opts: PacketLinkOptions }
  | { op: 'openTun'; name: string; opts: TunLinkOptions }
  | { op: 'start' }
  | { op: 'send'; datagrams: Uint8Array[] }
  | { op: 'report' }
  | { op: 'close' };

export interface WorkerReport {
  /** "src dst dport payload" of every UDP datagram received, in arrival order */
  received: string[];
  rxPackets: number;
  txPackets: number;
  txDropped: number;
  xdp: boolean;
}

let link: Link | null = null;
const received: string[] = [];

function onBatch(b: RxBatch): void {
  for (let i = 0; i < b.count; i++) {
    const d = b.buf.subarray(b.offsets[i]!, b.offsets[i]! + b.lengths[i]!);
    const v = d[0]! >> 4;
    if ((v === 4 && d[9] === 17) || (v === 6 && d[6] === 17)) {
      const u = udpPayload(d);
      received.push(`${u.src} ${u.dst} ${u.dport} ${u.payload}`);
    }
  }
}

async function handle(req: WorkerRequest): Promise<unknown> {
  switch (req.op) {
    case 'openPacket':
      link = await openPacketLink(req.name, req.opts);
      return { ifindex: link.ifindex, xdp: link.xdp ?? false };
    case 'openTun':
      link = await openTunLink(req.name, req.opts);
      return { ifindex: link.ifindex, name: link.name };
    case 'start':
      link!.start(onBatch);
      return null;
    case 'send':
      for (const d of req.datagrams) link!.send(d, 0, d.length);
      link!.flush();
      return { txPackets: link!.counters.txPackets, txDropped: link!.counters.txDropped };
    case 'report': {
      const r: WorkerReport = {
        received: [...received],
        rxPackets: link?.counters.rxPackets ?? 0,
        txPackets: link?.counters.txPackets ?? 0,
        txDropped: link?.counters.txDropped ?? 0,
        xdp: link?.xdp ?? false,
      };
      return r;
    }
    case 'close':
      await link?.close();
      link = null;
      return null;
  }
}

parentPort!.on('message', (msg: { id: number } & WorkerRequest) => {
  handle(msg).then(
    (result) => parentPort!.postMessage({ id: msg.id, ok: true, result }),
    (e: Error) => parentPort!.postMessage({ id: msg.id, ok: false, error: e.message, code: (e as NodeJS.ErrnoException).code }),
  );
});
