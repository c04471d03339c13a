// (S,G) flows for the fanout and multi-queue tests: real UDP sockets send every (source,
// group) pair of a list, each datagram of a flow from one of several sockets (source ports)
// to its own destination port, and each flow ends with a marker, so a receiver has read all
// of a flow once it has read the flow's marker (the frames of one path stay in order).
// Receivers report "src dst dport payload" strings; checkSplit says whether the members of
// a split got every datagram once, each flow on one member, and both members flows.
import assert from 'node:assert/strict';
import type { Link, RxBatch } from '../../../src/dataplane/links/link.js';
import { nsExec, udpPayload } from './helpers.js';

export const PER_FLOW = 20;

// argv: fam, ifc (v4: address of the interface, v6: its name), sources (comma list),
// groups (comma list), per-flow count, base port, tag. Every (source, group) is a flow;
// datagram i of a flow goes from socket i % 4 of its source to port base + i, then the
// flow's marker "<tag>-mark" to port base + 999. Exits once all were sent.
const FLOWS_SENDER = `
const dgram = require('node:dgram');
const [fam, ifc, srcs, grps, per, base, tag] = process.argv.slice(1);
const sources = srcs.split(','), groups = grps.split(',');
const socks = [];
let bound = 0;
for (const s of sources) for (let k = 0; k < 4; k++) {
  const u = dgram.createSocket(fam === '6' ? 'udp6' : 'udp4');
  socks.push({ s, u });
  u.bind(0, s, () => {
    u.setMulticastInterface(fam === '6' ? '::%' + ifc : ifc);
    u.setMulticastTTL(8);
    if (++bound === sources.length * 4) go();
  });
}
function go() {
  const jobs = [];
  for (let si = 0; si < sources.length; si++) for (const g of groups) {
    for (let i = 0; i < Number(per); i++) jobs.push([socks[si * 4 + (i % 4)].u, g, Number(base) + i, tag + '-' + i]);
  }
  for (let si = 0; si < sources.length; si++) for (const g of groups) jobs.push([socks[si * 4].u, g, Number(base) + 999, tag + '-mark']);
  let left = jobs.length;
  // one at a time: the frames leave (and arrive) in this order
  const next = () => {
    const j = jobs.shift();
    if (!j) return;
    j[0].send(Buffer.from(j[3]), j[2], j[1], (err) => {
      if (err) { console.error(err.message); process.exit(1); }
      if (--left === 0) process.exit(0);
      next();
    });
  };
  next();
}
`;

/** "src dst dport payload" of the UDP datagrams a link receives */
export function collect(l: Link): string[] {
  const got: string[] = [];
  l.start((b: RxBatch) => {
    for (let i = 0; i < b.count; i++) {
      const d = b.buf.subarray(b.offsets[i]!, b.offsets[i]! + b.lengths[i]!);
      const v = d[0]! >> 4;
      if ((v === 4 && d[9] === 17) || (v === 6 && d[6] === 17)) {
        const u = udpPayload(d);
        got.push(`${u.src} ${u.dst} ${u.dport} ${u.payload}`);
      }
    }
  });
  return got;
}

export interface Flows {
  fam: 4 | 6;
  sources: string[];
  groups: string[];
  base: number;
  tag: string;
}

/** ifc: v4, an address of the interface to send from; v6, its name */
export function sendFlows(ns: string, f: Flows, ifc: string): void {
  nsExec(ns, process.execPath, ['-e', FLOWS_SENDER, String(f.fam), ifc, f.sources.join(','), f.groups.join(','), String(PER_FLOW), String(f.base), f.tag]);
}

export const marks = (got: string[], f: Flows): number => got.filter((s) => s.endsWith(` ${f.tag}-mark`)).length;

/** every datagram once in all, each flow on one member, both members with flows */
export function checkSplit(members: string[][], f: Flows): void {
  const count = new Map<string, number>();
  const flowsOf = members.map(() => new Set<string>());
  members.forEach((got, m) => {
    for (const s of got) {
      const [src, dst, port, payload] = s.split(' ');
      if (!payload!.startsWith(`${f.tag}-`)) continue;
      count.set(s, (count.get(s) ?? 0) + 1);
      flowsOf[m]!.add(`${src} ${dst}`);
      void port;
    }
  });
  const want = f.sources.length * f.groups.length * (PER_FLOW + 1);
  assert.equal(count.size, want, `every datagram received (${count.size}/${want})`);
  const dup = [...count].filter(([, n]) => n > 1);
  assert.deepEqual(dup, [], 'none received twice');
  const both = [...flowsOf[0]!].filter((k) => flowsOf[1]!.has(k));
  assert.deepEqual(both, [], 'each (S,G) on one member only, whatever its ports');
  assert.ok(flowsOf[0]!.size > 0 && flowsOf[1]!.size > 0, `both members got flows (${flowsOf[0]!.size} and ${flowsOf[1]!.size})`);
  assert.equal(flowsOf[0]!.size + flowsOf[1]!.size, f.sources.length * f.groups.length);
}

