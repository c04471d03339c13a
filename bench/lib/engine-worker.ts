// bench:engine's forwarding worker: a Forwarder over the shared MFC the main thread
// built, run on its own pool of packets for as long as asked; answers decisions/s.
import { parentPort, workerData } from 'node:worker_threads';
import { Forwarder } from '../../src/dataplane/forwarder.js';
import { buildPacket } from '../../src/router/packets.js';
import type { WorkerInit } from '../../src/dataplane/worker-shares.js';
import { workerInput } from '../../src/router/spawn-worker.js';

const { init, sources, group, oifs } = workerInput<{ init: WorkerInit; sources: string[]; group: string; oifs: number }>(workerData);
let copies = 0;
const fwd = new Forwarder(init.inet, init.inet6, () => copies++, () => {
  throw new Error('the bench changes no table while it runs');
});
for (let v = 1; v <= oifs; v++) fwd.setCanSend(0, v, true);
const pool = sources.map((s) => buildPacket('inet', s, group, 255, 64));
const fresh = pool.map((p) => Buffer.from(p));

function run(ms: number): number {
  copies = 0;
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < pool.length; i++) {
        const p = pool[i];
        if (!fwd.input(1, p, 0, p.length)) throw new Error('a packet was not decided by the worker');
      }
      n += pool.length;
    }
    for (let i = 0; i < pool.length; i++) fresh[i].copy(pool[i], 0, 0, 12);
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  if (copies !== n * oifs) throw new Error(`expected ${n * oifs} copies, got ${copies}`);
  return n / (elapsed / 1000);
}

parentPort!.on('message', (m: { run: number }) => parentPort!.postMessage(run(m.run)));
