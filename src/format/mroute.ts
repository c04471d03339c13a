// `show mroute`: Cisco IOS block style, the operator's lingua franca (peers.md §3.1).
// Our entries are (S,G) MFC entries; the IOS letters that mean something here are
// T (traffic has flowed on the entry), F (Register: an oif is the register vif, or an RP
// is set) and P (pruned: no outgoing interface).
import type { MfcInfo, PendingInfo, VifInfo } from '../router/api.js';
import { isRegister, vifNamer } from './names.js';
import type { Painter } from './style.js';
import { iosDuration } from './text.js';

export const IOS_LEGEND = [
  'Flags: D - Dense, S - Sparse, B - Bidir Group, s - SSM Group, C - Connected,',
  '       L - Local, P - Pruned, R - RP-bit set, F - Register flag,',
  '       T - SPT-bit set, J - Join SPT, M - MSDP created entry,',
  '       X - Proxy Join Timer Running, A - Candidate for MSDP Advertisement,',
  '       U - URD, I - Received Source Specific Host Report,',
  '       Z - Multicast Tunnel',
  'Outgoing interface flags: H - Hardware switched, A - Assert winner',
  ' Timers: Uptime/Expires',
  ' Interface state: Interface, Next-Hop or VCD, State/Mode',
];

export function entryFlags(e: MfcInfo, vifs: readonly VifInfo[]): string {
  let f = '';
  if (e.oifs.filter((o) => o.ttl > 0).length === 0) f += 'P';
  if (e.rp || e.oifs.some((o) => o.ttl > 0 && isRegister(vifs, o.vif))) f += 'F';
  if (e.packets > 0) f += 'T';
  return f;
}

export function mrouteBrief(
  family: 'inet' | 'inet6',
  entries: readonly MfcInfo[],
  vifs: readonly VifInfo[],
  pending: readonly PendingInfo[],
  nowMs: number,
  p: Painter,
): string {
  // nothing to explain a legend for: one line, as netstat -g says an empty table
  if (entries.length === 0 && pending.length === 0) return `${family === 'inet' ? 'IP' : 'IPv6'} Multicast Routing Table is empty`;
  const name = vifNamer(vifs);
  const any = family === 'inet' ? '0.0.0.0' : '::';
  const out: string[] = [family === 'inet' ? 'IP Multicast Routing Table' : 'IPv6 Multicast Routing Table', ...IOS_LEGEND, ''];
  for (const e of entries) {
    const up = iosDuration(nowMs - e.createdMs);
    const rp = e.rp ? `, RP ${e.rp}` : '';
    out.push(`${p.bold(`(${e.source}, ${e.group})`)}, ${up}/stopped${rp}, flags: ${entryFlags(e, vifs)}`.trimEnd());
    out.push(`  Incoming interface: ${name(e.parent)}, RPF nbr ${any}`);
    if (e.installedBy === 'policy') out.push('  Installed by: policy (show policy; idle entries expire)');
    if (e.installedBy === 'daemon') out.push('  Installed by: the routing daemon that owns the socket (show mrt)');
    const oifs = e.oifs.filter((o) => o.ttl > 0).sort((a, b) => a.vif - b.vif);
    if (oifs.length === 0) out.push('  Outgoing interface list: Null');
    else {
      out.push('  Outgoing interface list:');
      const mode = e.installedBy === 'user' ? 'Static' : 'Dynamic';
      for (const o of oifs) {
        const ttl = o.ttl > 1 ? `, TTL threshold ${o.ttl}` : '';
        out.push(`    ${name(o.vif)}, ${p.green('Forward')}/${mode}, ${up}/stopped${ttl}`);
      }
    }
    out.push('');
  }
  if (pending.length) out.push(`${pending.length} unresolved entr${pending.length === 1 ? 'y' : 'ies'} waiting for an mfc add (show ${family === 'inet6' ? 'ipv6 ' : ''}pending)`, '');
  return out.join('\n').replace(/\n+$/, '');
}
