// Entry of the link tests' worker threads: a worker does not inherit the tsx loader of the
// test process (Node 20 runs `--import tsx` in execArgv only for the main thread's loader
// chain), so it registers tsx itself and then imports the TypeScript worker body.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';
register();
await import(workerData.entry);
