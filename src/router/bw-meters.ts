// Bandwidth meters (MRT_ADD_BW_UPCALL / MRT_DEL_BW_UPCALL, IPv4 only) and the specs they
// were added with, kept for running-config.

import { fail } from '../dataplane/errno.js';
import { sgKey } from '../dataplane/addr.js';
import { BW_UPCALL_DELETE_ALL, BW_UPCALL_GEQ, BW_UPCALL_LEQ, BW_UPCALL_UNIT_BYTES, BW_UPCALL_UNIT_PACKETS, type BwSpec } from '../dataplane/bw-meter.js';
import type { RouterCore } from './core.js';
import { checkAddr } from './family.js';
import type { BwUpcallSpec, BwUpcallDelSpec } from './api.js';

export class BwMeterStore {
  private readonly specs = new Map<string, BwUpcallSpec>();

  constructor(private readonly core: RouterCore) {}

  add(spec: BwUpcallSpec): void {
    const core = this.core;
    core.refuseIfExternal('inet');
    const bw = toBwSpec(spec);
    core.inet.addBwUpcall(core.owner('inet'), bw);
    const [source, group] = sgKey(spec.source, spec.group, 'inet').split(',');
    this.specs.set(bwKey(spec), { ...spec, source, group });
    core.armTimer();
  }

  del(spec: BwUpcallDelSpec): void {
    const core = this.core;
    core.refuseIfExternal('inet');
    if (spec.all) {
      checkAddr('inet', spec.source, 'source');
      checkAddr('inet', spec.group, 'group');
      core.inet.delBwUpcall(core.owner('inet'), { src: spec.source, dst: spec.group, flags: BW_UPCALL_DELETE_ALL, threshold: { timeSec: 0, timeUsec: 0, packets: 0, bytes: 0 } });
      this.forget(sgKey(spec.source, spec.group, 'inet'));
      return;
    }
    if (!spec.op || spec.intervalMs === undefined) fail('EINVAL', 'bw-upcall del needs geq|leq and the interval, or all');
    const full = { source: spec.source, group: spec.group, op: spec.op, packets: spec.packets, bytes: spec.bytes, intervalMs: spec.intervalMs };
    core.inet.delBwUpcall(core.owner('inet'), toBwSpec(full));
    this.specs.delete(bwKey(full));
  }

  /** the meters of one (S,G) key, gone with its entry */
  forget(sg: string): void {
    for (const bk of [...this.specs.keys()]) if (bk.startsWith(sg + '|')) this.specs.delete(bk);
  }

  clear(): void {
    this.specs.clear();
  }

  list(): BwUpcallSpec[] {
    return [...this.specs.values()];
  }
}

function bwKey(s: BwUpcallSpec): string {
  return `${sgKey(s.source, s.group, 'inet')}|${s.op}|${s.packets ?? '-'}|${s.bytes ?? '-'}|${s.intervalMs}`;
}

function toBwSpec(spec: BwUpcallSpec): BwSpec {
  checkAddr('inet', spec.source, 'source');
  checkAddr('inet', spec.group, 'group');
  for (const [n, v] of [['packets', spec.packets], ['bytes', spec.bytes]] as const)
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) fail('EINVAL', `${n} ${v} must be a whole number >= 0`);
  if (!Number.isFinite(spec.intervalMs) || spec.intervalMs < 0) fail('EINVAL', `interval ${spec.intervalMs / 1000} s is not a duration`);
  let flags = spec.op === 'geq' ? BW_UPCALL_GEQ : BW_UPCALL_LEQ;
  if (spec.packets !== undefined) flags |= BW_UPCALL_UNIT_PACKETS;
  if (spec.bytes !== undefined) flags |= BW_UPCALL_UNIT_BYTES;
  const us = Math.round(spec.intervalMs * 1000);
  return {
    src: spec.source,
    dst: spec.group,
    flags,
    threshold: { timeSec: Math.floor(us / 1e6), timeUsec: us % 1e6, packets: spec.packets ?? 0, bytes: spec.bytes ?? 0 },
  };
}
