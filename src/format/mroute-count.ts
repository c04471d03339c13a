// `show mroute count`: IOS-XE wording, including the Other counts triple
// Total/RPF failed/Other drops that operators grep for.
import type { MfcInfo } from '../router/api.js';

/**
 * Bytes of memory per route: the size of the struct the routing socket takes for it
 * (mfcctl2 is 80 bytes with MAXVIFS 32, mf6cctl 92). The engine keeps its table in typed
 * arrays, so this is the honest size of what a daemon would have written.
 */
const ROUTE_BYTES = { inet: 80, inet6: 92 } as const;

export function mrouteCount(family: 'inet' | 'inet6', entries: readonly MfcInfo[]): string {
  const groups = new Map<string, MfcInfo[]>();
  for (const e of entries) {
    const g = groups.get(e.group);
    if (g) g.push(e);
    else groups.set(e.group, [e]);
  }
  const avg = groups.size ? (entries.length / groups.size).toFixed(2) : '0.00';
  const out = [
    family === 'inet' ? 'IP Multicast Statistics' : 'IPv6 Multicast Statistics',
    `${entries.length} routes using ${entries.length * ROUTE_BYTES[family]} bytes of memory`,
    `${groups.size} groups, ${avg} average sources per group`,
    'Forwarding Counts: Pkt Count/Pkts per second/Avg Pkt Size/Kilobits per second',
    'Other counts: Total/RPF failed/Other drops(OIF-null, rate-limit etc)',
  ];
  const plen = family === 'inet' ? 32 : 128;
  for (const [group, list] of groups) {
    const total = list.reduce((n, e) => n + e.packets, 0);
    out.push('', `Group: ${group}, Source count: ${list.length}, Group pkt count: ${total}`);
    for (const e of list) {
      const avgSize = e.packets ? Math.round(e.bytes / e.packets) : 0;
      const kbps = Math.round(e.bps / 1000);
      // packets counts arrivals on the parent; wrongIf the RPF failures; null-OIL arrivals
      // are forwarded nowhere, so they are the "other drops"
      const noOif = e.oifs.every((o) => o.ttl === 0);
      const drops = noOif ? e.packets : 0;
      out.push(
        `  Source: ${e.source}/${plen}, Forwarding Counts: ${e.packets}/${Math.round(e.pps)}/${avgSize}/${kbps}, ` +
          `Other counts: ${e.packets + e.wrongIf}/${e.wrongIf}/${drops}`,
      );
    }
  }
  return out.join('\n');
}
