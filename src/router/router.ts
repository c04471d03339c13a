// The embedded router: the "routing daemon" side of multicast(4). It owns the mrouter
// sockets of both families and implements RouterApi over the parts in this folder: the
// core (engines, timers, receive and flush), link binding, vifs, the MFC store, bandwidth
// meters, the upcall log, the policy agent, views, stats and the startup file. Methods
// here are the API's entry points and the wiring between those parts.

import { fail } from '../dataplane/errno.js';
import { flowFamily } from '../dataplane/addr.js';
import { DEFAULT_PENDING_LIMIT } from '../dataplane/engine.js';
import type { InetEngine } from '../dataplane/inet.js';
import type { Inet6Engine } from '../dataplane/inet6.js';
import type { Upcall } from '../dataplane/upcall.js';
import type { Link } from '../dataplane/links/link.js';
import { VirtualLink } from '../dataplane/links/virtual.js';
import { writeRunningConfig } from '../commands/running-config.js';
import { RouterCore, type PacketSink } from './core.js';
import { LinkBinder, openLinkDefault } from './links.js';
import { VifTable } from './vifs.js';
import { MfcStore } from './mfc.js';
import { BwMeterStore } from './bw-meters.js';
import { UpcallLog } from './upcall-log.js';
import { PolicyAgent } from './policy-agent.js';
import { StartupConfig, configState } from './config.js';
import { EntryRates, RouterRates, clearCounters, statsOf } from './stats.js';
import { captured, listPending, listVifs, mfcInfo, mrtStatus } from './views.js';
import { explain } from './explain.js';
import { inject } from './inject.js';
import type { CaptureTap } from './capture.js';
import { checkAddr } from './family.js';
import { DEFAULT_POLICY_EXPIRE_MS } from './api.js';
import type {
  BwUpcallDelSpec,
  BwUpcallSpec,
  CapturedPacket,
  ConfigSource,
  ConfigState,
  Explanation,
  Family,
  InjectResult,
  InjectSpec,
  LinkSpec,
  MfcInfo,
  MfcSpec,
  MrtOwner,
  MrtStatus,
  PendingInfo,
  PolicyRule,
  PolicyStatus,
  RouterApi,
  RouterEvents,
  RouterStatus,
  Stats,
  UpcallEvent,
  VifInfo,
  VifSpec,
} from './api.js';

export type { PacketSink } from './core.js';
export { DEFAULT_POLICY_EXPIRE_MS } from './api.js';

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

export class Router implements RouterApi {
  readonly inet: InetEngine;
  readonly inet6: Inet6Engine;
  private readonly core: RouterCore;
  private readonly links: LinkBinder;
  private readonly vifs: VifTable;
  private readonly mfc: MfcStore;
  private readonly bw: BwMeterStore;
  private readonly log: UpcallLog;
  private readonly policyAgent: PolicyAgent;
  private readonly startup: StartupConfig;
  private readonly entryRates = new EntryRates();
  private readonly rates: RouterRates;

  static async create(opts: RouterOptions = {}): Promise<Router> {
    return new Router(opts);
  }

  constructor(opts: RouterOptions = {}) {
    const core = (this.core = new RouterCore(opts));
    this.inet = core.inet;
    this.inet6 = core.inet6;
    this.links = new LinkBinder(core, opts.openLink ?? openLinkDefault);
    this.vifs = new VifTable(core, this.links);
    this.mfc = new MfcStore(core);
    this.bw = new BwMeterStore(core);
    this.log = new UpcallLog(core, opts.upcallHistory ?? 1000);
    this.policyAgent = new PolicyAgent(core, this.mfc, (f, s, g) => this.delMfc(f, s, g), opts.policyExpireMs ?? DEFAULT_POLICY_EXPIRE_MS);
    this.log.onNocache = (ev) => this.policyAgent.resolve(ev);
    this.startup = new StartupConfig(opts.startupFile ?? null);
    this.rates = new RouterRates(core);
  }

  /** what the user asked for, per (S,G): the source of running-config and of explain */
  get mfcSpecs(): { inet: Map<string, MfcSpec>; inet6: Map<string, MfcSpec> } {
    return this.mfc.specs;
  }

  engine(family: Family): InetEngine | Inet6Engine {
    return this.core.engine(family);
  }

  now(): number {
    return this.core.clock();
  }

  // ================================================================ time

  /** Move both engines to the clock's time, run what fell due, and re-arm the timer. */
  tick(): void {
    this.core.tick();
  }

  /** Brings both engines to the clock's time before a command (see RouterCore.catchUp). */
  catchUp(): void {
    this.core.catchUp();
  }

  /** after another program's requests: move the clock first, send what they released after */
  syncClock(): void {
    this.core.syncClock();
  }

  settle(): void {
    this.core.settle();
  }

  // ================================================================ upcalls

  /** Read the routing sockets, as a daemon would. */
  drainUpcalls(): void {
    this.log.drain();
  }

  on<E extends keyof RouterEvents>(event: E, fn: RouterEvents[E]): void {
    this.log.listeners[event].add(fn);
  }
  off<E extends keyof RouterEvents>(event: E, fn: RouterEvents[E]): void {
    this.log.listeners[event].delete(fn);
  }

  upcalls(last?: number): UpcallEvent[] {
    return this.log.last(last);
  }

  // ================================================================ static policy

  addPolicy(rule: PolicyRule): void {
    this.policyAgent.add(rule);
  }

  /** Deletes the rule; the entries it installed stay until they idle out (as smcroute's). */
  delPolicy(rule: PolicyRule): void {
    this.policyAgent.del(rule);
  }

  setPolicyExpire(ms: number): void {
    this.policyAgent.setExpire(ms);
  }

  policy(): PolicyStatus {
    return this.policyAgent.status();
  }

  /** the rules matching (S,G) on any vif and who installed the entry: for explain */
  policyFor(family: Family, source: string, group: string): { rules: { index: number; rule: PolicyRule }[]; installedBy: PolicyRule | null } {
    return this.policyAgent.policyFor(family, source, group);
  }

  get policyExpire(): number {
    return this.policyAgent.expire;
  }

  // ================================================================ MRT

  mrtInit(family: Family): void {
    this.core.refuseIfExternal(family);
    this.core.tick();
    this.core.fam(family).init(this.core.so(family));
    this.core.armTimer();
  }

  mrtDone(family: Family): void {
    this.core.refuseIfExternal(family);
    this.core.fam(family).done(this.core.owner(family));
    this.engine(family).pendingLimit = DEFAULT_PENDING_LIMIT;
    this.mfc.clear(family);
    this.policyAgent.clear(family);
    this.vifs.specs[family].clear();
    if (family === 'inet') this.bw.clear();
    for (let v = 0; v < this.core.vifLinks[family].length; v++) this.links.release(family, v);
  }

  setPim(family: Family, on: boolean): void {
    this.core.refuseIfExternal(family);
    this.core.fam(family).setPim(this.core.owner(family), on);
  }

  setAssert(on: boolean): void {
    this.setPim('inet', on);
  }

  apiConfig(flags: number): number {
    this.core.refuseIfExternal('inet');
    return this.inet.setApiConfig(this.core.owner('inet'), flags);
  }

  setRegisterVia(vif: number | null): void {
    this.core.setRegisterVia(vif);
  }

  mrtStatus(family: Family): MrtStatus {
    return mrtStatus(this.core, family);
  }

  /** the unresolved-entry cap and the new flows it turned away (no entry, no upcall) */
  pendingCap(family: Family): { limit: number; entries: number; dropped: number } {
    const e = this.engine(family);
    return { limit: e.pendingLimit, entries: e.pending.size, dropped: e.ledger.miss_cap };
  }

  setPendingLimit(family: Family, limit: number): void {
    this.core.requireInit(family);
    if (!Number.isInteger(limit) || limit < 1) fail('EINVAL', `pending limit ${limit} must be at least 1`);
    this.engine(family).pendingLimit = limit;
  }

  // ================================================================ vifs

  addVif(spec: VifSpec): Promise<VifInfo> {
    return this.vifs.add(spec);
  }

  delVif(family: Family, index: number): Promise<void> {
    return this.vifs.del(family, index);
  }

  listVifs(family: Family): VifInfo[] {
    return listVifs(this.core, family);
  }

  vifLink(family: Family, v: number): Link | null {
    return this.core.vifLinks[family][v];
  }

  // ================================================================ MFC

  /** MRT_ADD_MFC as FreeBSD takes it; returns what the kernel accepts but will not forward (MfcStore.add) */
  addMfc(spec: MfcSpec): string[] {
    return this.mfc.add(spec, null);
  }

  delMfc(family: Family, source: string, group: string): void {
    const k = this.mfc.del(family, source, group);
    if (family === 'inet') this.bw.forget(k);
  }

  listMfc(family: Family, filter: { source?: string; group?: string } = {}): MfcInfo[] {
    const now = this.core.clock();
    return this.mfc.ids(family, filter).map((id) => this.mfcInfo(family, id, now));
  }

  mfcInfo(family: Family, id: number, now = this.core.clock()): MfcInfo {
    const installedBy = (f: Family, k: string): MfcInfo['installedBy'] => (this.core.external[f] ? 'daemon' : this.mfc.byPolicy[f].has(k) ? 'policy' : 'user');
    return mfcInfo(this.core, this.entryRates, installedBy, family, id, now);
  }

  listPending(family: Family): PendingInfo[] {
    return listPending(this.core, family);
  }

  // ================================================================ bandwidth meters

  addBwUpcall(spec: BwUpcallSpec): void {
    this.bw.add(spec);
  }

  delBwUpcall(spec: BwUpcallDelSpec): void {
    this.bw.del(spec);
  }

  // ================================================================ statistics

  stats(family: Family): Stats {
    return statsOf(this.core, family);
  }

  clearCounters(family?: Family, source?: string, group?: string): void {
    clearCounters(this.core, this.entryRates, family, source, group);
  }

  status(): RouterStatus {
    const r = this.rates.sample(this.core.clock());
    return { inet: this.mrtStatus('inet'), inet6: this.mrtStatus('inet6'), ...r };
  }

  // ================================================================ diagnosis

  explain(source: string, group: string, opts: { ttl?: number; vif?: number } = {}): Explanation {
    const family = flowFamily(source, group);
    checkAddr(family, source, 'source');
    checkAddr(family, group, 'group');
    return explain(this, family, source, group, opts);
  }

  inject(spec: InjectSpec): InjectResult {
    // the policy answers at once, so a batch line after inject sees the installed entry
    return inject(this.core, spec, () => {
      if (this.policyAgent.table.size) {
        this.log.drain();
        this.core.flushTx();
      }
    });
  }

  capture(vif: number, family: Family, last?: number): CapturedPacket[] {
    this.core.checkVifIndex(family, vif);
    return captured(this.core, family, vif, last);
  }

  /** every packet the vif sends or receives from now on, to fn (monitor capture) */
  tapCapture(vif: number, family: Family, fn: CaptureTap): () => void {
    this.core.checkVifIndex(family, vif);
    return this.core.captures[family][vif].tap((dir, buf, off, len, now) => fn(dir, buf, off, len, this.core.unixEpochOffset + now));
  }

  // ================================================================ configuration

  /** the state the configuration is written from, as specs */
  configState(): ConfigState {
    return configState(this.core, this.vifs, this.mfc, this.policyAgent, this.bw);
  }

  runningConfig(): string[] {
    return writeRunningConfig(this.configState());
  }

  configSource(): ConfigSource {
    return this.startup.source();
  }

  setConfigBaseline(lines: string[]): void {
    this.startup.setBaseline(lines);
  }

  writeMemory(): { path: string; bytes: number } {
    return this.startup.write(this.runningConfig());
  }

  // ================================================================ another program's routing socket

  /**
   * The family's routing socket now belongs to a program outside mrsh (null: it closed it).
   * Its upcalls go to `sink`; the shell may read its state but changes nothing the kernel
   * would not let another socket change.
   */
  setExternalOwner(family: Family, owner: MrtOwner | null, sink: ((u: Upcall) => void) | null = null, packets: PacketSink | null = null): void {
    this.core.external[family] = owner;
    this.log.setSink(family, owner ? sink : null);
    if (family === 'inet') this.core.igmpSink = owner ? packets : null;
    else this.core.mldSink = owner ? packets : null;
    if (owner) {
      this.mfc.specs[family].clear();
      this.vifs.specs[family].clear();
    }
  }

  externalOwner(family: Family): MrtOwner | null {
    return this.core.external[family];
  }

  /** a vif named by a daemon's vifctl or mif6ctl is bound to its interface's link (LinkBinder.bindExternal) */
  bindExternalVif(family: Family, vifi: number, by: { ifindex?: number; lclAddr?: string }): Promise<{ ifindex: number; lclAddr?: string }> {
    return this.links.bindExternal(family, vifi, by);
  }

  releaseExternalVif(family: Family, vifi: number): Promise<void> {
    return this.links.release(family, vifi);
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

  setWorkers(n: number): Promise<void> {
    return this.core.workers.setCount(n);
  }

  async close(): Promise<void> {
    const core = this.core;
    if (core.closed) return;
    core.closed = true;
    core.stopTimer();
    this.policyAgent.stop();
    core.flushTx();
    if (this.inet.mrouter === core.so4) this.inet.done(core.so4);
    if (this.inet6.mrouter === core.so6) this.inet6.done(core.so6);
    await this.links.closeAll();
    await core.workers.stopAll();
  }
}
