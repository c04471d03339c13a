// `show statistics`: netstat -gs, struct mrtstat / mrt6stat counter by counter, with
// libxo's JSON key for each.
import type { Family, Stats } from '../router/api.js';
import { plural, plurales } from './text.js';

export interface MrtStatCounter {
  field: string; // struct mrtstat member without the mrts_ prefix
  key: string; // netstat --libxo key
  text: (n: number) => string;
}

export const MRTSTAT: MrtStatCounter[] = [
  { field: 'mfc_lookups', key: 'cache-lookups', text: (n) => `multicast forwarding cache lookup${plural(n)}` },
  { field: 'mfc_misses', key: 'cache-misses', text: (n) => `multicast forwarding cache miss${plurales(n)}` },
  { field: 'upcalls', key: 'upcalls-total', text: (n) => `upcall${plural(n)} to multicast routing daemon` },
  { field: 'upq_ovflw', key: 'upcall-overflows', text: (n) => `upcall queue overflow${plural(n)}` },
  { field: 'upq_sockfull', key: 'upcalls-dropped-full-buffer', text: (n) => `upcall${plural(n)} dropped due to full socket buffer` },
  { field: 'cache_cleanups', key: 'cache-cleanups', text: (n) => `cache cleanup${plural(n)}` },
  { field: 'no_route', key: 'dropped-no-origin', text: (n) => `datagram${plural(n)} with no route for origin` },
  { field: 'bad_tunnel', key: 'dropped-bad-tunnel', text: (n) => `datagram${plural(n)} arrived with bad tunneling` },
  { field: 'cant_tunnel', key: 'dropped-could-not-tunnel', text: (n) => `datagram${plural(n)} could not be tunneled` },
  { field: 'wrong_if', key: 'dropped-wrong-incoming-interface', text: (n) => `datagram${plural(n)} arrived on wrong interface` },
  { field: 'drop_sel', key: 'dropped-selectively', text: (n) => `datagram${plural(n)} selectively dropped` },
  { field: 'q_overflow', key: 'dropped-queue-overflow', text: (n) => `datagram${plural(n)} dropped due to queue overflow` },
  { field: 'pkt2large', key: 'dropped-too-large', text: (n) => `datagram${plural(n)} dropped for being too large` },
];

function camel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** the engine may name a counter mrts_x, mrt6s_x, x or camelCase x: accept all */
function lookup(stats: Stats, field: string): { value: number; used: string | null } {
  for (const k of [`mrts_${field}`, `mrt6s_${field}`, field, camel(field), camel(`mrts_${field}`)]) {
    if (typeof stats[k] === 'number') return { value: stats[k], used: k };
  }
  return { value: 0, used: null };
}

/** struct pimstat, as netstat -s -p pim prints it */
export const PIMSTAT: MrtStatCounter[] = [
  { field: 'rcv_total_msgs', key: 'received-messages', text: (n) => `message${plural(n)} received` },
  { field: 'rcv_total_bytes', key: 'received-bytes', text: (n) => `byte${plural(n)} received` },
  { field: 'rcv_tooshort', key: 'received-too-short', text: (n) => `message${plural(n)} received with too few bytes` },
  { field: 'rcv_badsum', key: 'received-bad-checksum', text: (n) => `message${plural(n)} received with bad checksum` },
  { field: 'rcv_badversion', key: 'received-bad-version', text: (n) => `message${plural(n)} received with unknown version` },
  { field: 'rcv_registers_msgs', key: 'received-data-register-messages', text: (n) => `data register message${plural(n)} received` },
  { field: 'rcv_registers_bytes', key: 'received-data-register-bytes', text: (n) => `data register byte${plural(n)} received` },
  {
    field: 'rcv_registers_wrongiif',
    key: 'received-data-register-wrong-interface',
    text: (n) => `data register message${plural(n)} received on wrong iif`,
  },
  { field: 'rcv_badregisters', key: 'received-bad-registers', text: (n) => `bad register${plural(n)} received` },
  { field: 'snd_registers_msgs', key: 'sent-data-register-messages', text: (n) => `data register message${plural(n)} sent` },
  { field: 'snd_registers_bytes', key: 'sent-data-register-bytes', text: (n) => `data register byte${plural(n)} sent` },
];

export interface CounterRow {
  /** which block of netstat -s it belongs to; `engine` for counters netstat has no line for */
  section: 'mrtstat' | 'pimstat' | 'engine' | 'link';
  field: string;
  key: string;
  description: string;
  value: number;
}

/** the 13 netstat -gs counters, the PIM ones (IPv4), then the engine's own by name, then the links' (link_*) */
export function mrtstatRows(family: Family, stats: Stats): CounterRow[] {
  const used = new Set<string>();
  const rows: CounterRow[] = [];
  const prefix = family === 'inet' ? 'mrts_' : 'mrt6s_';
  for (const c of MRTSTAT) {
    const { value, used: k } = lookup(stats, c.field);
    if (k) used.add(k);
    rows.push({ section: 'mrtstat', field: prefix + c.field, key: c.key, description: c.text(value), value });
  }
  for (const c of PIMSTAT) {
    const k = `pims_${c.field}`;
    if (typeof stats[k] !== 'number') continue;
    used.add(k);
    rows.push({ section: 'pimstat', field: k, key: c.key, description: c.text(stats[k]), value: stats[k] });
  }
  for (const [k, v] of Object.entries(stats)) {
    if (!used.has(k) && typeof v === 'number') rows.push({ section: k.startsWith('link_') ? 'link' : 'engine', field: k, key: k, description: k, value: v });
  }
  return rows;
}

const TITLES = { pimstat: 'pim:', engine: 'mrsh engine:', link: 'mrsh links (frames before the engine):' } as const;

export function mrtstatText(family: Family, stats: Stats): string {
  const out = [`${family === 'inet' ? 'IPv4' : 'IPv6'} multicast forwarding:`];
  let section: CounterRow['section'] = 'mrtstat';
  for (const r of mrtstatRows(family, stats)) {
    if (r.section !== section) {
      section = r.section;
      out.push(TITLES[r.section as keyof typeof TITLES]);
    }
    out.push(`\t${r.value} ${r.description}`);
  }
  return out.join('\n');
}
