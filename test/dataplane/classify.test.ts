// The one pre-lookup classifier: its table of cases, and the engines' ledgers agreeing with
// it packet for packet (the engine counts exactly the reason the classifier gives).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classify4, classify6, isLocalScopeGroup, isMulticastGroup } from '../../src/dataplane/classify.js';
import { parseIPv4, parseIPv6 } from '../../src/dataplane/addr.js';
import { InetEngine } from '../../src/dataplane/inet.js';
import { Inet6Engine } from '../../src/dataplane/inet6.js';
import { LEDGER_FIELDS } from '../../src/dataplane/stats.js';
import { buildPacket } from '../../src/router/packets.js';

const c4 = (s: string, g: string, ttl: number, routing = true) => classify4(parseIPv4(s), parseIPv4(g), ttl, false, routing);
const c6 = (s: string, g: string, hlim: number, routing = true) => classify6(parseIPv6(s), 0, parseIPv6(g), 0, hlim, true, routing);

describe('classify', () => {
  it('IPv4 in FreeBSD order', () => {
    assert.equal(c4('10.0.0.1', '239.1.1.1', 64), 'lookup');
    assert.equal(c4('10.0.0.1', '10.0.0.2', 64), 'bad_dst');
    assert.equal(c4('239.0.0.1', '239.1.1.1', 64), 'bad_src');
    assert.equal(c4('255.255.255.255', '239.1.1.1', 64), 'bad_src');
    assert.equal(c4('10.0.0.1', '239.1.1.1', 64, false), 'local_scope', 'no MRT_INIT');
    assert.equal(c4('10.0.0.1', '239.1.1.1', 1), 'local_scope');
    assert.equal(c4('10.0.0.1', '224.0.0.5', 64), 'local_scope');
    assert.equal(c4('169.254.1.1', '239.1.1.1', 64), 'linklocal_src');
    assert.equal(c4('169.254.1.1', '239.1.1.1', 1), 'local_scope', 'TTL is checked before the 169.254 source');
    assert.equal(classify4(parseIPv4('10.0.0.1'), parseIPv4('239.1.1.1'), 64, true, true), 'bad_options');
    assert.equal(classify4(parseIPv4('239.0.0.1'), parseIPv4('239.1.1.1'), 64, true, true), 'bad_src', 'the source before the options');
  });

  it('IPv6 scopes and the unspecified source', () => {
    assert.equal(c6('2001:db8::1', 'ff0e::1', 64), 'lookup');
    assert.equal(c6('2001:db8::1', '2001:db8::2', 64), 'bad_dst');
    assert.equal(c6('ff0e::9', 'ff0e::1', 64), 'bad_src');
    assert.equal(c6('::', 'ff0e::1', 64), 'bad_src');
    for (const g of ['ff00::1', 'ff01::1', 'ff02::1']) assert.equal(c6('2001:db8::1', g, 64), 'local_scope', g);
    assert.equal(c6('2001:db8::1', 'ff05::1', 1), 'local_scope');
    assert.equal(c6('2001:db8::1', 'ff05::1', 64, false), 'local_scope');
    assert.equal(classify6(parseIPv6('2001:db8::1'), 0, parseIPv6('ff05::1'), 0, 64, false, true), 'bad_exthdr');
  });

  it('text helpers agree with the classifier', () => {
    assert.ok(isMulticastGroup('inet', '239.255.0.1') && !isMulticastGroup('inet', '240.0.0.1'));
    assert.ok(isMulticastGroup('inet6', 'ff0e::1') && !isMulticastGroup('inet6', 'fe80::1'));
    assert.ok(isLocalScopeGroup('inet', '224.0.0.251') && !isLocalScopeGroup('inet', '224.0.1.1'));
    assert.ok(isLocalScopeGroup('inet6', 'ff02::16') && isLocalScopeGroup('inet6', 'ff00::1') && !isLocalScopeGroup('inet6', 'ff05::1'));
  });

  it("the engines' ledgers count exactly the classifier's reason", () => {
    const so = {};
    const e4 = new InetEngine();
    const e6 = new Inet6Engine();
    e4.init(so);
    e6.init(so);
    const cases4: [string, string, number][] = [];
    for (const s of ['10.0.0.1', '239.0.0.1', '255.255.255.255', '169.254.3.3', '0.0.0.0'])
      for (const g of ['239.1.1.1', '224.0.0.9', '10.9.9.9', '224.0.1.1']) for (const ttl of [0, 1, 2, 64]) cases4.push([s, g, ttl]);
    for (const [s, g, ttl] of cases4) {
      const before = { ...e4.ledger };
      e4.input(1, buildPacket('inet', s, g, ttl), 0, 60);
      const want = c4(s, g, ttl);
      const moved = LEDGER_FIELDS.filter((k) => k !== 'rx' && e4.ledger[k] !== before[k]);
      assert.equal(moved.length, 1, `${s} ${g} ttl ${ttl}: one outcome`);
      if (want === 'lookup') assert.ok(moved[0].startsWith('miss_') || moved[0] === 'forwarded' || moved[0] === 'wrong_if', `${s} ${g} ttl ${ttl}: ${moved[0]}`);
      else assert.equal(moved[0], want, `${s} ${g} ttl ${ttl}`);
    }
    for (const s of ['2001:db8::1', '::', 'ff0e::9'])
      for (const g of ['ff0e::1', 'ff02::1', 'ff00::1', '2001:db8::2']) for (const h of [0, 1, 2, 64]) {
        const before = { ...e6.ledger };
        e6.input(1, buildPacket('inet6', s, g, h), 0, 80);
        const want = c6(s, g, h);
        const moved = LEDGER_FIELDS.filter((k) => k !== 'rx' && e6.ledger[k] !== before[k]);
        assert.equal(moved.length, 1, `${s} ${g} hlim ${h}: one outcome`);
        if (want !== 'lookup') assert.equal(moved[0], want, `${s} ${g} hlim ${h}`);
        else assert.ok(!moved[0].startsWith('bad_') && moved[0] !== 'local_scope', `${s} ${g} hlim ${h}: ${moved[0]}`);
      }
  });
});
