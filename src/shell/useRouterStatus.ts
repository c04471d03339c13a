// router.status() for the status line: polled once a second and after every command.
import { useCallback, useEffect, useState } from 'react';
import type { RouterApi, RouterStatus } from '../router/api.js';

export function useRouterStatus(router: RouterApi, intervalMs = 1000): { status: RouterStatus; refresh: () => void } {
  const [status, setStatus] = useState<RouterStatus>(() => router.status());
  const refresh = useCallback(() => setStatus(router.status()), [router]);
  useEffect(() => {
    const timer = setInterval(refresh, intervalMs);
    return () => clearInterval(timer);
  }, [refresh, intervalMs]);
  return { status, refresh };
}
