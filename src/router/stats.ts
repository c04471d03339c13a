// Counters and rates: the family's statistics under FreeBSD's names plus mrsh's ledger,
// per-entry packet and bit rates, and the router-wide forwarding and upcall rates.

import { fail } from '../dataplane/errno.js';
import { addrFamily, sgKey } from '../dataplane/addr.js';
import { MRTSTAT_FIELDS, LEDGER_FIELDS } from '../dataplane/stats.js';
import { linkRxStats } from './link-rx.js';
import type { RouterCore } from './core.js';
import type { Family, Stats } from './api.js';

export function statsOf(core: RouterCore, family: Family): Stats {
  core.workers.fold();
  const f = core.fam(family);
  const e = f.engine;
  const out: Stats = {};
  for (const k of MRTSTAT_FIELDS) out[f.statPrefix + k] = e.stat[k];
  f.extraStats(out);
  for (const k of LEDGER_FIELDS) out['pkt_' + k] = e.ledger[k];
  out.held_dropped = e.heldDropped;
  out.control_to_daemon = core.ctl[family].delivered;
  out.control_dropped_sockfull = core.ctl[family].dropped;
  // the cap FreeBSD does not have, beside what it turned away (pkt_miss_cap)
  out.pending_limit = e.pendingLimit;
  if (family === 'inet') out.bw_records_delivered = core.inet.meters.recordsDelivered;
  if (core.workers.count > 0) {
    // what the forwarding workers decided themselves, and what they left to the engine here
    const wc = core.workers.shares.counters[family === 'inet' ? 0 : 1];
    out.workers = core.workers.count;
    out.pkt_worker_forwarded = wc.forwarded();
    out.pkt_worker_to_control = wc.punted();
  }
  return Object.assign(out, linkRxStats(core.vifLinks[family], (l) => core.workers.counting(l)));
}

export class EntryRates {
  private readonly rates = new Map<string, { t: number; p: number; b: number; pps: number; bps: number }>();

  /** Rates since the previous look at this entry (at least 1 s apart); averages on the first look. */
  rateOf(k: string, now: number, p: number, b: number, created: number) {
    const prev = this.rates.get(k);
    if (!prev) {
      const dt = Math.max(1, now - created) / 1000;
      const r = { t: now, p, b, pps: p / dt, bps: (b * 8) / dt };
      this.rates.set(k, r);
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

  forget(k: string): void {
    this.rates.delete(k);
  }

  clear(): void {
    this.rates.clear();
  }
}

/** forwarded packets and upcalls per second, both families, over the last second or more */
export class RouterRates {
  private rate = { t: 0, fwd: 0, up: 0, fwdPps: 0, upRate: 0 };

  constructor(private readonly core: RouterCore) {}

  sample(now: number): { forwardPps: number; upcallRate: number } {
    const { inet, inet6 } = this.core;
    const fwd = inet.ledger.forwarded + inet6.ledger.forwarded;
    const up = inet.stat.upcalls + inet6.stat.upcalls;
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
    return { forwardPps: this.rate.fwdPps, upcallRate: this.rate.upRate };
  }
}

/** zeroes one entry's counters, or a family's (both without one) with their rates */
export function clearCounters(core: RouterCore, rates: EntryRates, family?: Family, source?: string, group?: string): void {
  const fams: Family[] = family ? [family] : ['inet', 'inet6'];
  // the owner reads these counters (SIOCGETSGCNT): another socket cannot reset them
  for (const f of fams) core.refuseIfExternal(f);
  if (source !== undefined && group !== undefined) {
    const f = family ?? addrFamily(source);
    const e = core.engine(f);
    const id = e.findEntry(source, group);
    if (id < 0 || e.isPending(id)) fail(core.fam(f).noEntry, `no MFC entry (${source}, ${group})`);
    e.clearEntryCounters(id);
    rates.forget(sgKey(source, group, f));
    return;
  }
  for (const f of fams) {
    core.engine(f).clearAllCounters();
    core.fam(f).clearExtraStats();
  }
  rates.clear();
}
