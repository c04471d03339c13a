// A worker thread holding its own link (link-worker.ts), seen from the test: call() sends a
// request and resolves with the worker's answer; stop() closes the link and ends the thread.
import { Worker } from 'node:worker_threads';
import type { WorkerReport, WorkerRequest } from './link-worker.js';

export class LinkWorker {
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  constructor() {
    this.worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
      workerData: { entry: new URL('./link-worker.ts', import.meta.url).href },
    });
    this.worker.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string; code?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (!p) return;
      if (m.ok) p.resolve(m.result);
      else p.reject(Object.assign(new Error(m.error), { code: m.code }));
    });
    const fail = (e: Error): void => {
      this.failure = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`link worker exited (${code})`)));
  }

  call<T = unknown>(req: WorkerRequest): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, ...req });
    });
  }

  report(): Promise<WorkerReport> {
    return this.call<WorkerReport>({ op: 'report' });
  }

  /** Waits until pred holds for the worker's report (polled; bounded by timeoutMs). */
  async until(pred: (r: WorkerReport) => boolean, timeoutMs: number): Promise<WorkerReport> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.report();
      if (pred(r) || Date.now() > end) return r;
      await new Promise((res) => setTimeout(res, 10));
    }
  }

  /** Ends the thread without closing its link first (a worker that dies). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  async stop(): Promise<void> {
    if (!this.failure) await this.call({ op: 'close' }).catch(() => {});
    await this.worker.terminate();
  }
}
