// The MFC a control thread shares with forwarding workers (forwarder.ts). Only the control
// thread writes it; workers read it under a sequence lock:
//
//   ctl[GEN]     even: stable; odd: the control thread is inside a change. A worker reads
//                it before and after a decision and retries when it moved (a seqlock), so
//                it never acts on a half-made entry.
//   ctl[EPOCH]   bumped after the control thread posted new buffers (the index was rebuilt,
//                the oif sets grew, the id space grew): the worker takes them from its port
//                (receiveMessageOnPort) before its next lookup.
//   ctl[NUMVIFS], ctl[SYNCED]   numvifs and the numvifs the oif sets are synced to; a worker
//                hands packets to the control thread while they differ (the engine re-interns
//                the sets on its next decision).
//   ctl[MROUTER] 1 while multicast routing is on (MRT_INIT).
//   ctl[TAPPED]  vifs with a live capture tap (bit v): their packets go through the control
//                thread, which feeds the taps.
//
// The buffers themselves are SharedArrayBuffers: the index's slots (mfc-table.ts), the oif
// sets, and the vif fields a decision reads. Counters are not shared: each worker counts in
// its own memory (worker-counters.ts) and the control thread sums on read.

export const CTL_GEN = 0;
export const CTL_EPOCH = 1;
export const CTL_NUMVIFS = 2;
export const CTL_SYNCED = 3;
export const CTL_MROUTER = 4;
export const CTL_TAPPED = 5;
const CTL_WORDS = 16;

/** meta flag (slot meta word, bit 24): the entry's packets are decided by the control thread (bandwidth meters) */
export const META_SLOW = 1 << 24;

/** What a worker needs to read one family's MFC; posted whole at every epoch. */
export interface MfcShare {
  family: 'inet' | 'inet6';
  epoch: number;
  keyWords: number;
  maxVifs: number;
  ctl: Int32Array;
  slots: Uint32Array;
  nslots: number;
  /** the id space's capacity (entry counters are sized by it) */
  capacity: number;
  oifTtls: Uint8Array;
  vifIf: Int32Array;
  vifLcl: Uint32Array;
  vifIsRegister: Uint8Array;
}

export function sharedArray<T>(make: (b: SharedArrayBuffer) => T, bytes: number): T {
  return make(new SharedArrayBuffer(Math.max(8, bytes)));
}

export class MfcPublisher {
  readonly ctl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
  private depth = 0;
  private epoch = 0;
  /** told the new buffers at every epoch, before workers may see it */
  readonly listeners: ((share: MfcShare) => void)[] = [];

  constructor(private readonly snapshot: (epoch: number) => MfcShare) {}

  /** A change starts: workers retry decisions until it ends. Nests. */
  begin(): void {
    if (this.depth++ === 0) Atomics.add(this.ctl, CTL_GEN, 1);
  }

  /** The change ends: the scalars workers read, then an even generation. */
  end(numVifs: number, synced: number, mrouter: boolean): void {
    if (--this.depth > 0) return;
    const c = this.ctl;
    c[CTL_NUMVIFS] = numVifs;
    c[CTL_SYNCED] = synced;
    c[CTL_MROUTER] = mrouter ? 1 : 0;
    Atomics.add(c, CTL_GEN, 1);
  }

  /** Buffers were replaced: post them, then move the epoch. */
  republish(): void {
    const s = this.snapshot(++this.epoch);
    for (const l of this.listeners) l(s);
    Atomics.store(this.ctl, CTL_EPOCH, this.epoch);
  }

  /** The current buffers, for a worker that starts now. */
  current(): MfcShare {
    return this.snapshot(this.epoch);
  }

  setTapped(mask: number): void {
    Atomics.store(this.ctl, CTL_TAPPED, mask | 0);
  }
}
