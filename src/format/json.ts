// JSON for every show command: one object with "schema": 1 and arrays of complete
// entries (never objects keyed by address: FRR #11762 lost routes that way). Field names
// are camelCase; counters are plain numbers.
import type { Output } from '../commands/output.js';
import type { MfcInfo, PendingInfo, VifInfo } from '../router/api.js';
import { vifNamer, type VifNamer } from './names.js';
import { mrtstatRows } from './mrtstat.js';

export const SCHEMA = 1;

export function mfcJson(e: MfcInfo, name: VifNamer, nowMs: number) {
  return {
    family: e.family,
    source: e.source,
    group: e.group,
    iif: { vif: e.parent, name: name(e.parent) },
    oifs: e.oifs.filter((o) => o.ttl > 0).map((o) => ({ vif: o.vif, name: name(o.vif), ttl: o.ttl })),
    flags: e.flags,
    rp: e.rp,
    packets: e.packets,
    bytes: e.bytes,
    wrongIf: e.wrongIf,
    pps: e.pps,
    bps: e.bps,
    avgPktSize: e.packets ? Math.round(e.bytes / e.packets) : 0,
    uptimeMs: nowMs - e.createdMs,
    expiresMs: null,
    lastUsedAgoMs: e.lastUsedMs === null ? null : nowMs - e.lastUsedMs,
    installedBy: e.installedBy,
    bwMeters: e.bwMeters.map((m) => ({ ...m, remainingMs: m.startMs + m.intervalMs - nowMs })),
  };
}

const pendingJson = (q: PendingInfo, nowMs: number) => ({ ...q, ageMs: nowMs - q.createdMs });
const vifJson = (v: VifInfo, name: VifNamer) => ({ ...v, name: name(v.index) });

/**
 * Figures as they mean: times in whole milliseconds (the clock has fractions), other
 * fractions (rates, averages) to two decimals; never 8412.479188999998.
 */
export function roundFigures(v: unknown, key = ''): unknown {
  if (typeof v === 'number') {
    if (Number.isInteger(v) || !Number.isFinite(v)) return v;
    return key.endsWith('Ms') || key === 'timeMs' ? Math.round(v) : Math.round(v * 100) / 100;
  }
  if (Array.isArray(v)) return v.map((x) => roundFigures(x, key));
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = roundFigures(x, k);
    return o;
  }
  return v;
}

export function toJson(out: Output): Record<string, unknown> {
  return roundFigures(jsonOf(out)) as Record<string, unknown>;
}

function jsonOf(out: Output): Record<string, unknown> {
  const base = { schema: SCHEMA, kind: out.kind };
  switch (out.kind) {
    case 'mroute': {
      const name = vifNamer(out.vifs);
      return {
        ...base,
        family: out.family,
        view: out.view,
        entries: out.entries.map((e) => mfcJson(e, name, out.nowMs)),
        pending: out.pending.map((q) => pendingJson(q, out.nowMs)),
      };
    }
    case 'mfc': {
      const name = vifNamer([]);
      return {
        ...base,
        family: out.family,
        entries: out.entries.map((e) => mfcJson(e, name, out.nowMs)),
        pending: out.pending.map((q) => pendingJson(q, out.nowMs)),
      };
    }
    case 'bw-upcall': {
      const name = vifNamer([]);
      return { ...base, family: 'inet', entries: out.entries.map((e) => mfcJson(e, name, out.nowMs)) };
    }
    case 'vif': {
      const name = vifNamer(out.vifs);
      return { ...base, family: out.family, vifs: out.vifs.map((v) => vifJson(v, name)) };
    }
    case 'pending':
      return { ...base, family: out.family, pending: out.pending.map((q) => pendingJson(q, out.nowMs)), ...(out.cap ? { limit: out.cap.limit, capDropped: out.cap.dropped } : {}) };
    case 'statistics':
      return { ...base, family: out.family, counters: mrtstatRows(out.family, out.stats) };
    case 'upcalls':
      return { ...base, upcalls: out.upcalls };
    case 'running-config':
      return { ...base, lines: out.lines };
    case 'mrt':
      return {
        ...base,
        families: out.status.map((s) => ({
          ...s,
          apiSupportNames: out.apiNames.filter((a) => s.apiSupport & a.flag).map((a) => a.name),
          apiConfigNames: out.apiNames.filter((a) => s.apiConfig & a.flag).map((a) => a.name),
        })),
      };
    case 'explain':
      return { ...base, ...out.explanation, ttl: out.ttl, vif: out.vif };
    case 'inject':
      return { ...base, vif: out.vif, family: out.family, ...out.result };
    case 'capture':
      return { ...base, vif: out.vif, family: out.family, packets: out.packets, file: out.file ?? null };
    case 'monitor-capture':
      return { ...base, vif: out.vif, family: out.family, file: out.file };
    case 'help':
      return { ...base, commands: out.commands };
    case 'ok':
      return { ...base, message: out.message ?? null };
    case 'monitor':
      return { ...base, types: out.types };
    case 'policy':
      return { ...base, ...out.policy };
    case 'config-diff': {
      const { kind: _k, ...rest } = out;
      return { ...base, ...rest };
    }
    case 'version': {
      const { kind: _k, ...rest } = out;
      return { ...base, ...rest };
    }
    case 'mode':
      return { ...base, mode: out.mode };
    case 'exit':
      return base;
  }
}

export function renderJson(out: Output): string {
  return JSON.stringify(toJson(out), null, 2);
}
