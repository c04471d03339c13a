// The embedded router: the engines of both families, the links their vifs are bound to,
// the timers, and the reader of the routing socket. It is the "routing daemon" side of
// multicast(4): it owns the mrouter sockets and turns the API's structs into the plain
// values the command layer shows.

import { networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import { FILE_ERRNOS, MrtError, fail, type Errno } from '../dataplane/errno.js';
import { isIPv4, isIPv6, parseIPv4, parseIPv6, formatIPv4, formatIPv6, isMulticast4 } from '../dataplane/addr.js';
import { InetEngine, MRT_VERSION_VALUE, VIFF_REGISTER, MRT_MFC_FLAGS_DISABLE_WRONGVIF, MRT_MFC_FLAGS_BORDER_VIF, MRT_MFC_RP, MRT_MFC_BW_UPCALL, MRT_API_FLAGS_ALL } from '../dataplane/inet.js';
import { Inet6Engine, MIFF_REGISTER, REGISTER_IFINDEX6 } from '../dataplane/inet6.js';
import { BW_UPCALL_DELETE_ALL, BW_UPCALL_GEQ, BW_UPCALL_LEQ, BW_UPCALL_UNIT_BYTES, BW_UPCALL_UNIT_PACKETS, type BwSpec } from '../dataplane/bw-meter.js';
import { ipv4HeaderOk } from '../dataplane/packet.js';
import { MRTSTAT_FIELDS, PIMSTAT_FIELDS, LEDGER_FIELDS } from '../dataplane/stats.js';
import { DEFAULT_PENDING_LIMIT, type MrouteEngine } from '../dataplane/engine.js';
import type { Upcall } from '../dataplane/upcall.js';
import type { Link, RxBatch } from '../dataplane/links/link.js';
import { VirtualLink } from '../dataplane/links/virtual.js';
import { CaptureRing, type CaptureTap } from './capture.js';
import { buildPacket } from './packets.js';
import { explain } from './explain.js';
import { PolicyTable, policyLine } from './policy.js';
import { writeFileAtomic } from './atomic-file.js';
import type {
  ConfigSource,
  PolicyRule,
  PolicyStatus,
  BwMeterInfo,
  CapturedPacket,
  Explanation,
  Family,
  InjectResult,
  InjectSpec,
  LinkSpec,
  MfcInfo,
  MfcSpec,
  MrtStatus,
  PendingInfo,
  RouterApi,
  RouterEvents,
  RouterStatus,
  Stats,
  UpcallEvent,
  VifInfo,
  VifSpec,
  MrtOwner,
} from './api.js';

export interface RouterOptions {
  /** MAXVIFS / MAXMIFS (default 32 / 64, FreeBSD's). */
  maxVifs?: number;
  maxMifs?: number;
  /** engine clock in ms; tests pass a fake one and call tick() */
  clock?: () => number;
  /** run timers from real time (default true; tests with a fake clock turn it off) */
  autoTimers?: boolean;
  /** upcalls kept for `show upcalls` */
  upcallHistory?: number;
  /** opens tun and packet links; tests and platforms without the addon may replace it */
  openLink?: (spec: LinkSpec, local: string | undefined) => Promise<Link>;
  /** the file `write memory` saves to (the daemon's -f) */
  startupFile?: string;
  /** idle time after which a policy-installed entry is deleted (default 300 s; 0: never) */
  policyExpireMs?: number;
}

export const DEFAULT_POLICY_EXPIRE_MS = 300_000;

interface BoundLink {
  link: Link;
  /** vifs (both families) that use it */
  users: Set<string>;
  started: boolean;
}

/** API config flag names, in the order `show running-config` prints them. */
export const API_FLAG_NAMES: [string, number][] = [
  ['disable-wrongvif', MRT_MFC_FLAGS_DISABLE_WRONGVIF],
  ['border-vif', MRT_MFC_FLAGS_BORDER_VIF],
  ['rp', MRT_MFC_RP],
  ['bw-upcall', MRT_MFC_BW_UPCALL],
];

export class Router implements RouterApi {
  readonly inet: InetEngine;
  readonly inet6: Inet6Engine;
  /** the routing sockets this router owns (identity objects for the ownership checks) */
  private readonly so4 = { name: 'mrsh inet' };
  private readonly so6 = { name: 'mrsh inet6' };
  private readonly clock: () => number;
  private readonly autoTimers: boolean;
  private readonly openLinkImpl: (spec: LinkSpec, local: string | undefined) => Promise<Link>;
  private readonly links = new Map<string, BoundLink>();
  private readonly vifLinks: { inet: (Link | null)[]; inet6: (Link | null)[] };
  private readonly captures: { inet: CaptureRing[]; inet6: CaptureRing[] };
  /** links with queued transmissions, flushed once per receive batch or operation */
  private readonly dirty: Link[] = [];
  /** what the user asked for, per (S,G): the source of running-config and of explain */
  readonly mfcSpecs = { inet: new Map<string, MfcSpec>(), inet6: new Map<string, MfcSpec>() };
  private readonly vifSpecs = { inet: new Map<number, VifSpec>(), inet6: new Map<number, VifSpec>() };
  private readonly bwSpecs = new Map<string, { source: string; group: string; op: 'geq' | 'leq'; packets?: number; bytes?: number; intervalMs: number }>();
  private readonly history: UpcallEvent[] = [];
  private readonly historyLimit: number;
  private seq = 0;
  private readonly listeners: { [E in keyof RouterEvents]: Set<RouterEvents[E]> } = { upcall: new Set() };
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private drainScheduled = false;
  private closed = false;
  /** copies transmitted, for inject's report and the forwarding rate */
  private txCopies = 0;
  private rate = { t: 0, fwd: 0, up: 0, fwdPps: 0, upRate: 0 };
  private entryRates = new Map<string, { t: number; p: number; b: number; pps: number; bps: number }>();
  private readonly unixEpochOffset: number;
  private readonly policyTable = new PolicyTable();
  /** entries the policy installed, per family: sgKey -> the rule that did */
  private readonly policyInstalled = { inet: new Map<string, PolicyRule>(), inet6: new Map<string, PolicyRule>() };
  private policyExpireMs: number;
  private policyExpired = 0;
  private policyUnmatched = 0;
  private policyTimer: NodeJS.Timeout | null = null;
  private startupFile: string | null;
  private baseline: string[] = [];
  /** a program outside mrsh that owns a family's routing socket (`mrsh exec`), else null */
  private readonly external: { inet: MrtOwner | null; inet6: MrtOwner | null } = { inet: null, inet6: null };
  /** where the owner's upcalls go: its socket, byte for byte (set with the owner) */
  private readonly upcallSinks: { inet: ((u: Upcall) => void) | null; inet6: ((u: Upcall) => void) | null } = { inet: null, inet6: null };
  /** where IGMP (IPv4) and MLD (IPv6) arriving on links go: the owner's routing socket, as
   * ip_mr_input hands them to the mrouter socket; a userspace dataplane's links are seen by
   * no kernel, so mrsh carries them itself */
  private igmpSink: PacketSink | null = null;
  /** control packets handed to the owner's socket, and dropped because it was full */
  private readonly ctl = { inet: { delivered: 0, dropped: 0 }, inet6: { delivered: 0, dropped: 0 } };
  private countControl(c: { delivered: number; dropped: number }, ok: boolean | null): void {
    if (ok === true) c.delivered++;
    else if (ok === false) c.dropped++;
  }
  private mldSink: PacketSink | null = null;

  static async create(opts: RouterOptions = {}): Promise<Router> {
    return new Router(opts);
  }

  constructor(opts: RouterOptions = {}) {
    this.clock = opts.clock ?? (() => performance.now());
    this.autoTimers = opts.autoTimers ?? opts.clock === undefined;
    this.historyLimit = opts.upcallHistory ?? 1000;
    this.openLinkImpl = opts.openLink ?? openLinkDefault;
    this.unixEpochOffset = Date.now() - this.clock();
    this.startupFile = opts.startupFile ?? null;
    this.policyExpireMs = opts.policyExpireMs ?? DEFAULT_POLICY_EXPIRE_MS;
    this.inet = new InetEngine({ maxVifs: opts.maxVifs });
    this.inet6 = new Inet6Engine({ maxVifs: opts.maxMifs });
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
    this.inet.upcalls.onPush = this.scheduleDrain;
    this.inet6.upcalls.onPush = this.scheduleDrain;
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
  /** vif whose link carries Registers toward the RP (-1: none) */
  private registerVia = -1;

  setRegisterVia(vif: number | null): void {
    this.refuseIfExternal('inet');
    if (vif === null) {
      this.registerVia = -1;
      return;
    }
    if (!Number.isInteger(vif) || vif < 0 || vif >= this.inet.maxVifs) fail('EINVAL', `vif ${vif} out of range (0-${this.inet.maxVifs - 1})`);
    if (!this.inet.vifUsed[vif] || this.inet.vifIsRegister[vif]) fail('EADDRNOTAVAIL', `vif ${vif} is not a configured vif with a link`);
    this.registerVia = vif;
  }

  private flushTx(): void {
    const d = this.dirty;
    for (let i = 0; i < d.length; i++) d[i].flush();
    d.length = 0;
  }

  engine(family: Family): InetEngine | Inet6Engine {
    return family === 'inet' ? this.inet : this.inet6;
  }

  now(): number {
    return this.clock();
  }

  // ================================================================ time

  /** Move both engines to the clock's time, run what fell due, and re-arm the timer. */
  tick(): void {
    const t = this.clock();
    this.inet.advance(t);
    this.inet6.advance(t);
    this.expirePolicyEntries();
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
    if (t > this.inet.now) this.inet.advance(t);
    if (t > this.inet6.now) this.inet6.advance(t);
  }

  private armTimer(): void {
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

  // ================================================================ receive

  private readonly onBatch = (ifindex: number) => (batch: RxBatch): void => {
    const t = this.clock();
    if (t > this.inet.now) this.inet.advance(t);
    if (t > this.inet6.now) this.inet6.advance(t);
    const { buf, offsets, lengths, count } = batch;
    const igmp = this.igmpSink;
    const mld = this.mldSink;
    // what arrived on the vif, for capture: before input(), which rewrites TTLs in place
    const cap4 = this.captures.inet[this.inet.vifForIf(ifindex)] ?? null;
    const cap6 = this.captures.inet6[this.inet6.vifForIf(ifindex)] ?? null;
    for (let i = 0; i < count; i++) {
      const off = offsets[i];
      if (buf[off] >>> 4 === 6) {
        cap6?.record(buf, off, lengths[i], t, true);
        // before input(): the engine rewrites hop limits in place
        if (mld !== null) this.countControl(this.ctl.inet6, deliverMld(mld, ifindex, buf, off, lengths[i]));
        this.inet6.input(ifindex, buf, off, lengths[i]);
      } else {
        cap4?.record(buf, off, lengths[i], t, true);
        if (igmp !== null && lengths[i] >= 20 && buf[off + 9] === IPPROTO_IGMP) this.countControl(this.ctl.inet, igmp(ifindex, buf, off, lengths[i], 0));
        this.inet.input(ifindex, buf, off, lengths[i]);
      }
    }
    this.flushTx();
    this.armTimer();
  };

  // ================================================================ upcalls

  private readonly scheduleDrain = (): void => {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drainUpcalls();
    });
  };

  /** Read the routing sockets, as a daemon would. */
  drainUpcalls(): void {
    for (const e of [this.inet, this.inet6] as MrouteEngine[]) {
      let u: Upcall | undefined;
      while ((u = e.upcalls.shift()) !== undefined) this.deliver(u);
    }
  }

  private deliver(u: Upcall): void {
    this.upcallSinks[u.family]?.(u);
    const isV6 = u.family === 'inet6';
    const b = u.bytes;
    let source = u.from;
    let group = '0.0.0.0';
    if (u.type !== 4) {
      group = isV6 ? formatIPv6(b, 24) : formatIPv4(b.readUInt32BE(16));
      if (isV6 && u.type === 3) {
        source = formatIPv6(b, 48);
        group = formatIPv6(b, 64);
      }
    }
    const ev: UpcallEvent = {
      seq: ++this.seq,
      timeMs: this.unixEpochOffset + u.time,
      family: u.family,
      type: u.typeName as UpcallEvent['type'],
      vif: u.vif,
      source,
      group,
      hex: b.toString('hex'),
      length: b.length,
    };
    if (u.records) {
      ev.bw = u.records.map((r) => ({
        source: formatIPv4(r.src),
        group: formatIPv4(r.dst),
        flags: r.flags,
        thresholdMs: r.thresholdUs / 1000,
        thresholdPackets: r.thresholdPackets,
        thresholdBytes: r.thresholdBytes,
        measuredMs: r.measuredUs / 1000,
        measuredPackets: r.measuredPackets,
        measuredBytes: r.measuredBytes,
      }));
    }
    this.history.push(ev);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    for (const fn of this.listeners.upcall) fn(ev);
    if (ev.type === 'NOCACHE') this.policyResolve(ev);
  }

  // ================================================================ static policy

  /**
   * Answers a NOCACHE the way smcroute does: the first rule whose from vif is the arrival
   * vif and whose prefixes hold (S,G) installs the entry; the held packets then go out.
   * The MFC keys by (S,G), not (iif,S,G): whichever inbound vif resolves first owns the
   * entry; the same (S,G) on another vif is then a wrong-vif arrival until the entry idles
   * out and the next NOCACHE decides again.
   */
  private policyResolve(ev: UpcallEvent): void {
    if (this.policyTable.size === 0) return;
    const family = ev.family;
    const rule = this.policyTable.match(family, ev.source, ev.group, ev.vif);
    if (!rule) {
      this.policyUnmatched++;
      return;
    }
    const e = this.engine(family);
    const id = e.findEntry(ev.source, ev.group);
    if (id >= 0 && !e.isPending(id)) return; // resolved since (a user's mfc add): leave it
    try {
      this.addMfcAs({ family, source: ev.source, group: ev.group, parent: rule.iif, oifs: rule.oifs }, rule);
    } catch {
      // e.g. a vif of the rule was deleted: the pending entry times out as without a rule
      this.policyUnmatched++;
    }
  }

  addPolicy(rule: PolicyRule): void {
    this.refuseIfExternal(rule.family);
    const e = this.engine(rule.family);
    if (e.mrouter === null) fail('EPERM', `multicast routing is not initialised for ${fam(rule.family)} (mrt init ${fam(rule.family)})`);
    this.policyTable.add(rule, e.maxVifs);
    this.armPolicyTimer();
    // Flows already waiting get their answer now rather than after the next upcall.
    for (const p of this.listPending(rule.family)) {
      this.policyResolve({ seq: 0, timeMs: 0, family: p.family, type: 'NOCACHE', vif: p.arrivalVif, source: p.source, group: p.group, hex: '', length: 0 });
    }
  }

  /** Deletes the rule; the entries it installed stay until they idle out (as smcroute's). */
  delPolicy(rule: PolicyRule): void {
    this.policyTable.del(rule);
  }

  setPolicyExpire(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) fail('EINVAL', `expiry ${ms / 1000} s is not a duration`);
    this.policyExpireMs = ms;
    this.armPolicyTimer(true);
  }

  policy(): PolicyStatus {
    const count = (rule: PolicyRule) => {
      let n = 0;
      for (const r of this.policyInstalled[rule.family].values()) if (r === rule) n++;
      return n;
    };
    return { rules: this.policyTable.list(count), expireMs: this.policyExpireMs, expired: this.policyExpired, unmatched: this.policyUnmatched };
  }

  /** the rules matching (S,G) on any vif and who installed the entry: for explain */
  policyFor(family: Family, source: string, group: string): { rules: { index: number; rule: PolicyRule }[]; installedBy: PolicyRule | null } {
    return {
      rules: this.policyTable.size ? this.policyTable.matchingAny(family, source, group) : [],
      installedBy: this.policyInstalled[family].get(sgKey(source, group, family)) ?? null,
    };
  }

  get policyExpire(): number {
    return this.policyExpireMs;
  }

  /**
   * Idle detection by counters, which work without the advanced API: an installed entry
   * that forwarded nothing (lastUsed, else its creation) for policyExpireMs is deleted.
   */
  private expirePolicyEntries(): void {
    if (this.policyExpireMs <= 0) return;
    for (const family of ['inet', 'inet6'] as Family[]) {
      const inst = this.policyInstalled[family];
      if (inst.size === 0) continue;
      const e = this.engine(family);
      const now = e.now;
      for (const k of [...inst.keys()]) {
        const [source, group] = k.split(',');
        const id = e.findEntry(source, group);
        if (id < 0 || e.isPending(id)) {
          inst.delete(k);
          continue;
        }
        const last = e.lastUsedAt(id) < 0 ? e.created[id] : Math.max(e.lastUsedAt(id), e.created[id]);
        if (now - last < this.policyExpireMs) continue;
        try {
          this.delMfc(family, source, group);
        } catch {
          inst.delete(k);
        }
        this.policyExpired++;
      }
    }
  }

  private armPolicyTimer(rearm = false): void {
    if (!this.autoTimers || this.closed) return;
    if (this.policyTimer && !rearm) return;
    if (this.policyTimer) clearInterval(this.policyTimer);
    this.policyTimer = null;
    if (this.policyExpireMs <= 0) return;
    // a quarter of the expiry bounds how late an entry goes, at a cost of one pass over installed entries
    const every = Math.min(5000, Math.max(100, this.policyExpireMs / 4));
    this.policyTimer = setInterval(() => this.tick(), every);
    this.policyTimer.unref();
  }

  on<E extends keyof RouterEvents>(event: E, fn: RouterEvents[E]): void {
    this.listeners[event].add(fn);
  }
  off<E extends keyof RouterEvents>(event: E, fn: RouterEvents[E]): void {
    this.listeners[event].delete(fn);
  }

  upcalls(last?: number): UpcallEvent[] {
    this.drainUpcalls();
    return last === undefined ? [...this.history] : this.history.slice(-last);
  }

  // ================================================================ MRT

  /** the family's routing socket, or the one error every command gives before mrt init */
  private owner(family: Family): object {
    if (this.engine(family).mrouter === null) fail('EPERM', `multicast routing is not initialised for ${fam(family)} (mrt init ${fam(family)})`);
    return family === 'inet' ? this.so4 : this.so6;
  }

  private so(family: Family): object {
    return family === 'inet' ? this.so4 : this.so6;
  }

  mrtInit(family: Family): void {
    this.refuseIfExternal(family);
    this.tick();
    if (family === 'inet') this.inet.init(this.so4, 1);
    else this.inet6.init(this.so6, 1);
    this.armTimer();
  }

  mrtDone(family: Family): void {
    this.refuseIfExternal(family);
    if (family === 'inet') this.inet.done(this.owner('inet'));
    else this.inet6.done(this.owner('inet6'));
    this.engine(family).pendingLimit = DEFAULT_PENDING_LIMIT;
    this.mfcSpecs[family].clear();
    this.policyInstalled[family].clear();
    this.policyTable.clear(family);
    this.vifSpecs[family].clear();
    if (family === 'inet') this.bwSpecs.clear();
    for (let v = 0; v < this.vifLinks[family].length; v++) this.releaseVifLink(family, v);
  }

  setPim(family: Family, on: boolean): void {
    this.refuseIfExternal(family);
    if (family === 'inet') this.inet.setAssert(this.owner('inet'), on ? 1 : 0); // MRT_PIM is MRT_ASSERT on FreeBSD
    else this.inet6.setPim(this.owner('inet6'), on ? 1 : 0);
  }

  setAssert(on: boolean): void {
    this.refuseIfExternal('inet');
    this.inet.setAssert(this.owner('inet'), on ? 1 : 0);
  }

  apiConfig(flags: number): number {
    this.refuseIfExternal('inet');
    return this.inet.setApiConfig(this.owner('inet'), flags);
  }

  mrtStatus(family: Family): MrtStatus {
    const e = this.engine(family);
    const v4 = family === 'inet';
    let vifs = 0;
    for (let v = 0; v < e.numVifs; v++) if (e.vifUsed[v]) vifs++;
    return {
      family,
      initialized: e.mrouter !== null,
      version: MRT_VERSION_VALUE,
      pim: v4 ? this.inet.assert : this.inet6.pim,
      assert: v4 ? this.inet.assert : this.inet6.pim,
      apiSupport: v4 && !this.external.inet ? MRT_API_FLAGS_ALL : 0, // Linux's API has no advanced API
      apiConfig: v4 ? this.inet.apiConfig : 0,
      maxVifs: e.maxVifs,
      vifs,
      mfcEntries: e.resolvedCount,
      pendingEntries: e.pending.size,
      owner: this.external[family] ? { ...this.external[family]!, external: true } : e.mrouter !== null ? { program: 'mrsh', pid: process.pid, external: false } : null,
    };
  }

  // ================================================================ vifs

  async addVif(spec: VifSpec): Promise<VifInfo> {
    const family = spec.family;
    this.refuseIfExternal(family);
    const e = this.engine(family);
    if (e.mrouter === null) fail('EPERM', `multicast routing is not initialised for ${fam(family)} (mrt init ${fam(family)})`);
    if (!Number.isInteger(spec.index) || spec.index < 0 || spec.index >= e.maxVifs)
      fail('EINVAL', `${family === 'inet' ? 'vif' : 'mif'} index ${spec.index} out of range (0-${e.maxVifs - 1})`);
    if (e.vifUsed[spec.index]) fail('EADDRINUSE', `${family === 'inet' ? 'vif' : 'mif'} ${spec.index} is in use`);
    if (spec.threshold !== undefined && (!Number.isInteger(spec.threshold) || spec.threshold < 0 || spec.threshold > 255))
      fail('EINVAL', `threshold ${spec.threshold} out of range (0-255)`);
    if (spec.local !== undefined && family === 'inet' && !isIPv4(spec.local)) fail('EINVAL', `local address '${spec.local}' is not IPv4`);
    if (spec.remote !== undefined && !isIPv4(spec.remote)) fail('EINVAL', `remote address '${spec.remote}' is not IPv4`);
    if (spec.register) {
      if (family === 'inet') {
        this.inet.addVif(this.owner('inet'), {
          vifi: spec.index,
          flags: VIFF_REGISTER,
          threshold: spec.threshold ?? 1,
          rateLimit: 0,
          lclAddr: spec.local ?? '127.0.0.2',
          rmtAddr: spec.remote ?? '0.0.0.0',
        });
      } else {
        this.inet6.attachInterface({ ifindex: REGISTER_IFINDEX6, name: 'register_mif', addrs4: [], addrs6: [], multicast: true });
        this.inet6.addMif(this.owner('inet6'), { mifi: spec.index, flags: MIFF_REGISTER, pifi: REGISTER_IFINDEX6 });
      }
      this.vifSpecs[family].set(spec.index, { ...spec });
      return this.vifInfo(family, spec.index);
    }
    if (!spec.link) fail('EINVAL', 'a vif needs a link (tun NAME, dev IFNAME or virtual NAME) or register');
    // vifs are known by name (show vif, iif NAME): two of one family may not share one
    for (let v = 0; v < e.numVifs; v++) {
      const other = e.vifUsed[v] ? this.vifLinks[family][v] : undefined;
      if (other && other.name === spec.link.name)
        fail('EADDRINUSE', `${family === 'inet' ? 'vif' : 'mif'} ${v} is already named ${other.name}: two ${family === 'inet' ? 'vifs' : 'mifs'} may not share a name`);
    }
    const key = `${spec.link.kind}:${spec.link.name}`;
    let bound = this.links.get(key);
    const created = !bound;
    if (bound && spec.link.kind === 'packet' && spec.link.xdp && !bound.link.xdp) {
      fail('EBUSY', `dev ${spec.link.name} is already open without XDP input (${[...bound.users].join(', ')}); give those vifs xdp too`);
    }
    if (!bound) {
      const link = await this.openLinkImpl(spec.link, family === 'inet' ? spec.local : undefined);
      bound = { link, users: new Set(), started: false };
    }
    const link = bound.link;
    const local = family === 'inet' ? spec.local ?? link.addrs4[0] ?? `127.0.1.${spec.index + 1}` : undefined;
    const ifp = e.interfaces.get(link.ifindex);
    const addrs4 = new Set([...(ifp?.addrs4 ?? link.addrs4)]);
    if (local) addrs4.add(local);
    e.attachInterface({ ifindex: link.ifindex, name: link.name, addrs4: [...addrs4], addrs6: [...link.addrs6], multicast: true });
    try {
      if (family === 'inet') {
        this.inet.addVif(this.owner('inet'), { vifi: spec.index, flags: 0, threshold: spec.threshold ?? 1, rateLimit: 0, lclAddr: local!, rmtAddr: spec.remote ?? '0.0.0.0' });
      } else {
        this.inet6.addMif(this.owner('inet6'), { mifi: spec.index, flags: 0, pifi: link.ifindex });
      }
    } catch (err) {
      if (created) await link.close();
      throw err;
    }
    if (created) this.links.set(key, bound);
    bound.users.add(`${family}:${spec.index}`);
    this.vifLinks[family][spec.index] = link;
    this.captures[family][spec.index].clear();
    if (!bound.started) {
      bound.started = true;
      link.start(this.onBatch(link.ifindex));
    }
    // the local the user gave, not the one derived from the link: a config written from
    // this stays valid when the interface's address changes, and diffs cleanly against files
    this.vifSpecs[family].set(spec.index, { ...spec });
    return this.vifInfo(family, spec.index);
  }

  async delVif(family: Family, index: number): Promise<void> {
    this.refuseIfExternal(family);
    if (family === 'inet') this.inet.delVif(this.owner('inet'), index);
    else this.inet6.delMif(this.owner('inet6'), index);
    this.vifSpecs[family].delete(index);
    if (this.registerVia === index && family === 'inet') this.registerVia = -1;
    await this.releaseVifLink(family, index);
  }

  private async releaseVifLink(family: Family, index: number): Promise<void> {
    const link = this.vifLinks[family][index];
    if (!link) return;
    this.vifLinks[family][index] = null;
    const key = `${link.kind}:${link.name}`;
    const bound = this.links.get(key);
    if (!bound) return;
    bound.users.delete(`${family}:${index}`);
    if (bound.users.size > 0) return;
    this.links.delete(key);
    // The interface leaves the engine's table without the departure semantics:
    // MRT_DEL_VIF never touches MFC entries.
    this.inet.interfaces.delete(link.ifindex);
    this.inet6.interfaces.delete(link.ifindex);
    await link.close();
  }

  listVifs(family: Family): VifInfo[] {
    const e = this.engine(family);
    const out: VifInfo[] = [];
    for (let v = 0; v < e.numVifs; v++) if (e.vifUsed[v]) out.push(this.vifInfo(family, v));
    return out;
  }

  private vifInfo(family: Family, v: number): VifInfo {
    const e = this.engine(family);
    const link = this.vifLinks[family][v];
    const register = e.vifIsRegister[v] === 1;
    return {
      family,
      index: v,
      flags: e.vifFlags[v],
      register,
      threshold: e.vifThreshold[v],
      local: family === 'inet' ? formatIPv4(e.vifLcl[v]) : null,
      remote: family === 'inet' && e.vifRmt[v] !== 0 ? formatIPv4(e.vifRmt[v]) : null,
      link: link ? { kind: link.kind, name: link.name, ifindex: link.ifindex, ...(link.xdp ? { xdp: true } : {}) } : register ? { kind: 'register', name: family === 'inet' ? 'register_vif' : 'register_mif', ifindex: 0 } : null,
      pktsIn: e.vifPktIn[v],
      pktsOut: e.vifPktOut[v],
      bytesIn: e.vifBytesIn[v],
      bytesOut: e.vifBytesOut[v],
      txDropped: link ? link.counters.txDropped : 0,
    };
  }

  // ================================================================ MFC

  /**
   * MRT_ADD_MFC as FreeBSD takes it: parent, group and ttls are not validated by the
   * kernel, so neither are they here; what the kernel accepts but will never forward is
   * returned as warnings (a vif that does not exist, the iif among the oifs, a link-local
   * or non-multicast group, flags or rp whose API is off and which the kernel ignores).
   * Only what struct mfcctl cannot carry is refused.
   */
  addMfc(spec: MfcSpec): string[] {
    return this.addMfcAs(spec, null);
  }

  /** by: the policy rule installing the entry, or null for the user (who then owns it) */
  private addMfcAs(spec: MfcSpec, by: PolicyRule | null): string[] {
    const family = spec.family;
    this.refuseIfExternal(family);
    const e = this.engine(family);
    if (e.mrouter === null) fail('EPERM', `multicast routing is not initialised for ${fam(family)} (mrt init ${fam(family)})`);
    checkAddr(family, spec.source, 'source');
    checkAddr(family, spec.group, 'group');
    const warnings: string[] = [];
    const configured = (v: number): boolean => v < e.numVifs && e.vifUsed[v] === 1;
    const vifWord = family === 'inet' ? 'vif' : 'mif';
    if (family === 'inet' ? !isMulticast4(parseIPv4(spec.group)) : parseIPv6(spec.group)[0] !== 0xff) warnings.push(`group ${spec.group} is not a multicast address: no packet will match the entry`);
    else if (isLinkLocalGroup(family, spec.group)) warnings.push(`group ${spec.group} is link-local: such packets are never forwarded`);
    if (!Number.isInteger(spec.parent) || spec.parent < 0 || spec.parent > 0xfffe) fail('EINVAL', `iif ${spec.parent} out of range (0-65534: mfcc_parent is 16 bits)`);
    if (!configured(spec.parent)) warnings.push(`iif ${spec.parent} is not a configured ${vifWord}: every packet will count as wrong-interface`);
    const ttls = new Uint8Array(e.maxVifs);
    const oifs: { vif: number; ttl: number }[] = [];
    for (const o of spec.oifs) {
      if (!Number.isInteger(o.vif) || o.vif < 0 || o.vif >= e.maxVifs) fail('EINVAL', `oif ${o.vif} out of range (0-${e.maxVifs - 1})`);
      if (!Number.isInteger(o.ttl) || o.ttl < 0 || o.ttl > 255) fail('EINVAL', `oif ${o.vif}: TTL threshold ${o.ttl} out of range (0-255)`);
      if (o.ttl === 0) continue; // TTL 0: not an outgoing vif (mfcc_ttls[] semantics)
      ttls[o.vif] = o.ttl;
      oifs.push(o);
      if (!configured(o.vif)) warnings.push(`oif ${o.vif} is not a configured ${vifWord}: nothing is sent there until it is`);
      if (o.vif === spec.parent) warnings.push(`oif ${o.vif} is also the iif: packets are sent back out where they came from`);
    }
    let flagsKept: MfcSpec['flags'];
    let rp: string | undefined;
    if (family === 'inet') {
      const flags = new Uint8Array(e.maxVifs);
      for (const f of spec.flags ?? []) {
        if (!Number.isInteger(f.vif) || f.vif < 0 || f.vif >= e.maxVifs) fail('EINVAL', `flags: vif ${f.vif} out of range (0-${e.maxVifs - 1})`);
        const kept: { vif: number; disableWrongvif?: boolean; border?: boolean } = { vif: f.vif };
        if (f.disableWrongvif) {
          if (!(this.inet.apiConfig & MRT_MFC_FLAGS_DISABLE_WRONGVIF)) warnings.push(`flags ${f.vif}:disable-wrongvif ignored: its API is off (mrt api config disable-wrongvif)`);
          else (flags[f.vif] |= MRT_MFC_FLAGS_DISABLE_WRONGVIF), (kept.disableWrongvif = true);
        }
        if (f.border) {
          if (!(this.inet.apiConfig & MRT_MFC_FLAGS_BORDER_VIF)) warnings.push(`flags ${f.vif}:border ignored: its API is off (mrt api config border-vif)`);
          else (flags[f.vif] |= MRT_MFC_FLAGS_BORDER_VIF), (kept.border = true);
        }
        if (kept.disableWrongvif || kept.border) (flagsKept ??= []).push(kept);
      }
      if (spec.rp !== undefined) {
        if (!isIPv4(spec.rp)) fail('EINVAL', `rp '${spec.rp}' is not an IPv4 address`);
        if (!(this.inet.apiConfig & MRT_MFC_RP)) warnings.push(`rp ${spec.rp} ignored: its API is off (mrt api config rp)`);
        else rp = spec.rp;
      }
      // A daemon passes mfcctl2 whenever any API feature was negotiated.
      const ctl2 = this.inet.apiConfig !== 0;
      this.inet.addMfc(this.owner('inet'), { origin: spec.source, mcastgrp: spec.group, parent: spec.parent, ttls, flags: ctl2 ? flags : undefined, rp }, ctl2);
    } else {
      if ((spec.flags ?? []).length > 0 || spec.rp !== undefined) fail('EINVAL', 'IPv6 MFC entries take no flags and no rp (struct mf6cctl has neither)');
      this.inet6.addMfc(this.owner('inet6'), { origin: spec.source, mcastgrp: spec.group, parent: spec.parent, ifset: oifs.map((o) => o.vif) });
    }
    spec = { ...spec, oifs, flags: flagsKept, rp };
    const key = sgKey(spec.source, spec.group, family);
    // Stored as the canonical text, so running-config and replace diffs do not depend on how
    // an address was spelled (ff0e::0001 is ff0e::1).
    const [source, group] = key.split(',');
    this.mfcSpecs[family].set(key, { ...spec, source, group, rp: spec.rp === undefined ? undefined : canonAddr('inet', spec.rp), oifs: [...spec.oifs], flags: spec.flags ? [...spec.flags] : undefined });
    if (by) this.policyInstalled[family].set(key, by);
    else this.policyInstalled[family].delete(key);
    this.flushTx(); // held packets may have been released
    this.armTimer();
    return warnings;
  }

  delMfc(family: Family, source: string, group: string): void {
    this.refuseIfExternal(family);
    checkAddr(family, source, 'source');
    checkAddr(family, group, 'group');
    if (family === 'inet') this.inet.delMfc(this.owner('inet'), source, group);
    else this.inet6.delMfc(this.owner('inet6'), source, group);
    const k = sgKey(source, group, family);
    this.mfcSpecs[family].delete(k);
    this.policyInstalled[family].delete(k);
    if (family === 'inet') for (const bk of [...this.bwSpecs.keys()]) if (bk.startsWith(k + '|')) this.bwSpecs.delete(bk);
  }

  listMfc(family: Family, filter: { source?: string; group?: string } = {}): MfcInfo[] {
    const e = this.engine(family);
    const now = this.clock();
    const { source, group } = filter;
    if (source !== undefined) checkAddr(family, source, 'source');
    if (group !== undefined) checkAddr(family, group, 'group');
    if (source !== undefined && group !== undefined) {
      // One (S,G): a hash lookup, not a walk of the table.
      const id = e.findEntry(source, group);
      return id >= 0 && !e.isPending(id) ? [this.mfcInfo(family, id, now)] : [];
    }
    let ids = e.entryIds('resolved');
    if (source !== undefined || group !== undefined) {
      const canon = (a: string) => (family === 'inet' ? formatIPv4(parseIPv4(a)) : formatIPv6(parseIPv6(a)));
      const s = source !== undefined ? canon(source) : null;
      const g = group !== undefined ? canon(group) : null;
      ids = ids.filter((id) => (s === null || e.originOf(id) === s) && (g === null || e.groupOf(id) === g));
    }
    return ids.map((id) => this.mfcInfo(family, id, now));
  }

  mfcInfo(family: Family, id: number, now = this.clock()): MfcInfo {
    const e = this.engine(family);
    const source = e.originOf(id);
    const group = e.groupOf(id);
    const k = sgKey(source, group, family);
    const flags: MfcInfo['flags'] = [];
    for (let v = 0; v < e.maxVifs; v++) {
      const f = e.mflags[id * e.maxVifs + v];
      if (f) flags.push({ vif: v, disableWrongvif: (f & MRT_MFC_FLAGS_DISABLE_WRONGVIF) !== 0, border: (f & MRT_MFC_FLAGS_BORDER_VIF) !== 0 });
    }
    const r = this.rateOf(k, now, e.pkts(id), e.bytes(id), e.created[id]);
    return {
      family,
      source,
      group,
      parent: e.parent[id],
      oifs: e.oifsOf(id),
      flags,
      rp: e.rpOf(id),
      packets: e.pkts(id),
      bytes: e.bytes(id),
      wrongIf: e.wrongIfs(id),
      createdMs: e.created[id],
      lastUsedMs: e.lastUsedAt(id) < 0 ? null : e.lastUsedAt(id),
      pps: r.pps,
      bps: r.bps,
      installedBy: this.external[family] ? 'daemon' : this.policyInstalled[family].has(k) ? 'policy' : 'user',
      bwMeters: family === 'inet' ? this.metersOf(id) : [],
    };
  }

  /** Rates since the previous look at this entry (at least 1 s apart); averages on the first look. */
  private rateOf(k: string, now: number, p: number, b: number, created: number) {
    const prev = this.entryRates.get(k);
    if (!prev) {
      const dt = Math.max(1, now - created) / 1000;
      const r = { t: now, p, b, pps: p / dt, bps: (b * 8) / dt };
      this.entryRates.set(k, r);
      return r;
    }
    const dt = (now - prev.t) / 1000;
    if (dt >= 1 && p >= prev.p) {
      prev.pps = (p - prev.p) / dt;
      prev.bps = ((b - prev.b) * 8) / dt;
      prev.t = now;
      prev.p = p;
      prev.b = b;
    }
    return prev;
  }

  private metersOf(id: number): BwMeterInfo[] {
    const source = this.inet.originOf(id);
    const group = this.inet.groupOf(id);
    return this.inet.meters.metersOf(id).map((m) => ({
      source,
      group,
      op: m.geq ? 'geq' : 'leq',
      unitPackets: (m.flags & BW_UPCALL_UNIT_PACKETS) !== 0,
      unitBytes: (m.flags & BW_UPCALL_UNIT_BYTES) !== 0,
      thresholdPackets: m.thrPackets,
      thresholdBytes: m.thrBytes,
      intervalMs: m.intervalMs,
      measuredPackets: m.packets,
      measuredBytes: m.bytes,
      startMs: m.start,
    }));
  }

  /** the unresolved-entry cap and the new flows it turned away (no entry, no upcall) */
  pendingCap(family: Family): { limit: number; entries: number; dropped: number } {
    const e = this.engine(family);
    return { limit: e.pendingLimit, entries: e.pending.size, dropped: e.ledger.miss_cap };
  }

  setPendingLimit(family: Family, limit: number): void {
    const e = this.engine(family);
    this.owner(family);
    if (!Number.isInteger(limit) || limit < 1) fail('EINVAL', `pending limit ${limit} must be at least 1`);
    e.pendingLimit = limit;
  }

  listPending(family: Family): PendingInfo[] {
    const e = this.engine(family);
    return e.entryIds('pending').map((id) => {
      const p = e.pendingInfo(id)!;
      return {
        family,
        source: e.originOf(id),
        group: e.groupOf(id),
        queued: p.queued,
        arrivalVif: p.arrivalVif,
        createdMs: e.created[id],
        expiresInMs: e.pendingExpiresIn(id),
      };
    });
  }

  // ================================================================ bandwidth meters

  addBwUpcall(spec: { source: string; group: string; op: 'geq' | 'leq'; packets?: number; bytes?: number; intervalMs: number }): void {
    this.refuseIfExternal('inet');
    const bw = toBwSpec(spec);
    this.inet.addBwUpcall(this.owner('inet'), bw);
    const [source, group] = sgKey(spec.source, spec.group, 'inet').split(',');
    this.bwSpecs.set(bwKey(spec), { ...spec, source, group });
    this.armTimer();
  }

  delBwUpcall(spec: { source: string; group: string; all?: boolean; op?: 'geq' | 'leq'; packets?: number; bytes?: number; intervalMs?: number }): void {
    this.refuseIfExternal('inet');
    if (spec.all) {
      checkAddr('inet', spec.source, 'source');
      checkAddr('inet', spec.group, 'group');
      this.inet.delBwUpcall(this.owner('inet'), { src: spec.source, dst: spec.group, flags: BW_UPCALL_DELETE_ALL, threshold: { timeSec: 0, timeUsec: 0, packets: 0, bytes: 0 } });
      const k = sgKey(spec.source, spec.group, 'inet');
      for (const bk of [...this.bwSpecs.keys()]) if (bk.startsWith(k + '|')) this.bwSpecs.delete(bk);
      return;
    }
    if (!spec.op || spec.intervalMs === undefined) fail('EINVAL', 'bw-upcall del needs geq|leq and the interval, or all');
    const full = { source: spec.source, group: spec.group, op: spec.op, packets: spec.packets, bytes: spec.bytes, intervalMs: spec.intervalMs };
    this.inet.delBwUpcall(this.owner('inet'), toBwSpec(full));
    this.bwSpecs.delete(bwKey(full));
  }

  // ================================================================ statistics

  stats(family: Family): Stats {
    const e = this.engine(family);
    const out: Stats = {};
    const p = family === 'inet' ? 'mrts_' : 'mrt6s_';
    for (const k of MRTSTAT_FIELDS) out[p + k] = e.stat[k];
    if (family === 'inet') for (const k of PIMSTAT_FIELDS) out['pims_' + k] = this.inet.pimstat[k];
    for (const k of LEDGER_FIELDS) out['pkt_' + k] = e.ledger[k];
    out.held_dropped = e.heldDropped;
    out.control_to_daemon = this.ctl[family].delivered;
    out.control_dropped_sockfull = this.ctl[family].dropped;
    // the cap FreeBSD does not have, beside what it turned away (pkt_miss_cap)
    out.pending_limit = e.pendingLimit;
    if (family === 'inet') out.bw_records_delivered = this.inet.meters.recordsDelivered;
    return out;
  }

  clearCounters(family?: Family, source?: string, group?: string): void {
    const fams: Family[] = family ? [family] : ['inet', 'inet6'];
    // the owner reads these counters (SIOCGETSGCNT): another socket cannot reset them
    for (const f of fams) this.refuseIfExternal(f);
    if (source !== undefined && group !== undefined) {
      const f = family ?? (isIPv6(source) ? 'inet6' : 'inet');
      const e = this.engine(f);
      const id = e.findEntry(source, group);
      if (id < 0 || e.isPending(id)) fail(f === 'inet' ? 'EADDRNOTAVAIL' : 'ESRCH', `no MFC entry (${source}, ${group})`);
      e.clearEntryCounters(id);
      this.entryRates.delete(sgKey(source, group, f));
      return;
    }
    for (const f of fams) {
      this.engine(f).clearAllCounters();
      if (f === 'inet') {
        for (const k of PIMSTAT_FIELDS) this.inet.pimstat[k] = 0;
      }
    }
    this.entryRates.clear();
  }

  status(): RouterStatus {
    const now = this.clock();
    const fwd = this.inet.ledger.forwarded + this.inet6.ledger.forwarded;
    const up = this.inet.stat.upcalls + this.inet6.stat.upcalls;
    const dt = (now - this.rate.t) / 1000;
    if (dt >= 1 || this.rate.t === 0) {
      if (this.rate.t !== 0) {
        this.rate.fwdPps = Math.max(0, (fwd - this.rate.fwd) / dt);
        this.rate.upRate = Math.max(0, (up - this.rate.up) / dt);
      }
      this.rate.t = now;
      this.rate.fwd = fwd;
      this.rate.up = up;
    }
    return { inet: this.mrtStatus('inet'), inet6: this.mrtStatus('inet6'), forwardPps: this.rate.fwdPps, upcallRate: this.rate.upRate };
  }

  // ================================================================ diagnosis

  explain(source: string, group: string, opts: { ttl?: number; vif?: number } = {}): Explanation {
    const family: Family = isIPv6(source) || isIPv6(group) ? 'inet6' : 'inet';
    checkAddr(family, source, 'source');
    checkAddr(family, group, 'group');
    return explain(this, family, source, group, opts);
  }

  vifLink(family: Family, v: number): Link | null {
    return this.vifLinks[family][v];
  }

  inject(spec: InjectSpec): InjectResult {
    const family: Family = spec.family ?? (isIPv6(spec.source) || isIPv6(spec.group) ? 'inet6' : 'inet');
    const e = this.engine(family);
    if (spec.raw === undefined) {
      checkAddr(family, spec.source, 'source');
      checkAddr(family, spec.group, 'group');
    }
    if (!Number.isInteger(spec.vif) || spec.vif < 0 || spec.vif >= e.maxVifs) fail('EINVAL', `vif ${spec.vif} out of range (0-${e.maxVifs - 1})`);
    if (!e.vifUsed[spec.vif]) fail('EADDRNOTAVAIL', `${family === 'inet' ? 'vif' : 'mif'} ${spec.vif} is not configured`);
    const count = spec.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 1_000_000) fail('EINVAL', `count ${count} out of range (1-1000000)`);
    const ttl = spec.ttl ?? 64;
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) fail('EINVAL', `ttl ${ttl} out of range (0-255)`);
    // raw: whatever bytes were given, so bad input can be scripted (the ledger counts it)
    let pkt: Buffer;
    if (spec.raw !== undefined) {
      if (!/^([0-9a-fA-F]{2})+$/.test(spec.raw) || spec.raw.length > 2 * 65575) fail('EINVAL', 'raw: the datagram must be hex digits, two per byte, at most 65575 bytes');
      pkt = Buffer.from(spec.raw, 'hex');
    } else pkt = buildPacket(family, spec.source, spec.group, ttl, spec.size);
    const ifindex = e.vifIf[spec.vif];
    const up0 = e.stat.upcalls;
    const tx0 = this.txCopies;
    this.tick();
    const work = Buffer.alloc(pkt.length);
    const cap = this.captures[family][spec.vif];
    for (let i = 0; i < count; i++) {
      pkt.copy(work); // the engine rewrites TTLs in place
      cap.record(work, 0, work.length, e.now, true);
      if (family === 'inet') this.inet.input(ifindex, work, 0, work.length);
      else this.inet6.input(ifindex, work, 0, work.length);
      if ((i & 63) === 63) this.flushTx();
    }
    this.flushTx();
    this.armTimer();
    const res = { sent: count, forwarded: this.txCopies - tx0, upcalls: e.stat.upcalls - up0 };
    // the policy answers at once, so a batch line after inject sees the installed entry
    if (this.policyTable.size && res.upcalls) {
      this.drainUpcalls();
      this.flushTx();
    }
    return res;
  }

  capture(vif: number, family: Family, last?: number): CapturedPacket[] {
    const e = this.engine(family);
    if (!Number.isInteger(vif) || vif < 0 || vif >= e.maxVifs) fail('EINVAL', `vif ${vif} out of range (0-${e.maxVifs - 1})`);
    return this.captures[family][vif].last(last).map((c) => {
      const h = c.head;
      const v6 = h.length > 0 && h[0] >>> 4 === 6;
      return {
        timeMs: this.unixEpochOffset + c.time,
        vif,
        family: v6 ? 'inet6' : 'inet',
        source: v6 ? (h.length >= 24 ? formatIPv6(h, 8) : '?') : h.length >= 16 ? formatIPv4(h.readUInt32BE(12)) : '?',
        destination: v6 ? (h.length >= 40 ? formatIPv6(h, 24) : '?') : h.length >= 20 ? formatIPv4(h.readUInt32BE(16)) : '?',
        ttl: v6 ? h[7] : h[8],
        protocol: v6 ? h[6] : h[9],
        length: c.length,
        checksumOk: v6 ? null : h.length >= 20 ? ipv4HeaderOk(h, 0, (h[0] & 15) << 2) : false,
        hex: h.toString('hex'),
        direction: c.dir,
      };
    });
  }

  tapCapture(vif: number, family: Family, fn: CaptureTap): () => void {
    const e = this.engine(family);
    if (!Number.isInteger(vif) || vif < 0 || vif >= e.maxVifs) fail('EINVAL', `vif ${vif} out of range (0-${e.maxVifs - 1})`);
    return this.captures[family][vif].tap((dir, buf, off, len, now) => fn(dir, buf, off, len, this.unixEpochOffset + now));
  }

  // ================================================================ configuration

  runningConfig(): string[] {
    const lines: string[] = ['! mrsh running configuration'];
    for (const family of ['inet', 'inet6'] as Family[]) {
      const e = this.engine(family);
      if (e.mrouter === null) continue;
      const f = fam(family);
      const ext = this.external[family];
      if (ext) {
        // the owner's state is the owner's: replaying it here would fight it for the socket
        lines.push(`! ${f} routing socket owned by ${ext.program} (pid ${ext.pid}): its vifs and MFC are not part of this configuration`);
        continue;
      }
      lines.push(`mrt init ${f}`);
      if (family === 'inet' && this.inet.apiConfig) lines.push(`mrt api config ${API_FLAG_NAMES.filter(([, b]) => this.inet.apiConfig & b).map(([n]) => n).join(' ')}`);
      if (family === 'inet' && this.inet.assert) lines.push('mrt assert enable');
      if (family === 'inet6' && this.inet6.pim) lines.push('mrt pim enable ipv6');
      if (e.pendingLimit !== DEFAULT_PENDING_LIMIT) lines.push(`mrt pending-limit ${e.pendingLimit} ${f}`);
      for (const [idx, s] of [...this.vifSpecs[family]].sort((a, b) => a[0] - b[0])) {
        const parts = ['vif add', String(idx)];
        if (s.register) parts.push('register');
        else if (s.link) parts.push(s.link.kind === 'packet' ? 'dev' : s.link.kind, s.link.name);
        if (s.link?.kind === 'packet' && s.link.xdp) parts.push('xdp');
        if (family === 'inet6') parts.push('ipv6');
        if (family === 'inet' && s.threshold !== undefined && s.threshold !== 1) parts.push('threshold', String(s.threshold));
        if (family === 'inet' && s.local && !(s.register && s.local === '127.0.0.2') && !s.local.startsWith('127.0.1.')) parts.push('local', s.local);
        if (s.remote) parts.push('remote', s.remote);
        lines.push(parts.join(' '));
      }
      if (family === 'inet' && this.registerVia >= 0) lines.push(`mrt register via ${this.registerVia}`);
      for (const id of e.entryIds('resolved')) {
        const k = sgKey(e.originOf(id), e.groupOf(id), family);
        const s = this.mfcSpecs[family].get(k);
        if (!s || this.policyInstalled[family].has(k)) continue; // the policy re-creates its own
        lines.push(mfcLine(s));
      }
      for (const r of this.policyTable.list(() => 0)) if (r.family === family) lines.push(policyLine(r));
    }
    if (this.policyExpireMs !== DEFAULT_POLICY_EXPIRE_MS) lines.push(`policy expire ${this.policyExpireMs / 1000}`);
    for (const b of this.bwSpecs.values()) {
      const parts = ['bw-upcall add', b.source, b.group, b.op];
      if (b.packets !== undefined) parts.push('packets', String(b.packets));
      if (b.bytes !== undefined) parts.push('bytes', String(b.bytes));
      parts.push('interval', String(b.intervalMs / 1000));
      lines.push(parts.join(' '));
    }
    return lines;
  }

  configSource(): ConfigSource {
    return { startupFile: this.startupFile, baseline: [...this.baseline] };
  }

  setConfigBaseline(lines: string[]): void {
    this.baseline = [...lines];
  }

  writeMemory(): { path: string; bytes: number } {
    if (this.startupFile === null) fail('ENOENT', 'this router has no startup file (mrsh daemon -f FILE names one)');
    const lines = this.runningConfig();
    let bytes: number;
    try {
      bytes = writeFileAtomic(this.startupFile, lines.join('\n') + '\n');
    } catch (e) {
      // the real errno by name (ENOSPC, EROFS, EACCES, EPERM...), EIO only for the unknown
      const err = e as NodeJS.ErrnoException;
      const errno = err.code && (FILE_ERRNOS as readonly string[]).includes(err.code) ? (err.code as Errno) : 'EIO';
      const text = err.code && err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message;
      throw new MrtError(errno, text.includes(this.startupFile) ? text : `${this.startupFile}: ${text}`);
    }
    this.baseline = lines;
    return { path: this.startupFile, bytes };
  }

  // ================================================================ another program's routing socket

  /**
   * The family's routing socket now belongs to a program outside mrsh (null: it closed it).
   * Its upcalls go to `sink`; the shell may read its state but changes nothing the kernel
   * would not let another socket change.
   */
  setExternalOwner(family: Family, owner: MrtOwner | null, sink: ((u: Upcall) => void) | null = null, packets: PacketSink | null = null): void {
    this.external[family] = owner;
    this.upcallSinks[family] = owner ? sink : null;
    if (family === 'inet') this.igmpSink = owner ? packets : null;
    else this.mldSink = owner ? packets : null;
    if (owner) {
      this.mfcSpecs[family].clear();
      this.vifSpecs[family].clear();
    }
  }

  externalOwner(family: Family): MrtOwner | null {
    return this.external[family];
  }

  private refuseIfExternal(family: Family): void {
    const o = this.external[family];
    if (o) fail('EADDRINUSE', `${fam(family)} routing socket owned by ${o.program} (pid ${o.pid})`);
  }

  /**
   * The interface a daemon's vifctl or mif6ctl names becomes a vif's link: the link mrsh
   * already has on that interface (any family's), else a new `dev` link on it. Interfaces
   * are the kernel's; only ifindex and addresses of this namespace are looked at.
   */
  async bindExternalVif(family: Family, vifi: number, by: { ifindex?: number; lclAddr?: string }): Promise<{ ifindex: number; lclAddr?: string }> {
    const e = this.engine(family);
    let bound: BoundLink | undefined;
    let name: string | null = null;
    if (by.ifindex !== undefined) {
      bound = [...this.links.values()].find((b) => b.link.ifindex === by.ifindex);
      if (!bound) {
        const { loadNative } = await import('../dataplane/links/native.js');
        name = loadNative()?.ifNameOf(by.ifindex) ?? null;
        if (name === null) fail('ENODEV', `no interface has ifindex ${by.ifindex}`);
      }
    } else if (by.lclAddr !== undefined) {
      const a = by.lclAddr;
      bound = [...this.links.values()].find((b) => b.link.addrs4.includes(a));
      if (!bound) {
        for (const [n, addrs] of Object.entries(networkInterfaces())) if (addrs?.some((x) => x.family === 'IPv4' && x.address === a)) name = n;
        if (name === null) fail('EADDRNOTAVAIL', `no interface has address ${a}`);
      }
    } else fail('EINVAL', 'a vif names its interface by ifindex or local address');
    if (!bound) {
      const key = `packet:${name}`;
      bound = this.links.get(key);
      if (!bound) {
        bound = { link: await this.openLinkImpl({ kind: 'packet', name: name! }, undefined), users: new Set(), started: false };
        this.links.set(key, bound);
      }
    }
    const link = bound.link;
    const local = family === 'inet' ? by.lclAddr ?? link.addrs4[0] ?? `127.0.1.${vifi + 1}` : undefined;
    const ifp = e.interfaces.get(link.ifindex);
    const addrs4 = new Set([...(ifp?.addrs4 ?? link.addrs4)]);
    if (local) addrs4.add(local);
    e.attachInterface({ ifindex: link.ifindex, name: link.name, addrs4: [...addrs4], addrs6: [...link.addrs6], multicast: true });
    bound.users.add(`${family}:${vifi}`);
    this.vifLinks[family][vifi] = link;
    this.captures[family][vifi].clear();
    if (!bound.started) {
      bound.started = true;
      link.start(this.onBatch(link.ifindex));
    }
    return { ifindex: link.ifindex, lclAddr: local };
  }

  releaseExternalVif(family: Family, vifi: number): Promise<void> {
    return this.releaseVifLink(family, vifi);
  }

  /** after another program's requests: move the clock first, send what they released after */
  syncClock(): void {
    const t = this.clock();
    if (t > this.inet.now) this.inet.advance(t);
    if (t > this.inet6.now) this.inet6.advance(t);
  }

  settle(): void {
    this.flushTx();
    this.armTimer();
  }

  /** virtual links under the same names: a config is checked and canonicalised without touching devices */
  scratch(): Router {
    return new Router({
      maxVifs: this.inet.maxVifs,
      maxMifs: this.inet6.maxVifs,
      autoTimers: false,
      openLink: async (spec, local) => new VirtualLink(spec.name, local ? [local] : []),
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.policyTimer) clearInterval(this.policyTimer);
    this.flushTx();
    if (this.inet.mrouter === this.so4) this.inet.done(this.so4);
    if (this.inet6.mrouter === this.so6) this.inet6.done(this.so6);
    for (const b of this.links.values()) await b.link.close();
    this.links.clear();
  }
}

/** A control packet for a daemon: the IP packet at buf[off, off+len), its upper-layer
 * message starting at off+hdrLen (IPv6 raw sockets deliver only that part) */
export type PacketSink = (ifindex: number, buf: Uint8Array, off: number, len: number, hdrLen: number) => boolean;

const IPPROTO_IGMP = 2;
const IPPROTO_HOPOPTS = 0;
const IPPROTO_ICMPV6 = 58;

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

export function mfcLine(s: MfcSpec): string {
  const parts = ['mfc add', s.source, s.group, 'iif', String(s.parent)];
  for (const o of s.oifs) parts.push('oif', s.family === 'inet' && o.ttl !== 1 ? `${o.vif}:${o.ttl}` : String(o.vif));
  for (const f of s.flags ?? []) {
    if (f.disableWrongvif) parts.push('flags', `${f.vif}:disable-wrongvif`);
    if (f.border) parts.push('flags', `${f.vif}:border`);
  }
  if (s.rp) parts.push('rp', s.rp);
  return parts.join(' ');
}

function canonAddr(family: Family, a: string): string {
  return family === 'inet' ? formatIPv4(parseIPv4(a)) : formatIPv6(parseIPv6(a));
}

function fam(family: Family): string {
  return family === 'inet' ? 'ipv4' : 'ipv6';
}

export function sgKey(source: string, group: string, family: Family): string {
  // canonical text, so 239.1.1.1 and ff0e::0001 forms map to one key
  return family === 'inet' ? `${formatIPv4(parseIPv4(source))},${formatIPv4(parseIPv4(group))}` : `${formatIPv6(parseIPv6(source))},${formatIPv6(parseIPv6(group))}`;
}

function bwKey(s: { source: string; group: string; op: string; packets?: number; bytes?: number; intervalMs: number }): string {
  return `${sgKey(s.source, s.group, 'inet')}|${s.op}|${s.packets ?? '-'}|${s.bytes ?? '-'}|${s.intervalMs}`;
}

function checkAddr(family: Family, a: string, what: string): void {
  if (family === 'inet' ? !isIPv4(a) : !isIPv6(a)) fail('EINVAL', `${what} '${a}' is not an ${family === 'inet' ? 'IPv4' : 'IPv6'} address`);
}

/** 224.0.0.0/24 and IPv6 scopes 1 and 2: the kernel never forwards these groups */
function isLinkLocalGroup(family: Family, group: string): boolean {
  if (family === 'inet') return parseIPv4(group) >>> 8 === 0xe00000;
  const b = parseIPv6(group);
  return b[0] === 0xff && ((b[1] & 0x0f) === 1 || (b[1] & 0x0f) === 2);
}

function toBwSpec(spec: { source: string; group: string; op: 'geq' | 'leq'; packets?: number; bytes?: number; intervalMs: number }): BwSpec {
  checkAddr('inet', spec.source, 'source');
  checkAddr('inet', spec.group, 'group');
  for (const [n, v] of [['packets', spec.packets], ['bytes', spec.bytes]] as const)
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) fail('EINVAL', `${n} ${v} must be a whole number >= 0`);
  if (!Number.isFinite(spec.intervalMs) || spec.intervalMs < 0) fail('EINVAL', `interval ${spec.intervalMs / 1000} s is not a duration`);
  let flags = spec.op === 'geq' ? BW_UPCALL_GEQ : BW_UPCALL_LEQ;
  if (spec.packets !== undefined) flags |= BW_UPCALL_UNIT_PACKETS;
  if (spec.bytes !== undefined) flags |= BW_UPCALL_UNIT_BYTES;
  const us = Math.round(spec.intervalMs * 1000);
  return {
    src: spec.source,
    dst: spec.group,
    flags,
    threshold: { timeSec: Math.floor(us / 1e6), timeUsec: us % 1e6, packets: spec.packets ?? 0, bytes: spec.bytes ?? 0 },
  };
}

async function openLinkDefault(spec: LinkSpec, local: string | undefined): Promise<Link> {
  if (spec.kind === 'virtual') return new VirtualLink(spec.name, local ? [local] : []);
  const { loadNative, nativeUnavailableReason } = await import('../dataplane/links/native.js');
  const why = nativeUnavailableReason();
  if (why !== null || loadNative() === null) throw new MrtError('EOPNOTSUPP', `${spec.kind === 'tun' ? 'tun' : 'dev'} links are unavailable: ${why ?? 'native addon not loaded'}; virtual links still work`);
  try {
    if (spec.kind === 'tun') {
      const { openTunLink } = await import('../dataplane/links/tun.js');
      return await openTunLink(spec.name, { addrs4: local ? [local] : [] });
    }
    const { openPacketLink } = await import('../dataplane/links/packet.js');
    const link = await openPacketLink(spec.name, spec.xdp ? { xdp: true } : {});
    if (spec.xdp && !link.xdp) {
      // asked for by name: refuse rather than run on the slower path unannounced
      const why = (link as { xdpError?: string | null }).xdpError ?? 'not attached';
      await link.close();
      throw new MrtError('EOPNOTSUPP', `dev ${spec.name}: XDP input unavailable: ${why}`);
    }
    return link;
  } catch (err) {
    if (err instanceof MrtError) throw err;
    throw new MrtError('ENODEV', `cannot open ${spec.kind === 'tun' ? 'tun' : 'dev'} ${spec.name}: ${(err as Error).message}`);
  }
}
