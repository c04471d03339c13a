// The policy agent: answers NOCACHE upcalls from the static rules (policy.ts holds the
// table), and deletes the entries it installed once they idle out.

import { fail } from '../dataplane/errno.js';
import { sgKey } from '../dataplane/addr.js';
import type { RouterCore } from './core.js';
import type { MfcStore } from './mfc.js';
import { PolicyTable } from './policy.js';
import { listPending } from './views.js';
import type { Family, PolicyRule, PolicyStatus, UpcallEvent } from './api.js';

export const DEFAULT_POLICY_EXPIRE_MS = 300_000;

export class PolicyAgent {
  readonly table = new PolicyTable();
  private expireMs: number;
  private expired = 0;
  private unmatched = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly core: RouterCore,
    private readonly mfc: MfcStore,
    /** the router's MRT_DEL_MFC, which also drops what hangs off the entry */
    private readonly delMfc: (family: Family, source: string, group: string) => void,
    expireMs: number,
  ) {
    this.expireMs = expireMs;
    core.onTick.push(() => this.expireEntries());
  }

  /**
   * Answers a NOCACHE the way smcroute does: the first rule whose from vif is the arrival
   * vif and whose prefixes hold (S,G) installs the entry; the held packets then go out.
   * The MFC keys by (S,G), not (iif,S,G): whichever inbound vif resolves first owns the
   * entry; the same (S,G) on another vif is then a wrong-vif arrival until the entry idles
   * out and the next NOCACHE decides again.
   */
  resolve(ev: UpcallEvent): void {
    if (this.table.size === 0) return;
    const family = ev.family;
    const rule = this.table.match(family, ev.source, ev.group, ev.vif);
    if (!rule) {
      this.unmatched++;
      return;
    }
    const e = this.core.engine(family);
    const id = e.findEntry(ev.source, ev.group);
    if (id >= 0 && !e.isPending(id)) return; // resolved since (a user's mfc add): leave it
    try {
      this.mfc.add({ family, source: ev.source, group: ev.group, parent: rule.iif, oifs: rule.oifs }, rule);
    } catch {
      // e.g. a vif of the rule was deleted: the pending entry times out as without a rule
      this.unmatched++;
    }
  }

  add(rule: PolicyRule): void {
    this.table.add(rule, this.core.changeable(rule.family).engine.maxVifs);
    this.armTimer();
    // Flows already waiting get their answer now rather than after the next upcall.
    for (const p of listPending(this.core, rule.family)) {
      this.resolve({ seq: 0, timeMs: 0, family: p.family, type: 'NOCACHE', vif: p.arrivalVif, source: p.source, group: p.group, hex: '', length: 0 });
    }
  }

  /** Deletes the rule; the entries it installed stay until they idle out (as smcroute's). */
  del(rule: PolicyRule): void {
    this.table.del(rule);
  }

  clear(family: Family): void {
    this.table.clear(family);
  }

  setExpire(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) fail('EINVAL', `expiry ${ms / 1000} s is not a duration`);
    this.expireMs = ms;
    this.armTimer(true);
  }

  get expire(): number {
    return this.expireMs;
  }

  status(): PolicyStatus {
    const count = (rule: PolicyRule) => {
      let n = 0;
      for (const r of this.mfc.byPolicy[rule.family].values()) if (r === rule) n++;
      return n;
    };
    return { rules: this.table.list(count), expireMs: this.expireMs, expired: this.expired, unmatched: this.unmatched };
  }

  /** the rules matching (S,G) on any vif and who installed the entry: for explain */
  policyFor(family: Family, source: string, group: string): { rules: { index: number; rule: PolicyRule }[]; installedBy: PolicyRule | null } {
    return {
      rules: this.table.size ? this.table.matchingAny(family, source, group) : [],
      installedBy: this.mfc.byPolicy[family].get(sgKey(source, group, family)) ?? null,
    };
  }

  /**
   * Idle detection by counters, which work without the advanced API: an installed entry
   * that forwarded nothing (lastUsed, else its creation) for expireMs is deleted.
   */
  private expireEntries(): void {
    if (this.expireMs <= 0) return;
    for (const family of ['inet', 'inet6'] as Family[]) {
      const inst = this.mfc.byPolicy[family];
      if (inst.size === 0) continue;
      const e = this.core.engine(family);
      const now = e.now;
      for (const k of [...inst.keys()]) {
        const [source, group] = k.split(',');
        const id = e.findEntry(source, group);
        if (id < 0 || e.isPending(id)) {
          inst.delete(k);
          continue;
        }
        const last = e.lastUsedAt(id) < 0 ? e.created[id] : Math.max(e.lastUsedAt(id), e.created[id]);
        if (now - last < this.expireMs) continue;
        try {
          this.delMfc(family, source, group);
        } catch {
          inst.delete(k);
        }
        this.expired++;
      }
    }
  }

  private armTimer(rearm = false): void {
    if (!this.core.autoTimers || this.core.closed) return;
    if (this.timer && !rearm) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.expireMs <= 0) return;
    // a quarter of the expiry bounds how late an entry goes, at a cost of one pass over installed entries
    const every = Math.min(5000, Math.max(100, this.expireMs / 4));
    this.timer = setInterval(() => this.core.tick(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
