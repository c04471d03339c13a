// The Linux personality of the routing socket on real engines: the errnos a Linux
// daemon gets, in ipmr.c / ip6mr.c's order, the vif links it binds and releases, what
// the socket's close tears down, and the upcall bytes it reads.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InetEngine } from '../../src/dataplane/inet.js';
import { Inet6Engine } from '../../src/dataplane/inet6.js';
import { MrtError } from '../../src/dataplane/errno.js';
import { ipv4HeaderOk } from '../../src/dataplane/packet.js';
import { Upcall, UPCALL_BW } from '../../src/dataplane/upcall.js';
import * as L from '../../src/dataplane/codecs/linux.js';
import { LinuxMrouteSocket, LinuxMroute6Socket, type SockReply, type VifBinder } from '../../src/dataplane/linux-socket.js';
import { buildPacket } from '../../src/router/packets.js';

const E = L.LINUX_ERRNO;
const IP = L.IPPROTO_IP;
const IP6 = L.IPPROTO_IPV6;

function int(v: number, size = 4): Buffer {
  const b = Buffer.alloc(size);
  if (size >= 4) b.writeInt32LE(v, 0);
  return b;
}
const u16 = (v: number): Buffer => Buffer.from([v & 0xff, v >>> 8]);

/** The errno of a reply, awaited if asynchronous. */
async function err(r: SockReply | Promise<SockReply>): Promise<number> {
  return (await r).err;
}

/** Interfaces the fake binder knows: ifindex 11..13 with an IPv4 address each. */
const IFS = [
  { ifindex: 11, name: 'eth0', addr4: '10.0.1.1', addr6: '2001:db8:1::1' },
  { ifindex: 12, name: 'eth1', addr4: '10.0.2.1', addr6: '2001:db8:2::1' },
  { ifindex: 13, name: 'eth2', addr4: '10.0.3.1', addr6: '2001:db8:3::1' },
];

function fakeBinder(e4: InetEngine | null, e6: Inet6Engine | null) {
  const log: string[] = [];
  const binder: VifBinder = {
    async bindVif(family, vifi, by) {
      const ifp = IFS.find((i) => (by.ifindex !== undefined ? i.ifindex === by.ifindex : i.addr4 === by.lclAddr));
      if (!ifp) throw new MrtError(by.ifindex !== undefined ? 'ENODEV' : 'EADDRNOTAVAIL', 'no such interface');
      const e = family === 'inet' ? e4! : e6!;
      e.attachInterface({ ifindex: ifp.ifindex, name: ifp.name, addrs4: [ifp.addr4], addrs6: [ifp.addr6], multicast: true });
      log.push(`bind ${family} ${vifi} ${ifp.name}`);
      return { ifindex: ifp.ifindex, lclAddr: family === 'inet' ? ifp.addr4 : undefined };
    },
    async releaseVif(family, vifi) {
      log.push(`release ${family} ${vifi}`);
    },
  };
  return { binder, log };
}

function vifctl(vifi: number, how: { ifindex?: number; addr?: string; flags?: number }): Buffer {
  const flags = how.flags ?? (how.ifindex !== undefined ? L.VIFF_USE_IFINDEX : 0);
  return L.encodeLinuxVifctl({ vifi, flags, threshold: 1, rateLimit: 0, lclAddr: how.addr, lclIfindex: how.ifindex, rmtAddr: '0.0.0.0' });
}

function mfcctl(origin: string, group: string, parent: number, oifs: Record<number, number>): Buffer {
  const ttls = new Array<number>(32).fill(0);
  for (const [v, t] of Object.entries(oifs)) ttls[Number(v)] = t;
  return L.encodeLinuxMfcctl({ origin, mcastgrp: group, parent, ttls });
}

function setup4() {
  const engine = new InetEngine();
  const sent: { vif: number; bytes: Buffer }[] = [];
  engine.transmit = (vif, buf, off, len) => sent.push({ vif, bytes: Buffer.from(buf.subarray(off, off + len)) });
  const { binder, log } = fakeBinder(engine, null);
  const so = new LinuxMrouteSocket(engine, binder);
  return { engine, binder, log, so, sent };
}

/** An initialised IPv4 mrouter with vifs 0 and 1 on eth0 / eth1. */
async function mrouter4() {
  const s = setup4();
  assert.equal(await err(s.so.setsockopt(IP, L.MRT_INIT, int(1))), 0);
  assert.equal(await err(s.so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(0, { ifindex: 11 }))), 0);
  assert.equal(await err(s.so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(1, { addr: '10.0.2.1' }))), 0);
  return s;
}

test('MRT_INIT: an int exactly, any value, EADDRINUSE for a second socket and for itself', async () => {
  const { engine, binder, so } = setup4();
  assert.equal(await err(so.setsockopt(IP, L.MRT_INIT, int(1, 3))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP, L.MRT_INIT, Buffer.alloc(8))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP, L.MRT_INIT, int(0))), 0, 'Linux ignores the value');
  assert.equal(so.isMrouter, true);
  assert.equal(engine.mrouter, so);
  const other = new LinuxMrouteSocket(engine, binder);
  assert.equal(await err(other.setsockopt(IP, L.MRT_INIT, int(1))), E.EADDRINUSE);
  assert.equal(await err(so.setsockopt(IP, L.MRT_INIT, int(1))), E.EADDRINUSE);
});

test('another socket: EACCES for every option but MRT_INIT and MRT_TABLE', async () => {
  const { engine, binder, so } = await mrouter4();
  const other = new LinuxMrouteSocket(engine, binder, { owner: {} });
  for (const name of [L.MRT_DONE, L.MRT_ADD_VIF, L.MRT_DEL_VIF, L.MRT_ADD_MFC, L.MRT_DEL_MFC, L.MRT_ASSERT, L.MRT_PIM, L.MRT_FLUSH, L.MRT_ADD_MFC_PROXY, L.MRT_VERSION]) {
    assert.equal(await err(other.setsockopt(IP, name, int(1))), E.EACCES, `option ${name}`);
  }
  assert.equal(await err(other.setsockopt(IP, L.MRT_TABLE, int(L.RT_TABLE_DEFAULT))), 0);
  assert.equal(so.isMrouter, true);
  // reading is open to any socket, as ioctls are
  assert.deepEqual(other.getsockopt(IP, L.MRT_VERSION, 4).data, int(0x0305));
  assert.equal(other.ioctl(L.SIOCGETVIFCNT, L.encodeSiocVifReq({ vifi: 0, icount: 0, ocount: 0, ibytes: 0, obytes: 0 })).err, 0);
});

test('MRT_TABLE: the default table (253, or 0) only, before MRT_INIT', async () => {
  const { so } = setup4();
  assert.equal(await err(so.setsockopt(IP, L.MRT_TABLE, int(0, 8))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP, L.MRT_TABLE, int(5))), E.ENOPROTOOPT);
  assert.equal(await err(so.setsockopt(IP, L.MRT_TABLE, int(L.RT_TABLE_MAIN))), E.ENOPROTOOPT);
  assert.equal(await err(so.setsockopt(IP, L.MRT_TABLE, int(0))), 0);
  assert.equal(await err(so.setsockopt(IP, L.MRT_TABLE, int(L.RT_TABLE_DEFAULT))), 0);
  assert.equal(await err(so.setsockopt(IP, L.MRT_INIT, int(1))), 0);
  assert.equal(await err(so.setsockopt(IP, L.MRT_TABLE, int(L.RT_TABLE_DEFAULT))), E.EBUSY);
});

test('unknown options and levels: ENOPROTOOPT', async () => {
  const { so } = await mrouter4();
  assert.equal(await err(so.setsockopt(IP, L.MRT_VERSION, int(1))), E.ENOPROTOOPT);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_MFC_PROXY, mfcctl('0.0.0.0', '239.1.1.1', 0, {}))), E.ENOPROTOOPT);
  assert.equal(await err(so.setsockopt(IP, 213, int(1))), E.ENOPROTOOPT);
  assert.equal(await err(so.setsockopt(IP6, L.MRT_INIT, int(1))), E.ENOPROTOOPT);
  assert.equal(so.getsockopt(IP, L.MRT_INIT, 4).err, E.ENOPROTOOPT);
});

test('MRT_ADD_VIF: Linux\'s checks in vif_add\'s order, a link bound per vif', async () => {
  const { engine, so, log } = setup4();
  await so.setsockopt(IP, L.MRT_INIT, int(1));
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(0, { ifindex: 11 }).subarray(0, 12))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_VIF, Buffer.concat([vifctl(0, { ifindex: 11 }), Buffer.alloc(4)]))), E.EINVAL, 'exactly 16 bytes');
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(32, { ifindex: 11 }))), E.ENFILE);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(0, { ifindex: 99 }))), E.EADDRNOTAVAIL, 'no such ifindex');
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(0, { addr: '192.0.2.1' }))), E.EADDRNOTAVAIL, 'no such address');
  assert.equal(engine.numVifs, 0);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(0, { ifindex: 11 }))), 0);
  assert.equal(engine.vifIf[0], 11);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(0, { ifindex: 12 }))), E.EADDRINUSE);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(2, { addr: '10.0.3.1' }))), 0);
  assert.equal(engine.vifIf[2], 13);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(3, { addr: '10.0.1.1', flags: L.VIFF_SRCRT }))), E.EINVAL, 'flags other than 0/USE_IFINDEX/REGISTER/TUNNEL');
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(3, { ifindex: 11, flags: L.VIFF_USE_IFINDEX | L.VIFF_REGISTER }))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(3, { addr: '10.0.1.1', flags: L.VIFF_TUNNEL }))), E.ENOBUFS);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(4, { addr: '0.0.0.0', flags: L.VIFF_REGISTER }))), 0);
  assert.equal(engine.regVif, 4);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(5, { addr: '0.0.0.0', flags: L.VIFF_REGISTER }))), E.EADDRINUSE);
  assert.deepEqual(log, ['bind inet 0 eth0', 'bind inet 2 eth2']);
});

test('MRT_DEL_VIF takes a whole vifctl; a missing vif is EADDRNOTAVAIL; its link is released', async () => {
  const { engine, so, log } = await mrouter4();
  assert.equal(await err(so.setsockopt(IP, L.MRT_DEL_VIF, u16(1))), E.EINVAL, 'a bare vifi_t is FreeBSD\'s');
  assert.equal(await err(so.setsockopt(IP, L.MRT_DEL_VIF, vifctl(40, {}))), E.ENFILE);
  assert.equal(await err(so.setsockopt(IP, L.MRT_DEL_VIF, vifctl(7, {}))), E.EADDRNOTAVAIL, 'beyond maxvif');
  await so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(3, { ifindex: 13 }));
  assert.equal(await err(so.setsockopt(IP, L.MRT_DEL_VIF, vifctl(2, {}))), E.EADDRNOTAVAIL, 'a hole');
  assert.equal(await err(so.setsockopt(IP, L.MRT_DEL_VIF, vifctl(1, {}))), 0);
  assert.equal(engine.vifUsed[1], 0);
  assert.equal(log.at(-1), 'release inet 1');
  assert.equal(await err(so.setsockopt(IP, L.MRT_DEL_VIF, vifctl(1, {}))), E.EADDRNOTAVAIL);
});

test('MRT_ADD_MFC / MRT_DEL_MFC: 60 bytes exactly, ENFILE, EINVAL groups, ENOENT, update in place', async () => {
  const { engine, so } = await mrouter4();
  const S = '10.0.1.100';
  const G = '239.1.1.1';
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_MFC, mfcctl(S, G, 0, { 1: 1 }).subarray(0, 44))), E.EINVAL, 'FreeBSD\'s 44-byte mfcctl');
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_MFC, Buffer.concat([mfcctl(S, G, 0, { 1: 1 }), Buffer.alloc(4)]))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_MFC, mfcctl(S, G, 32, { 1: 1 }))), E.ENFILE);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_MFC, mfcctl(S, '10.9.9.9', 0, { 1: 1 }))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_MFC, mfcctl('0.0.0.0', '0.0.0.0', 0, { 1: 1 }))), 0, '(*,*) is accepted');
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_MFC, mfcctl(S, G, 0, { 1: 1, 5: 1, 31: 1 }))), 0);
  const id = engine.findEntry(S, G);
  assert.deepEqual(engine.oifsOf(id), [{ vif: 1, ttl: 1 }], 'thresholds only for vifs that exist');
  // forwarded, then updated in place: the counters stay
  const p = buildPacket('inet', S, G, 10);
  engine.input(11, p, 0, p.length);
  assert.equal(engine.pkts(id), 1);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_MFC, mfcctl(S, G, 1, { 0: 2, 1: 255 }))), 0);
  assert.equal(engine.findEntry(S, G), id);
  assert.equal(engine.parent[id], 1);
  assert.deepEqual(engine.oifsOf(id), [{ vif: 0, ttl: 2 }], '255 is "not an output"');
  assert.equal(engine.pkts(id), 1);
  assert.equal(await err(so.setsockopt(IP, L.MRT_DEL_MFC, mfcctl(S, '239.9.9.9', 0, {}))), E.ENOENT);
  assert.equal(await err(so.setsockopt(IP, L.MRT_DEL_MFC, mfcctl(S, G, 7, {}).subarray(0, 44))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP, L.MRT_DEL_MFC, mfcctl(S, G, 7, {}))), 0, 'any parent matches');
  assert.equal(engine.findEntry(S, G), -1);
  // an unresolved (S,G) is not in Linux's table either
  const q = buildPacket('inet', '10.0.1.7', G, 10);
  engine.input(11, q, 0, q.length);
  assert.equal(engine.pending.size, 1);
  assert.equal(await err(so.setsockopt(IP, L.MRT_DEL_MFC, mfcctl('10.0.1.7', G, 0, {}))), E.ENOENT);
});

test('a threshold for a vif added later does not forward there until the entry is re-added', async () => {
  const { engine, so, sent } = await mrouter4();
  const S = '10.0.1.100';
  const G = '239.1.1.2';
  await so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(3, { ifindex: 13 }));
  await so.setsockopt(IP, L.MRT_ADD_MFC, mfcctl(S, G, 0, { 1: 1, 3: 1 }));
  await so.setsockopt(IP, L.MRT_DEL_VIF, vifctl(3, {}));
  await so.setsockopt(IP, L.MRT_ADD_MFC, mfcctl(S, G, 0, { 1: 1, 3: 1 })); // vif 3 gone: dropped
  await so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(3, { ifindex: 13 }));
  const p = buildPacket('inet', S, G, 10);
  engine.input(11, p, 0, p.length);
  assert.deepEqual(sent.map((s) => s.vif), [1]);
});

test('getsockopt: MRT_VERSION 0x0305, MRT_PIM 0/1, MRT_ASSERT as set; cut to optlen', async () => {
  const { engine, so } = await mrouter4();
  assert.deepEqual(so.getsockopt(IP, L.MRT_VERSION, 4), { err: 0, data: int(0x0305) });
  assert.deepEqual(so.getsockopt(IP, L.MRT_VERSION, 64).data, int(0x0305));
  assert.deepEqual(so.getsockopt(IP, L.MRT_VERSION, 1).data, Buffer.from([0x05]));
  assert.deepEqual(so.getsockopt(IP, L.MRT_VERSION, 0).data, Buffer.alloc(0));
  assert.equal(so.getsockopt(IP, L.MRT_VERSION, -1).err, E.EINVAL);
  assert.equal(so.getsockopt(IP, 212, 4).err, E.ENOPROTOOPT);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ASSERT, int(5, 2))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ASSERT, int(5))), 0);
  assert.deepEqual(so.getsockopt(IP, L.MRT_ASSERT, 4).data, int(5));
  assert.equal(engine.assert, true);
  assert.equal(await err(so.setsockopt(IP, L.MRT_ASSERT, int(0))), 0);
  assert.equal(engine.assert, false);
  // MRT_PIM sets pim and assert together; 4 (WRVIFWHOLE, as FRR passes) reads back as 1
  assert.equal(await err(so.setsockopt(IP, L.MRT_PIM, Buffer.alloc(8))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP, L.MRT_PIM, int(L.IGMPMSG_WRVIFWHOLE))), 0);
  assert.deepEqual(so.getsockopt(IP, L.MRT_PIM, 4).data, int(1));
  assert.deepEqual(so.getsockopt(IP, L.MRT_ASSERT, 4).data, int(1));
  assert.equal(engine.assert, true);
  assert.equal(await err(so.setsockopt(IP, L.MRT_PIM, int(0))), 0);
  assert.deepEqual(so.getsockopt(IP, L.MRT_ASSERT, 4).data, int(0));
  assert.equal(engine.assert, false);
});

test('ioctls: SIOCGETSGCNT / SIOCGETVIFCNT with Linux\'s errnos, the caller\'s struct filled in', async () => {
  const { engine, so } = await mrouter4();
  const S = '10.0.1.100';
  const G = '239.1.1.1';
  const sg = (s: string, g: string) => L.encodeSiocSgReq({ src: s, grp: g, pktcnt: 0, bytecnt: 0, wrongIf: 0 });
  assert.equal(so.ioctl(L.SIOCGETSGCNT, sg(S, G)).err, E.EADDRNOTAVAIL);
  assert.equal(so.ioctl(L.SIOCGETSGCNT, sg(S, G).subarray(0, 16)).err, E.EFAULT);
  await so.setsockopt(IP, L.MRT_ADD_MFC, mfcctl(S, G, 0, { 1: 1 }));
  const p = buildPacket('inet', S, G, 10, 100);
  engine.input(11, p, 0, p.length);
  engine.input(12, p, 0, p.length); // wrong interface
  const r = so.ioctl(L.SIOCGETSGCNT, sg(S, G));
  assert.equal(r.err, 0);
  assert.deepEqual(L.decodeSiocSgReq(r.data!), { src: S, grp: G, pktcnt: 1, bytecnt: 100, wrongIf: 1 });
  const vr = (vifi: number) => L.encodeSiocVifReq({ vifi, icount: 0, ocount: 0, ibytes: 0, obytes: 0 });
  const v = so.ioctl(L.SIOCGETVIFCNT, vr(1));
  assert.equal(v.err, 0);
  assert.deepEqual(L.decodeSiocVifReq(v.data!), { vifi: 1, icount: 0, ocount: 1, ibytes: 0, obytes: 100 });
  assert.equal(so.ioctl(L.SIOCGETVIFCNT, vr(2)).err, E.EINVAL, 'beyond maxvif');
  await so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(3, { ifindex: 13 }));
  assert.equal(so.ioctl(L.SIOCGETVIFCNT, vr(2)).err, E.EADDRNOTAVAIL, 'a hole');
  assert.equal(so.ioctl(L.SIOCGETRPF, Buffer.alloc(32)).err, E.ENOTTY);
  assert.equal(so.ioctl(0x8912, Buffer.alloc(32)).err, E.ENOTTY);
});

test('close of the mrouter: MRT_DONE, every link released, the table free for another socket', async () => {
  const { engine, binder, so, log } = await mrouter4();
  await so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(2, { addr: '0.0.0.0', flags: L.VIFF_REGISTER }));
  await so.setsockopt(IP, L.MRT_ADD_MFC, mfcctl('10.0.1.100', '239.1.1.1', 0, { 1: 1 }));
  await so.setsockopt(IP, L.MRT_PIM, int(1));
  log.length = 0;
  await so.close();
  assert.equal(engine.mrouter, null);
  assert.equal(engine.numVifs, 0);
  assert.equal(engine.resolvedCount, 0);
  assert.deepEqual(log.sort(), ['release inet 0', 'release inet 1'], 'the register vif had no link');
  assert.equal(so.isMrouter, false);
  assert.equal(await err(so.setsockopt(IP, L.MRT_INIT, int(1))), E.EBADF);
  const next = new LinuxMrouteSocket(engine, binder);
  assert.equal(await err(next.setsockopt(IP, L.MRT_INIT, int(1))), 0);
  // Linux keeps do_pim / do_assert in the table, across the mrouter's close
  assert.deepEqual(next.getsockopt(IP, L.MRT_PIM, 4).data, int(1));
  assert.equal(engine.assert, true);
  await next.close();
});

test('MRT_DONE tears down like the close, and the socket may MRT_INIT again', async () => {
  const { engine, so, log } = await mrouter4();
  log.length = 0;
  assert.equal(await err(so.setsockopt(IP, L.MRT_DONE, Buffer.alloc(0))), 0);
  assert.equal(engine.mrouter, null);
  assert.equal(log.length, 2);
  assert.equal(await err(so.setsockopt(IP, L.MRT_DONE, Buffer.alloc(0))), E.EACCES);
  assert.equal(await err(so.setsockopt(IP, L.MRT_INIT, int(1))), 0);
});

test('MRT_FLUSH: entries (resolved and unresolved) and vifs by flag', async () => {
  const { engine, so, log } = await mrouter4();
  await so.setsockopt(IP, L.MRT_ADD_MFC, mfcctl('10.0.1.100', '239.1.1.1', 0, { 1: 1 }));
  const q = buildPacket('inet', '10.0.1.7', '239.1.1.1', 10);
  engine.input(11, q, 0, q.length);
  assert.equal(await err(so.setsockopt(IP, L.MRT_FLUSH, int(1, 2))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP, L.MRT_FLUSH, int(L.MRT_FLUSH_MFC_STATIC | L.MRT_FLUSH_VIFS_STATIC))), 0);
  assert.equal(engine.table.size, 2, 'nothing is static');
  assert.equal(await err(so.setsockopt(IP, L.MRT_FLUSH, int(L.MRT_FLUSH_MFC))), 0);
  assert.equal(engine.table.size, 0);
  assert.equal(engine.numVifs, 2);
  log.length = 0;
  assert.equal(await err(so.setsockopt(IP, L.MRT_FLUSH, int(L.MRT_FLUSH_VIFS))), 0);
  assert.equal(engine.numVifs, 0);
  assert.deepEqual(log.sort(), ['release inet 0', 'release inet 1']);
  assert.equal(so.isMrouter, true);
});

test('upcalls in Linux\'s framing: NOCACHE and WRONGVIF with igmphdr, WHOLEPKT before the TTL decrement', async () => {
  const { engine, so } = await mrouter4();
  const S = '10.0.1.100';
  const G = '239.1.1.1';
  const p = buildPacket('inet', S, G, 10, 60);
  engine.input(11, p, 0, p.length);
  const nocache = engine.upcalls.shift()!;
  const b = LinuxMrouteSocket.upcallBytes(nocache)!;
  assert.equal(b.length, 20 + 8, 'the IP header, then struct igmphdr');
  assert.equal(b.readUInt16BE(2), 28, 'tot_len covers both');
  assert.deepEqual([b[8], b[9], b[10], b[11]], [L.IGMPMSG_NOCACHE, 0, 0, 0], 'im_msgtype, im_mbz (ip_p), im_vif, im_vif_hi');
  assert.deepEqual(b.subarray(12, 20), p.subarray(12, 20));
  assert.deepEqual(b.subarray(20), Buffer.from([L.IGMPMSG_NOCACHE, 0, 0, 0, 0, 0, 0, 0]));
  // WRONGVIF for vif 1 after MRT_PIM
  await so.setsockopt(IP, L.MRT_PIM, int(1));
  await so.setsockopt(IP, L.MRT_ADD_MFC, mfcctl(S, G, 0, { 1: 1 }));
  engine.input(12, p, 0, p.length);
  const wrong = LinuxMrouteSocket.upcallBytes(engine.upcalls.shift()!)!;
  assert.deepEqual([wrong[8], wrong[9], wrong[10], wrong[11], wrong[20]], [L.IGMPMSG_WRONGVIF, 0, 1, 0, L.IGMPMSG_WRONGVIF]);
  // WHOLEPKT through a register vif
  await so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(2, { addr: '0.0.0.0', flags: L.VIFF_REGISTER }));
  await so.setsockopt(IP, L.MRT_ADD_MFC, mfcctl(S, G, 0, { 2: 1 }));
  engine.input(11, p, 0, p.length);
  const whole = LinuxMrouteSocket.upcallBytes(engine.upcalls.shift()!)!;
  assert.equal(whole.length, 20 + 60);
  const inner = whole.subarray(20);
  assert.equal(inner[8], 10, 'the TTL the packet arrived with');
  assert.ok(ipv4HeaderOk(inner, 0, 20));
  assert.deepEqual(inner.subarray(20), p.subarray(20), 'the payload unchanged');
  assert.equal(whole[0], 0x45);
  assert.equal(whole.readUInt16BE(2), 80);
  assert.deepEqual([whole[8], whole[9], whole[10], whole[11]], [L.IGMPMSG_WHOLEPKT, 0, 2, 0]);
  assert.deepEqual(whole.subarray(12, 20), p.subarray(12, 20));
  assert.deepEqual(whole.subarray(4, 8), p.subarray(4, 8), 'the inner header\'s id and offset, not zeros');
  // FreeBSD's BW_UPCALL has no Linux form
  assert.equal(LinuxMrouteSocket.upcallBytes(new Upcall('inet', UPCALL_BW, 0, Buffer.alloc(20), 0, '0.0.0.0')), null);
});

test('a vif bind that fails in the engine releases the link again', async () => {
  const engine = new InetEngine();
  const { log } = fakeBinder(engine, null);
  const binder: VifBinder = {
    // a binder that attaches nothing: the engine then finds no interface with the address
    bindVif: async (_f, vifi) => (log.push(`bind ${vifi}`), { ifindex: 11, lclAddr: '10.0.1.1' }),
    releaseVif: async (_f, vifi) => void log.push(`release ${vifi}`),
  };
  const so = new LinuxMrouteSocket(engine, binder);
  await so.setsockopt(IP, L.MRT_INIT, int(1));
  assert.equal(await err(so.setsockopt(IP, L.MRT_ADD_VIF, vifctl(0, { ifindex: 11 }))), E.EADDRNOTAVAIL);
  assert.deepEqual(log, ['bind 0', 'release 0']);
  await so.close();
  assert.deepEqual(log, ['bind 0', 'release 0'], 'nothing left to release');
});

// ===========================================================================
// IPv6

const S6 = '2001:db8:1::100';
const G6 = 'ff0e::1:1';

function mif6ctl(mifi: number, pifi: number, flags = 0): Buffer {
  return L.encodeLinuxMif6ctl({ mifi, flags, threshold: 1, pifi, rateLimit: 0 });
}
function mf6cctl(origin: string, group: string, parent: number, ifset: number[]): Buffer {
  return L.encodeLinuxMf6cctl({ origin, mcastgrp: group, parent, ifset });
}

async function mrouter6() {
  const engine = new Inet6Engine();
  const sent: { vif: number; bytes: Buffer }[] = [];
  engine.transmit = (vif, buf, off, len) => sent.push({ vif, bytes: Buffer.from(buf.subarray(off, off + len)) });
  const { binder, log } = fakeBinder(null, engine);
  const so = new LinuxMroute6Socket(engine, binder);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_INIT, int(1))), 0);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_ADD_MIF, mif6ctl(0, 11))), 0);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_ADD_MIF, mif6ctl(1, 12))), 0);
  return { engine, binder, so, log, sent };
}

test('IPv6: MRT6_INIT takes at least an int; EADDRINUSE; EACCES for others', async () => {
  const engine = new Inet6Engine();
  const { binder } = fakeBinder(null, engine);
  const so = new LinuxMroute6Socket(engine, binder);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_INIT, int(1, 3))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_ADD_MIF, mif6ctl(0, 11))), E.EACCES);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_INIT, Buffer.alloc(8))), 0, 'ip6mr.c: optlen < sizeof(int)');
  const other = new LinuxMroute6Socket(engine, binder, { owner: {} });
  assert.equal(await err(other.setsockopt(IP6, L.MRT6_INIT, int(1))), E.EADDRINUSE);
  assert.equal(await err(other.setsockopt(IP6, L.MRT6_DONE, Buffer.alloc(0))), E.EACCES);
  assert.equal(await err(so.setsockopt(IP, L.MRT_INIT, int(1))), E.ENOPROTOOPT, 'level IPPROTO_IP');
  // MRT6_TABLE: IPv6's default table is RT6_TABLE_DFLT (254), not 253
  assert.equal(await err(other.setsockopt(IP6, L.MRT6_TABLE, int(L.RT6_TABLE_DFLT))), 0);
  assert.equal(await err(other.setsockopt(IP6, L.MRT6_TABLE, int(L.RT_TABLE_DEFAULT))), E.ENOPROTOOPT);
  assert.equal(await err(other.setsockopt(IP6, L.MRT6_TABLE, int(100000000))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_TABLE, int(0))), E.EBUSY);
  // getsockopt is open to any socket on Linux (FreeBSD says EACCES)
  assert.deepEqual(other.getsockopt(IP6, L.MRT6_VERSION, 4).data, int(0x0305));
  assert.equal(other.getsockopt(IP6, L.MRT6_PIM, -1).err, E.EINVAL);
});

test('IPv6: MRT6_ADD_MIF / MRT6_DEL_MIF errnos; register mif without an interface', async () => {
  const { engine, so, log } = await mrouter6();
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_ADD_MIF, mif6ctl(2, 13).subarray(0, 6))), E.EINVAL, 'FreeBSD\'s 6-byte mif6ctl');
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_ADD_MIF, mif6ctl(32, 13))), E.ENFILE, 'Linux MAXMIFS is 32');
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_ADD_MIF, mif6ctl(0, 13))), E.EADDRINUSE);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_ADD_MIF, mif6ctl(2, 99))), E.EADDRNOTAVAIL);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_ADD_MIF, mif6ctl(2, 13, 2))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_ADD_MIF, mif6ctl(3, 0, L.MIFF_REGISTER))), 0, 'pifi is not looked at');
  assert.equal(engine.regVif, 3);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_ADD_MIF, mif6ctl(4, 0, L.MIFF_REGISTER))), E.EADDRINUSE);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_DEL_MIF, Buffer.alloc(1))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_DEL_MIF, u16(2))), E.EADDRNOTAVAIL, 'a hole (FreeBSD: EINVAL)');
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_DEL_MIF, u16(9))), E.EADDRNOTAVAIL);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_DEL_MIF, u16(1))), 0);
  assert.deepEqual(log, ['bind inet6 0 eth0', 'bind inet6 1 eth1', 'release inet6 1']);
});

test('IPv6: MRT6_ADD_MFC / DEL_MFC, if_set beyond the mifs ignored, SIOCGETSGCNT_IN6 miss is EADDRNOTAVAIL', async () => {
  const { engine, so, sent } = await mrouter6();
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_ADD_MFC, mf6cctl(S6, G6, 0, [1]).subarray(0, 91))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_ADD_MFC, mf6cctl(S6, G6, 32, [1]))), E.ENFILE);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_ADD_MFC, mf6cctl(S6, '2001:db8::9', 0, [1]))), E.EINVAL);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_ADD_MFC, Buffer.concat([mf6cctl(S6, G6, 0, [1, 7, 40, 255]), Buffer.alloc(8)]))), 0, 'longer is fine');
  const id = engine.findEntry(S6, G6);
  assert.deepEqual(engine.oifsOf(id).map((o) => o.vif), [1]);
  const sg = (s: string, g: string) => L.encodeLinuxSiocSgReq6({ src: s, grp: g, pktcnt: 0, bytecnt: 0, wrongIf: 0 });
  assert.equal(so.ioctl(L.SIOCGETSGCNT_IN6, sg(S6, 'ff0e::9')).err, E.EADDRNOTAVAIL);
  const p = buildPacket('inet6', S6, G6, 10, 100);
  engine.input(11, p, 0, p.length);
  assert.deepEqual(sent.map((s) => s.vif), [1]);
  const r = so.ioctl(L.SIOCGETSGCNT_IN6, sg(S6, G6));
  assert.equal(r.err, 0);
  const d = L.decodeLinuxSiocSgReq6(r.data!);
  assert.equal(d.src.family, 10, 'the caller\'s sockaddr back');
  assert.deepEqual([d.pktcnt, d.bytecnt, d.wrongIf], [1, 100, 0]);
  const mr = (mifi: number) => L.encodeSiocMifReq6({ mifi, icount: 0, ocount: 0, ibytes: 0, obytes: 0 });
  assert.deepEqual(L.decodeSiocMifReq6(so.ioctl(L.SIOCGETMIFCNT_IN6, mr(0)).data!), { mifi: 0, icount: 1, ocount: 0, ibytes: 100, obytes: 0 });
  assert.equal(so.ioctl(L.SIOCGETMIFCNT_IN6, mr(2)).err, E.EINVAL);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_DEL_MFC, mf6cctl(S6, 'ff0e::9', 0, []))), E.ENOENT);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_DEL_MFC, mf6cctl(S6, G6, 0, []))), 0);
  assert.equal(engine.findEntry(S6, G6), -1);
});

test('IPv6: MRT6_ASSERT / MRT6_PIM drive WRONGMIF; mrt6msg in Linux\'s framing', async () => {
  const { engine, so } = await mrouter6();
  const p = buildPacket('inet6', S6, G6, 10, 80);
  engine.input(11, Buffer.from(p), 0, p.length);
  const nocache = LinuxMroute6Socket.upcallBytes(engine.upcalls.shift()!)!;
  assert.equal(nocache.length, 40);
  assert.deepEqual([nocache[0], nocache[1], nocache.readUInt16LE(2), nocache.readUInt32LE(4)], [0, L.MRT6MSG_NOCACHE, 0, 0], 'im6_pad is 0 on Linux');
  assert.deepEqual(nocache.subarray(8, 40), p.subarray(8, 40));
  await so.setsockopt(IP6, L.MRT6_ADD_MFC, mf6cctl(S6, G6, 0, [1]));
  engine.upcalls.clear();
  engine.input(12, Buffer.from(p), 0, p.length);
  assert.equal(engine.upcalls.length, 0, 'no WRONGMIF without assert');
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_ASSERT, int(1))), 0);
  assert.equal(engine.pim, true);
  engine.input(12, Buffer.from(p), 0, p.length);
  const wrong = LinuxMroute6Socket.upcallBytes(engine.upcalls.shift()!)!;
  assert.deepEqual([wrong[1], wrong.readUInt16LE(2)], [L.MRT6MSG_WRONGMIF, 1]);
  assert.equal(await err(so.setsockopt(IP6, L.MRT6_PIM, int(L.MRT6MSG_WRMIFWHOLE))), 0);
  assert.deepEqual(so.getsockopt(IP6, L.MRT6_PIM, 4).data, int(1));
  // WHOLEPKT through a register mif: src and dst filled, the hop limit as it arrived
  await so.setsockopt(IP6, L.MRT6_ADD_MIF, mif6ctl(2, 0, L.MIFF_REGISTER));
  await so.setsockopt(IP6, L.MRT6_ADD_MFC, mf6cctl(S6, G6, 0, [2]));
  engine.upcalls.clear();
  engine.input(11, Buffer.from(p), 0, p.length);
  const whole = LinuxMroute6Socket.upcallBytes(engine.upcalls.shift()!)!;
  assert.equal(whole.length, 40 + 80);
  assert.deepEqual([whole[0], whole[1], whole.readUInt16LE(2), whole.readUInt32LE(4)], [0, L.MRT6MSG_WHOLEPKT, 2, 0]);
  assert.deepEqual(whole.subarray(8, 40), p.subarray(8, 40));
  assert.deepEqual(whole.subarray(40), p, 'the packet as it arrived');
  assert.equal(LinuxMroute6Socket.upcallBytes(new Upcall('inet', 1, 0, Buffer.alloc(20), 0, '0.0.0.0')), null);
});

test('IPv6: close releases the mifs and frees the table', async () => {
  const { engine, so, log } = await mrouter6();
  log.length = 0;
  await so.close();
  assert.equal(engine.mrouter, null);
  assert.equal(engine.numVifs, 0);
  assert.deepEqual(log.sort(), ['release inet6 0', 'release inet6 1']);
});
