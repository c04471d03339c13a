// `show mroute table [fill]`: FRR's `show ip mroute` columns (peers.md §3.2), for operators
// who read tables: one row per outgoing vif, an entry with none shows `none`. Continuation
// rows leave Source, Group, Flags, Input and Uptime blank, as FRR does, unless `fill`.
// Proto says who installed the entry: STATIC (mfc add) or POLICY (a static policy rule);
// there is no PIM or IGMP here to name.
import type { MfcInfo, VifInfo } from '../router/api.js';
import { entryFlags } from './mroute.js';
import { vifNamer } from './names.js';
import type { Painter } from './style.js';
import { table } from './table.js';
import { iosDuration } from './text.js';

const LEGEND = [
  'Flags: S - Sparse, D - Dense, C - Connected, P - Pruned',
  '       R - SGRpt Pruned, F - Register flag, T - SPT-bit set',
];

export function mrouteTable(entries: readonly MfcInfo[], vifs: readonly VifInfo[], nowMs: number, fill: boolean, p: Painter): string {
  const name = vifNamer(vifs);
  const rows: (string | number)[][] = [];
  for (const e of entries) {
    const up = iosDuration(nowMs - e.createdMs);
    const proto = e.installedBy === 'policy' ? 'POLICY' : e.installedBy === 'daemon' ? 'DAEMON' : 'STATIC';
    const head = [e.source, e.group, entryFlags(e, vifs), proto, name(e.parent)];
    const oifs = e.oifs.filter((o) => o.ttl > 0).sort((a, b) => a.vif - b.vif);
    if (oifs.length === 0) {
      rows.push([...head, 'none', 0, '--:--:--']);
      continue;
    }
    oifs.forEach((o, i) => {
      const lead = i === 0 || fill ? head : ['', '', '', proto, ''];
      rows.push([...lead, name(o.vif), o.ttl, i === 0 || fill ? up : '']);
    });
  }
  return [...LEGEND, '', table(['Source', 'Group', 'Flags', 'Proto', 'Input', 'Output', 'TTL', 'Uptime'], rows, p)].join('\n');
}
