// The routing socket on raw bytes: option lengths, gatekeeping and the bw-upcall API.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InetEngine } from '../../src/dataplane/inet.js';
import { Inet6Engine } from '../../src/dataplane/inet6.js';
import { MrouteSocket, Mroute6Socket } from '../../src/dataplane/mroute-socket.js';
import * as C from '../../src/dataplane/codecs/index.js';
import { buildPacket } from '../../src/router/packets.js';
import { errno } from './harness.js';


function setup() {
  const e = new InetEngine();
  ['10.0.1.1', '10.0.2.1', '10.0.3.1'].forEach((a, i) => e.attachInterface({ ifindex: i + 1, name: `if${i}`, addrs4: [a], addrs6: [], multicast: true }));
  const sent: number[] = [];
  e.transmit = (v) => sent.push(v);
  const r = new MrouteSocket(e);
  return { e, r, sent };
}
const vif = (i: number, a: string) => C.encodeVifctl({ vifi: i, flags: 0, threshold: 1, rateLimit: 0, lclAddr: a, rmtAddr: '0.0.0.0' });

describe('routing socket (IPv4)', () => {
  it('MRT_INIT option lengths: short EINVAL, long accepted (case 4); version 0x0305 (case 1)', () => {
    const { r } = setup();
    assert.equal(errno(() => r.setsockopt(C.MRT_INIT, Buffer.alloc(2))), 'EINVAL');
    const long = Buffer.alloc(8);
    long.writeInt32LE(1, 0);
    r.setsockopt(C.MRT_INIT, long);
    assert.equal(r.getsockopt(C.MRT_VERSION).readInt32LE(0), 0x0305);
  });

  it('a UDP socket gets EOPNOTSUPP; an unprivileged one EPERM (case 5)', () => {
    const { e } = setup();
    assert.equal(errno(() => new MrouteSocket(e, { protocol: 'udp' }).setsockopt(C.MRT_INIT, C.encodeInt(1))), 'EOPNOTSUPP');
    assert.equal(errno(() => new MrouteSocket(e, { privileged: false }).setsockopt(C.MRT_INIT, C.encodeInt(1))), 'EPERM');
  });

  it('non-owner: set EPERM, get allowed; API_SUPPORT read-only (cases 6, 7, 8)', () => {
    const { e, r } = setup();
    r.setsockopt(C.MRT_INIT, C.encodeInt(1));
    const q = new MrouteSocket(e);
    assert.equal(errno(() => q.setsockopt(C.MRT_ADD_VIF, vif(0, '10.0.1.1'))), 'EPERM');
    assert.equal(errno(() => q.setsockopt(C.MRT_DONE)), 'EPERM');
    assert.equal(q.getsockopt(C.MRT_API_SUPPORT).readUInt32LE(0), 0x303);
    assert.equal(errno(() => r.setsockopt(C.MRT_API_SUPPORT, C.encodeUint32(1))), 'EOPNOTSUPP');
    assert.equal(errno(() => r.setsockopt(C.MRT_VERSION, C.encodeInt(1))), 'EOPNOTSUPP');
  });

  it('API_CONFIG writes the accepted subset back; mfcctl2 required afterwards (cases 9, 30)', () => {
    const { r, sent } = setup();
    r.setsockopt(C.MRT_INIT, C.encodeInt(1));
    const v = C.encodeUint32(0xffffffff);
    r.setsockopt(C.MRT_API_CONFIG, v);
    assert.equal(v.readUInt32LE(0), 0x303);
    r.setsockopt(C.MRT_ADD_VIF, vif(0, '10.0.1.1'));
    r.setsockopt(C.MRT_ADD_VIF, vif(1, '10.0.2.1'));
    const ttls = new Array(32).fill(0);
    ttls[1] = 1;
    const m = { origin: '10.0.1.100', mcastgrp: '239.1.1.1', parent: 0, ttls };
    assert.equal(errno(() => r.setsockopt(C.MRT_ADD_MFC, C.encodeMfcctl(m))), 'EINVAL');
    r.setsockopt(C.MRT_ADD_MFC, C.encodeMfcctl2({ ...m, flags: new Array(32).fill(0), rp: '0.0.0.0' }));
    r.setsockopt(C.MRT_DEL_MFC, C.encodeMfcctl(m));
    assert.equal(sent.length, 0);
  });

  it('SIOCGETSGCNT and SIOCGETVIFCNT in struct layout', () => {
    const { e, r } = setup();
    r.setsockopt(C.MRT_INIT, C.encodeInt(1));
    r.setsockopt(C.MRT_ADD_VIF, vif(0, '10.0.1.1'));
    r.setsockopt(C.MRT_ADD_VIF, vif(1, '10.0.2.1'));
    const ttls = new Array(32).fill(0);
    ttls[1] = 1;
    r.setsockopt(C.MRT_ADD_MFC, C.encodeMfcctl({ origin: '10.0.1.100', mcastgrp: '239.1.1.1', parent: 0, ttls }));
    const p = buildPacket('inet', '10.0.1.100', '239.1.1.1', 64, 100);
    e.input(1, p, 0, p.length);
    const sg = C.decodeSiocSgReq(r.ioctl(C.SIOCGETSGCNT, C.encodeSiocSgReq({ src: '10.0.1.100', grp: '239.1.1.1', pktcnt: 0, bytecnt: 0, wrongIf: 0 })));
    assert.equal(sg.pktcnt, 1);
    assert.equal(sg.bytecnt, 100);
    const vc = C.decodeSiocVifReq(r.ioctl(C.SIOCGETVIFCNT, C.encodeSiocVifReq({ vifi: 1, icount: 0, ocount: 0, ibytes: 0, obytes: 0 })));
    assert.equal(vc.ocount, 1);
    assert.equal(errno(() => r.ioctl(C.SIOCGETSGCNT, C.encodeSiocSgReq({ src: '10.0.1.1', grp: '239.1.1.2', pktcnt: 0, bytecnt: 0, wrongIf: 0 }))), 'EADDRNOTAVAIL');
  });

  it('closing the mrouter socket is MRT_DONE (case 12)', () => {
    const { e, r } = setup();
    r.setsockopt(C.MRT_INIT, C.encodeInt(1));
    r.setsockopt(C.MRT_ADD_VIF, vif(0, '10.0.1.1'));
    r.close();
    assert.equal(e.numVifs, 0);
    new MrouteSocket(e).setsockopt(C.MRT_INIT, C.encodeInt(1));
  });
});

describe('routing socket (IPv6)', () => {
  it('init, mif, errnos (cases 47, 48, 52)', () => {
    const e = new Inet6Engine();
    e.attachInterface({ ifindex: 1, name: 'if0', addrs4: [], addrs6: [], multicast: true });
    const r = new Mroute6Socket(e);
    assert.equal(errno(() => r.setsockopt(C.MRT6_INIT, C.encodeInt(0))), 'ENOPROTOOPT');
    r.setsockopt(C.MRT6_INIT, C.encodeInt(1));
    const q = new Mroute6Socket(e);
    assert.equal(errno(() => q.setsockopt(C.MRT6_INIT, C.encodeInt(1))), 'EADDRINUSE');
    assert.equal(errno(() => q.getsockopt(C.MRT6_PIM)), 'EACCES');
    assert.equal(errno(() => r.setsockopt(C.MRT6_ADD_MIF, C.encodeMif6ctl({ mifi: 0, flags: 0, pifi: 9999 }))), 'ENXIO');
    r.setsockopt(C.MRT6_ADD_MIF, C.encodeMif6ctl({ mifi: 0, flags: 0, pifi: 1 }));
    const req = C.encodeSiocSgReq6({ src: '2001:db8::1', grp: 'ff0e::1', pktcnt: 0, bytecnt: 0, wrongIf: 0 });
    assert.equal(errno(() => r.ioctl(C.SIOCGETSGCNT_IN6, req)), 'ESRCH');
  });
});
