// The reader of the routing sockets: upcalls go to the socket's owner (a program under
// `mrsh exec`) byte for byte, become UpcallEvents for `show upcalls` and the shell's
// pane, and a NOCACHE is offered to the static policy.

import { formatIPv4, formatIPv6 } from '../dataplane/addr.js';
import type { Upcall } from '../dataplane/upcall.js';
import type { RouterCore } from './core.js';
import type { Family, RouterEvents, UpcallEvent } from './api.js';

export class UpcallLog {
  private readonly history: UpcallEvent[] = [];
  private seq = 0;
  private drainScheduled = false;
  readonly listeners: { [E in keyof RouterEvents]: Set<RouterEvents[E]> } = { upcall: new Set() };
  /** where the owner's upcalls go: its socket, byte for byte (set with the owner) */
  readonly sinks: { inet: ((u: Upcall) => void) | null; inet6: ((u: Upcall) => void) | null } = { inet: null, inet6: null };
  /** the static policy's answer to a NOCACHE */
  onNocache: (ev: UpcallEvent) => void = () => {};

  constructor(
    private readonly core: RouterCore,
    private readonly limit: number,
  ) {
    core.inet.upcalls.onPush = this.scheduleDrain;
    core.inet6.upcalls.onPush = this.scheduleDrain;
  }

  private readonly scheduleDrain = (): void => {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  };

  /** Read the routing sockets, as a daemon would. */
  drain(): void {
    for (const u of this.core.takeUpcalls()) this.deliver(u);
  }

  private deliver(u: Upcall): void {
    this.sinks[u.family]?.(u);
    const ev = upcallEvent(u, ++this.seq, this.core.unixEpochOffset);
    this.history.push(ev);
    if (this.history.length > this.limit) this.history.splice(0, this.history.length - this.limit);
    for (const fn of this.listeners.upcall) fn(ev);
    if (ev.type === 'NOCACHE') this.onNocache(ev);
  }

  last(n?: number): UpcallEvent[] {
    this.drain();
    return n === undefined ? [...this.history] : this.history.slice(-n);
  }

  setSink(family: Family, sink: ((u: Upcall) => void) | null): void {
    this.sinks[family] = sink;
  }
}

/** struct igmpmsg / mrt6msg (and a bw_upcall batch) as plain values */
function upcallEvent(u: Upcall, seq: number, epochOffset: number): UpcallEvent {
  const isV6 = u.family === 'inet6';
  const b = u.bytes;
  let source = u.from;
  let group = '0.0.0.0';
  if (u.type !== 4) {
    group = isV6 ? formatIPv6(b, 24) : formatIPv4(b.readUInt32BE(16));
    if (isV6 && u.type === 3) {
      source = formatIPv6(b, 48);
      group = formatIPv6(b, 64);
    }
  }
  const ev: UpcallEvent = {
    seq,
    timeMs: epochOffset + u.time,
    family: u.family,
    type: u.typeName as UpcallEvent['type'],
    vif: u.vif,
    source,
    group,
    hex: b.toString('hex'),
    length: b.length,
  };
  if (u.records) {
    ev.bw = u.records.map((r) => ({
      source: formatIPv4(r.src),
      group: formatIPv4(r.dst),
      flags: r.flags,
      thresholdMs: r.thresholdUs / 1000,
      thresholdPackets: r.thresholdPackets,
      thresholdBytes: r.thresholdBytes,
      measuredMs: r.measuredUs / 1000,
      measuredPackets: r.measuredPackets,
      measuredBytes: r.measuredBytes,
    }));
  }
  return ev;
}
