// Feeds the live pane from router.on('upcall'). Events go into a tally at once (cheap);
// React state changes at most every `intervalMs`, and only when something changed, so a
// flood coalesces into ≤ 10 renders a second and typing stays responsive.
import { useEffect, useRef, useState } from 'react';
import type { UpcallEvent } from '../router/api.js';
import type { LiveView } from '../control/remote.js';
import { UpcallTally, type TallySnapshot } from './upcall-tally.js';

export function useUpcallFeed(router: LiveView, intervalMs = 100): { snap: TallySnapshot; tally: UpcallTally } {
  const tally = useRef<UpcallTally>(null as unknown as UpcallTally);
  if (tally.current === null) tally.current = new UpcallTally(64);
  const [snap, setSnap] = useState<TallySnapshot>(() => tally.current.snapshot());
  useEffect(() => {
    const t = tally.current;
    const on = (ev: UpcallEvent) => t.add(ev);
    router.on('upcall', on);
    let shown = -1;
    let lastRate = 0;
    const timer = setInterval(() => {
      const before = t.changed;
      if (before === shown && Date.now() - lastRate < 1000) return;
      const s = t.snapshot();
      if (s.version === shown) return;
      shown = s.version;
      lastRate = Date.now();
      setSnap(s);
    }, intervalMs);
    return () => {
      clearInterval(timer);
      router.off('upcall', on);
    };
  }, [router, intervalMs]);
  return { snap, tally: tally.current };
}
