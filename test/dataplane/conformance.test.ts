// Conformance cases from freebsd-semantics.md § 10, written once and run against both
// families where the semantics are shared; family-specific cases follow.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FAMILIES, inetHarness, inet6Harness, errno } from './harness.js';
import { ipv4HeaderOk } from '../../src/dataplane/packet.js';
import { LEDGER_FIELDS } from '../../src/dataplane/stats.js';


for (const make of FAMILIES) {
  const fam = make().name;
  describe(`engine conformance (${fam})`, () => {
    function fixture() {
      const h = make();
      h.init();
      h.addVif(0, 1);
      h.addVif(1, 2);
      h.addVif(2, 3);
      return h;
    }

    it('init: second owner EADDRINUSE, value != 1 ENOPROTOOPT before the in-use test (cases 2, 3, 47)', () => {
      const h = make();
      assert.equal(errno(() => h.engine.init({}, 0)), 'ENOPROTOOPT');
      h.init();
      assert.equal(errno(() => h.engine.init({}, 1)), 'EADDRINUSE');
      assert.equal(errno(() => h.engine.init(h.so, 1)), 'EADDRINUSE');
      assert.equal(errno(() => h.engine.init({}, 2)), 'ENOPROTOOPT');
    });

    it('a non-owner cannot change state: EPERM (case 6)', () => {
      const h = fixture();
      const other = {};
      assert.equal(errno(() => (h.engine as any).done(other)), 'EPERM');
      assert.equal(h.engine.numVifs, 3);
    });

    it('miss: one NOCACHE, bounded hold queue, held packets forwarded on resolution (cases 19-21, 49)', () => {
      const h = fixture();
      const e = h.engine;
      h.input(1, h.packet(h.S, h.G, 64));
      assert.equal(e.upcalls.length, 1);
      const u = e.upcalls.shift()!;
      assert.equal(u.type, 1);
      assert.equal(u.vif, 0);
      if (fam === 'inet') {
        assert.equal(u.bytes.length, 20);
        assert.equal(u.bytes[8], 1);
        assert.equal(u.bytes[9], 0);
        assert.equal(u.bytes[10], 0);
      } else {
        assert.equal(u.bytes.length, 40);
        assert.equal(u.bytes[0], 0);
        assert.equal(u.bytes[1], 1);
        assert.equal(u.bytes.readUInt16LE(2), 0);
      }
      assert.equal(u.from, h.S);
      assert.equal(e.stat.mfc_lookups, 1);
      assert.equal(e.stat.mfc_misses, 1);
      assert.equal(e.stat.upcalls, 1);
      for (let i = 0; i < 5; i++) h.input(1, h.packet(h.S, h.G, 64));
      assert.equal(e.upcalls.length, 0, 'no second NOCACHE for a pending entry');
      assert.equal(e.stat.upq_ovflw, 6 - h.upq);
      assert.equal(h.sent.length, 0);
      h.addMfc(h.S, h.G, 0, { 1: 1 });
      assert.equal(h.sent.length, h.upq);
      for (const s of h.sent) {
        assert.equal(s.vif, 1);
        assert.equal(h.ttlOf(s.bytes), 63);
      }
      assert.equal(h.sg(h.S, h.G).pktcnt, h.upq);
      assert.equal(e.vifPktIn[0], h.upq);
      assert.equal(e.vifPktOut[1], h.upq);
    });

    it('pending entries expire after ~1.25-1.5 s and are counted (case 22)', () => {
      const h = fixture();
      const e = h.engine;
      h.input(1, h.packet(h.S, h.G, 64));
      e.upcalls.clear();
      h.advance(1000);
      assert.equal(e.pending.size, 1);
      h.advance(600);
      assert.equal(e.pending.size, 0);
      assert.equal(e.stat.cache_cleanups, 1);
      assert.equal(e.heldDropped, 1);
      h.input(1, h.packet(h.S, h.G, 64));
      assert.equal(e.upcalls.length, 1, 'a new NOCACHE after expiry');
    });

    it('TTL / hop limit <= 1 and link-local groups are never looked up (cases 25, 50)', () => {
      const h = fixture();
      const e = h.engine;
      h.input(1, h.packet(h.S, h.G, 1));
      h.input(1, h.packet(h.S, fam === 'inet' ? '224.0.0.5' : 'ff02::1:3', 64));
      assert.equal(e.stat.mfc_lookups, 0);
      assert.equal(e.upcalls.length, 0);
      assert.equal(e.ledger.local_scope, 2);
    });

    it('forwarding: a copy per oif, TTL decremented, counters (cases 21, 24, 35, 50)', () => {
      const h = fixture();
      h.addMfc(h.S, h.G, 0, { 0: 1, 1: 1, 2: 1 });
      h.input(1, h.packet(h.S, h.G, 64, 100));
      assert.deepEqual(h.sent.map((s) => s.vif), [0, 1, 2], 'the parent is not excluded (FreeBSD)');
      for (const s of h.sent) {
        assert.equal(h.ttlOf(s.bytes), 63);
        if (fam === 'inet') assert.ok(ipv4HeaderOk(s.bytes, 0, 20), 'IPv4 checksum patched');
      }
      const c = h.sg(h.S, h.G);
      assert.deepEqual(c, { pktcnt: 1, bytecnt: 100, wrongIf: 0 });
      h.input(1, h.packet(h.S, h.G, 2));
      assert.equal(h.sent.length, 6, 'TTL 2 passes threshold 1');
      assert.equal(h.ttlOf(h.sent[5].bytes), 1);
    });

    it('wrong interface: counted, not forwarded, no upcall with assert/pim off (case 27)', () => {
      const h = fixture();
      const e = h.engine;
      h.addMfc(h.S, h.G, 0, { 1: 1 });
      h.input(2, h.packet(h.S, h.G, 64));
      assert.equal(h.sent.length, 0);
      assert.equal(h.sg(h.S, h.G).wrongIf, 1);
      assert.equal(e.stat.wrong_if, 1);
      assert.equal(e.upcalls.length, 0);
      assert.equal(e.vifPktIn[1], 0, 'wrong-iif packets are not counted on any vif');
    });

    it('wrong interface with assert/pim on: WRONGVIF upcall (case 28, 51)', () => {
      const h = fixture();
      const e = h.engine;
      h.setAssertOrPim(true);
      h.addMfc(h.S, h.G, 0, { 1: 1 });
      for (let i = 0; i < 5; i++) h.input(2, h.packet(h.S, h.G, 64));
      const ups = [];
      let u;
      while ((u = e.upcalls.shift())) ups.push(u);
      // IPv4: one per entry every 3 s; IPv6: one per packet.
      assert.equal(ups.length, fam === 'inet' ? 1 : 5);
      assert.equal(ups[0].type, 2);
      assert.equal(ups[0].vif, 1);
      assert.equal(h.sg(h.S, h.G).wrongIf, 5);
      if (fam === 'inet') {
        h.advance(3000);
        h.input(2, h.packet(h.S, h.G, 64));
        assert.equal(e.upcalls.length, 1, 'another after 3 s');
      }
    });

    it('re-adding keeps counters; delete and re-add resets them (case 31)', () => {
      const h = fixture();
      h.addMfc(h.S, h.G, 0, { 1: 1 });
      h.input(1, h.packet(h.S, h.G, 64));
      h.addMfc(h.S, h.G, 0, { 1: 1, 2: 1 });
      assert.equal(h.sg(h.S, h.G).pktcnt, 1);
      h.delMfc(h.S, h.G);
      h.addMfc(h.S, h.G, 0, { 1: 1 });
      assert.equal(h.sg(h.S, h.G).pktcnt, 0);
    });

    it('deleting an unknown entry and reading its counters fail (cases 32, 52)', () => {
      const h = fixture();
      assert.equal(errno(() => h.delMfc(h.S, h.G)), 'EADDRNOTAVAIL');
      assert.equal(errno(() => h.sg(h.S, h.G)), h.sgMissErrno);
    });

    it('no wildcard: an entry with the unspecified source matches only that source (case 33)', () => {
      const h = fixture();
      h.addMfc(fam === 'inet' ? '0.0.0.0' : '::', h.G, 0, { 1: 1 });
      h.input(1, h.packet(h.S, h.G, 64));
      assert.equal(h.sent.length, 0);
      assert.equal(h.engine.upcalls.shift()?.type, 1);
    });

    it('deleting a vif leaves MFC entries; arrivals there then count as wrong-iif (case 18)', () => {
      const h = fixture();
      h.addMfc(h.S, h.G, 0, { 1: 1 });
      h.delVif(0);
      assert.equal(h.sg(h.S, h.G).pktcnt, 0);
      h.input(1, h.packet(h.S, h.G, 64));
      assert.equal(h.sg(h.S, h.G).wrongIf, 1);
    });

    it('the pending-entry cap bounds a flood of new sources', () => {
      const h = make({ pendingLimit: 10 });
      h.init();
      h.addVif(0, 1);
      for (let i = 0; i < 50; i++) h.input(1, h.packet(fam === 'inet' ? `10.9.0.${i + 1}` : `2001:db8:9::${i + 1}`, h.G, 64));
      assert.equal(h.engine.pending.size, 10);
      assert.equal(h.engine.ledger.miss_cap, 40);
    });

    it('a full upcall queue counts upq_sockfull and discards the entry', () => {
      const h = make({ upcallQueueLimit: 2 });
      h.init();
      h.addVif(0, 1);
      for (let i = 0; i < 3; i++) h.input(1, h.packet(fam === 'inet' ? `10.9.0.${i + 1}` : `2001:db8:9::${i + 1}`, h.G, 64));
      assert.equal(h.engine.stat.upq_sockfull, 1);
      assert.equal(h.engine.pending.size, 2);
    });

    it('done tears everything down and lets another socket init (case 12)', () => {
      const h = fixture();
      h.addMfc(h.S, h.G, 0, { 1: 1 });
      (h.engine as any).done(h.so);
      assert.equal(h.engine.numVifs, 0);
      assert.equal(h.engine.table.size, 0);
      h.engine.init({}, 1);
    });

    it('malformed packets land in named counters and never throw', () => {
      const h = fixture();
      const e = h.engine;
      const good = h.packet(h.S, h.G, 64);
      h.input(1, good.subarray(0, 10));
      const badv = Buffer.from(good);
      badv[0] = (badv[0] & 0x0f) | 0x50;
      h.input(1, badv);
      h.input(1, good.subarray(0, good.length - 1)); // shorter than the length field says
      assert.equal(e.ledger.bad_short, 1);
      assert.equal(e.ledger.bad_version, 1);
      assert.equal(e.ledger.bad_len, 1);
      const sum = LEDGER_FIELDS.filter((k) => k !== 'rx').reduce((s, k) => s + e.ledger[k], 0);
      assert.equal(sum, e.ledger.rx);
    });

    it('the vif limit is a constructor setting', () => {
      const h = make({ maxVifs: 100 });
      h.init();
      h.addVif(99, 1);
      assert.equal(h.engine.numVifs, 100);
      assert.equal(errno(() => h.addVif(100, 2)), 'EINVAL');
      h.addVif(0, 2);
      h.addMfc(h.S, h.G, 0, { 99: 1 });
      h.input(2, h.packet(h.S, h.G, 64));
      assert.deepEqual(h.sent.map((s) => s.vif), [99]);
    });
  });
}

describe('engine conformance (inet only)', () => {
  function fixture() {
    const h = inetHarness();
    h.init();
    h.addVif(0, 1);
    h.addVif(1, 2);
    h.addVif(2, 3);
    return h;
  }

  it('MRT_ADD_VIF checks in FreeBSD order (case 13, 14)', () => {
    const h = inetHarness();
    const e = h.engine as import('../../src/dataplane/inet.js').InetEngine;
    h.init();
    const base = { vifi: 0, flags: 0, threshold: 1, rateLimit: 0, lclAddr: '10.0.1.1', rmtAddr: '0.0.0.0' };
    assert.equal(errno(() => e.addVif(h.so, { ...base, vifi: 32 })), 'EINVAL');
    assert.equal(errno(() => e.addVif(h.so, { ...base, rateLimit: 1 })), 'EINVAL');
    assert.equal(errno(() => e.addVif(h.so, { ...base, lclAddr: '0.0.0.0' })), 'EADDRNOTAVAIL');
    assert.equal(errno(() => e.addVif(h.so, { ...base, lclAddr: '192.0.2.1' })), 'EADDRNOTAVAIL');
    assert.equal(errno(() => e.addVif(h.so, { ...base, flags: 1 })), 'EOPNOTSUPP');
    e.addVif(h.so, base);
    assert.equal(errno(() => e.addVif(h.so, base)), 'EADDRINUSE');
    // a register vif's address is not checked (case 17)
    e.addVif(h.so, { ...base, vifi: 3, flags: 4, lclAddr: '127.0.0.2' });
  });

  it('MRT_DEL_VIF and SIOCGETVIFCNT around holes (cases 15, 16)', () => {
    const h = inetHarness();
    const e = h.engine as import('../../src/dataplane/inet.js').InetEngine;
    h.init();
    h.addVif(5, 2);
    assert.deepEqual(e.getVifCnt(3), { icount: 0, ocount: 0, ibytes: 0, obytes: 0 });
    assert.equal(errno(() => e.getVifCnt(6)), 'EINVAL');
    assert.equal(errno(() => e.delVif(h.so, 3)), 'EADDRNOTAVAIL');
    assert.equal(errno(() => e.delVif(h.so, 9)), 'EINVAL');
    e.delVif(h.so, 5);
    assert.equal(errno(() => e.getVifCnt(5)), 'EINVAL');
  });

  it('API_CONFIG only before any vif, MFC or assert; accepted subset (cases 9, 10)', () => {
    const h = inetHarness();
    const e = h.engine as import('../../src/dataplane/inet.js').InetEngine;
    h.init();
    assert.equal(e.setApiConfig(h.so, 0xffffffff), 0x303);
    assert.equal(e.setApiConfig(h.so, 0x1), 0x1);
    h.addVif(0, 1);
    assert.equal(errno(() => e.setApiConfig(h.so, 0x3)), 'EPERM');
    assert.equal(e.apiConfig, 0x1);
  });

  it('MRT_ASSERT ignores values other than 0/1 (case 11)', () => {
    const h = fixture();
    const e = h.engine as import('../../src/dataplane/inet.js').InetEngine;
    e.setAssert(h.so, 1);
    e.setAssert(h.so, 7);
    assert.equal(e.assert, true);
  });

  it('TTL thresholds: strictly greater, tested before the decrement (case 24)', () => {
    const h = fixture();
    h.addMfc(h.S, h.G, 0, { 1: 64 });
    h.input(1, h.packet(h.S, h.G, 64));
    assert.equal(h.sent.length, 0);
    h.input(1, h.packet(h.S, h.G, 65));
    assert.equal(h.sent.length, 1);
    assert.equal(h.sent[0].bytes[8], 64);
  });

  it('a miss on a non-vif interface is dropped silently (case 23)', () => {
    const h = fixture();
    h.input(4, h.packet(h.S, h.G, 64));
    assert.equal(h.engine.upcalls.length, 0);
    assert.equal(h.engine.stat.mfc_misses, 1);
    assert.equal(h.engine.ledger.miss_novif, 1);
  });

  it('TTLs are copied only for vifs that exist when the entry is added (case 34)', () => {
    const h = inetHarness();
    h.init();
    h.addVif(0, 1);
    h.addVif(1, 2);
    h.addMfc(h.S, h.G, 0, { 1: 1, 2: 1 });
    h.addVif(2, 3);
    h.input(1, h.packet(h.S, h.G, 64));
    assert.deepEqual(h.sent.map((s) => s.vif), [1]);
    h.addMfc(h.S, h.G, 0, { 1: 1, 2: 1 });
    h.input(1, h.packet(h.S, h.G, 64));
    assert.deepEqual(h.sent.map((s) => s.vif), [1, 1, 2]);
  });

  it('disable-wrongvif suppresses WRONGVIF on that arrival vif only (case 29)', () => {
    const h = inetHarness();
    const e = h.engine as import('../../src/dataplane/inet.js').InetEngine;
    h.init();
    e.setApiConfig(h.so, 0x1);
    h.addVif(0, 1);
    h.addVif(1, 2);
    h.addVif(2, 3);
    e.setAssert(h.so, 1);
    const flags = new Array(32).fill(0);
    flags[1] = 1;
    const ttls = new Array(32).fill(0);
    ttls[2] = 1;
    e.addMfc(h.so, { origin: h.S, mcastgrp: h.G, parent: 0, ttls, flags, rp: '0.0.0.0' }, true);
    h.input(2, h.packet(h.S, h.G, 64));
    assert.equal(e.upcalls.length, 0);
    h.input(3, h.packet(h.S, h.G, 64));
    assert.equal(e.upcalls.shift()?.vif, 2);
  });

  it('locally originated packets count as output on the parent (case 36)', () => {
    const h = fixture();
    h.addMfc('10.0.1.1', h.G, 0, { 1: 1 });
    h.input(1, h.packet('10.0.1.1', h.G, 64));
    assert.equal(h.engine.vifPktOut[0], 1);
    assert.equal(h.engine.vifPktIn[0], 0);
    assert.equal(h.engine.vifPktOut[1], 1);
  });

  it('register vif: WHOLEPKT with the decremented packet (case 42)', () => {
    const h = fixture();
    const e = h.engine as import('../../src/dataplane/inet.js').InetEngine;
    e.addVif(h.so, { vifi: 3, flags: 4, threshold: 1, rateLimit: 0, lclAddr: '127.0.0.2', rmtAddr: '0.0.0.0' });
    h.addMfc(h.S, h.G, 0, { 3: 1 });
    const p = h.packet(h.S, h.G, 64);
    h.input(1, p);
    const u = e.upcalls.shift()!;
    assert.equal(u.type, 3);
    assert.equal(u.bytes.length, 20 + p.length);
    assert.equal(u.bytes[8], 3);
    assert.equal(u.bytes[10], 3);
    assert.equal(u.bytes[20 + 8], 63);
    assert.ok(ipv4HeaderOk(u.bytes, 20, 20));
    assert.equal(e.pimstat.snd_registers_msgs, 1);
    assert.equal(e.vifPktOut[3], 1);
  });

  it('source-routed and 169.254/16-sourced packets are not forwarded (case 26)', () => {
    const h = fixture();
    h.input(1, h.packet('169.254.1.1', h.G, 64));
    assert.equal(h.engine.stat.mfc_lookups, 0);
    assert.equal(h.engine.ledger.linklocal_src, 1);
  });
});

describe('engine conformance (inet6 only)', () => {
  it('MRT6_ADD_MIF: ENXIO for unknown pifi, EINVAL range, EADDRINUSE; DEL_MIF unused EINVAL (case 48)', () => {
    const h = inet6Harness();
    const e = h.engine as import('../../src/dataplane/inet6.js').Inet6Engine;
    h.init();
    assert.equal(errno(() => e.addMif(h.so, { mifi: 0, flags: 0, pifi: 9999 })), 'ENXIO');
    assert.equal(errno(() => e.addMif(h.so, { mifi: 64, flags: 0, pifi: 1 })), 'EINVAL');
    e.addMif(h.so, { mifi: 0, flags: 0, pifi: 1 });
    assert.equal(errno(() => e.addMif(h.so, { mifi: 0, flags: 0, pifi: 2 })), 'EADDRINUSE');
    assert.equal(errno(() => e.delMif(h.so, 5)), 'EINVAL');
  });

  it('MRT6_PIM rejects values other than 0/1; get from another socket is EACCES (case 47)', () => {
    const h = inet6Harness();
    const e = h.engine as import('../../src/dataplane/inet6.js').Inet6Engine;
    h.init();
    assert.equal(errno(() => e.setPim(h.so, 2)), 'EINVAL');
    assert.equal(errno(() => e.checkGet({})), 'EACCES');
  });

  it('a miss on a non-mif interface still upcalls, with im6_mif = nummifs (case 49)', () => {
    const h = inet6Harness();
    h.init();
    h.addVif(0, 1);
    h.addVif(1, 2);
    h.input(4, h.packet(h.S, h.G, 64));
    const u = h.engine.upcalls.shift()!;
    assert.equal(u.vif, 2);
    assert.equal(u.bytes.readUInt16LE(2), 2);
    assert.equal(u.bytes[7], 63, 'the header copy carries the decremented hop limit');
  });

  it('unspecified source is not forwarded; unwalkable extension headers are malformed', () => {
    const h = inet6Harness();
    h.init();
    h.addVif(0, 1);
    h.input(1, h.packet('::', h.G, 64));
    assert.equal(h.engine.ledger.bad_src, 1);
    const p = h.packet(h.S, h.G, 64);
    p[6] = 0; // hop-by-hop header claiming more bytes than there are
    p[40 + 1] = 200;
    h.input(1, p);
    assert.equal(h.engine.ledger.bad_exthdr, 1);
  });

  it('a mif added after the entry is used (the interface set is copied whole)', () => {
    const h = inet6Harness();
    h.init();
    h.addVif(0, 1);
    h.addMfc(h.S, h.G, 0, { 1: 1 });
    h.addVif(1, 2);
    h.input(1, h.packet(h.S, h.G, 64));
    assert.deepEqual(h.sent.map((s) => s.vif), [1]);
  });

  it('register mif: every packet a WHOLEPKT upcall, 40-byte header + packet (no in-kernel Register for IPv6)', () => {
    const h = inet6Harness();
    const e = h.engine as import('../../src/dataplane/inet6.js').Inet6Engine;
    h.init();
    h.addVif(0, 1);
    e.addMif(h.so, { mifi: 2, flags: 1, pifi: 2 });
    h.addMfc(h.S, h.G, 0, { 2: 1 });
    const p = h.packet(h.S, h.G, 64);
    h.input(1, p);
    const u = e.upcalls.shift()!;
    assert.equal(u.type, 3);
    assert.equal(u.vif, 2);
    assert.equal(u.bytes.length, 40 + p.length);
    assert.equal(u.bytes[1], 3);
    assert.equal(u.bytes.readUInt16LE(2), 2);
    assert.equal(u.bytes[40 + 7], 63, 'the packet as forwarded: hop limit decremented');
    assert.equal(h.sent.length, 0);
  });
});
