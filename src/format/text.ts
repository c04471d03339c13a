// printf-style helpers for the fixed layouts copied from netstat and IOS.

/** %-N.Ns */
export function left(s: string, n: number): string {
  return s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length);
}
/** %-Ns (no truncation) */
export function leftNoTrunc(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
/** %Nd / %Ns */
export function right(v: string | number, n: number): string {
  const s = String(v);
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

export const plural = (n: number): string => (n !== 1 ? 's' : '');
export const plurales = (n: number): string => (n !== 1 ? 'es' : '');

/** IOS timer style: hh:mm:ss under a day, then 1d02h, then 2w3d */
export function iosDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  if (d >= 7) return `${Math.floor(d / 7)}w${d % 7}d`;
  if (d >= 1) return `${d}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}`;
}

/** timeval printing as netstat does it: sec.usec */
export function timeval(ms: number): string {
  const neg = ms < 0;
  const a = Math.abs(ms);
  const sec = Math.floor(a / 1000);
  const usec = Math.round((a - sec * 1000) * 1000);
  return `${neg ? '-' : ''}${sec}.${String(usec).padStart(6, '0')}`;
}

/** wall-clock time of day, HH:MM:SS.mmm, local time */
export function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** 16 bytes a line, offset, hex and ASCII, like tcpdump -X */
export function hexdump(hex: string, indent = '  '): string[] {
  const out: string[] = [];
  for (let off = 0; off * 2 < hex.length; off += 16) {
    const chunk = hex.slice(off * 2, off * 2 + 32);
    const bytes: string[] = [];
    let ascii = '';
    for (let i = 0; i < chunk.length; i += 2) {
      const b = parseInt(chunk.slice(i, i + 2), 16);
      bytes.push(chunk.slice(i, i + 2));
      ascii += b >= 32 && b < 127 ? String.fromCharCode(b) : '.';
    }
    const groups: string[] = [];
    for (let i = 0; i < bytes.length; i += 2) groups.push(bytes.slice(i, i + 2).join(''));
    out.push(`${indent}0x${off.toString(16).padStart(4, '0')}:  ${groups.join(' ').padEnd(39)}  ${ascii}`);
  }
  return out;
}

export function familyName(f: 'inet' | 'inet6'): string {
  return f === 'inet' ? 'IPv4' : 'IPv6';
}
