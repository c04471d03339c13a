// Forwarding workers (`mrt workers N`): N threads, each with its own receive sockets on
// every interface a vif uses, forwarding over the engines' shared MFC (forwarder.ts). The
// control thread keeps everything else: the engines and every change to them, the
// routing sockets, upcalls, held packets, meters, timers, commands. Packets a worker does
// not decide come back here and go through the engine as if they had arrived on the
// control thread's own link. Only packet (dev) and tun links have workers; a virtual link
// stays on the control thread.
//
// How the kernel splits the input: a dev link's sockets join one PACKET_FANOUT group whose
// program hashes the IP source and destination, so one (S,G) always reaches the same
// worker; AF_XDP input gives worker w the rx queues q with q mod N = w (the NIC's RSS
// decides the queue); a TUN is opened multi-queue and the kernel picks a queue per flow.

import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { EngineShares } from '../dataplane/worker-shares.js';
import { readdirSync } from 'node:fs';
import type { Link, LinkCounters } from '../dataplane/links/link.js';
import { fail } from '../dataplane/errno.js';
import type { MrouteEngine } from '../dataplane/engine.js';
import type { RxBatch } from '../dataplane/links/link.js';
import type { Family, LinkSpec } from './api.js';
import { sharedCaptureRings, captureFromShared, type CaptureRing } from './capture.js';
import { spawnWorker } from './spawn-worker.js';
import { addLinkCounters, newLinkCounterBlock, type FromWorker, type ToWorker, type WorkerLinkSpec } from './worker-protocol.js';

/** the most workers (the fanout program and the queue split are sized for it) */
export const MAX_WORKERS = 16;

/** what the workers need of the router core (core.ts, which owns them: not imported) */
export interface WorkerHost {
  readonly inet: MrouteEngine;
  readonly inet6: MrouteEngine;
  readonly captures: { inet: CaptureRing[]; inet6: CaptureRing[] };
  engine(family: Family): MrouteEngine;
  onBatch(ifindex: number): (batch: RxBatch) => void;
}

interface WorkerHandle {
  thread: Worker;
  epochs: MessagePort;
  /** link key -> that worker's counter block for it */
  counters: Map<string, Float64Array>;
  /** replies awaited, by key */
  waits: Map<string, { resolve: () => void; reject: (e: Error) => void }>;
  kernelDrops: Record<string, Record<string, number>>;
}

export class ForwardingWorkers {
  readonly shares: EngineShares;
  private workers: WorkerHandle[] = [];
  /** by the shares' worker number (retired workers' numbers are not reused) */
  private readonly byIndex = new Map<number, WorkerHandle>();
  /** links that have worker sockets, by key */
  private readonly links = new Map<string, Link>();
  /** the same links, to their keys */
  private readonly keyOf = new Map<Link, string>();
  /** of those, the ones whose input the workers take through XDP */
  private readonly xdpLinks = new Set<string>();
  private seq = 0;

  constructor(private readonly core: WorkerHost) {
    this.shares = new EngineShares([core.inet, core.inet6]);
    this.shares.onEpoch = (i, msg) => this.byIndex.get(i)?.epochs.postMessage(msg);
    for (const fam of ['inet', 'inet6'] as const) for (const r of core.captures[fam]) r.onTapsChanged = () => this.updateTapped();
  }

  get count(): number {
    return this.workers.length;
  }

  /** Starts n workers (0: forwarding on the control thread). Only before any link exists. */
  async setCount(n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 0 || n > MAX_WORKERS) fail('EINVAL', `workers ${n} out of range (0-${MAX_WORKERS})`);
    if (n === this.workers.length) return;
    if (this.links.size > 0) fail('EBUSY', `links are open (${[...this.links.keys()].join(', ')}): set mrt workers before the first vif`);
    await this.stopAll();
    for (let i = 0; i < n; i++) this.workers.push(this.spawn());
  }

  private spawn(): WorkerHandle {
    const init = this.shares.newWorker();
    const { port1, port2 } = new MessageChannel();
    const caps = sharedCaptureRings(this.core.inet.maxVifs, this.core.inet6.maxVifs);
    const [r4, r6] = captureFromShared(caps);
    r4.forEach((r, v) => this.core.captures.inet[v].peers.push(r));
    r6.forEach((r, v) => this.core.captures.inet6[v].peers.push(r));
    const thread = spawnWorker(new URL('./forwarding-worker' + (import.meta.url.endsWith('.ts') ? '.ts' : '.js'), import.meta.url), { init, epochs: port2, timeOrigin: performance.timeOrigin, captures: caps }, [port2]);
    const h: WorkerHandle = { thread, epochs: port1, counters: new Map(), waits: new Map(), kernelDrops: {} };
    this.byIndex.set(init.index, h);
    thread.on('message', (m: FromWorker) => this.onMessage(h, m));
    thread.on('error', (err) => {
      for (const w of h.waits.values()) w.reject(err);
      h.waits.clear();
      this.keepAlive(h);
      process.emitWarning(`forwarding worker failed: ${err.message}`);
    });
    thread.on('exit', (code) => {
      // a worker that ended on its own: nothing it owed will come
      const err = new Error(`forwarding worker ended (exit code ${code})`);
      for (const w of h.waits.values()) w.reject(err);
      h.waits.clear();
    });
    thread.unref();
    return h;
  }

  private onMessage(h: WorkerHandle, m: FromWorker): void {
    switch (m.op) {
      case 'punt': {
        const offsets = new Int32Array(m.lengths.length);
        let o = 0;
        for (let i = 0; i < m.lengths.length; i++) {
          offsets[i] = o;
          o += m.lengths[i];
        }
        const buf = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
        this.core.onBatch(m.ifindex)({ buf, offsets, lengths: m.lengths, count: m.lengths.length });
        return;
      }
      case 'opened':
      case 'closed':
        this.settle(h, `${m.op}:${m.key}`);
        return;
      case 'vif-done':
        this.settle(h, `vif:${m.seq}`);
        return;
      case 'kernel-drops':
        h.kernelDrops = m.drops;
        if (m.seq >= 0) this.settle(h, `drops:${m.seq}`);
        return;
      case 'error': {
        const w = h.waits.get(`opened:${m.key}`);
        h.waits.delete(`opened:${m.key}`);
        this.keepAlive(h);
        if (w) w.reject(new Error(m.message));
        else process.emitWarning(`forwarding worker: ${m.message}`);
        return;
      }
      case 'stopped':
        this.settle(h, 'stopped');
        return;
    }
  }

  /**
   * A worker keeps the process alive while it has links (it is their input, as a link's own
   * socket would be without workers) or owes an answer; otherwise it does not.
   */
  private keepAlive(h: WorkerHandle): void {
    if (h.waits.size > 0 || h.counters.size > 0) h.thread.ref();
    else h.thread.unref();
  }

  private settle(h: WorkerHandle, key: string): void {
    const w = h.waits.get(key);
    h.waits.delete(key);
    this.keepAlive(h);
    w?.resolve();
  }

  private ask(h: WorkerHandle, key: string, msg: ToWorker): Promise<void> {
    return new Promise((resolve, reject) => {
      h.waits.set(key, { resolve, reject });
      h.thread.ref(); // an answer awaited keeps the process alive
      h.thread.postMessage(msg);
    });
  }

  /** Whether a link of this kind gets worker sockets. */
  serves(spec: LinkSpec): boolean {
    return this.workers.length > 0 && (spec.kind === 'packet' || spec.kind === 'tun');
  }

  /** Every worker opens its own socket (or queue) on the link's interface. */
  async openLink(key: string, spec: LinkSpec, link: Link): Promise<void> {
    if (!this.serves(spec)) return;
    const n = this.workers.length;
    const queues = spec.kind === 'packet' && spec.xdp ? rxQueues(spec.name) : 0;
    const group = (((process.pid * 31 + link.ifindex) & 0xfffe) | 1) >>> 0;
    this.links.set(key, link);
    this.keyOf.set(link, key);
    if (queues > 0) this.xdpLinks.add(key);
    try {
      await Promise.all(
        this.workers.map((h, w) => {
          const wspec: WorkerLinkSpec = { kind: spec.kind as 'packet' | 'tun', name: spec.name, fanoutGroup: group };
          // worker w reads the rx queues q with q mod n = w; one with none (fewer queues than
          // workers) has only its fanout socket, which gets what no XDP socket takes
          const mine = Array.from({ length: queues }, (_, q) => q).filter((q) => q % n === w);
          if (mine.length > 0) wspec.xdpQueues = mine;
          const counters = newLinkCounterBlock();
          h.counters.set(key, counters);
          return this.ask(h, `opened:${key}`, { op: 'open', key, spec: wspec, counters });
        }),
      );
    } catch (err) {
      await this.closeLink(key);
      fail('ENODEV', `cannot open ${spec.kind === 'tun' ? 'tun' : 'dev'} ${spec.name} in the forwarding workers: ${(err as Error).message}`);
    }
  }

  /** The vif sends through (key) in every worker, or (null) no longer. */
  async setVif(family: Family, vif: number, key: string | null): Promise<void> {
    if (this.workers.length === 0) return;
    const f = family === 'inet' ? 0 : 1;
    await Promise.all(
      this.workers.map((h) => {
        const seq = ++this.seq;
        return this.ask(h, `vif:${seq}`, { op: 'vif', seq, family: f, vif, key: key !== null && this.links.has(key) ? key : null });
      }),
    );
  }

  async closeLink(key: string): Promise<void> {
    const link = this.links.get(key);
    if (!link) return;
    this.links.delete(key);
    this.keyOf.delete(link);
    this.xdpLinks.delete(key);
    await Promise.all(
      this.workers
        .filter((h) => h.counters.has(key))
        .map(async (h) => {
          await this.ask(h, `closed:${key}`, { op: 'close', key }).catch(() => {});
          h.counters.delete(key);
          this.keepAlive(h);
        }),
    );
  }

  /** whether the link's input is the workers' AF_XDP sockets */
  hasXdp(link: Link): boolean {
    const key = this.keyOf.get(link);
    return key !== undefined && this.xdpLinks.has(key);
  }

  /** countersOf for a link, as link-rx.ts takes it */
  counting(link: Link): (c: LinkCounters) => LinkCounters {
    const key = this.keyOf.get(link);
    return key === undefined ? (c) => c : (c) => this.countersOf(key, c);
  }

  /** the link's counters with every worker's socket on it added (what `show vif` shows) */
  countersOf(key: string, own: LinkCounters): LinkCounters {
    if (this.workers.length === 0 || !this.links.has(key)) return own;
    const sum: LinkCounters = { ...own, rxDrops: { ...own.rxDrops }, kernelDropped: { ...own.kernelDropped } };
    for (const h of this.workers) {
      const c = h.counters.get(key);
      if (c) addLinkCounters(sum, c, h.kernelDrops[key]);
    }
    return sum;
  }

  /** Asks every worker for its links' kernel drop counters (a syscall each, on demand). */
  async refreshKernelDrops(): Promise<void> {
    await Promise.all(
      this.workers.map((h) => {
        const seq = ++this.seq;
        return this.ask(h, `drops:${seq}`, { op: 'kernel-drops', seq });
      }),
    );
  }

  /** what workers counted, into the engines' counters (before anything reads them) */
  fold(): void {
    if (this.workers.length > 0) this.shares.fold();
  }

  private updateTapped(): void {
    for (const fam of ['inet', 'inet6'] as const) {
      let mask = 0;
      this.core.captures[fam].forEach((r, v) => {
        // a mask of 32 bits: a tap on a mif above 31 sends every packet to the control thread
        if (r.tapped) mask |= v < 32 ? 1 << v : -1;
      });
      this.core.engine(fam).share?.setTapped(mask);
    }
  }

  async stopAll(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    this.byIndex.clear();
    await Promise.all(
      ws.map(async (h) => {
        await this.ask(h, 'stopped', { op: 'stop' }).catch(() => {});
        await h.thread.terminate();
      }),
    );
    for (const fam of ['inet', 'inet6'] as const) for (const r of this.core.captures[fam]) r.peers.length = 0;
  }
}


/** the interface's rx queues, as sysfs lists them (`ip netns exec` mounts the namespace's) */
function rxQueues(name: string): number {
  try {
    return Math.max(1, readdirSync(`/sys/class/net/${name}/queues`).filter((q) => q.startsWith('rx-')).length);
  } catch {
    return 1;
  }
}
