// One harness per address family, so the conformance cases are written once and run
// against both engines (the way one case file runs against every router implementation).

import { InetEngine } from '../../src/dataplane/inet.js';
import { Inet6Engine } from '../../src/dataplane/inet6.js';
import { buildPacket } from '../../src/router/packets.js';
import type { EngineOptions } from '../../src/dataplane/engine.js';
import { MrtError } from '../../src/dataplane/errno.js';

/** The errno name a call fails with, 'OK' when it succeeds; other exceptions propagate. */
export function errno(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof MrtError) return e.errno;
    throw e;
  }
  return 'OK';
}

export interface Sent {
  vif: number;
  bytes: Buffer;
}

export interface FamilyHarness {
  name: 'inet' | 'inet6';
  S: string;
  S2: string;
  G: string;
  engine: InetEngine | Inet6Engine;
  so: object;
  sent: Sent[];
  /** interfaces A, B, C, D as ifindex 1..4 */
  ifs: number[];
  init(): void;
  addVif(vif: number, ifIdx: number): void;
  delVif(vif: number): void;
  addMfc(source: string, group: string, parent: number, oifs: Record<number, number>): void;
  delMfc(source: string, group: string): void;
  sg(source: string, group: string): { pktcnt: number; bytecnt: number; wrongIf: number };
  packet(source: string, group: string, ttl: number, size?: number): Buffer;
  input(ifIdx: number, pkt: Buffer): void;
  setAssertOrPim(on: boolean): void;
  /** the errno SIOCGETSGCNT(_IN6) gives for a missing entry */
  sgMissErrno: string;
  /** how many packets a pending entry holds */
  upq: number;
  ttlOf(b: Buffer): number;
  advance(ms: number): void;
}

const ADDRS4 = ['10.0.1.1', '10.0.2.1', '10.0.3.1', '10.0.4.1'];

export function inetHarness(opts: EngineOptions = {}): FamilyHarness {
  const engine = new InetEngine(opts);
  const sent: Sent[] = [];
  engine.transmit = (vif, buf, off, len) => sent.push({ vif, bytes: Buffer.from(buf.subarray(off, off + len)) });
  ADDRS4.forEach((a, i) => engine.attachInterface({ ifindex: i + 1, name: `if${i}`, addrs4: [a], addrs6: [], multicast: true }));
  const so = {};
  let t = 0;
  return {
    name: 'inet',
    S: '10.0.1.100',
    S2: '10.0.1.101',
    G: '239.1.1.1',
    engine,
    so,
    sent,
    ifs: [1, 2, 3, 4],
    init: () => engine.init(so, 1),
    addVif: (vif, ifIdx) => engine.addVif(so, { vifi: vif, flags: 0, threshold: 1, rateLimit: 0, lclAddr: ADDRS4[ifIdx - 1], rmtAddr: '0.0.0.0' }),
    delVif: (vif) => engine.delVif(so, vif),
    addMfc: (s, g, parent, oifs) => {
      const ttls = new Array(32).fill(0);
      for (const [v, ttl] of Object.entries(oifs)) ttls[Number(v)] = ttl;
      engine.addMfc(so, { origin: s, mcastgrp: g, parent, ttls });
    },
    delMfc: (s, g) => engine.delMfc(so, s, g),
    sg: (s, g) => engine.getSgCnt(s, g),
    packet: (s, g, ttl, size) => buildPacket('inet', s, g, ttl, size),
    input: (ifIdx, pkt) => engine.input(ifIdx, pkt, 0, pkt.length),
    setAssertOrPim: (on) => engine.setAssert(so, on ? 1 : 0),
    sgMissErrno: 'EADDRNOTAVAIL',
    upq: 3,
    ttlOf: (b) => b[8],
    advance: (ms) => {
      t += ms;
      engine.advance(t);
    },
  };
}

export function inet6Harness(opts: EngineOptions = {}): FamilyHarness {
  const engine = new Inet6Engine(opts);
  const sent: Sent[] = [];
  engine.transmit = (vif, buf, off, len) => sent.push({ vif, bytes: Buffer.from(buf.subarray(off, off + len)) });
  for (let i = 0; i < 4; i++) engine.attachInterface({ ifindex: i + 1, name: `if${i}`, addrs4: [], addrs6: [`2001:db8:${i + 1}::1`], multicast: true });
  const so = {};
  let t = 0;
  return {
    name: 'inet6',
    S: '2001:db8:1::100',
    S2: '2001:db8:1::101',
    G: 'ff0e::1:1',
    engine,
    so,
    sent,
    ifs: [1, 2, 3, 4],
    init: () => engine.init(so, 1),
    addVif: (vif, ifIdx) => engine.addMif(so, { mifi: vif, flags: 0, pifi: ifIdx }),
    delVif: (vif) => engine.delMif(so, vif),
    // IPv6 has no thresholds: any ttl > 0 means "in the set".
    addMfc: (s, g, parent, oifs) => engine.addMfc(so, { origin: s, mcastgrp: g, parent, ifset: Object.keys(oifs).map(Number) }),
    delMfc: (s, g) => engine.delMfc(so, s, g),
    sg: (s, g) => engine.getSgCnt(s, g),
    packet: (s, g, ttl, size) => buildPacket('inet6', s, g, ttl, size),
    input: (ifIdx, pkt) => engine.input(ifIdx, pkt, 0, pkt.length),
    setAssertOrPim: (on) => engine.setPim(so, on ? 1 : 0),
    sgMissErrno: 'ESRCH',
    upq: 5,
    ttlOf: (b) => b[7],
    advance: (ms) => {
      t += ms;
      engine.advance(t);
    },
  };
}

export const FAMILIES = [inetHarness, inet6Harness];

// A small deterministic PRNG so a failure can be replayed.
export function xorshift(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
