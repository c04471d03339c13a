// `show mroute detail`: one key/value block per entry, in the manner of Junos
// `show multicast route extensive`: everything the engine knows about the entry.
import type { MfcInfo, VifInfo } from '../router/api.js';
import { vifNamer } from './names.js';
import type { Painter } from './style.js';
import { iosDuration } from './text.js';

export function mrouteDetail(family: 'inet' | 'inet6', entries: readonly MfcInfo[], vifs: readonly VifInfo[], nowMs: number, p: Painter): string {
  const name = vifNamer(vifs);
  const known = new Set(vifs.map((v) => v.index));
  const plen = family === 'inet' ? 32 : 128;
  const out: string[] = [`Family: ${family === 'inet' ? 'INET' : 'INET6'}`];
  for (const e of entries) {
    const oifs = e.oifs.filter((o) => o.ttl > 0).sort((a, b) => a.vif - b.vif);
    out.push('', p.bold(`Group: ${e.group}`), `    Source: ${e.source}/${plen}`);
    out.push(`    Upstream interface: ${name(e.parent)} (vif ${e.parent})${known.has(e.parent) ? '' : ' - not in the vif table'}`);
    out.push('    Downstream interface list:');
    if (oifs.length === 0) out.push('        none');
    for (const o of oifs) {
      const ttl = family === 'inet' ? `, TTL threshold ${o.ttl}` : '';
      out.push(`        ${name(o.vif)} (vif ${o.vif})${ttl}${known.has(o.vif) ? '' : ' - not in the vif table'}`);
    }
    out.push(`    Number of outgoing interfaces: ${oifs.length}`);
    const fl = e.flags.filter((f) => f.disableWrongvif || f.border);
    if (fl.length)
      out.push(
        `    Vif flags: ${fl.map((f) => `${f.vif}:${[f.disableWrongvif ? 'disable-wrongvif' : '', f.border ? 'border' : ''].filter(Boolean).join(',')}`).join(' ')}`,
      );
    out.push(`    RP: ${e.rp ?? 'none'}`);
    out.push(`    Statistics: ${Math.round(e.bps / 8000)} kBps, ${Math.round(e.pps)} pps, ${e.packets} packets, ${e.bytes} bytes`);
    out.push(`    Wrong incoming interface notifications: ${e.wrongIf}`);
    out.push(`    Bandwidth filters: ${e.bwMeters.length}`);
    out.push(`    Installed by: ${e.installedBy}`);
    out.push(`    Uptime: ${iosDuration(nowMs - e.createdMs)}`);
    out.push(`    Last used: ${e.lastUsedMs === null ? 'never' : `${iosDuration(nowMs - e.lastUsedMs)} ago`}`);
  }
  if (entries.length === 0) out.push('', 'No entries');
  return out.join('\n');
}
