// `show vif`'s second table: what each vif's link received before the engine, so that per
// link Frames = To-Engine + Link-Drops + Kernel-Drops, then each non-zero reason.
import type { VifInfo } from '../router/api.js';
import { left, right } from './text.js';

const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);
const reasons = (o: Record<string, number>): string =>
  Object.entries(o)
    .filter(([, n]) => n !== 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

export function linkInputTable(vifs: readonly VifInfo[], word: 'Vif' | 'Mif'): string {
  const rows = [...vifs].filter((v) => v.rx).sort((a, b) => a.index - b.index);
  if (rows.length === 0) return '';
  const out = ['', 'Link input (Frames = To-Engine + Link-Drops + Kernel-Drops)', ` ${word}  Name               Frames  To-Engine  Link-Drops  Kernel-Drops`];
  for (const v of rows) {
    const rx = v.rx!;
    out.push(` ${right(v.index, 3)}  ${left(v.link?.name ?? '', 14)} ${right(rx.frames, 10)} ${right(rx.handed, 10)}  ${right(sum(rx.dropped), 10)}  ${right(sum(rx.kernelDropped), 12)}`);
    const l = reasons(rx.dropped);
    const k = reasons(rx.kernelDropped);
    if (l || k) out.push(`      ${[l && `link: ${l}`, k && `kernel: ${k}`].filter(Boolean).join('; ')}`);
  }
  return out.join('\n');
}
