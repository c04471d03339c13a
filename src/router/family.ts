// What differs between the two families at the router's level, behind one interface: the
// router calls fam(family).X where it once branched on family === 'inet'.

import { fail } from '../dataplane/errno.js';
import { isAddr, isIPv4 } from '../dataplane/addr.js';
import { InetEngine, VIFF_REGISTER, MRT_MFC_FLAGS_DISABLE_WRONGVIF, MRT_MFC_FLAGS_BORDER_VIF, MRT_MFC_RP, MRT_API_FLAGS_ALL } from '../dataplane/inet.js';
import { Inet6Engine, MIFF_REGISTER, REGISTER_IFINDEX6 } from '../dataplane/inet6.js';
import { PIMSTAT_FIELDS } from '../dataplane/stats.js';
import type { Family, MfcSpec, Stats } from './api.js';

/** a vif as the engine's add call takes it; ifindex is unset for a register vif */
export interface VifAdd {
  index: number;
  register: boolean;
  ifindex?: number;
  threshold?: number;
  local?: string;
  remote?: string;
}

export interface FamilyOps {
  readonly family: Family;
  /** the word the commands use: ipv4, ipv6 */
  readonly name: 'ipv4' | 'ipv6';
  /** FreeBSD's word for a virtual interface: vif (IPv4), mif (IPv6) */
  readonly vif: 'vif' | 'mif';
  readonly engine: InetEngine | Inet6Engine;
  /** the prefix of the family's mrtstat names: mrts_, mrt6s_ */
  readonly statPrefix: 'mrts_' | 'mrt6s_';
  /** the register vif's link name in views */
  readonly registerName: 'register_vif' | 'register_mif';
  /** SIOCGETSGCNT(_IN6)'s errno for an (S,G) with no entry */
  readonly noEntry: 'EADDRNOTAVAIL' | 'ESRCH';
  /** MRT_PIM: on IPv4 the assert switch (FreeBSD's MRT_PIM is MRT_ASSERT), on IPv6 MRT6_PIM */
  readonly pim: boolean;
  /** the advanced-API features on offer (IPv6 has no advanced API) */
  readonly apiSupport: number;
  readonly apiConfig: number;
  init(so: object): void;
  done(so: object): void;
  setPim(so: object, on: boolean): void;
  addVif(so: object, v: VifAdd): void;
  delVif(so: object, index: number): void;
  /** MRT_ADD_MFC from a checked spec; returns the flags and rp the engine took (warnings for the rest) */
  addMfc(so: object, spec: MfcSpec, ttls: Uint8Array, oifs: { vif: number; ttl: number }[], warnings: string[]): Pick<MfcSpec, 'flags' | 'rp'>;
  delMfc(so: object, source: string, group: string): void;
  input(ifindex: number, buf: Uint8Array, off: number, len: number): void;
  /** the family's counters beyond mrtstat and the ledger (pimstat on IPv4) */
  extraStats(out: Stats): void;
  clearExtraStats(): void;
}

export class Inet4Ops implements FamilyOps {
  readonly family = 'inet';
  readonly name = 'ipv4';
  readonly vif = 'vif';
  readonly statPrefix = 'mrts_';
  readonly registerName = 'register_vif';
  readonly noEntry = 'EADDRNOTAVAIL';
  constructor(readonly engine: InetEngine) {}
  get pim(): boolean {
    return this.engine.assert;
  }
  get apiSupport(): number {
    return MRT_API_FLAGS_ALL;
  }
  get apiConfig(): number {
    return this.engine.apiConfig;
  }
  init(so: object): void {
    this.engine.init(so, 1);
  }
  done(so: object): void {
    this.engine.done(so);
  }
  setPim(so: object, on: boolean): void {
    this.engine.setAssert(so, on ? 1 : 0);
  }
  addVif(so: object, v: VifAdd): void {
    const lclAddr = v.register ? v.local ?? '127.0.0.2' : v.local!;
    this.engine.addVif(so, { vifi: v.index, flags: v.register ? VIFF_REGISTER : 0, threshold: v.threshold ?? 1, rateLimit: 0, lclAddr, rmtAddr: v.remote ?? '0.0.0.0' });
  }
  delVif(so: object, index: number): void {
    this.engine.delVif(so, index);
  }
  addMfc(so: object, spec: MfcSpec, ttls: Uint8Array, _oifs: { vif: number; ttl: number }[], warnings: string[]): Pick<MfcSpec, 'flags' | 'rp'> {
    const e = this.engine;
    let flagsKept: MfcSpec['flags'];
    let rp: string | undefined;
    const flags = new Uint8Array(e.maxVifs);
    for (const f of spec.flags ?? []) {
      if (!Number.isInteger(f.vif) || f.vif < 0 || f.vif >= e.maxVifs) fail('EINVAL', `flags: vif ${f.vif} out of range (0-${e.maxVifs - 1})`);
      const kept: { vif: number; disableWrongvif?: boolean; border?: boolean } = { vif: f.vif };
      if (f.disableWrongvif) {
        if (!(e.apiConfig & MRT_MFC_FLAGS_DISABLE_WRONGVIF)) warnings.push(`flags ${f.vif}:disable-wrongvif ignored: its API is off (mrt api config disable-wrongvif)`);
        else (flags[f.vif] |= MRT_MFC_FLAGS_DISABLE_WRONGVIF), (kept.disableWrongvif = true);
      }
      if (f.border) {
        if (!(e.apiConfig & MRT_MFC_FLAGS_BORDER_VIF)) warnings.push(`flags ${f.vif}:border ignored: its API is off (mrt api config border-vif)`);
        else (flags[f.vif] |= MRT_MFC_FLAGS_BORDER_VIF), (kept.border = true);
      }
      if (kept.disableWrongvif || kept.border) (flagsKept ??= []).push(kept);
    }
    if (spec.rp !== undefined) {
      if (!isIPv4(spec.rp)) fail('EINVAL', `rp '${spec.rp}' is not an IPv4 address`);
      if (!(e.apiConfig & MRT_MFC_RP)) warnings.push(`rp ${spec.rp} ignored: its API is off (mrt api config rp)`);
      else rp = spec.rp;
    }
    // A daemon passes mfcctl2 whenever any API feature was negotiated.
    const ctl2 = e.apiConfig !== 0;
    e.addMfc(so, { origin: spec.source, mcastgrp: spec.group, parent: spec.parent, ttls, flags: ctl2 ? flags : undefined, rp }, ctl2);
    return { flags: flagsKept, rp };
  }
  delMfc(so: object, source: string, group: string): void {
    this.engine.delMfc(so, source, group);
  }
  input(ifindex: number, buf: Uint8Array, off: number, len: number): void {
    this.engine.input(ifindex, buf, off, len);
  }
  extraStats(out: Stats): void {
    for (const k of PIMSTAT_FIELDS) out['pims_' + k] = this.engine.pimstat[k];
  }
  clearExtraStats(): void {
    for (const k of PIMSTAT_FIELDS) this.engine.pimstat[k] = 0;
  }
}

export class Inet6Ops implements FamilyOps {
  readonly family = 'inet6';
  readonly name = 'ipv6';
  readonly vif = 'mif';
  readonly statPrefix = 'mrt6s_';
  readonly registerName = 'register_mif';
  readonly noEntry = 'ESRCH';
  readonly apiSupport = 0;
  readonly apiConfig = 0;
  constructor(readonly engine: Inet6Engine) {}
  get pim(): boolean {
    return this.engine.pim;
  }
  init(so: object): void {
    this.engine.init(so, 1);
  }
  done(so: object): void {
    this.engine.done(so);
  }
  setPim(so: object, on: boolean): void {
    this.engine.setPim(so, on ? 1 : 0);
  }
  addVif(so: object, v: VifAdd): void {
    if (v.register) {
      this.engine.attachInterface({ ifindex: REGISTER_IFINDEX6, name: 'register_mif', addrs4: [], addrs6: [], multicast: true });
      this.engine.addMif(so, { mifi: v.index, flags: MIFF_REGISTER, pifi: REGISTER_IFINDEX6 });
    } else this.engine.addMif(so, { mifi: v.index, flags: 0, pifi: v.ifindex! });
  }
  delVif(so: object, index: number): void {
    this.engine.delMif(so, index);
  }
  addMfc(so: object, spec: MfcSpec, _ttls: Uint8Array, oifs: { vif: number; ttl: number }[]): Pick<MfcSpec, 'flags' | 'rp'> {
    if ((spec.flags ?? []).length > 0 || spec.rp !== undefined) fail('EINVAL', 'IPv6 MFC entries take no flags and no rp (struct mf6cctl has neither)');
    this.engine.addMfc(so, { origin: spec.source, mcastgrp: spec.group, parent: spec.parent, ifset: oifs.map((o) => o.vif) });
    return { flags: undefined, rp: undefined };
  }
  delMfc(so: object, source: string, group: string): void {
    this.engine.delMfc(so, source, group);
  }
  input(ifindex: number, buf: Uint8Array, off: number, len: number): void {
    this.engine.input(ifindex, buf, off, len);
  }
  extraStats(): void {}
  clearExtraStats(): void {}
}

/** an address of the family, else EINVAL naming what it was for */
export function checkAddr(family: Family, a: string, what: string): void {
  if (!isAddr(family, a)) fail('EINVAL', `${what} '${a}' is not an ${family === 'inet' ? 'IPv4' : 'IPv6'} address`);
}
