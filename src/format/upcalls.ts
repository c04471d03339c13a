// Upcalls as the shell shows them: one line each, type decoded; BW_UPCALL records say
// what was measured against which threshold.
import type { UpcallEvent } from '../router/api.js';
import type { Painter } from './style.js';
import { table } from './table.js';
import { clock } from './text.js';

/** a BW_UPCALL's igmpmsg header carries no (S,G): its records do */
export function upcallSG(ev: UpcallEvent): { source: string; group: string } {
  return ev.type === 'BW_UPCALL' && ev.bw?.length ? ev.bw[0] : ev;
}

export function bwDetail(ev: UpcallEvent): string {
  if (!ev.bw?.length) return '';
  const parts = ev.bw.map((b) => {
      const op = b.flags & 0x4 ? '>=' : b.flags & 0x8 ? '<=' : '?';
      const unit: string[] = [];
      if (b.flags & 0x1) unit.push(`${b.measuredPackets} pkts ${op} ${b.thresholdPackets}`);
      if (b.flags & 0x2) unit.push(`${b.measuredBytes} bytes ${op} ${b.thresholdBytes}`);
    const sg = ev.bw!.length > 1 && ev.bw!.some((x) => x.source !== b.source || x.group !== b.group) ? `(${b.source}, ${b.group}) ` : '';
    return `${sg}${unit.join(', ')} in ${(b.measuredMs / 1000).toFixed(1)}s/${(b.thresholdMs / 1000).toFixed(1)}s`;
  });
  // one upcall may carry many records (BW_UPCALLS_MAX 128); say repeats once
  const out: string[] = [];
  for (let i = 0; i < parts.length; ) {
    let j = i;
    while (j < parts.length && parts[j] === parts[i]) j++;
    out.push(j - i > 1 ? `${j - i}x ${parts[i]}` : parts[i]);
    i = j;
  }
  return out.join('; ');
}

export function typeColor(p: Painter, type: string): string {
  switch (type) {
    case 'NOCACHE':
      return p.yellow(type);
    case 'WRONGVIF':
      return p.red(type);
    case 'WHOLEPKT':
      return p.magenta(type);
    default:
      return p.cyan(type);
  }
}

/** one event on one line: monitor output and the live pane */
export function upcallLine(ev: UpcallEvent, p: Painter): string {
  const fam = ev.family === 'inet' ? '' : ' ipv6';
  const what = ev.type === 'BW_UPCALL' ? ` ${bwDetail(ev)}` : '';
  const sg = upcallSG(ev);
  return `${clock(ev.timeMs)} ${typeColor(p, ev.type.padEnd(9))}${fam} vif ${ev.vif} (${sg.source}, ${sg.group})${what}`;
}

export function upcallTable(upcalls: readonly UpcallEvent[], p: Painter): string {
  if (upcalls.length === 0) return 'No upcalls';
  return table(
    ['Seq', 'Time', 'Type', 'Family', 'Vif', 'Source', 'Group', 'Len', 'Detail'],
    upcalls.map((u) => {
      const sg = upcallSG(u);
      return [u.seq, clock(u.timeMs), u.type, u.family === 'inet' ? 'IPv4' : 'IPv6', u.vif, sg.source, sg.group, u.length, bwDetail(u)];
    }),
    p,
  );
}
