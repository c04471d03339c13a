// `show vif`, `show mfc`, `show bw-upcall` laid out byte for byte like FreeBSD's
// netstat -g (usr.bin/netstat/mroute.c, mroute6.c): same banners, same printf widths,
// same "... is empty" lines, Bandwidth Meters under their entry.
import type { BwMeterInfo, MfcInfo, PendingInfo, VifInfo } from '../router/api.js';
import { left, right, timeval } from './text.js';

export function vifTable(vifs: readonly VifInfo[]): string {
  if (vifs.length === 0) return 'IPv4 Virtual Interface Table is empty';
  // netstat's columns, then the link's name (the name a command may use for the vif)
  const out = ['IPv4 Virtual Interface Table', ' Vif   Thresh   Local-Address   Remote-Address    Pkts-In   Pkts-Out  Name'];
  for (const v of [...vifs].sort((a, b) => a.index - b.index)) {
    out.push(
      ` ${right(v.index, 2)}    ${right(v.threshold, 6)}   ${left(v.local ?? '', 15)}` +
        ` ${left(v.remote ?? '', 15)}` +
        ` ${right(v.pktsIn, 9)}  ${right(v.pktsOut, 9)}  ${v.link?.name ?? (v.register ? 'register' : '')}`.trimEnd(),
    );
  }
  return out.join('\n');
}

export function mifTable(vifs: readonly VifInfo[]): string {
  if (vifs.length === 0) return 'IPv6 Multicast Interface Table is empty';
  const out = ['IPv6 Multicast Interface Table', ' Mif   Rate   PhyIF   Pkts-In   Pkts-Out'];
  for (const v of [...vifs].sort((a, b) => a.index - b.index)) {
    const phy = v.register ? 'reg0' : (v.link?.name ?? '');
    // the rate limit is long gone from FreeBSD; the column stays, always 0
    out.push(`  ${right(v.index, 2)}   ${right(0, 4)}   ${right(phy, 5)} ${right(v.pktsIn, 9)}  ${right(v.pktsOut, 9)}`);
  }
  return out.join('\n');
}

function bwMeters(meters: readonly BwMeterInfo[], nowMs: number): string[] {
  if (meters.length === 0) return [];
  const out = [
    ' Bandwidth Meters',
    `  ${left('Measured(Start|Packets|Bytes)', 30)} Type  ${left('Thresh(Interval|Packets|Bytes)', 30)} Remain`,
  ];
  for (const m of meters) {
    const mp = m.unitPackets ? String(m.measuredPackets) : '?';
    const mb = m.unitBytes ? String(m.measuredBytes) : '?';
    const tp = m.unitPackets ? String(m.thresholdPackets) : '?';
    const tb = m.unitBytes ? String(m.thresholdBytes) : '?';
    const type = m.op === 'geq' ? '>=' : '<=';
    const remain = m.startMs + m.intervalMs - nowMs;
    out.push(
      `  ${pad30(`${timeval(m.startMs)}|${mp}|${mb}`)}  ${padN(type, 3)}  ${pad30(`${timeval(m.intervalMs)}|${tp}|${tb}`)} ${timeval(remain)}`,
    );
  }
  return out;
}

// %-30s and %-3s: pad, never truncate
const pad30 = (s: string) => padN(s, 30);
function padN(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function mfcRow(e: MfcInfo): string {
  let row = ` ${left(e.source, 15)} ${left(e.group, 15)} ${right(e.packets, 9)}  ${right(e.parent, 3)}   `;
  for (const o of [...e.oifs].sort((a, b) => a.vif - b.vif)) if (o.ttl > 0) row += ` ${o.vif}:${o.ttl}`;
  return row;
}

export function mfcTable(entries: readonly MfcInfo[], nowMs: number): string {
  if (entries.length === 0) return 'IPv4 Multicast Forwarding Table is empty';
  const out = ['IPv4 Multicast Forwarding Table', ' Origin          Group             Packets In-Vif  Out-Vifs:Ttls'];
  for (const e of entries) {
    out.push(mfcRow(e));
    out.push(...bwMeters(e.bwMeters, nowMs));
  }
  return out.join('\n');
}

/** `show bw-upcall`: the same layout, only entries that have meters */
export function bwUpcallTable(entries: readonly MfcInfo[], nowMs: number): string {
  if (entries.length === 0) return 'IPv4 Bandwidth Meter Table is empty';
  return mfcTable(entries, nowMs);
}

const WID_ORG = 29; // netstat's origin width with numeric addresses
const WID_GRP = 16;

export function mf6cTable(entries: readonly MfcInfo[], pending: readonly PendingInfo[]): string {
  if (entries.length === 0 && pending.length === 0) return 'IPv6 Multicast Forwarding Table is empty';
  const out = [
    'IPv6 Multicast Forwarding Cache',
    ` ${left('Origin', WID_ORG)} ${left('Group', WID_GRP)}   Packets Waits In-Mif  Out-Mifs`,
  ];
  for (const e of entries) {
    let row = ` ${left(e.source, WID_ORG)} ${left(e.group, WID_GRP)} ${right(e.packets, 9)}   ${right(0, 3)}  ${right(e.parent, 3)}   `;
    for (const o of [...e.oifs].sort((a, b) => a.vif - b.vif)) if (o.ttl > 0) row += ` ${o.vif}`;
    out.push(row);
  }
  // unresolved entries sit in the same table with their stalled packets and no parent
  for (const q of pending) out.push(` ${left(q.source, WID_ORG)} ${left(q.group, WID_GRP)} ${right(0, 9)}   ${right(q.queued, 3)} ---   `);
  return out.join('\n');
}
