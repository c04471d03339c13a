// Bandwidth meters against FreeBSD's behaviour (freebsd-semantics.md § 7, cases 37-41).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inetHarness, errno } from './harness.js';
import type { InetEngine } from '../../src/dataplane/inet.js';
import { decodeIgmpmsgBwUpcall } from '../../src/dataplane/codecs/index.js';

const spec = (flags: number, sec: number, usec = 0, packets = 0, bytes = 0) => ({ src: '10.0.1.100', dst: '239.1.1.1', flags, threshold: { timeSec: sec, timeUsec: usec, packets, bytes } });

function fixture(api = 0x200) {
  const h = inetHarness();
  const e = h.engine as InetEngine;
  h.init();
  if (api) e.setApiConfig(h.so, api);
  h.addVif(0, 1);
  h.addVif(1, 2);
  const ttls = new Array(32).fill(0);
  ttls[1] = 1;
  e.addMfc(h.so, { origin: h.S, mcastgrp: h.G, parent: 0, ttls, flags: new Array(32).fill(0) }, api !== 0);
  return { h, e };
}

describe('bandwidth meters', () => {
  it('EOPNOTSUPP without the API flag (case 37)', () => {
    const { h, e } = fixture(0);
    assert.equal(errno(() => e.addBwUpcall(h.so, spec(0x5, 3))), 'EOPNOTSUPP');
  });

  it('argument checks and identical re-add (case 38)', () => {
    const { h, e } = fixture();
    assert.equal(errno(() => e.addBwUpcall(h.so, spec(0x4, 3))), 'EINVAL');
    assert.equal(errno(() => e.addBwUpcall(h.so, spec(0x1 | 0x4 | 0x8, 3))), 'EINVAL');
    assert.equal(errno(() => e.addBwUpcall(h.so, spec(0x1, 3))), 'EINVAL');
    assert.equal(errno(() => e.addBwUpcall(h.so, spec(0x5, 2, 999999))), 'EINVAL');
    e.addBwUpcall(h.so, spec(0x5, 3, 0, 5));
    e.addBwUpcall(h.so, spec(0x5, 3, 0, 5));
    assert.equal(e.meters.size, 1);
    e.delBwUpcall(h.so, spec(0x5, 3, 0, 5));
    assert.equal(errno(() => e.delBwUpcall(h.so, spec(0x5, 3, 0, 5))), 'EINVAL');
    assert.equal(errno(() => e.addBwUpcall(h.so, { ...spec(0x5, 3, 0, 5), dst: '239.9.9.9' })), 'EADDRNOTAVAIL');
  });

  it('GEQ: one upcall per interval once the threshold is reached, delivered within 1 s (case 39)', () => {
    const { h, e } = fixture();
    e.addBwUpcall(h.so, spec(0x5, 3, 0, 5));
    for (let i = 0; i < 10; i++) {
      h.input(1, h.packet(h.S, h.G, 64));
      h.advance(10);
    }
    h.advance(1000);
    const u = e.upcalls.shift()!;
    assert.equal(u.type, 4);
    assert.equal(u.bytes.length, 20 + 80);
    const [rec] = decodeIgmpmsgBwUpcall(u.bytes);
    assert.equal(rec.src, h.S);
    assert.equal(rec.dst, h.G);
    assert.equal(rec.flags, 0x5);
    assert.equal(rec.threshold.packets, 5);
    assert.equal(rec.measured.packets, 5);
    assert.equal(e.upcalls.length, 0);
    h.advance(3000);
    for (let i = 0; i < 5; i++) h.input(1, h.packet(h.S, h.G, 64));
    h.advance(1000);
    assert.equal(e.upcalls.length, 1, 'a new interval after the old one elapsed');
  });

  it('LEQ on an idle flow: one record per interval, measured time = interval (case 40)', () => {
    const { h, e } = fixture();
    e.addBwUpcall(h.so, spec(0x9, 3, 0, 0));
    const recs = [];
    for (let t = 0; t < 10_000; t += 250) {
      h.advance(250);
      let u;
      while ((u = e.upcalls.shift())) recs.push(...decodeIgmpmsgBwUpcall(u.bytes));
    }
    assert.equal(recs.length, 3);
    for (const r of recs) {
      assert.equal(r.flags, 0x9);
      assert.equal(r.measured.packets, 0);
      assert.equal(r.measured.timeSec, 3);
    }
  });

  it('DELETE_ALL stops LEQ upcalls; deleting the entry deletes its meters (case 41)', () => {
    const { h, e } = fixture();
    e.addBwUpcall(h.so, spec(0x9, 3, 0, 0));
    e.addBwUpcall(h.so, spec(0xa, 4, 0, 0, 100));
    assert.equal(errno(() => e.delBwUpcall(h.so, spec(0x9, 3, 0, 0, 1))), 'EINVAL');
    e.delBwUpcall(h.so, spec(0x10, 0));
    h.advance(10_000);
    assert.equal(e.upcalls.length, 0);
    e.addBwUpcall(h.so, spec(0x9, 3, 0, 0));
    h.delMfc(h.S, h.G);
    assert.equal(e.meters.size, 0);
    assert.equal(errno(() => e.delBwUpcall(h.so, spec(0x9, 3))), 'EADDRNOTAVAIL');
  });

  it('records batch into messages of at most 1024, more than 512 triggers delivery', () => {
    const h = inetHarness();
    const e = h.engine as InetEngine;
    h.init();
    e.setApiConfig(h.so, 0x200);
    h.addVif(0, 1);
    for (let i = 0; i < 600; i++) {
      const src = `10.1.${i >> 8}.${i & 255}`;
      e.addMfc(h.so, { origin: src, mcastgrp: h.G, parent: 0, ttls: new Array(32).fill(0), flags: new Array(32).fill(0) }, true);
      e.addBwUpcall(h.so, { ...spec(0x9, 3), src });
    }
    h.advance(3000);
    let total = 0;
    let u;
    while ((u = e.upcalls.shift())) {
      const n = (u.bytes.length - 20) / 80;
      assert.ok(n <= 1024);
      total += n;
    }
    assert.equal(total, 600);
  });
});
