// A fresh daemon's first flows paid for V8's lazy compilation and cold inline caches: the
// first new (S,G) of a routing daemon under `mrsh exec` took 3–9 ms from NOCACHE to
// forwarded, later ones about 0.5 ms (bench:daemon). Before the daemon listens it runs that
// path — a packet of a new (S,G) in, NOCACHE to the routing socket, MRT_ADD_MFC back, the
// held packet out — on a scratch router with virtual links, through the endpoint's own code
// over an in-memory stand-in for its seqpacket calls. Nothing of it stays.
import { formatIPv4 } from '../dataplane/addr.js';
import * as L from '../dataplane/codecs/linux.js';
import { readU32 } from '../dataplane/packet.js';
import { VirtualLink } from '../dataplane/links/virtual.js';
import { buildPacket } from '../router/packets.js';
import { Router } from '../router/router.js';
import { MrouteEndpoint, type EndpointIo } from './mroute-endpoint.js';
import * as P from './mroute-proto.js';

const DATA_FD = 10;
const CTL_FD = 11;
const GROUP_BASE = 0xeffe0000; // 239.254.0.0/16: one group per round
const SOURCE = '192.0.2.1';

/** In-memory seqpacket calls: what the endpoint sends is kept per fd, what it reads is queued. */
class MemoryIo implements EndpointIo {
  readonly inbox = new Map<number, Buffer[]>();
  readonly outbox = new Map<number, Buffer[]>();
  readonly polls = new Map<number, () => void>();
  accepts: number[] = [];
  seqpacketListen(): number {
    return 3;
  }
  seqpacketAccept(): { fd: number; pid: number; uid: number; gid: number } | null {
    const fd = this.accepts.shift();
    return fd === undefined ? null : { fd, pid: process.pid, uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
  }
  seqpacketRecv(fd: number, buf: Buffer, slot: number, max: number, lengths: Int32Array): number {
    const q = this.inbox.get(fd) ?? [];
    let n = 0;
    for (; n < max && q.length > 0; n++) {
      const m = q.shift()!;
      m.copy(buf, n * slot);
      lengths[n] = m.length;
    }
    return n;
  }
  seqpacketSend(fd: number, buf: Buffer, off = 0, len = buf.length - off): number {
    let q = this.outbox.get(fd);
    if (!q) this.outbox.set(fd, (q = []));
    q.push(Buffer.from(buf.subarray(off, off + len)));
    return len;
  }
  pollStart(fd: number, cb: (status: number) => void): object {
    this.polls.set(fd, () => cb(0));
    return { fd };
  }
  pollStop(h: object): void {
    this.polls.delete((h as { fd: number }).fd);
  }
  close(): number {
    return 0;
  }
  /** a datagram from the program on fd, and the endpoint woken for it */
  deliver(fd: number, m: Buffer): void {
    let q = this.inbox.get(fd);
    if (!q) this.inbox.set(fd, (q = []));
    q.push(m);
    this.polls.get(fd)?.();
  }
  take(fd: number): Buffer | undefined {
    return this.outbox.get(fd)?.shift();
  }
}

function hello(kind: number, token: number): Buffer {
  const b = Buffer.alloc(P.HELLO_SIZE);
  b.writeUInt32LE(P.RSOCK_MAGIC, 0);
  b.writeUInt16LE(P.RSOCK_VERSION, 4);
  b.writeUInt16LE(kind, 6);
  b.writeInt32LE(P.LINUX_AF_INET, 8);
  b.writeInt32LE(P.IPPROTO_IGMP, 12);
  b.writeUInt32LE(token, 16);
  b.writeInt32LE(process.pid, 20);
  b.write('warm-up', 24);
  return b;
}

function request(seq: number, name: number, payload: Buffer, async: boolean): Buffer {
  const b = Buffer.alloc(P.REQ_SIZE + payload.length);
  b.writeUInt32LE(seq, 0);
  b.writeUInt16LE(P.OP_SETSOCKOPT, 4);
  b.writeUInt16LE(async ? P.F_ASYNC : 0, 6);
  b.writeInt32LE(L.IPPROTO_IP, 8);
  b.writeInt32LE(name, 12);
  b.writeUInt32LE(payload.length, 16);
  b.writeInt32LE(0, 20);
  payload.copy(b, P.REQ_SIZE);
  return b;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Runs `rounds` new flows through a scratch router: how many were forwarded, and pipelined
 * calls whose guessed result was wrong (0: the path ran as a routing daemon's does). */
export async function warmUp(rounds = 400): Promise<{ forwarded: number; mismatches: number }> {
  const links = new Map<string, VirtualLink>();
  const router = new Router({
    upcallHistory: 8,
    openLink: async (spec) => {
      const l = new VirtualLink(spec.name, [spec.name === 'w0' ? '192.0.2.254' : '198.51.100.254']);
      links.set(spec.name, l);
      return l;
    },
  });
  const io = new MemoryIo();
  const ep = new MrouteEndpoint(router, { path: '', io });
  let forwarded = 0;
  try {
    // the links come from IPv6 mifs, so the IPv4 vifs the routing socket adds find them by ifindex
    router.mrtInit('inet6');
    for (const [i, name] of ['w0', 'w1'].entries()) await router.addVif({ family: 'inet6', index: i, link: { kind: 'virtual', name } });
    links.get('w1')!.onTransmit(() => forwarded++);
    ep.listen();
    io.accepts.push(DATA_FD, CTL_FD);
    io.polls.get(3)!();
    io.deliver(DATA_FD, hello(P.HELLO_DATA, 0));
    const token = io.take(DATA_FD)!.readUInt32LE(8);
    io.deliver(CTL_FD, hello(P.HELLO_CTL, token));
    io.take(CTL_FD);
    let seq = 0;
    const call = async (name: number, payload: Buffer): Promise<number> => {
      io.deliver(CTL_FD, request(++seq, name, payload, false));
      let r: Buffer | undefined;
      for (let spin = 0; spin < 1000 && !(r = io.take(CTL_FD)); spin++) await turn();
      if (!r) throw new Error(`warm-up: no reply to option ${name}`);
      return r.readInt32LE(8);
    };
    const one = Buffer.alloc(4);
    one.writeInt32LE(1);
    if ((await call(L.MRT_INIT, one)) !== 0) throw new Error('warm-up: MRT_INIT refused');
    for (const [vifi, name] of ['w0', 'w1'].entries()) {
      const vif = L.encodeLinuxVifctl({ vifi, flags: L.VIFF_USE_IFINDEX, threshold: 1, rateLimit: 0, lclIfindex: links.get(name)!.ifindex, rmtAddr: '0.0.0.0' });
      if ((await call(L.MRT_ADD_VIF, vif)) !== 0) throw new Error(`warm-up: MRT_ADD_VIF ${vifi} refused`);
    }
    const w0 = links.get('w0')!;
    for (let i = 0; i < rounds; i++) {
      w0.receive(buildPacket('inet', SOURCE, formatIPv4(GROUP_BASE + i), 8, 60));
      await turn(); // the upcall drain
      const up = io.take(DATA_FD);
      if (!up) continue;
      // the igmpmsg's im_src / im_dst
      const origin = formatIPv4(readU32(up, P.DATA_HDR_SIZE + 12));
      const mcastgrp = formatIPv4(readU32(up, P.DATA_HDR_SIZE + 16));
      const mfc = L.encodeLinuxMfcctl({ origin, mcastgrp, parent: 0, ttls: [0, 1] });
      io.deliver(CTL_FD, request(++seq, L.MRT_ADD_MFC, mfc, true));
      if ((i & 7) === 7) io.deliver(CTL_FD, request(++seq, L.MRT_DEL_MFC, mfc, true));
    }
  } finally {
    await ep.close();
    await router.close();
  }
  return { forwarded, mismatches: ep.mismatches };
}
