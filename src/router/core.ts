// The router core: both engines, the clock and the one timer that runs them, receive
// batches from links, and the transmit queue flushed once per batch or operation. Every
// other router file works on this.

import { performance } from 'node:perf_hooks';
import { fail } from '../dataplane/errno.js';
import { InetEngine } from '../dataplane/inet.js';
import { Inet6Engine } from '../dataplane/inet6.js';
import type { Upcall } from '../dataplane/upcall.js';
import type { Link, RxBatch } from '../dataplane/links/link.js';
import { CaptureRing } from './capture.js';
import { Inet4Ops, Inet6Ops, type FamilyOps } from './family.js';
import type { Family, MrtOwner } from './api.js';
import { ForwardingWorkers } from './workers.js';
import { touchHomeSlots } from '../dataplane/slot-touch.js';

/** A control packet for a daemon: the IP packet at buf[off, off+len), its upper-layer
 * message starting at off+hdrLen (IPv6 raw sockets deliver only that part) */
export type PacketSink = (ifindex: number, buf: Uint8Array, off: number, len: number, hdrLen: number) => boolean;

const IPPROTO_IGMP = 2;
const IPPROTO_HOPOPTS = 0;
const IPPROTO_ICMPV6 = 58;

export interface CoreOptions {
  maxVifs?: number;
  maxMifs?: number;
  clock?: () => number;
  autoTimers?: boolean;
}

export class RouterCore {
  readonly inet: InetEngine;
  readonly inet6: Inet6Engine;
  readonly ops: { inet: Inet4Ops; inet6: Inet6Ops };
  /** the routing sockets this router owns (identity objects for the ownership checks) */
  readonly so4 = { name: 'mrsh inet' };
  readonly so6 = { name: 'mrsh inet6' };
  readonly clock: () => number;
  readonly autoTimers: boolean;
  /** engine time 0 on the wall clock, for the times shown to people */
  readonly unixEpochOffset: number;
  readonly vifLinks: { inet: (Link | null)[]; inet6: (Link | null)[] };
  readonly captures: { inet: CaptureRing[]; inet6: CaptureRing[] };
  /** links with queued transmissions, flushed once per receive batch or operation */
  private readonly dirty: Link[] = [];
  /** copies transmitted, for inject's report and the forwarding rate */
  txCopies = 0;
  /** vif whose link carries Registers toward the RP (-1: none) */
  registerVia = -1;
  /** a program outside mrsh that owns a family's routing socket (`mrsh exec`), else null */
  readonly external: { inet: MrtOwner | null; inet6: MrtOwner | null } = { inet: null, inet6: null };
  /** where IGMP (IPv4) and MLD (IPv6) arriving on links go: the owner's routing socket, as
   * ip_mr_input hands them to the mrouter socket; a userspace dataplane's links are seen by
   * no kernel, so mrsh carries them itself */
  igmpSink: PacketSink | null = null;
  mldSink: PacketSink | null = null;
  /** control packets handed to the owner's socket, and dropped because it was full */
  readonly ctl = { inet: { delivered: 0, dropped: 0 }, inet6: { delivered: 0, dropped: 0 } };
  /** run on every tick, before the flush (the policy's idle sweep) */
  readonly onTick: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  closed = false;

  constructor(opts: CoreOptions) {
    this.clock = opts.clock ?? (() => performance.now());
    this.autoTimers = opts.autoTimers ?? opts.clock === undefined;
    this.unixEpochOffset = Date.now() - this.clock();
    // shared: forwarding workers (`mrt workers`) read the MFC where the engine keeps it
    this.inet = new InetEngine({ maxVifs: opts.maxVifs, shared: true });
    this.inet6 = new Inet6Engine({ maxVifs: opts.maxMifs, shared: true });
    this.ops = { inet: new Inet4Ops(this.inet), inet6: new Inet6Ops(this.inet6) };
    this.vifLinks = { inet: new Array(this.inet.maxVifs).fill(null), inet6: new Array(this.inet6.maxVifs).fill(null) };
    this.captures = {
      inet: Array.from({ length: this.inet.maxVifs }, () => new CaptureRing()),
      inet6: Array.from({ length: this.inet6.maxVifs }, () => new CaptureRing()),
    };
    this.inet.advance(this.clock());
    this.inet6.advance(this.clock());
    this.inet.transmit = this.makeTransmit('inet');
    this.inet6.transmit = this.makeTransmit('inet6');
    this.inet.transmitUnicast = (_dst, buf, off, len) => this.sendRegisterToRp(buf, off, len);
    this.workers = new ForwardingWorkers(this);
  }

  /** forwarding threads beside this one (none until `mrt workers N`) */
  readonly workers: ForwardingWorkers;

  fam(family: Family): FamilyOps {
    return this.ops[family];
  }

  engine(family: Family): InetEngine | Inet6Engine {
    return this.ops[family].engine;
  }

  so(family: Family): object {
    return family === 'inet' ? this.so4 : this.so6;
  }

  /** the family's routing socket, or the one error every command gives before mrt init */
  owner(family: Family): object {
    this.requireInit(family);
    return this.so(family);
  }

  requireInit(family: Family): void {
    const n = this.ops[family].name;
    if (this.engine(family).mrouter === null) fail('EPERM', `multicast routing is not initialised for ${n} (mrt init ${n})`);
  }

  /** the family, for a change by this router's own commands: initialised, and not a daemon's */
  changeable(family: Family): FamilyOps {
    this.refuseIfExternal(family);
    this.requireInit(family);
    return this.ops[family];
  }

  refuseIfExternal(family: Family): void {
    const o = this.external[family];
    if (o) fail('EADDRINUSE', `${this.ops[family].name} routing socket owned by ${o.program} (pid ${o.pid})`);
  }

  /** a vif index in range, else EINVAL naming the range */
  checkVifIndex(family: Family, vif: number, what = 'vif'): void {
    const e = this.engine(family);
    if (!Number.isInteger(vif) || vif < 0 || vif >= e.maxVifs) fail('EINVAL', `${what} ${vif} out of range (0-${e.maxVifs - 1})`);
  }

  private makeTransmit(family: Family) {
    const links = this.vifLinks[family];
    const caps = this.captures[family];
    const engine = this.engine(family);
    return (vif: number, buf: Uint8Array, off: number, len: number): void => {
      const l = links[vif];
      caps[vif].record(buf, off, len, engine.now);
      this.txCopies++;
      if (l === null) return; // vif slot deleted since the entry was made: nowhere to send
      l.send(buf, off, len);
      // A handful of links at most, and usually the one just queued: cheaper than a Set.
      const d = this.dirty;
      if (d.length === 0 || (d[d.length - 1] !== l && !d.includes(l))) d.push(l);
    };
  }

  /**
   * A kernel-built PIM Register is a unicast packet toward the RP. mrsh has no unicast
   * routing table, so the operator names the vif whose link leads to the RP
   * (`mrt register via N`); it is sent there like any forwarded copy. Until one is set,
   * Registers are counted (pims_snd_registers_*) and captured on the register vif only.
   */
  private sendRegisterToRp(buf: Uint8Array, off: number, len: number): void {
    const reg = this.inet.regVif;
    if (reg >= 0) this.captures.inet[reg].record(buf, off, len, this.inet.now);
    if (this.registerVia >= 0) this.inet.transmit(this.registerVia, buf, off, len);
  }

  /** vif whose link carries in-engine PIM Registers toward the RP (null: none) */
  setRegisterVia(vif: number | null): void {
    this.refuseIfExternal('inet');
    if (vif === null) {
      this.registerVia = -1;
      return;
    }
    this.checkVifIndex('inet', vif);
    if (!this.inet.vifUsed[vif] || this.inet.vifIsRegister[vif]) fail('EADDRNOTAVAIL', `vif ${vif} is not a configured vif with a link`);
    this.registerVia = vif;
  }

  flushTx(): void {
    const d = this.dirty;
    for (let i = 0; i < d.length; i++) d[i].flush();
    d.length = 0;
  }

  // ================================================================ time

  /** Move both engines to the clock's time, run what fell due, and re-arm the timer. */
  tick(): void {
    const t = this.clock();
    this.inet.advance(t);
    this.inet6.advance(t);
    for (const fn of this.onTick) fn();
    this.flushTx();
    this.armTimer();
  }

  /**
   * Brings both engines to the clock's time before a command: a command that reads or
   * writes timed state (a bw meter's start, an entry's age, a pending entry's expiry) sees
   * the current time, not the last packet's or timer's. Cheap when nothing fell due.
   */
  catchUp(): void {
    const t = this.clock();
    if (t >= this.inet.nextDeadline() || t >= this.inet6.nextDeadline()) return this.tick();
    this.syncClock();
  }

  /** the engines at the clock's time, without running timers that fell due */
  syncClock(): void {
    this.workers.fold(); // what workers counted is in the engines' counters before anyone reads
    const t = this.clock();
    if (t > this.inet.now) this.inet.advance(t);
    if (t > this.inet6.now) this.inet6.advance(t);
  }

  armTimer(): void {
    if (!this.autoTimers || this.closed) return;
    const next = Math.min(this.inet.nextDeadline(), this.inet6.nextDeadline());
    if (next === Infinity) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.timerAt = Infinity;
      return;
    }
    if (this.timer && next >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.tick();
    }, Math.max(0, next - this.clock()));
    this.timer.unref(); // links keep a daemon alive; timers alone must not
  }

  /** what an operation leaves behind goes out now, and the timer covers what it armed */
  settle(): void {
    this.flushTx();
    this.armTimer();
  }

  stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  // ================================================================ receive

  readonly onBatch = (ifindex: number) => (batch: RxBatch): void => {
    this.syncClock();
    const { buf, offsets, lengths, count } = batch;
    const igmp = this.igmpSink;
    const mld = this.mldSink;
    const t = this.inet.now;
    // what arrived on the vif, for capture: before input(), which rewrites TTLs in place
    const cap4 = this.captures.inet[this.inet.vifForIf(ifindex)] ?? null;
    const cap6 = this.captures.inet6[this.inet6.vifForIf(ifindex)] ?? null;
    touchHomeSlots(this.inet.table, this.inet6.table, buf, offsets, lengths, count);
    for (let i = 0; i < count; i++) {
      const off = offsets[i];
      if (buf[off] >>> 4 === 6) {
        cap6?.record(buf, off, lengths[i], t, true);
        // before input(): the engine rewrites hop limits in place
        if (mld !== null) countControl(this.ctl.inet6, deliverMld(mld, ifindex, buf, off, lengths[i]));
        this.inet6.input(ifindex, buf, off, lengths[i]);
      } else {
        cap4?.record(buf, off, lengths[i], t, true);
        if (igmp !== null && lengths[i] >= 20 && buf[off + 9] === IPPROTO_IGMP) countControl(this.ctl.inet, igmp(ifindex, buf, off, lengths[i], 0));
        this.inet.input(ifindex, buf, off, lengths[i]);
      }
    }
    this.settle();
  };

  /** the engines' upcall queues, in order: where the routing socket's reader takes them */
  *takeUpcalls(): Generator<Upcall> {
    for (const e of [this.inet, this.inet6]) {
      let u: Upcall | undefined;
      while ((u = e.upcalls.shift()) !== undefined) yield u;
    }
  }
}

function countControl(c: { delivered: number; dropped: number }, ok: boolean | null): void {
  if (ok === true) c.delivered++;
  else if (ok === false) c.dropped++;
}

/** MLD queries, reports and done (RFC 2710, 3810), behind at most a hop-by-hop header */
function deliverMld(sink: PacketSink, ifindex: number, buf: Uint8Array, off: number, len: number): boolean | null {
  if (len < 48) return null;
  let next = buf[off + 6];
  let pos = off + 40;
  if (next === IPPROTO_HOPOPTS) {
    next = buf[pos];
    pos += (buf[pos + 1] + 1) * 8;
  }
  if (next !== IPPROTO_ICMPV6 || pos >= off + len) return null;
  const t = buf[pos];
  return t === 130 || t === 131 || t === 132 || t === 143 ? sink(ifindex, buf, off, len, pos - off) : null;
}
