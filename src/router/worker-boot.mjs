// A worker thread's first module when mrsh runs from its TypeScript sources (tsx): loader
// hooks of the main thread do not reach a worker, so it registers tsx itself and then
// imports its real entry. Compiled runs (dist/) start the entry directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
