// The messages between the control thread (workers.ts) and a forwarding worker
// (forwarding-worker.ts), and the shared block each worker link's counters are kept in.
import { RX_DROP_REASONS, type LinkCounters } from '../dataplane/links/link.js';
import type { FamilyIndex } from '../dataplane/forwarder.js';

/** what a worker opens: its own socket (or queue) on the interface a control link has */
export interface WorkerLinkSpec {
  kind: 'packet' | 'tun';
  name: string;
  /** PACKET_FANOUT group every worker's socket on this interface joins */
  fanoutGroup: number;
  /** AF_XDP input on these rx queues (packet links opened with xdp) */
  xdpQueues?: number[];
}

export type ToWorker =
  | { op: 'open'; key: string; spec: WorkerLinkSpec; counters: Float64Array }
  | { op: 'vif'; seq: number; family: FamilyIndex; vif: number; key: string | null }
  | { op: 'close'; key: string }
  | { op: 'kernel-drops'; seq: number }
  | { op: 'stop' };

export type FromWorker =
  | { op: 'opened'; key: string }
  | { op: 'closed'; key: string }
  | { op: 'vif-done'; seq: number }
  | { op: 'punt'; ifindex: number; data: Uint8Array; lengths: Int32Array }
  | { op: 'kernel-drops'; seq: number; drops: Record<string, Record<string, number>> }
  | { op: 'error'; key: string; message: string }
  | { op: 'stopped' };

// rxPackets, rxBytes, txPackets, txBytes, txDropped, rxDropped, then rxDrops by reason
const BASE = 6;
export const LINK_COUNTER_WORDS = BASE + RX_DROP_REASONS.length;

export function newLinkCounterBlock(): Float64Array {
  return new Float64Array(new SharedArrayBuffer(LINK_COUNTER_WORDS * 8));
}

/** the worker's link counters into its shared block (after every batch) */
export function writeLinkCounters(to: Float64Array, c: LinkCounters): void {
  to[0] = c.rxPackets;
  to[1] = c.rxBytes;
  to[2] = c.txPackets;
  to[3] = c.txBytes;
  to[4] = c.txDropped;
  to[5] = c.rxDropped;
  for (let i = 0; i < RX_DROP_REASONS.length; i++) to[BASE + i] = c.rxDrops[RX_DROP_REASONS[i]];
}

/** a worker link's counters added into `into` (the control link's, as shown) */
export function addLinkCounters(into: LinkCounters, from: Float64Array, kernelDropped: Record<string, number> | undefined): void {
  into.rxPackets += from[0];
  into.rxBytes += from[1];
  into.txPackets += from[2];
  into.txBytes += from[3];
  into.txDropped += from[4];
  into.rxDropped += from[5];
  for (let i = 0; i < RX_DROP_REASONS.length; i++) into.rxDrops[RX_DROP_REASONS[i]] += from[BASE + i];
  for (const [k, n] of Object.entries(kernelDropped ?? {})) into.kernelDropped[k] = (into.kernelDropped[k] ?? 0) + n;
}
