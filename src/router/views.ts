// Views: engine state (typed arrays, entry ids) turned into the plain values of api.ts
// that commands show and the control socket sends.

import { formatIPv4, formatIPv6, sgKey } from '../dataplane/addr.js';
import { MRT_MFC_FLAGS_DISABLE_WRONGVIF, MRT_MFC_FLAGS_BORDER_VIF, MRT_VERSION_VALUE, type InetEngine } from '../dataplane/inet.js';
import { BW_UPCALL_UNIT_BYTES, BW_UPCALL_UNIT_PACKETS } from '../dataplane/bw-meter.js';
import { ipv4HeaderOk } from '../dataplane/packet.js';
import { linkRx } from './link-rx.js';
import type { RouterCore } from './core.js';
import type { EntryRates } from './stats.js';
import type { BwMeterInfo, CapturedPacket, Family, MfcInfo, MrtStatus, PendingInfo, VifInfo } from './api.js';

export function vifInfo(core: RouterCore, family: Family, v: number): VifInfo {
  core.workers.fold();
  const e = core.engine(family);
  const link = core.vifLinks[family][v];
  const register = e.vifIsRegister[v] === 1;
  return {
    family,
    index: v,
    flags: e.vifFlags[v],
    register,
    threshold: e.vifThreshold[v],
    local: family === 'inet' ? formatIPv4(e.vifLcl[v]) : null,
    remote: family === 'inet' && e.vifRmt[v] !== 0 ? formatIPv4(e.vifRmt[v]) : null,
    link: link ? { kind: link.kind, name: link.name, ifindex: link.ifindex, ...(link.xdp || core.workers.hasXdp(link) ? { xdp: true } : {}) } : register ? { kind: 'register', name: core.fam(family).registerName, ifindex: 0 } : null,
    pktsIn: e.vifPktIn[v],
    pktsOut: e.vifPktOut[v],
    bytesIn: e.vifBytesIn[v],
    bytesOut: e.vifBytesOut[v],
    txDropped: link ? core.workers.counting(link)(link.counters).txDropped : 0,
    ...(link ? { rx: linkRx(link, core.workers.counting(link)) } : {}),
  };
}

export function listVifs(core: RouterCore, family: Family): VifInfo[] {
  const e = core.engine(family);
  const out: VifInfo[] = [];
  for (let v = 0; v < e.numVifs; v++) if (e.vifUsed[v]) out.push(vifInfo(core, family, v));
  return out;
}

export function mfcInfo(core: RouterCore, rates: EntryRates, installedBy: (family: Family, key: string) => MfcInfo['installedBy'], family: Family, id: number, now: number): MfcInfo {
  const e = core.engine(family);
  const source = e.originOf(id);
  const group = e.groupOf(id);
  const k = sgKey(source, group, family);
  const flags: MfcInfo['flags'] = [];
  for (let v = 0; v < e.maxVifs; v++) {
    const f = e.mflags[id * e.maxVifs + v];
    if (f) flags.push({ vif: v, disableWrongvif: (f & MRT_MFC_FLAGS_DISABLE_WRONGVIF) !== 0, border: (f & MRT_MFC_FLAGS_BORDER_VIF) !== 0 });
  }
  const r = rates.rateOf(k, now, e.pkts(id), e.bytes(id), e.created[id]);
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
    installedBy: installedBy(family, k),
    bwMeters: family === 'inet' ? metersOf(core.inet, id) : [],
  };
}

function metersOf(inet: InetEngine, id: number): BwMeterInfo[] {
  const source = inet.originOf(id);
  const group = inet.groupOf(id);
  return inet.meters.metersOf(id).map((m) => ({
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

export function listPending(core: RouterCore, family: Family): PendingInfo[] {
  const e = core.engine(family);
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

export function mrtStatus(core: RouterCore, family: Family): MrtStatus {
  const f = core.fam(family);
  const e = f.engine;
  const ext = core.external[family];
  let vifs = 0;
  for (let v = 0; v < e.numVifs; v++) if (e.vifUsed[v]) vifs++;
  return {
    family,
    initialized: e.mrouter !== null,
    version: MRT_VERSION_VALUE,
    pim: f.pim,
    assert: f.pim,
    apiSupport: ext ? 0 : f.apiSupport, // Linux's API has no advanced API
    apiConfig: f.apiConfig,
    maxVifs: e.maxVifs,
    vifs,
    mfcEntries: e.resolvedCount,
    pendingEntries: e.pending.size,
    owner: ext ? { ...ext, external: true } : e.mrouter !== null ? { program: 'mrsh', pid: process.pid, external: false } : null,
  };
}

/** the last packets sent on a vif, their heads decoded */
export function captured(core: RouterCore, family: Family, vif: number, last?: number): CapturedPacket[] {
  return core.captures[family][vif].last(last).map((c) => {
    const h = c.head;
    const v6 = h.length > 0 && h[0] >>> 4 === 6;
    return {
      timeMs: core.unixEpochOffset + c.time,
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
