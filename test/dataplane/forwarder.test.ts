// A forwarding worker's decisions over the shared MFC, against the engine alone: the same
// random run of MFC and vif changes, bandwidth meters and packets (good, malformed, wrong
// interface, unresolved, low TTL) goes to a plain engine and to a shared engine fronted
// by a Forwarder that hands what it does not decide to that engine. What leaves, every
// (S,G)'s and vif's counters, the ledger and the upcalls must be the same.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FAMILIES, errno, xorshift, type FamilyHarness, type Sent } from './harness.js';
import { InetEngine } from '../../src/dataplane/inet.js';
import { Inet6Engine } from '../../src/dataplane/inet6.js';
import { Forwarder, type FamilyIndex } from '../../src/dataplane/forwarder.js';
import { EngineShares, type EpochMessage } from '../../src/dataplane/worker-shares.js';
import { LEDGER_FIELDS } from '../../src/dataplane/stats.js';
import type { MrouteEngine } from '../../src/dataplane/engine.js';


/** A worker in this thread: its epoch messages are adopted at once. */
function withWorker(h: FamilyHarness, canSend: number[]) {
  const fi: FamilyIndex = h.name === 'inet' ? 0 : 1;
  const other = fi === 0 ? new Inet6Engine({ shared: true }) : new InetEngine({ shared: true });
  const engines = (fi === 0 ? [h.engine, other] : [other, h.engine]) as [MrouteEngine, MrouteEngine];
  const shares = new EngineShares(engines);
  const init = shares.newWorker();
  const inbox: EpochMessage[] = [];
  shares.onEpoch = (_i, m) => inbox.push(m);
  const sent: Sent[] = h.sent;
  let decided = 0;
  const fwd = new Forwarder(
    init.inet,
    init.inet6,
    (_f, vif, buf, off, len) => sent.push({ vif, bytes: Buffer.from(buf.subarray(off, off + len)) }),
    (f) => {
      let m: EpochMessage | undefined;
      while ((m = inbox.shift()) !== undefined) fwd.adopt(m.family, m.share, m.entries);
      void f;
    },
  );
  for (const v of canSend) fwd.setCanSend(fi, v, true);
  return {
    shares,
    input(ifIdx: number, pkt: Buffer) {
      fwd.now = h.engine.now;
      if (fwd.input(ifIdx, pkt, 0, pkt.length)) decided++;
      else h.engine.input(ifIdx, pkt, 0, pkt.length);
    },
    get decided() {
      return decided;
    },
  };
}

for (const make of FAMILIES) {
  const fam = make().name;
  describe(`forwarding worker (${fam})`, () => {
    for (const seed of [1, 2, 3]) {
      it(`decides as the engine does: 20,000 random steps, seed ${seed}`, () => {
        const a = make({ pendingLimit: 64, initialEntries: 16 });
        const b = make({ pendingLimit: 64, initialEntries: 16, shared: true });
        // vif 3 has no link in the worker: its copies must go through the engine
        const w = withWorker(b, [0, 1, 2]);
        const rnd = xorshift(seed * 7919 + (fam === 'inet' ? 0 : 1));
        for (const h of [a, b]) {
          h.init();
          h.setAssertOrPim(true);
        }
        const sources = Array.from({ length: 40 }, (_, i) => (fam === 'inet' ? `10.0.1.${10 + i}` : `2001:db8:1::${(10 + i).toString(16)}`));
        const groups = fam === 'inet' ? ['239.1.1.1', '239.1.1.2', '232.1.1.3'] : ['ff3e::8000:1', 'ff3e::8000:2', 'ff05::3'];
        const flows = sources.flatMap((s) => groups.map((g) => [s, g] as const));
        /** the same change on both: the same outcome, errno included */
        const both = (fn: (h: FamilyHarness) => void) => assert.equal(errno(() => fn(b)), errno(() => fn(a)));
        const N = 20_000;
        for (let i = 0; i < N; i++) {
          const r = rnd() % 1000;
          const [s, g] = flows[rnd() % flows.length];
          if (r < 20) {
            const vif = rnd() % 4;
            const ifIdx = 1 + (rnd() % 4);
            const del = rnd() % 3 === 0;
            both((h) => (del ? h.delVif(vif) : h.addVif(vif, ifIdx)));
          } else if (r < 120) {
            const oifs: Record<number, number> = {};
            for (let v = 0; v < 4; v++) if (rnd() % 2) oifs[v] = 1 + (rnd() % 3);
            const parent = rnd() % 4;
            both((h) => h.addMfc(s, g, parent, oifs));
          } else if (r < 150) {
            both((h) => h.delMfc(s, g));
          } else if (r < 155 && fam === 'inet') {
            const spec = { src: s, dst: g, flags: 0x2 /* GEQ */ | 0x4 /* UNIT_PACKETS */, threshold: { timeSec: 1, timeUsec: 0, packets: 5, bytes: 0 } };
            both((h) => (h.engine as InetEngine).addBwUpcall(h.so, spec));
          } else if (r < 165) {
            for (const h of [a, b]) h.advance(100);
          } else {
            const ttl = rnd() % 8 === 0 ? 1 + (rnd() % 2) : 64;
            const pkt = a.packet(s, g, ttl, 64 + (rnd() % 200));
            if (rnd() % 50 === 0) pkt[rnd() % pkt.length] ^= 0xff; // sometimes malformed
            const ifIdx = 1 + (rnd() % 4);
            a.input(ifIdx, Buffer.from(pkt));
            w.input(ifIdx, Buffer.from(pkt));
          }
        }
        w.shares.fold();
        assert.ok(w.decided > 500, `the worker decided only ${w.decided}`);
        assert.equal(b.sent.length, a.sent.length);
        for (let i = 0; i < a.sent.length; i++) {
          assert.equal(b.sent[i].vif, a.sent[i].vif, `copy ${i}`);
          assert.deepEqual(b.sent[i].bytes, a.sent[i].bytes, `copy ${i}`);
        }
        for (const [s, g] of flows) {
          let ca, cb;
          try {
            ca = a.sg(s, g);
          } catch {
            ca = null;
          }
          try {
            cb = b.sg(s, g);
          } catch {
            cb = null;
          }
          assert.deepEqual(cb, ca, `${s} ${g}`);
        }
        const vifCounts = (e: MrouteEngine) => [...e.vifPktIn, ...e.vifBytesIn, ...e.vifPktOut, ...e.vifBytesOut];
        assert.deepEqual(vifCounts(b.engine), vifCounts(a.engine), 'vif counters');
        for (const k of LEDGER_FIELDS) assert.equal(b.engine.ledger[k], a.engine.ledger[k], `ledger ${k}`);
        assert.equal(b.engine.stat.mfc_lookups, a.engine.stat.mfc_lookups);
        assert.equal(b.engine.stat.upcalls, a.engine.stat.upcalls);
        const ua: unknown[] = [];
        const ub: unknown[] = [];
        let u;
        while ((u = a.engine.upcalls.shift()) !== undefined) ua.push(u);
        while ((u = b.engine.upcalls.shift()) !== undefined) ub.push(u);
        assert.deepEqual(ub, ua);
      });
    }
  });
}
