// What each link did with the frames it received, before the engine: handed to the engine,
// dropped by the link (by reason), or dropped by the kernel before the link could read them.
// For every link, frames = handed + dropped + kernelDropped, and that is what the interface
// received (for a TUN: what the host sent into it); the engine's ledger takes it from
// `handed` on.
import type { Link, LinkCounters } from '../dataplane/links/link.js';
import type { LinkRx, Stats } from './api.js';

const total = (o: Record<string, number>): number => {
  let n = 0;
  for (const k in o) n += o[k]!;
  return n;
};

/** `withWorkers`: the link's counters with its forwarding workers' sockets added (workers.ts) */
export function linkRx(link: Link, withWorkers: (c: LinkCounters) => LinkCounters = (c) => c): LinkRx {
  link.refreshCounters?.();
  const c = withWorkers(link.counters);
  const dropped = { ...c.rxDrops };
  const kernelDropped = { ...c.kernelDropped };
  return { frames: c.rxPackets + total(dropped) + total(kernelDropped), handed: c.rxPackets, dropped, kernelDropped };
}

/** show statistics' link rows: the sums over links (each once, whatever its vifs) */
export function linkRxStats(links: Iterable<Link | null>, withWorkers: (l: Link) => (c: LinkCounters) => LinkCounters = () => (c) => c): Stats {
  const seen = new Set<Link>();
  const out: Stats = { link_rx_frames: 0, link_rx_to_engine: 0 };
  const add = (k: string, n: number) => (out[k] = (out[k] ?? 0) + n);
  for (const l of links) {
    if (l === null || seen.has(l)) continue;
    seen.add(l);
    const r = linkRx(l, withWorkers(l));
    add('link_rx_frames', r.frames);
    add('link_rx_to_engine', r.handed);
    for (const [k, n] of Object.entries(r.dropped)) add(`link_drop_${k.replace(/-/g, '_')}`, n);
    for (const [k, n] of Object.entries(r.kernelDropped)) add(`link_kernel_drop_${k.replace(/-/g, '_')}`, n);
  }
  return out;
}
