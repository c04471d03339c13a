// Byte-exact checks of the FreeBSD amd64 struct codecs. Expected buffers are written out
// as hex, field by field, from the offsets in freebsd-semantics.md (§1.5, §2.3, §3.5, §4,
// §7.1, §9) — never produced by the encoders under test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as C from '../../src/dataplane/codecs/index.js';
import { formatIPv4, formatIPv6 } from '../../src/dataplane/addr.js';
import { MrtError } from '../../src/dataplane/errno.js';

function isEinval(e: unknown): boolean {
  return e instanceof MrtError && e.errno === 'EINVAL';
}

/** Hex with whitespace and '|' separators allowed, for readable field-by-field layouts. */
function h(s: string): Buffer {
  const clean = s.replace(/[\s|]/g, '');
  assert.match(clean, /^([0-9a-f]{2})*$/, 'test hex literal');
  return Buffer.from(clean, 'hex');
}

const z = (n: number): string => '00'.repeat(n);

// ---------------------------------------------------------------------------
// Arbitraries

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const inAddr = u32.map(formatIPv4);
const in6Addr = fc
  .array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
  .map((w) => {
    const b = Buffer.alloc(16);
    w.forEach((x, i) => b.writeUInt16BE(x, 2 * i));
    return formatIPv6(b);
  });
/** Counters: small, safe-integer, and large integer doubles up to (but below) 2^64. */
const u64 = fc.oneof(
  fc.nat(1000),
  fc.maxSafeNat(),
  fc
    .bigInt({ min: 0n, max: (1n << 64n) - 1n })
    .map((b) => Number(b))
    .filter((n) => n < 2 ** 64),
);
const i64 = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.maxSafeInteger(),
  fc
    .bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })
    .map((b) => Number(b))
    .filter((n) => n < 2 ** 63),
);
const u8x32 = fc.array(u8, { minLength: 32, maxLength: 32 });
const ifset = fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 20 }).map((a) => a.sort((x, y) => x - y));

// fast-check 4 builds records with a null prototype, which deepStrictEqual tells apart
// from the decoders' plain objects; rebuild them as plain objects.
const rec = <T extends object>(a: fc.Arbitrary<T>): fc.Arbitrary<T> => a.map((o) => ({ ...o }));

const vifctlArb = rec(fc.record({ vifi: u16, flags: u8, threshold: u8, rateLimit: u32, lclAddr: inAddr, rmtAddr: inAddr }));
const mfcctlArb = rec(fc.record({ origin: inAddr, mcastgrp: inAddr, parent: u16, ttls: u8x32 }));
const mfcctl2Arb = rec(fc.record({ origin: inAddr, mcastgrp: inAddr, parent: u16, ttls: u8x32, flags: u8x32, rp: inAddr }));
const mif6ctlArb = rec(fc.record({ mifi: u16, flags: u8, pifi: u16 }));
const mf6cctlArb = rec(fc.record({ origin: in6Addr, mcastgrp: in6Addr, parent: u16, ifset }));
const siocSgReqArb = rec(fc.record({ src: inAddr, grp: inAddr, pktcnt: u64, bytecnt: u64, wrongIf: u64 }));
const siocVifReqArb = rec(fc.record({ vifi: u16, icount: u64, ocount: u64, ibytes: u64, obytes: u64 }));
const siocSgReq6Arb = rec(fc.record({ src: in6Addr, grp: in6Addr, pktcnt: u64, bytecnt: u64, wrongIf: u64 }));
const siocMifReq6Arb = rec(fc.record({ mifi: u16, icount: u64, ocount: u64, ibytes: u64, obytes: u64 }));
const igmpmsgArb = rec(fc.record({ unused1: u32, unused2: u32, msgtype: u8, mbz: u8, vif: u8, unused3: u8, src: inAddr, dst: inAddr }));
const mrt6msgArb = rec(fc.record({ mbz: u8, msgtype: u8, mif: u16, pad: u32, src: in6Addr, dst: in6Addr }));
const bwDataArb = rec(fc.record({ timeSec: i64, timeUsec: i64, packets: u64, bytes: u64 }));
const bwUpcallArb = rec(fc.record({ src: inAddr, dst: inAddr, flags: u32, threshold: bwDataArb, measured: bwDataArb }));
const sockaddrIn6Arb = rec(fc.record({ len: u8, family: u8, port: u16, flowinfo: u32, addr: in6Addr, scopeId: u32 }));

// ---------------------------------------------------------------------------
// Hand-built samples

const ttlsSample = Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : i === 5 ? 64 : i === 31 ? 255 : 0));
const ttlsHex = '01' + z(4) + '40' + z(25) + 'ff';
const flagsSample = Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : i === 31 ? 3 : 0));
const flagsHex = '01' + z(30) + '03';

const bwThreshold = { timeSec: 3, timeUsec: 500000, packets: 10, bytes: 2 ** 53 + 2 };
const bwThresholdHex = '0300000000000000 | 20a1070000000000 | 0a00000000000000 | 0200000000002000';
const bwMeasured = { timeSec: -1, timeUsec: 999999, packets: 0, bytes: 0xffffffff };
const bwMeasuredHex = 'ffffffffffffffff | 3f420f0000000000 | 0000000000000000 | ffffffff00000000';
const bwUpcallSample = {
  src: '10.0.0.1',
  dst: '239.1.1.1',
  flags: C.BW_UPCALL_UNIT_PACKETS | C.BW_UPCALL_GEQ,
  threshold: bwThreshold,
  measured: bwMeasured,
};
const bwUpcallHex = `0a000001 | ef010101 | 05000000 | 00000000 | ${bwThresholdHex} | ${bwMeasuredHex}`;

interface Case<T> {
  name: string;
  size: number;
  encode: (v: T) => Buffer;
  decode: (b: Uint8Array, off?: number) => T;
  sample: T;
  hex: string;
  arb: fc.Arbitrary<T>;
  /** Bytes that are padding (must encode as zero; any value decodes the same). */
  padding: number[];
  /** Whether every non-padding byte pattern survives decode→encode (false where the TS shape drops fields or rounds). */
  bytesRoundTrip: boolean;
}

function mk<T>(c: Case<T>): Case<unknown> {
  return c as unknown as Case<unknown>;
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

const cases: Case<unknown>[] = [
  mk({
    name: 'vifctl',
    size: C.VIFCTL_SIZE,
    encode: C.encodeVifctl,
    decode: C.decodeVifctl,
    sample: { vifi: 0x0102, flags: C.VIFF_REGISTER, threshold: 5, rateLimit: 0x0a0b0c0d, lclAddr: '192.168.1.2', rmtAddr: '10.0.0.1' },
    // vifi LE | flags | threshold | rate_limit LE | lcl_addr (net) | rmt_addr (net)
    hex: '0201 | 04 | 05 | 0d0c0b0a | c0a80102 | 0a000001',
    arb: vifctlArb,
    padding: [],
    bytesRoundTrip: true,
  }),
  mk({
    name: 'mfcctl',
    size: C.MFCCTL_SIZE,
    encode: C.encodeMfcctl,
    decode: C.decodeMfcctl,
    sample: { origin: '10.1.2.3', mcastgrp: '239.1.2.3', parent: 0x0203, ttls: ttlsSample },
    hex: `0a010203 | ef010203 | 0302 | ${ttlsHex} | 0000`,
    arb: mfcctlArb,
    padding: [42, 43],
    bytesRoundTrip: true,
  }),
  mk({
    name: 'mfcctl2',
    size: C.MFCCTL2_SIZE,
    encode: C.encodeMfcctl2,
    decode: C.decodeMfcctl2,
    sample: { origin: '10.1.2.3', mcastgrp: '239.1.2.3', parent: 7, ttls: ttlsSample, flags: flagsSample, rp: '10.0.0.9' },
    hex: `0a010203 | ef010203 | 0700 | ${ttlsHex} | ${flagsHex} | 0000 | 0a000009`,
    arb: mfcctl2Arb,
    padding: [74, 75],
    bytesRoundTrip: true,
  }),
  mk({
    name: 'mif6ctl',
    size: C.MIF6CTL_SIZE,
    encode: C.encodeMif6ctl,
    decode: C.decodeMif6ctl,
    sample: { mifi: 0x0102, flags: C.MIFF_REGISTER, pifi: 0x0304 },
    hex: '0201 | 01 | 00 | 0403',
    arb: mif6ctlArb,
    padding: [3],
    bytesRoundTrip: true,
  }),
  mk({
    name: 'mf6cctl',
    size: C.MF6CCTL_SIZE,
    encode: C.encodeMf6cctl,
    decode: C.decodeMf6cctl,
    sample: { origin: '2001:db8::1', mcastgrp: 'ff0e::123', parent: 5, ifset: [0, 33, 63, 255] },
    hex:
      // origin: len 28, family 28, port, flowinfo, addr, scope_id
      '1c 1c 0000 00000000 20010db8000000000000000000000001 00000000 |' +
      // mcastgrp
      '1c 1c 0000 00000000 ff0e0000000000000000000000000123 00000000 |' +
      // parent LE, 2 pad
      '0500 0000 |' +
      // if_set words LE: w0 bit0; w1 bits 1 (mif 33) and 31 (mif 63); w7 bit 31 (mif 255)
      `01000000 02000080 ${z(20)} 00000080`,
    arb: mf6cctlArb,
    padding: [58, 59],
    bytesRoundTrip: false, // sockaddr len/family/port/flowinfo/scope_id are not in the TS shape
  }),
  mk({
    name: 'sioc_sg_req',
    size: C.SIOC_SG_REQ_SIZE,
    encode: C.encodeSiocSgReq,
    decode: C.decodeSiocSgReq,
    sample: { src: '10.0.0.1', grp: '224.1.1.1', pktcnt: 0x0102030405, bytecnt: 2 ** 53 - 1, wrongIf: 7 },
    hex: '0a000001 | e0010101 | 0504030201000000 | ffffffffffff1f00 | 0700000000000000',
    arb: siocSgReqArb,
    padding: [],
    bytesRoundTrip: false, // counters above 2^53 round
  }),
  mk({
    name: 'sioc_vif_req',
    size: C.SIOC_VIF_REQ_SIZE,
    encode: C.encodeSiocVifReq,
    decode: C.decodeSiocVifReq,
    sample: { vifi: 0x0203, icount: 1, ocount: 2 ** 32, ibytes: 0xffffffff, obytes: 0x123456789a },
    hex: `0302 ${z(6)} | 0100000000000000 | 0000000001000000 | ffffffff00000000 | 9a78563412000000`,
    arb: siocVifReqArb,
    padding: range(2, 8),
    bytesRoundTrip: false,
  }),
  mk({
    name: 'sioc_sg_req6',
    size: C.SIOC_SG_REQ6_SIZE,
    encode: C.encodeSiocSgReq6,
    decode: C.decodeSiocSgReq6,
    sample: { src: 'fe80::1', grp: 'ff05::2', pktcnt: 1, bytecnt: 1500, wrongIf: 2 ** 40 },
    hex:
      '1c 1c 0000 00000000 fe800000000000000000000000000001 00000000 |' +
      '1c 1c 0000 00000000 ff050000000000000000000000000002 00000000 |' +
      '0100000000000000 | dc05000000000000 | 0000000000010000',
    arb: siocSgReq6Arb,
    padding: [],
    bytesRoundTrip: false,
  }),
  mk({
    name: 'sioc_mif_req6',
    size: C.SIOC_MIF_REQ6_SIZE,
    encode: C.encodeSiocMifReq6,
    decode: C.decodeSiocMifReq6,
    sample: { mifi: 63, icount: 10, ocount: 20, ibytes: 30, obytes: 2 ** 53 },
    hex: `3f00 ${z(6)} | 0a00000000000000 | 1400000000000000 | 1e00000000000000 | 0000000000002000`,
    arb: siocMifReq6Arb,
    padding: range(2, 8),
    bytesRoundTrip: false,
  }),
  mk({
    name: 'igmpmsg',
    size: C.IGMPMSG_SIZE,
    encode: C.encodeIgmpmsg,
    decode: C.decodeIgmpmsg,
    sample: {
      unused1: 0x04030201,
      unused2: 0x08070605,
      msgtype: C.IGMPMSG_NOCACHE,
      mbz: 0,
      vif: 7,
      unused3: 0xaa,
      src: '10.0.0.1',
      dst: '239.0.0.1',
    },
    hex: '01020304 | 05060708 | 01 | 00 | 07 | aa | 0a000001 | ef000001',
    arb: igmpmsgArb,
    padding: [],
    bytesRoundTrip: true,
  }),
  mk({
    name: 'mrt6msg',
    size: C.MRT6MSG_SIZE,
    encode: C.encodeMrt6msg,
    decode: C.decodeMrt6msg,
    sample: { mbz: 0, msgtype: C.MRT6MSG_WRONGMIF, mif: 0x0102, pad: 0x0a0b0c0d, src: '2001:db8::5', dst: 'ff3e::8000:1' },
    hex: '00 | 02 | 0201 | 0d0c0b0a | 20010db8000000000000000000000005 | ff3e0000000000000000000080000001',
    arb: mrt6msgArb,
    padding: [],
    bytesRoundTrip: true,
  }),
  mk({
    name: 'bw_data',
    size: C.BW_DATA_SIZE,
    encode: C.encodeBwData,
    decode: C.decodeBwData,
    sample: bwThreshold,
    hex: bwThresholdHex,
    arb: bwDataArb,
    padding: [],
    bytesRoundTrip: false,
  }),
  mk({
    name: 'bw_upcall',
    size: C.BW_UPCALL_SIZE,
    encode: C.encodeBwUpcall,
    decode: C.decodeBwUpcall,
    sample: bwUpcallSample,
    hex: bwUpcallHex,
    arb: bwUpcallArb,
    padding: [12, 13, 14, 15],
    bytesRoundTrip: false,
  }),
  mk({
    name: 'sockaddr_in6',
    size: C.SOCKADDR_IN6_SIZE,
    encode: C.encodeSockaddrIn6,
    decode: C.decodeSockaddrIn6,
    sample: { len: 28, family: C.AF_INET6, port: 0x1234, flowinfo: 0x000abcde, addr: 'fe80::1', scopeId: 3 },
    // port and flowinfo are network order, scope_id host order
    hex: '1c | 1c | 1234 | 000abcde | fe800000000000000000000000000001 | 03000000',
    arb: sockaddrIn6Arb,
    padding: [],
    bytesRoundTrip: true,
  }),
];

test('struct sizes match the amd64 layouts', () => {
  assert.equal(C.VIFCTL_SIZE, 16);
  assert.equal(C.MFCCTL_SIZE, 44);
  assert.equal(C.MFCCTL2_SIZE, 80);
  assert.equal(C.MIF6CTL_SIZE, 6);
  assert.equal(C.MF6CCTL_SIZE, 92);
  assert.equal(C.SOCKADDR_IN6_SIZE, 28);
  assert.equal(C.SIOC_SG_REQ_SIZE, 32);
  assert.equal(C.SIOC_VIF_REQ_SIZE, 40);
  assert.equal(C.SIOC_SG_REQ6_SIZE, 80);
  assert.equal(C.SIOC_MIF_REQ6_SIZE, 40);
  assert.equal(C.IGMPMSG_SIZE, 20);
  assert.equal(C.MRT6MSG_SIZE, 40);
  assert.equal(C.BW_DATA_SIZE, 32);
  assert.equal(C.BW_UPCALL_SIZE, 80);
  for (const c of cases) assert.equal(h(c.hex).length, c.size, `${c.name}: hand-built layout is ${c.size} bytes`);
});

for (const c of cases) {
  test(`${c.name}: encode is byte-exact`, () => {
    const got = c.encode(c.sample);
    assert.ok(Buffer.isBuffer(got));
    assert.equal(got.length, c.size);
    assert.equal(got.toString('hex'), h(c.hex).toString('hex'));
  });

  test(`${c.name}: decode of the hand-built bytes`, () => {
    assert.deepEqual(c.decode(h(c.hex)), c.sample);
    // a plain Uint8Array (not a Buffer) works too
    assert.deepEqual(c.decode(new Uint8Array(h(c.hex))), c.sample);
  });

  test(`${c.name}: longer buffer and offsets accepted, excess ignored`, () => {
    const body = h(c.hex);
    const longer = Buffer.concat([Buffer.alloc(3, 0xee), body, Buffer.alloc(9, 0xdd)]);
    assert.deepEqual(c.decode(longer, 3), c.sample);
    assert.deepEqual(c.decode(Buffer.concat([body, Buffer.alloc(1, 0xff)])), c.sample);
    // subarray views with a non-zero byteOffset into a shared ArrayBuffer
    const view = new Uint8Array(longer.buffer, longer.byteOffset + 3, c.size);
    assert.deepEqual(c.decode(view), c.sample);
  });

  test(`${c.name}: short buffer is EINVAL`, () => {
    const body = h(c.hex);
    assert.throws(() => c.decode(body.subarray(0, c.size - 1)), isEinval);
    assert.throws(() => c.decode(new Uint8Array(0)), isEinval);
    assert.throws(() => c.decode(Buffer.concat([Buffer.alloc(2), body]), 3), isEinval);
    assert.throws(() => c.decode(body, c.size + 5), isEinval);
    assert.throws(() => c.decode(body, -1), isEinval);
  });

  if (c.padding.length > 0) {
    test(`${c.name}: padding is zero on encode and ignored on decode`, () => {
      const body = Buffer.from(h(c.hex));
      for (const p of c.padding) assert.equal(body[p], 0, `hand-built padding byte ${p}`);
      for (const p of c.padding) body[p] = 0x5a;
      assert.deepEqual(c.decode(body), c.sample);
    });
  }

  test(`${c.name}: property decode(encode(x)) == x`, () => {
    fc.assert(
      fc.property(c.arb, (x) => {
        const b = c.encode(x);
        assert.equal(b.length, c.size);
        for (const p of c.padding) assert.equal(b[p], 0);
        assert.deepEqual(c.decode(b), x);
      }),
      { numRuns: 300 },
    );
  });

  if (c.bytesRoundTrip) {
    test(`${c.name}: property encode(decode(bytes)) == bytes (padding zeroed)`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: c.size, maxLength: c.size }), (bytes) => {
          const want = Buffer.from(bytes);
          for (const p of c.padding) want[p] = 0;
          assert.equal(c.encode(c.decode(bytes)).toString('hex'), want.toString('hex'));
        }),
        { numRuns: 300 },
      );
    });
  }
}

// ---------------------------------------------------------------------------
// Encoder input validation (C would truncate silently; we refuse)

test('encoders reject out-of-range fields with EINVAL', () => {
  const vif = { vifi: 0, flags: 0, threshold: 1, rateLimit: 0, lclAddr: '10.0.0.1', rmtAddr: '0.0.0.0' };
  assert.throws(() => C.encodeVifctl({ ...vif, vifi: 0x10000 }), isEinval);
  assert.throws(() => C.encodeVifctl({ ...vif, vifi: -1 }), isEinval);
  assert.throws(() => C.encodeVifctl({ ...vif, flags: 256 }), isEinval);
  assert.throws(() => C.encodeVifctl({ ...vif, threshold: 1.5 }), isEinval);
  assert.throws(() => C.encodeVifctl({ ...vif, rateLimit: 2 ** 32 }), isEinval);
  assert.throws(() => C.encodeVifctl({ ...vif, lclAddr: '10.0.0' }), isEinval);
  assert.throws(() => C.encodeVifctl({ ...vif, rmtAddr: '::1' }), isEinval);

  const mfc = { origin: '10.0.0.1', mcastgrp: '239.1.1.1', parent: 0, ttls: [] as number[] };
  assert.throws(() => C.encodeMfcctl({ ...mfc, ttls: new Array(33).fill(1) }), isEinval);
  assert.throws(() => C.encodeMfcctl({ ...mfc, ttls: [256] }), isEinval);
  assert.throws(() => C.encodeMfcctl2({ ...mfc, flags: [-1], rp: '0.0.0.0' }), isEinval);
  assert.throws(() => C.encodeMfcctl2({ ...mfc, flags: [], rp: 'x' }), isEinval);

  const mf6 = { origin: '2001:db8::1', mcastgrp: 'ff0e::1', parent: 0, ifset: [] as number[] };
  assert.throws(() => C.encodeMf6cctl({ ...mf6, ifset: [256] }), isEinval);
  assert.throws(() => C.encodeMf6cctl({ ...mf6, ifset: [-1] }), isEinval);
  assert.throws(() => C.encodeMf6cctl({ ...mf6, ifset: [1.5] }), isEinval);
  assert.throws(() => C.encodeMf6cctl({ ...mf6, origin: '10.0.0.1' }), isEinval);
  assert.throws(() => C.encodeMf6cctl({ ...mf6, mcastgrp: 'fe80::1%em0' }), isEinval);

  const sg = { src: '10.0.0.1', grp: '239.1.1.1', pktcnt: 0, bytecnt: 0, wrongIf: 0 };
  assert.throws(() => C.encodeSiocSgReq({ ...sg, pktcnt: -1 }), isEinval);
  assert.throws(() => C.encodeSiocSgReq({ ...sg, bytecnt: 0.5 }), isEinval);
  assert.throws(() => C.encodeSiocSgReq({ ...sg, wrongIf: 2 ** 64 }), isEinval);
  assert.throws(() => C.encodeSiocSgReq({ ...sg, wrongIf: Number.NaN }), isEinval);
  assert.throws(() => C.encodeBwData({ timeSec: 2 ** 63, timeUsec: 0, packets: 0, bytes: 0 }), isEinval);
  assert.throws(() => C.encodeBwData({ timeSec: 0, timeUsec: Number.POSITIVE_INFINITY, packets: 0, bytes: 0 }), isEinval);
});

test('mfcctl: short ttls/flags arrays are zero-filled; decode always yields 32 entries', () => {
  const b = C.encodeMfcctl2({ origin: '1.2.3.4', mcastgrp: '224.1.1.1', parent: 1, ttls: [0, 2], flags: [1], rp: '0.0.0.0' });
  assert.equal(b.toString('hex'), h(`01020304 e0010101 0100 0002 ${z(30)} 01 ${z(31)} 0000 00000000`).toString('hex'));
  const d = C.decodeMfcctl2(b);
  assert.equal(d.ttls.length, 32);
  assert.equal(d.flags.length, 32);
  assert.deepEqual(d.ttls.slice(0, 3), [0, 2, 0]);
});

test('mfcctl2 bytes 0..43 decode as the mfcctl they overlay', () => {
  const v2 = { origin: '10.1.2.3', mcastgrp: '239.1.2.3', parent: 7, ttls: ttlsSample, flags: flagsSample, rp: '10.0.0.9' };
  const b = C.encodeMfcctl2(v2);
  assert.deepEqual(C.decodeMfcctl(b), { origin: v2.origin, mcastgrp: v2.mcastgrp, parent: 7, ttls: ttlsSample });
});

test('mf6cctl: ifset decodes ascending and duplicates on encode are harmless', () => {
  const b = C.encodeMf6cctl({ origin: '::', mcastgrp: 'ff05::1', parent: 0, ifset: [63, 1, 1, 32, 0] });
  assert.deepEqual(C.decodeMf6cctl(b).ifset, [0, 1, 32, 63]);
  assert.equal(b.subarray(60, 68).toString('hex'), '0300000001000080');
});

test('mf6cctl: decode ignores sockaddr_in6 port/flowinfo/scope_id/len/family', () => {
  const b = h(
    '00 00 ffff ffffffff 20010db8000000000000000000000001 07000000 |' +
      '1c 0a 0001 00000001 ff0e0000000000000000000000000123 01000000 |' +
      `0500 abcd | 01000000 ${z(28)}`,
  );
  assert.deepEqual(C.decodeMf6cctl(b), { origin: '2001:db8::1', mcastgrp: 'ff0e::123', parent: 5, ifset: [0] });
  assert.deepEqual(C.decodeSockaddrIn6(b, 28), {
    len: 28,
    family: 10,
    port: 1,
    flowinfo: 1,
    addr: 'ff0e::123',
    scopeId: 1,
  });
});

test('sockaddrIn6() fills len/family like a FreeBSD program', () => {
  assert.deepEqual(C.sockaddrIn6('ff02::1'), { len: 28, family: 28, port: 0, flowinfo: 0, addr: 'ff02::1', scopeId: 0 });
  assert.equal(C.encodeSockaddrIn6(C.sockaddrIn6('::1', 5)).toString('hex'), h(`1c1c 0000 00000000 ${z(15)}01 05000000`).toString('hex'));
});

test('u64 counters: exact to 2^53, larger integer doubles keep their value', () => {
  const big = 2 ** 63 + 2 ** 11; // an exactly representable double above 2^53
  const b = C.encodeSiocVifReq({ vifi: 0, icount: big, ocount: 2 ** 64 - 2 ** 11, ibytes: 2 ** 53 + 2, obytes: 0 });
  assert.equal(b.readBigUInt64LE(8), 2n ** 63n + 2n ** 11n);
  assert.equal(b.readBigUInt64LE(16), 2n ** 64n - 2n ** 11n);
  assert.equal(b.readBigUInt64LE(24), 2n ** 53n + 2n);
  const d = C.decodeSiocVifReq(b);
  assert.equal(d.icount, big);
  assert.equal(d.ocount, 2 ** 64 - 2 ** 11);
  // an odd value above 2^53 rounds like Number(bigint)
  const raw = Buffer.alloc(40);
  raw.writeBigUInt64LE(2n ** 53n + 1n, 8);
  raw.writeBigUInt64LE(2n ** 64n - 1n, 16);
  assert.equal(C.decodeSiocVifReq(raw).icount, Number(2n ** 53n + 1n));
  assert.equal(C.decodeSiocVifReq(raw).ocount, Number(2n ** 64n - 1n));
});

// ---------------------------------------------------------------------------
// Upcall builders

// An IPv4 header with a Router Alert option (ip_hl = 6, 24 bytes), then 4 payload bytes.
const ipWithOptions = h(
  '46 00 0020 1234 4000 | 40 11 abcd | 0a000001 | ef000001 | 94040000 | deadbeef',
);

test('overlayIgmpmsg: copy of ip_hl*4 header bytes with bytes 8/9/10 = type, 0, vif', () => {
  const before = Buffer.from(ipWithOptions);
  const got = C.overlayIgmpmsg(ipWithOptions, C.IGMPMSG_WRONGVIF, 3);
  assert.equal(got.toString('hex'), h('46 00 0020 1234 4000 | 02 00 03 cd | 0a000001 | ef000001 | 94040000').toString('hex'));
  assert.deepEqual(ipWithOptions, before, 'input untouched');
  // header-only input gives the same result
  assert.deepEqual(C.overlayIgmpmsg(ipWithOptions.subarray(0, 24), C.IGMPMSG_WRONGVIF, 3), got);
  // and the 20-byte prefix decodes as an igmpmsg
  const m = C.decodeIgmpmsg(got);
  assert.equal(m.msgtype, C.IGMPMSG_WRONGVIF);
  assert.equal(m.mbz, 0);
  assert.equal(m.vif, 3);
  assert.equal(m.src, '10.0.0.1');
  assert.equal(m.dst, '239.0.0.1');
});

test('overlayIgmpmsg: bad headers are EINVAL', () => {
  assert.throws(() => C.overlayIgmpmsg(new Uint8Array(19), 1, 0), isEinval);
  const hl4 = Buffer.from(ipWithOptions);
  hl4[0] = 0x44;
  assert.throws(() => C.overlayIgmpmsg(hl4, 1, 0), isEinval);
  assert.throws(() => C.overlayIgmpmsg(ipWithOptions.subarray(0, 20), 1, 0), isEinval, 'ip_hl 6 but 20 bytes');
  assert.throws(() => C.overlayIgmpmsg(ipWithOptions, 1, 256), isEinval);
});

test('encodeIgmpmsgWholepkt: fresh 20-byte header + whole packet', () => {
  const pkt = h('45000020 00000000 3f110000 0a000001 ef010101 deadbeef');
  const got = C.encodeIgmpmsgWholepkt(5, '10.0.0.1', '239.1.1.1', pkt);
  assert.equal(got.toString('hex'), h(`${z(8)} 03 00 05 00 0a000001 ef010101`).toString('hex') + pkt.toString('hex'));
});

test('encodeIgmpmsgBwUpcall / decodeIgmpmsgBwUpcall', () => {
  const second = { ...bwUpcallSample, src: '10.0.0.2', flags: C.BW_UPCALL_UNIT_BYTES | C.BW_UPCALL_LEQ };
  const got = C.encodeIgmpmsgBwUpcall([bwUpcallSample, second]);
  const secondHex = `0a000002 | ef010101 | 0a000000 | 00000000 | ${bwThresholdHex} | ${bwMeasuredHex}`;
  assert.equal(got.toString('hex'), h(`${z(8)} 04 ${z(11)} | ${bwUpcallHex} | ${secondHex}`).toString('hex'));
  assert.deepEqual(C.decodeIgmpmsgBwUpcall(got), [bwUpcallSample, second]);
  assert.deepEqual(C.decodeIgmpmsgBwUpcall(C.encodeIgmpmsgBwUpcall([])), []);
  assert.throws(() => C.decodeIgmpmsgBwUpcall(got.subarray(0, got.length - 1)), isEinval);
  assert.throws(() => C.decodeIgmpmsgBwUpcall(got.subarray(0, 19)), isEinval);
  const wrongType = Buffer.from(got);
  wrongType[8] = C.IGMPMSG_WHOLEPKT;
  assert.throws(() => C.decodeIgmpmsgBwUpcall(wrongType), isEinval);
});

test('encodeIgmpmsgUpcall dispatches on type', () => {
  // NOCACHE with the packet: overlay, src/dst from the header
  assert.deepEqual(
    C.encodeIgmpmsgUpcall(C.IGMPMSG_NOCACHE, 2, '1.1.1.1', '224.9.9.9', ipWithOptions),
    C.overlayIgmpmsg(ipWithOptions, C.IGMPMSG_NOCACHE, 2),
  );
  // without a header: a fresh 20-byte igmpmsg
  assert.equal(
    C.encodeIgmpmsgUpcall(C.IGMPMSG_WRONGVIF, 2, '10.0.0.1', '239.0.0.1').toString('hex'),
    h(`${z(8)} 02 00 02 00 0a000001 ef000001`).toString('hex'),
  );
  const pkt = h('45000020 00000000 3f110000 0a000001 ef010101 deadbeef');
  assert.deepEqual(
    C.encodeIgmpmsgUpcall(C.IGMPMSG_WHOLEPKT, 5, '10.0.0.1', '239.1.1.1', pkt),
    C.encodeIgmpmsgWholepkt(5, '10.0.0.1', '239.1.1.1', pkt),
  );
  const records = Buffer.concat([C.encodeBwUpcall(bwUpcallSample)]);
  assert.deepEqual(
    C.encodeIgmpmsgUpcall(C.IGMPMSG_BW_UPCALL, 0, '0.0.0.0', '0.0.0.0', records),
    C.encodeIgmpmsgBwUpcall([bwUpcallSample]),
  );
  assert.throws(() => C.encodeIgmpmsgUpcall(9, 0, '0.0.0.0', '0.0.0.0'), isEinval);
});

// A 40-byte IPv6 header (payload 0x20, next header UDP, hop limit 63) + 4 payload bytes.
const ip6Header =
  '60 0abcde | 0020 | 11 | 3f | 20010db8000000000000000000000005 | ff0e0000000000000000000000000123';
const ip6Packet = h(`${ip6Header} | cafef00d`);

test('overlayMrt6msg: copy of the 40-byte header, bytes 0..3 = mbz, type, mif (LE)', () => {
  const before = Buffer.from(ip6Packet);
  const got = C.overlayMrt6msg(ip6Packet, C.MRT6MSG_NOCACHE, 0x0102);
  assert.equal(
    got.toString('hex'),
    h('00 01 0201 | 0020 11 3f | 20010db8000000000000000000000005 | ff0e0000000000000000000000000123').toString('hex'),
  );
  assert.deepEqual(ip6Packet, before, 'input untouched');
  assert.deepEqual(C.decodeMrt6msg(got), {
    mbz: 0,
    msgtype: C.MRT6MSG_NOCACHE,
    mif: 0x0102,
    pad: 0x3f112000,
    src: '2001:db8::5',
    dst: 'ff0e::123',
  });
  assert.throws(() => C.overlayMrt6msg(ip6Packet.subarray(0, 39), 1, 0), isEinval);
  assert.throws(() => C.overlayMrt6msg(ip6Packet, 1, 0x10000), isEinval);
});

test('encodeMrt6msgWholepkt: 40-byte header with only mbz/type/mif, then the packet', () => {
  const got = C.encodeMrt6msgWholepkt(3, ip6Packet);
  assert.equal(got.toString('hex'), h(`00 03 0300 ${z(36)}`).toString('hex') + ip6Packet.toString('hex'));
});

// ---------------------------------------------------------------------------
// Scalars and constants

test('scalar option arguments', () => {
  assert.equal(C.encodeVifi(0x0102).toString('hex'), '0201');
  assert.equal(C.decodeVifi(h('0201ffff')), 0x0102);
  assert.throws(() => C.decodeVifi(h('02')), isEinval);
  assert.throws(() => C.encodeVifi(65536), isEinval);
  assert.equal(C.encodeInt(1).toString('hex'), '01000000');
  assert.equal(C.encodeInt(-1).toString('hex'), 'ffffffff');
  assert.equal(C.decodeInt(h('ffffffff')), -1);
  assert.equal(C.decodeInt(h('0100000000')), 1);
  assert.throws(() => C.decodeInt(h('010000')), isEinval);
  assert.throws(() => C.encodeInt(2 ** 31), isEinval);
  assert.equal(C.encodeUint32(0x303).toString('hex'), '03030000');
  assert.equal(C.decodeUint32(h('ffffffff')), 0xffffffff);
  assert.throws(() => C.decodeUint32(h('000000')), isEinval);
});

test('constants', () => {
  assert.deepEqual(
    [C.MRT_INIT, C.MRT_DONE, C.MRT_ADD_VIF, C.MRT_DEL_VIF, C.MRT_ADD_MFC, C.MRT_DEL_MFC, C.MRT_VERSION, C.MRT_ASSERT],
    [100, 101, 102, 103, 104, 105, 106, 107],
  );
  assert.equal(C.MRT_PIM, C.MRT_ASSERT);
  assert.deepEqual([C.MRT_API_SUPPORT, C.MRT_API_CONFIG, C.MRT_ADD_BW_UPCALL, C.MRT_DEL_BW_UPCALL], [109, 110, 111, 112]);
  assert.deepEqual(
    [C.MRT6_OINIT, C.MRT6_DONE, C.MRT6_ADD_MIF, C.MRT6_DEL_MIF, C.MRT6_ADD_MFC, C.MRT6_DEL_MFC, C.MRT6_PIM, C.MRT6_INIT],
    [100, 101, 102, 103, 104, 105, 107, 108],
  );
  assert.equal(C.MRT_API_FLAGS_ALL, 0x303);
  assert.equal(C.MRT_VERSION_VALUE, 0x0305);
  assert.equal(C.MAXVIFS, 32);
  assert.equal(C.MAXMIFS, 64);
  assert.equal(C.IF_SETSIZE, 256);
  assert.equal(C.BW_UPCALL_THRESHOLD_INTERVAL_MIN_SEC, 3);
  // _IOWR(g, n, t) = IOC_INOUT | (sizeof(t) & IOCPARM_MASK) << 16 | g << 8 | n
  const iowr = (g: string, n: number, size: number): number =>
    (0xc0000000 | ((size & 0x1fff) << 16) | (g.charCodeAt(0) << 8) | n) >>> 0;
  assert.equal(C.SIOCGETVIFCNT, iowr('r', 15, C.SIOC_VIF_REQ_SIZE));
  assert.equal(C.SIOCGETSGCNT, iowr('r', 16, C.SIOC_SG_REQ_SIZE));
  assert.equal(C.SIOCGETSGCNT_IN6, iowr('u', 106, C.SIOC_SG_REQ6_SIZE));
  assert.equal(C.SIOCGETMIFCNT_IN6, iowr('u', 107, C.SIOC_MIF_REQ6_SIZE));
  assert.equal(C.SIOCGETVIFCNT, 0xc028720f);
  assert.equal(C.SIOCGETSGCNT, 0xc0207210);
  assert.equal(C.SIOCGETSGCNT_IN6, 0xc050756a);
  assert.equal(C.SIOCGETMIFCNT_IN6, 0xc028756b);
});
