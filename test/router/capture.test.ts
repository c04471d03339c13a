// The per-vif capture ring: the last 16 sent packets, heads of 128 bytes, oldest first.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureRing } from '../../src/router/capture.js';
import { buildPacket } from '../../src/router/packets.js';
import { testRouter, BASE } from '../commands/helpers.js';

describe('capture', () => {
  it('keeps the last 16, oldest first, with the length on the wire', () => {
    const ring = new CaptureRing();
    assert.deepEqual(ring.last(), []);
    for (let i = 0; i < 20; i++) {
      const p = Buffer.alloc(40 + i, i);
      ring.record(p, 0, p.length, 1000 + i);
    }
    const got = ring.last();
    assert.equal(got.length, 16);
    assert.deepEqual(got.map((c) => c.time), Array.from({ length: 16 }, (_, k) => 1004 + k));
    assert.deepEqual(got.map((c) => c.length), Array.from({ length: 16 }, (_, k) => 44 + k));
    assert.equal(got[0].head[0], 4);
    assert.deepEqual(ring.last(2).map((c) => c.time), [1018, 1019]);
    ring.clear();
    assert.deepEqual(ring.last(), []);
  });

  it('a long packet keeps its first 128 bytes and its full length; offsets are honoured', () => {
    const ring = new CaptureRing();
    const buf = Buffer.alloc(3000);
    for (let i = 0; i < buf.length; i++) buf[i] = i & 0xff;
    ring.record(buf, 100, 1500, 5);
    const [c] = ring.last();
    assert.equal(c.length, 1500);
    assert.equal(c.head.length, 128);
    assert.equal(c.head[0], 100);
    assert.equal(c.head[127], (100 + 127) & 0xff);
  });

  it('the router decodes what it sent and received: TTL decremented on the way out, checksum valid', async () => {
    const t = await testRouter();
    await t.runAll(BASE);
    t.router.inject({ vif: 0, source: '10.1.1.1', group: '239.1.1.1', ttl: 20, count: 3 });
    const got = t.router.capture(1, 'inet');
    assert.equal(got.length, 3);
    for (const c of got) {
      assert.equal(c.direction, 'out');
      assert.equal(c.source, '10.1.1.1');
      assert.equal(c.destination, '239.1.1.1');
      assert.equal(c.ttl, 19);
      assert.equal(c.protocol, 17);
      assert.equal(c.checksumOk, true);
      assert.equal(c.length, buildPacket('inet', '10.1.1.1', '239.1.1.1', 20).length);
    }
    const iif = t.router.capture(0, 'inet');
    assert.deepEqual(iif.map((c) => [c.direction, c.ttl]), [['in', 20], ['in', 20], ['in', 20]], 'the iif kept what arrived, before the TTL was decremented, and sent nothing');
    assert.throws(() => t.router.capture(99, 'inet'), /EINVAL.*out of range/);
    await t.router.close();
  });
});
