// The large-table helpers: huge pages asked for the MFC index's slots, and the batch pass
// that reads a batch's home slots before the decisions (it must read them, and change nothing).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MfcTable } from '../../src/dataplane/mfc-table.js';
import { touchHomeSlots, touchSink } from '../../src/dataplane/slot-touch.js';
import { largeWords } from '../../src/dataplane/huge-pages.js';
import { loadNative } from '../../src/dataplane/links/native.js';
import { buildPacket } from '../../src/router/packets.js';
import { formatIPv4 } from '../../src/dataplane/addr.js';

const GROUP = 0xef010101; // 239.1.1.1

function table(entries: number): MfcTable {
  const t = new MfcTable(2, entries);
  const key = new Uint32Array(2);
  for (let i = 0; i < entries; i++) {
    key[0] = (0xc6336400 + i) >>> 0; // from 198.51.100.0 upwards
    key[1] = GROUP;
    t.insert(key);
  }
  return t;
}

function batch(sources: number[]): { buf: Buffer; offsets: Int32Array; lengths: Int32Array } {
  const pkts = sources.map((s) => buildPacket('inet', formatIPv4(s), '239.1.1.1', 64, 64));
  const buf = Buffer.concat(pkts);
  const offsets = new Int32Array(pkts.map((_, i) => i * 64));
  return { buf, offsets, lengths: new Int32Array(pkts.length).fill(64) };
}

/** kB of this process's mappings flagged MADV_HUGEPAGE ("hg" in smaps' VmFlags) */
function advisedKb(): number {
  let kb = 0;
  let size = 0;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const m = /^Size:\s+(\d+) kB/.exec(line);
    if (m) size = Number(m[1]);
    else if (line.startsWith('VmFlags:') && line.split(/\s+/).includes('hg')) kb += size;
  }
  return kb;
}

describe('large MFC tables', () => {
  it('a batch pass over a large index reads each home slot and changes nothing', () => {
    const t = table(20_000);
    assert.equal(t.large, true, '20,000 entries outgrow 2 MB of slots');
    const before = Uint32Array.from(t.slots);
    // one packet of an entry that is in the table: its home slot holds some id + 1, never 0
    const src = (0xc6336400 + 1234) >>> 0;
    const home = t.home2(src, GROUP);
    assert.notEqual(t.slots[home], 0);
    const s0 = touchSink();
    const one = batch([src]);
    touchHomeSlots(t, null, one.buf, one.offsets, one.lengths, 1);
    assert.equal(touchSink(), s0 ^ t.slots[home] ^ t.slots[(home + 16) & (t.slots.length - 1)], 'the home slot and the next were read');
    // junk beside good packets: too short, wrong version; nothing throws, nothing changes
    const mixed = batch([src, src + 1, (0xc6336400 + 99_999) >>> 0]);
    mixed.lengths[1] = 12;
    mixed.buf[128] = 0x75;
    touchHomeSlots(t, null, mixed.buf, mixed.offsets, mixed.lengths, 3);
    assert.deepEqual(t.slots, before, 'slots unchanged');
    // the probe starts where home2 points: an entry alone on its probe path is found there
    const key = new Uint32Array([src, GROUP]);
    const found = t.lookup(key);
    assert.ok(found >= 0 && (found - (home - 2)) % t.stride === 0 && found >= home - 2);
  });

  it('an IPv6 batch reads both lines of each home slot', () => {
    const t = new MfcTable(8, 10_000);
    const key = new Uint32Array(8);
    for (let i = 0; i < 10_000; i++) {
      key.set([0x20010db8, 0, 0, i, 0xff0e0000, 0, 0, 1]);
      t.insert(key);
    }
    assert.equal(t.large, true);
    key.set([0x20010db8, 0, 0, 77, 0xff0e0000, 0, 0, 1]);
    const home = t.home(key);
    const pkt = buildPacket('inet6', '2001:db8::4d', 'ff0e::1', 64, 64);
    const s0 = touchSink();
    touchHomeSlots(new MfcTable(2, 16), t, pkt, new Int32Array([0]), new Int32Array([pkt.length]), 1);
    assert.equal(touchSink(), s0 ^ t.slots[home] ^ t.slots[home + 8]);
    assert.notEqual(t.slots[home] ^ t.slots[home + 8], 0, 'a slot in use: the check can fail');
  });

  it('a small index is not touched at all', () => {
    const t = table(100);
    assert.equal(t.large, false);
    const s0 = touchSink();
    const b = batch([(0xc6336400 + 5) >>> 0]);
    touchHomeSlots(t, null, b.buf, b.offsets, b.lengths, 1);
    assert.equal(touchSink(), s0);
  });

  it('asks for huge pages on a large table and not on a small one', { skip: loadNative() === null ? 'the native addon is not built' : false }, () => {
    const io = loadNative()!;
    assert.equal(io.adviseHugePages(new Uint32Array(1 << 18)), 0, '1 MB holds no whole 2 MB page');
    assert.throws(() => io.adviseHugePages({} as Uint32Array), TypeError);
    const kb0 = advisedKb();
    const a = largeWords(8 << 20, true); // 32 MB, shared as the workers' slots are
    const kb1 = advisedKb();
    assert.ok(kb1 - kb0 >= 30 * 1024, `32 MB shared array: ${kb1 - kb0} kB advised`);
    const b = largeWords(8 << 20, false);
    assert.ok(advisedKb() - kb1 >= 30 * 1024, 'and an unshared one');
    assert.equal(a[a.length - 1] + b[0], 0, 'zeroed');
  });
});
