// inject's test datagrams: valid headers and UDP checksums, the size asked for.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPacket } from '../../src/router/packets.js';
import { ipv4HeaderOk, onesSum } from '../../src/dataplane/packet.js';
import { formatIPv6 } from '../../src/dataplane/addr.js';

/** the UDP checksum verifies: the sum over pseudo-header and datagram is 0xffff */
function udpOk(p: Buffer, hdr: number, srcOff: number, addrLen: number): boolean {
  let pseudo = onesSum(p, srcOff, addrLen);
  pseudo += 17 + (p.length - hdr);
  return onesSum(p, hdr, p.length - hdr, pseudo) === 0xffff;
}

describe('packets', () => {
  it('IPv4: header, TTL, addresses, checksums', () => {
    const p = buildPacket('inet', '192.0.2.1', '239.1.2.3', 33, 100);
    assert.equal(p.length, 100);
    assert.equal(p[0], 0x45);
    assert.equal(p.readUInt16BE(2), 100);
    assert.equal(p[8], 33);
    assert.equal(p[9], 17);
    assert.deepEqual([...p.subarray(12, 20)], [192, 0, 2, 1, 239, 1, 2, 3]);
    assert.ok(ipv4HeaderOk(p, 0, 20));
    assert.equal(p.readUInt16BE(24), 80, 'UDP length');
    assert.ok(udpOk(p, 20, 12, 8));
  });

  it('IPv6: payload length, hop limit, addresses, checksum', () => {
    const p = buildPacket('inet6', '2001:db8::1', 'ff0e::1', 7);
    assert.equal(p[0] >>> 4, 6);
    assert.equal(p.readUInt16BE(4), p.length - 40);
    assert.equal(p[6], 17);
    assert.equal(p[7], 7);
    assert.equal(formatIPv6(p, 8), '2001:db8::1');
    assert.equal(formatIPv6(p, 24), 'ff0e::1');
    assert.ok(udpOk(p, 40, 8, 32));
  });

  it('sizes out of range are refused with the range', () => {
    assert.throws(() => buildPacket('inet', '192.0.2.1', '239.1.1.1', 64, 27), /EINVAL.*size 27 out of range \(28-65535\)/);
    assert.throws(() => buildPacket('inet6', '2001:db8::1', 'ff0e::1', 64, 47), /EINVAL.*\(48-65575\)/);
    assert.equal(buildPacket('inet', '192.0.2.1', '239.1.1.1', 64, 28).length, 28);
  });
});
