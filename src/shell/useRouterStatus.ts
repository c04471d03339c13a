// router.status() for the status line: polled once a second and after every command.
import { useCallback, useEffect, useState } from 'react';
import type { RouterStatus } from '../router/api.js';
import type { LiveView } from '../control/remote.js';

export function useRouterStatus(router: LiveView, intervalMs = 1000): { status: RouterStatus; refresh: () => void } {
  const [status, setStatus] = useState<RouterStatus>(() => router.status());
  // a poll that finds nothing new keeps the same state, so an idle shell draws nothing
  const refresh = useCallback(() => {
    const next = router.status();
    setStatus((prev) => (JSON.stringify(prev) === JSON.stringify(next) ? prev : next));
  }, [router]);
  useEffect(() => {
    const timer = setInterval(refresh, intervalMs);
    return () => clearInterval(timer);
  }, [refresh, intervalMs]);
  return { status, refresh };
}
