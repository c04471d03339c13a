// 100,000 random and mutated packets per family: nothing throws out of the per-packet
// path, and every packet is accounted for in exactly one ledger counter.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FAMILIES, xorshift } from './harness.js';
import { LEDGER_FIELDS } from '../../src/dataplane/stats.js';


for (const make of FAMILIES) {
  const fam = make().name;
  describe(`fuzz (${fam})`, () => {
    it('100,000 random and mutated packets, each in exactly one counter', () => {
      const h = make({ pendingLimit: 256 });
      h.init();
      h.addVif(0, 1);
      h.addVif(1, 2);
      h.addMfc(h.S, h.G, 0, { 1: 1 });
      const rnd = xorshift(0x5eed + (fam === 'inet' ? 0 : 1));
      const good = h.packet(h.S, h.G, 64, 120);
      const N = 100_000;
      for (let i = 0; i < N; i++) {
        let p: Buffer;
        const mode = rnd() % 4;
        if (mode === 0) {
          // pure noise of random length
          p = Buffer.alloc(rnd() % 200);
          for (let j = 0; j < p.length; j++) p[j] = rnd() & 0xff;
          if (p.length > 0 && rnd() % 2) p[0] = (p[0] & 0x0f) | (fam === 'inet' ? 0x40 : 0x60);
        } else {
          // a valid packet with a few bytes flipped, maybe truncated or extended
          p = Buffer.from(good);
          const flips = 1 + (rnd() % 4);
          for (let f = 0; f < flips; f++) p[rnd() % p.length] = rnd() & 0xff;
          if (mode === 2) p = p.subarray(0, rnd() % p.length);
          if (mode === 3) p = Buffer.concat([p, Buffer.alloc(rnd() % 64)]);
        }
        h.input(1 + (rnd() % 3), p);
        if (i % 997 === 0) h.advance(100);
      }
      const L = h.engine.ledger;
      assert.equal(L.rx, N);
      const sum = LEDGER_FIELDS.filter((k) => k !== 'rx').reduce((s, k) => s + L[k], 0);
      assert.equal(sum, N, JSON.stringify(L));
      // the mutations must have exercised both the malformed and the forwarding paths
      assert.ok(L.bad_short + L.bad_version + L.bad_len > 0);
      assert.ok(L.forwarded > 0);
    });
  });
}
