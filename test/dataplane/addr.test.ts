import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import {
  formatIPv4,
  formatIPv6,
  isIPv4,
  isIPv6,
  isLinkLocalGroup4,
  isMulticast4,
  isMulticast6,
  mcastScope6,
  parseIPv4,
  parseIPv6,
} from '../../src/dataplane/addr.js';
import { MrtError } from '../../src/dataplane/errno.js';

function isEinval(e: unknown): boolean {
  return e instanceof MrtError && e.errno === 'EINVAL';
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

// ---------------------------------------------------------------------------
// IPv4

test('parseIPv4: valid dotted quads', () => {
  const cases: [string, number][] = [
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
    ['1.2.3.4', 0x01020304],
    ['10.0.0.1', 0x0a000001],
    ['224.0.0.1', 0xe0000001],
    ['239.255.255.250', 0xeffffffa],
    ['192.168.100.200', 0xc0a864c8],
    ['128.0.0.0', 0x80000000],
    ['0.0.0.255', 255],
    ['100.10.1.0', 0x640a0100],
  ];
  for (const [s, n] of cases) {
    assert.equal(parseIPv4(s), n, s);
    assert.ok(parseIPv4(s) >= 0, `${s} unsigned`);
    assert.equal(isIPv4(s), true, s);
    assert.equal(formatIPv4(n), s);
  }
});

test('parseIPv4: malformed input is EINVAL with the documented message', () => {
  const bad = [
    '',
    '1',
    '1.2',
    '1.2.3',
    '1.2.3.4.',
    '.1.2.3.4',
    '1..2.3',
    '1.2..3',
    '1.2.3.4.5',
    '256.1.1.1',
    '1.2.3.256',
    '999.1.1.1',
    '1000.1.1.1',
    '01.2.3.4', // leading zero: octal under inet_aton, rejected as inet_pton does
    '1.2.3.04',
    '00.0.0.0',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2. 3.4',
    '1.2.3.-4',
    '+1.2.3.4',
    '0x1.2.3.4',
    '1.2.3.4\n',
    '1e2.1.1.1',
    '\uff11.2.3.4', // fullwidth digit one
    'a.b.c.d',
    '1.2.3.4/24',
    '::1',
    '::ffff:1.2.3.4',
    '1.2.3.4:80',
    '...',
  ];
  for (const s of bad) {
    assert.equal(isIPv4(s), false, JSON.stringify(s));
    assert.throws(
      () => parseIPv4(s),
      (e: unknown) => isEinval(e) && (e as Error).message === `EINVAL: bad IPv4 address '${s}'`,
      JSON.stringify(s),
    );
  }
});

test('formatIPv4 accepts signed int32 results of bit operations', () => {
  assert.equal(formatIPv4(0xe0000001 | 0), '224.0.0.1');
  assert.equal(formatIPv4(-1), '255.255.255.255');
  assert.equal(formatIPv4(0), '0.0.0.0');
});

test('IPv4 multicast predicates', () => {
  assert.equal(isMulticast4(parseIPv4('224.0.0.0')), true);
  assert.equal(isMulticast4(parseIPv4('239.255.255.255')), true);
  assert.equal(isMulticast4(parseIPv4('223.255.255.255')), false);
  assert.equal(isMulticast4(parseIPv4('240.0.0.0')), false);
  assert.equal(isMulticast4(0xe0000001 | 0), true, 'signed form too');
  assert.equal(isLinkLocalGroup4(parseIPv4('224.0.0.0')), true);
  assert.equal(isLinkLocalGroup4(parseIPv4('224.0.0.255')), true);
  assert.equal(isLinkLocalGroup4(parseIPv4('224.0.1.0')), false);
  assert.equal(isLinkLocalGroup4(parseIPv4('239.0.0.1')), false);
  assert.equal(isLinkLocalGroup4(0xe00000fb | 0), true, 'signed form too');
});

test('property: formatIPv4/parseIPv4 round trip', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
      assert.equal(parseIPv4(formatIPv4(n)), n);
    }),
  );
  fc.assert(
    fc.property(fc.ipV4(), (s) => {
      assert.equal(formatIPv4(parseIPv4(s)), s);
    }),
  );
});

// Octet-ish tokens joined mostly by dots, so a good share of samples are valid.
const v4Octet = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 255 }).map(String), weight: 6 },
  { arbitrary: fc.constantFrom('256', '01', '00', '1000', '', 'a', '-1', ' 1', '1e1'), weight: 1 },
);
const v4Sep = fc.oneof(
  { arbitrary: fc.constant('.'), weight: 8 },
  { arbitrary: fc.constantFrom('..', '', ':'), weight: 1 },
);
const v4Soup = fc
  .tuple(fc.array(fc.tuple(v4Octet, v4Sep), { minLength: 2, maxLength: 4 }), v4Octet)
  .map(([parts, last]) => parts.map(([o, sep]) => o + sep).join('') + last);
test('property: isIPv4 agrees with net.isIPv4 on token soup', () => {
  let valid = 0;
  fc.assert(
    fc.property(v4Soup, (s) => {
      const ok = isIPv4(s);
      assert.equal(ok, net.isIPv4(s), JSON.stringify(s));
      if (ok) {
        valid++;
        assert.equal(formatIPv4(parseIPv4(s)), s);
      }
    }),
    { numRuns: 10000 },
  );
  assert.ok(valid > 100, `generator should produce valid addresses too (${valid})`);
});

// ---------------------------------------------------------------------------
// IPv6

test('parseIPv6: valid RFC 4291 forms', () => {
  const cases: [string, string][] = [
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['1::', '00010000000000000000000000000000'],
    ['0:0:0:0:0:0:0:0', '00000000000000000000000000000000'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '00000000000000000000000000000001'],
    ['2001:db8::1', '20010db8000000000000000000000001'],
    ['2001:DB8::1', '20010db8000000000000000000000001'],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '20010db8000000000000ff0000428329'],
    ['2001:db8:0:0:0:ff00:42:8329', '20010db8000000000000ff0000428329'],
    ['ff02::1', 'ff020000000000000000000000000001'],
    ['FF0E::1:2', 'ff0e0000000000000000000000010002'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
    ['::2:3:4:5:6:7:8', '00000002000300040005000600070008'],
    ['1::8', '00010000000000000000000000000008'],
    ['1:2::7:8', '00010002000000000000000000070008'],
    ['::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
    ['::FFFF:192.0.2.128', '00000000000000000000ffffc0000280'],
    ['::1.2.3.4', '00000000000000000000000001020304'],
    ['0:0:0:0:0:0:1.2.3.4', '00000000000000000000000001020304'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
    ['1:2:3:4:5::1.2.3.4', '00010002000300040005000001020304'],
    ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
    ['abcd:ef01:2345:6789:abcd:ef01:2345:6789', 'abcdef0123456789abcdef0123456789'],
  ];
  for (const [s, h] of cases) {
    assert.equal(hex(parseIPv6(s)), h, s);
    assert.equal(isIPv6(s), true, s);
    assert.ok(parseIPv6(s) instanceof Uint8Array);
    assert.equal(parseIPv6(s).length, 16);
  }
});

test('parseIPv6: malformed input and zone ids are EINVAL', () => {
  const bad = [
    '',
    ':',
    ':::',
    '::::',
    '1:::2',
    '1::2::3',
    '::1::',
    ':1::2',
    '1::2:',
    ':1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7:8:',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '::1:2:3:4:5:6:7:8',
    '1:2:3:4::5:6:7:8',
    '12345::1',
    '00000::1',
    'g::1',
    '1:2:3:4:5:6:7:g',
    'fe80::1%eth0',
    'fe80::1%1',
    '::1%',
    '::ffff:1.2.3',
    '::ffff:1.2.3.256',
    '::ffff:01.2.3.4',
    '::ffff:1.2.3.4.5',
    '::ffff:1.2.3.4:1',
    '1.2.3.4::',
    '1.2.3.4::1',
    '::1.2.3.4:1',
    '1:2:3:4:5:6:7:1.2.3.4',
    '1:2:3:4:5:6::1.2.3.4',
    '::a.2.3.4',
    '::1a.2.3.4',
    ' ::1',
    '::1 ',
    ':: 1',
    '[::1]',
    '1.2.3.4',
    '0x1::1',
    '-1::1',
    '1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18:19:20',
    'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555',
  ];
  for (const s of bad) {
    assert.equal(isIPv6(s), false, JSON.stringify(s));
    assert.throws(
      () => parseIPv6(s),
      (e: unknown) => isEinval(e) && (e as Error).message === `EINVAL: bad IPv6 address '${s}'`,
      JSON.stringify(s),
    );
  }
});

test('formatIPv6: RFC 5952 canonical text', () => {
  const cases: [string, string][] = [
    // §4.1 no leading zeros; §4.3 lowercase
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['2001:DB8::ABCD', '2001:db8::abcd'],
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    // §4.2.2 a single 16-bit zero is not compressed
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1:0:1:0:1:0:1:0', '1:0:1:0:1:0:1:0'],
    ['0:1:1:1:1:1:1:1', '0:1:1:1:1:1:1:1'],
    ['1:1:1:1:1:1:1:0', '1:1:1:1:1:1:1:0'],
    // §4.2.3 the longest run wins; the first on ties
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['0:0:1:0:0:0:1:0', '0:0:1::1:0'],
    ['1:0:0:1:1:0:0:1', '1::1:1:0:0:1'],
    ['0:0:0:1:0:0:0:1', '::1:0:0:0:1'],
    ['1:0:0:0:1:0:0:0', '1::1:0:0:0'],
    ['0:1:0:0:0:0:0:0', '0:1::'],
    // two-group run is compressed
    ['1:2:3:4:5:6:0:0', '1:2:3:4:5:6::'],
    ['0:0:3:4:5:6:7:8', '::3:4:5:6:7:8'],
    ['ff02:0:0:0:0:0:0:1', 'ff02::1'],
    ['ff05::1:3', 'ff05::1:3'],
    ['fe80::0202:b3ff:fe1e:8329', 'fe80::202:b3ff:fe1e:8329'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    // §5 IPv4-mapped: mixed notation
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['::ffff:c000:201', '::ffff:192.0.2.1'],
    ['0:0:0:0:0:ffff:0:0', '::ffff:0.0.0.0'],
    // not IPv4-mapped: plain hex
    ['::192.0.2.1', '::c000:201'],
    ['::fffe:1.2.3.4', '::fffe:102:304'],
    ['1::ffff:1.2.3.4', '1::ffff:102:304'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ];
  for (const [input, canon] of cases) {
    assert.equal(formatIPv6(parseIPv6(input)), canon, input);
    // the canonical form is itself accepted and stable
    assert.equal(formatIPv6(parseIPv6(canon)), canon, canon);
  }
});

test('formatIPv6: offset into a larger buffer; short buffer is EINVAL', () => {
  const b = Buffer.alloc(24, 0xaa);
  b.set(parseIPv6('ff02::1:ff00:1'), 5);
  assert.equal(formatIPv6(b, 5), 'ff02::1:ff00:1');
  assert.throws(() => formatIPv6(b, 9), isEinval);
  assert.throws(() => formatIPv6(new Uint8Array(15)), isEinval);
  assert.throws(() => formatIPv6(b, -1), isEinval);
});

test('IPv6 multicast predicates and scope', () => {
  assert.equal(isMulticast6(parseIPv6('ff02::1')), true);
  assert.equal(isMulticast6(parseIPv6('fe80::1')), false);
  assert.equal(isMulticast6(parseIPv6('::')), false);
  assert.equal(mcastScope6(parseIPv6('ff01::1')), 1);
  assert.equal(mcastScope6(parseIPv6('ff02::1')), 2);
  assert.equal(mcastScope6(parseIPv6('ff05::2')), 5);
  assert.equal(mcastScope6(parseIPv6('ff3e::8000:1')), 0xe);
  assert.equal(mcastScope6(parseIPv6('ff18::1')), 8, 'flags nibble ignored');
  const b = Buffer.alloc(20);
  b.set(parseIPv6('ff15::1'), 4);
  assert.equal(isMulticast6(b, 4), true);
  assert.equal(mcastScope6(b, 4), 5);
  assert.equal(isMulticast6(b, 0), false);
});

// Addresses with plenty of zero groups, so compression paths get exercised.
const ipv6Bytes = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 8,
    maxLength: 8,
  })
  .map((words) => {
    const b = new Uint8Array(16);
    words.forEach((w, i) => {
      b[2 * i] = w >> 8;
      b[2 * i + 1] = w & 0xff;
    });
    return b;
  });

function isMapped(b: Uint8Array): boolean {
  return b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
}

test('property: parseIPv6(formatIPv6(b)) == b and the output is canonical', () => {
  fc.assert(
    fc.property(ipv6Bytes, (b) => {
      const s = formatIPv6(b);
      assert.equal(hex(parseIPv6(s)), hex(b));
      assert.equal(s, s.toLowerCase());
      assert.ok(!/(^|:)0[0-9a-f]/.test(s), `no leading zeros in ${s}`);
      // WHATWG URL serialises IPv6 hosts with the same RFC 5952 compression rule.
      if (!isMapped(b)) assert.equal(`[${s}]`, new URL(`http://[${s}]/`).hostname);
    }),
    { numRuns: 3000 },
  );
});

test('property: any RFC 4291 text (fast-check ipV6) parses and re-canonicalises stably', () => {
  fc.assert(
    fc.property(fc.ipV6(), (s) => {
      const b = parseIPv6(s);
      assert.equal(hex(b), hex(parseIPv6(formatIPv6(b))));
      assert.equal(net.isIPv6(s), true);
    }),
    { numRuns: 3000 },
  );
});

const v6Tokens = fc.constantFrom(
  '0',
  '1',
  'a',
  'F',
  'ffff',
  '0db8',
  '12345',
  ':',
  ':',
  ':',
  '::',
  '.',
  '1.2.3.4',
  '255',
  '01',
  'g',
);
test('property: isIPv6 agrees with net.isIPv6 on token soup (no zone ids)', () => {
  let valid = 0;
  fc.assert(
    fc.property(fc.array(v6Tokens, { maxLength: 18 }), (parts) => {
      const s = parts.join('');
      const ok = isIPv6(s);
      assert.equal(ok, net.isIPv6(s), JSON.stringify(s));
      if (ok) valid++;
    }),
    { numRuns: 20000 },
  );
  assert.ok(valid > 100, `generator should produce valid addresses too (${valid})`);
});
