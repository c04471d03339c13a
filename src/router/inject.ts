// `inject`: test packets handed to the engine as if received on a vif, counted like any.

import { fail } from '../dataplane/errno.js';
import { flowFamily } from '../dataplane/addr.js';
import type { RouterCore } from './core.js';
import { checkAddr } from './family.js';
import { INJECT_MAX, buildPacket } from './packets.js';
import type { Family, InjectResult, InjectSpec } from './api.js';

/** runs the spec's packets through the engine; `answered` lets the policy resolve at once */
export function inject(core: RouterCore, spec: InjectSpec, answered: () => void): InjectResult {
  const family: Family = spec.family ?? flowFamily(spec.source, spec.group);
  const f = core.fam(family);
  const e = f.engine;
  if (spec.raw === undefined) {
    checkAddr(family, spec.source, 'source');
    checkAddr(family, spec.group, 'group');
  }
  core.checkVifIndex(family, spec.vif);
  if (!e.vifUsed[spec.vif]) fail('EADDRNOTAVAIL', `${f.vif} ${spec.vif} is not configured`);
  const count = spec.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > INJECT_MAX) fail('EINVAL', `count ${count} out of range (1-${INJECT_MAX})`);
  const ttl = spec.ttl ?? 64;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) fail('EINVAL', `ttl ${ttl} out of range (0-255)`);
  // raw: whatever bytes were given, so bad input can be scripted (the ledger counts it)
  let pkt: Buffer;
  if (spec.raw !== undefined) {
    if (!/^([0-9a-fA-F]{2})+$/.test(spec.raw) || spec.raw.length > 2 * 65575) fail('EINVAL', 'raw: the datagram must be hex digits, two per byte, at most 65575 bytes');
    pkt = Buffer.from(spec.raw, 'hex');
  } else pkt = buildPacket(family, spec.source, spec.group, ttl, spec.size);
  const ifindex = e.vifIf[spec.vif];
  const up0 = e.stat.upcalls;
  const tx0 = core.txCopies;
  core.tick();
  const work = Buffer.alloc(pkt.length);
  const cap = core.captures[family][spec.vif];
  for (let i = 0; i < count; i++) {
    pkt.copy(work); // the engine rewrites TTLs in place
    cap.record(work, 0, work.length, e.now, true);
    f.input(ifindex, work, 0, work.length);
    if ((i & 63) === 63) core.flushTx();
  }
  core.settle();
  const res = { sent: count, forwarded: core.txCopies - tx0, upcalls: e.stat.upcalls - up0 };
  if (res.upcalls) answered();
  return res;
}
