// The MFC as the user asked for it: MRT_ADD_MFC / MRT_DEL_MFC with the kernel's
// acceptance and mrsh's warnings, and beside the engine's entries the specs they came
// from and who installed each (the source of running-config and of explain).

import { fail } from '../dataplane/errno.js';
import { canonAddr, sgKey } from '../dataplane/addr.js';
import { isLocalScopeGroup, isMulticastGroup } from '../dataplane/classify.js';
import type { RouterCore } from './core.js';
import { checkAddr } from './family.js';
import type { Family, MfcSpec, PolicyRule } from './api.js';

export class MfcStore {
  /** what the user asked for, per (S,G) */
  readonly specs = { inet: new Map<string, MfcSpec>(), inet6: new Map<string, MfcSpec>() };
  /** entries the policy installed, per family: sgKey -> the rule that did */
  readonly byPolicy = { inet: new Map<string, PolicyRule>(), inet6: new Map<string, PolicyRule>() };

  constructor(private readonly core: RouterCore) {}

  /**
   * MRT_ADD_MFC as FreeBSD takes it: parent, group and ttls are not validated by the
   * kernel, so neither are they here; what the kernel accepts but will never forward is
   * returned as warnings (a vif that does not exist, the iif among the oifs, a link-local
   * or non-multicast group, flags or rp whose API is off and which the kernel ignores).
   * Only what struct mfcctl cannot carry is refused.
   * by: the policy rule installing the entry, or null for the user (who then owns it)
   */
  add(spec: MfcSpec, by: PolicyRule | null): string[] {
    const family = spec.family;
    const core = this.core;
    const f = core.changeable(family);
    const e = f.engine;
    checkAddr(family, spec.source, 'source');
    checkAddr(family, spec.group, 'group');
    const warnings: string[] = [];
    const configured = (v: number): boolean => v < e.numVifs && e.vifUsed[v] === 1;
    const vifWord = f.vif;
    if (!isMulticastGroup(family, spec.group)) warnings.push(`group ${spec.group} is not a multicast address: no packet will match the entry`);
    else if (isLocalScopeGroup(family, spec.group)) warnings.push(`group ${spec.group} is link-local: such packets are never forwarded`);
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
    const { flags, rp } = f.addMfc(core.so(family), spec, ttls, oifs, warnings);
    const key = sgKey(spec.source, spec.group, family);
    // Stored as the canonical text, so running-config and replace diffs do not depend on how
    // an address was spelled (ff0e::0001 is ff0e::1).
    const [source, group] = key.split(',');
    this.specs[family].set(key, { ...spec, source, group, oifs: [...oifs], flags: flags ? [...flags] : undefined, rp: rp === undefined ? undefined : canonAddr('inet', rp) });
    if (by) this.byPolicy[family].set(key, by);
    else this.byPolicy[family].delete(key);
    core.settle(); // held packets may have been released
    return warnings;
  }

  /** MRT_DEL_MFC; returns the entry's key */
  del(family: Family, source: string, group: string): string {
    this.core.refuseIfExternal(family);
    checkAddr(family, source, 'source');
    checkAddr(family, group, 'group');
    this.core.fam(family).delMfc(this.core.owner(family), source, group);
    const k = sgKey(source, group, family);
    this.specs[family].delete(k);
    this.byPolicy[family].delete(k);
    return k;
  }

  clear(family: Family): void {
    this.specs[family].clear();
    this.byPolicy[family].clear();
  }

  /** Resolved entry ids; a source and/or group narrows the list (any spelling of the address). */
  ids(family: Family, filter: { source?: string; group?: string }): number[] {
    const e = this.core.engine(family);
    const { source, group } = filter;
    if (source !== undefined) checkAddr(family, source, 'source');
    if (group !== undefined) checkAddr(family, group, 'group');
    if (source !== undefined && group !== undefined) {
      // One (S,G): a hash lookup, not a walk of the table.
      const id = e.findEntry(source, group);
      return id >= 0 && !e.isPending(id) ? [id] : [];
    }
    let ids = e.entryIds('resolved');
    if (source !== undefined || group !== undefined) {
      const s = source !== undefined ? canonAddr(family, source) : null;
      const g = group !== undefined ? canonAddr(family, group) : null;
      ids = ids.filter((id) => (s === null || e.originOf(id) === s) && (g === null || e.groupOf(id) === g));
    }
    return ids;
  }
}
