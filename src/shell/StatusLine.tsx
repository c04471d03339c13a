// One line: families initialised, vifs, MFC entries, unresolved, forwarding and upcall rates.
import { Text } from 'ink';
import type { RouterStatus } from '../router/api.js';
import type { Painter } from '../format/style.js';

/** `alert` (the daemon went away) comes first, where a narrow terminal cannot cut it */
export function statusText(s: RouterStatus, busy: string | null, alert: string | null = null): string {
  const fam = (on: boolean, name: string) => `${name} ${on ? 'on' : 'off'}`;
  const parts = [
    `${fam(s.inet.initialized, 'IPv4')} ${fam(s.inet6.initialized, 'IPv6')}`,
    `vifs ${s.inet.vifs}/${s.inet6.vifs}`,
    `mfc ${s.inet.mfcEntries}/${s.inet6.mfcEntries}`,
    `unresolved ${s.inet.pendingEntries + s.inet6.pendingEntries}`,
    `fwd ${Math.round(s.forwardPps)} pps`,
    `upcalls ${Math.round(s.upcallRate)}/s`,
  ];
  if (busy) parts.push(busy);
  if (alert) parts.unshift(alert);
  return ` ${parts.join(' | ')}`;
}

export function StatusLine(props: { status: RouterStatus; width: number; busy: string | null; alert?: string | null; p: Painter }) {
  const t = statusText(props.status, props.busy, props.alert ?? null);
  const line = t.length >= props.width ? t.slice(0, props.width) : t + ' '.repeat(props.width - t.length);
  return <Text wrap="truncate">{props.p.inverse(line)}</Text>;
}
