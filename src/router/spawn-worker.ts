// Starts a worker thread on a module beside the caller, from sources or from dist/ alike.
import { Worker, type TransferListItem } from 'node:worker_threads';

/** the data the worker's module reads (spawnWorker wraps it) */
export function workerInput<T>(workerData: unknown): T {
  return (workerData as { data: T }).data;
}

export function spawnWorker(entry: URL, data: unknown, transferList: readonly TransferListItem[] = []): Worker {
  const fromSource = entry.pathname.endsWith('.ts');
  const url = fromSource ? new URL('./worker-boot.mjs', import.meta.url) : entry;
  return new Worker(url, { workerData: { entry: entry.href, data }, transferList: [...transferList], execArgv: [] });
}
