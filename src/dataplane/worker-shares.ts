// The control thread's side of forwarding workers, for both engines: each worker's start
// state (the shared MFC and its own counter block per family), what it must adopt at a
// new epoch, and the fold of the workers' counters into the engines'. Threads are the
// router's business (src/router/workers.ts); this file only deals in memory.

import type { MrouteEngine } from './engine.js';
import type { MfcShare } from './shared-mfc.js';
import { WorkerCounters, type WorkerCounterBlock } from './worker-counters.js';
import type { FamilyIndex } from './forwarder.js';

export interface WorkerFamilyInit {
  share: MfcShare;
  counters: WorkerCounterBlock;
}

export interface WorkerInit {
  /** the worker's number (its counter blocks) */
  index: number;
  inet: WorkerFamilyInit;
  inet6: WorkerFamilyInit;
}

/** What a worker adopts when a family's epoch moves. */
export interface EpochMessage {
  family: FamilyIndex;
  share: MfcShare;
  entries: Float64Array;
}

export class EngineShares {
  readonly counters: [WorkerCounters, WorkerCounters];
  private workers = 0;
  /** told every new epoch, with the message for each worker (workers.ts posts them) */
  onEpoch: ((workerIndex: number, msg: EpochMessage) => void) | null = null;

  constructor(readonly engines: [MrouteEngine, MrouteEngine]) {
    this.counters = engines.map((e, fam) => {
      if (!e.share) throw new Error(`the ${e.family} engine was not made shared`);
      const wc = new WorkerCounters(e, e.share.current().epoch);
      e.outside = wc;
      e.share.listeners.push((s) => {
        wc.grow(s.capacity, s.epoch);
        for (let i = 0; i < this.workers; i++) this.onEpoch?.(i, { family: fam as FamilyIndex, share: s, entries: wc.entriesFor(i) });
      });
      return wc;
    }) as [WorkerCounters, WorkerCounters];
  }

  /** A new worker's start state: the current shares and fresh counter blocks. */
  newWorker(): WorkerInit {
    const index = this.workers++;
    const fam = (f: FamilyIndex): WorkerFamilyInit => ({ share: this.engines[f].share!.current(), counters: this.counters[f].addWorker() });
    return { index, inet: fam(0), inet6: fam(1) };
  }

  /** The workers' counts since the last fold, into the engines' counters. */
  fold(): void {
    this.counters[0].fold();
    this.counters[1].fold();
  }

  /** copies the workers transmitted */
  txCopies(): number {
    return this.counters[0].txCopies + this.counters[1].txCopies;
  }
}
