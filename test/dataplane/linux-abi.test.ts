// The Linux codecs (src/dataplane/codecs/linux.ts) against the headers themselves: a C
// program compiled with <linux/mroute.h> and <linux/mroute6.h> prints every size, offset,
// number and errno, and structs filled with known values; the codecs must agree with the
// numbers and decode those bytes, and encode them back to the same bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as L from '../../src/dataplane/codecs/linux.js';
import { decodeIgmpmsg, decodeMrt6msg, encodeIgmpmsg, encodeMrt6msg } from '../../src/dataplane/codecs/index.js';

interface Abi {
  sizeof: Record<string, number>;
  offsetof: Record<string, number>;
  const: Record<string, number>;
  errno: Record<string, number>;
  hex: Record<string, string>;
}

const source = new URL('./tools/linux-abi.c', import.meta.url).pathname;
const haveCc = spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = haveCc ? false : 'no C compiler (cc) on this machine: the Linux headers cannot be consulted';

let abi: Abi | null = null;
function getAbi(): Abi {
  if (abi) return abi;
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-linux-abi-'));
  try {
    const bin = join(dir, 'linux-abi');
    execFileSync('cc', ['-Wall', '-Werror', '-o', bin, source], { stdio: ['ignore', 'ignore', 'inherit'] });
    abi = JSON.parse(execFileSync(bin, { encoding: 'utf8' })) as Abi;
    return abi;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const hex = (k: string): Buffer => Buffer.from(getAbi().hex[k]!, 'hex');

test('struct sizes and field offsets are the headers\'', { skip }, () => {
  const a = getAbi();
  assert.deepEqual(L.SIZEOF, a.sizeof);
  assert.deepEqual(L.OFFSETOF, a.offsetof);
  // the counters of sioc_vif_req and sioc_mif_req6 are written by one helper
  for (const f of ['icount', 'ocount', 'ibytes', 'obytes']) assert.equal(a.offsetof[`sioc_mif_req6.${f}`], a.offsetof[`sioc_vif_req.${f}`]);
  assert.equal(L.VIFCTL_SIZE, a.sizeof.vifctl);
  assert.equal(L.MFCCTL_SIZE, a.sizeof.mfcctl);
  assert.equal(L.MIF6CTL_SIZE, a.sizeof.mif6ctl);
  assert.equal(L.MF6CCTL_SIZE, a.sizeof.mf6cctl);
});

test('every option, ioctl, flag and message number is the headers\'', { skip }, () => {
  const a = getAbi();
  const mine = L as unknown as Record<string, unknown>;
  for (const [name, value] of Object.entries(a.const)) assert.equal(mine[name], value, name);
  assert.equal(L.MRT_VERSION_VALUE, 0x0305);
});

test('the errno table has Linux\'s numbers', { skip }, () => {
  const a = getAbi();
  assert.deepEqual(
    Object.fromEntries(Object.keys(L.LINUX_ERRNO).map((k) => [k, a.errno[k]])),
    { ...L.LINUX_ERRNO },
  );
});

test('vifctl: both readings of the union, and back', { skip }, () => {
  const byIndex = L.decodeLinuxVifctl(hex('vifctl_ifindex'));
  assert.equal(byIndex.vifi, 0x0102);
  assert.equal(byIndex.flags, L.VIFF_USE_IFINDEX);
  assert.equal(byIndex.threshold, 3);
  assert.equal(byIndex.rateLimit, 0x0a0b0c0d);
  assert.equal(byIndex.lclIfindex, 0x11223344);
  assert.equal(byIndex.rmtAddr, '192.0.2.9');
  assert.deepEqual(L.encodeLinuxVifctl(byIndex), hex('vifctl_ifindex'));
  const byAddr = L.decodeLinuxVifctl(hex('vifctl_addr'));
  assert.equal(byAddr.flags, 0);
  assert.equal(byAddr.lclAddr, '10.1.2.3');
  assert.deepEqual(L.encodeLinuxVifctl(byAddr), hex('vifctl_addr'));
});

test('mfcctl: 60 bytes with the trailing counters', { skip }, () => {
  const m = L.decodeLinuxMfcctl(hex('mfcctl'));
  assert.equal(m.origin, '10.0.0.1');
  assert.equal(m.mcastgrp, '239.1.2.3');
  assert.equal(m.parent, 7);
  assert.deepEqual(m.ttls, Array.from({ length: 32 }, (_, i) => (i * 7 + 1) & 0xff));
  assert.equal(m.pktCnt, 0x01020304);
  assert.equal(m.byteCnt, 0x05060708);
  assert.equal(m.wrongIf, 0x090a0b0c);
  assert.equal(m.expire, -2);
  assert.deepEqual(L.encodeLinuxMfcctl(m), hex('mfcctl'));
});

test('sioc_sg_req and sioc_vif_req (shared with FreeBSD\'s layout)', { skip }, () => {
  const s = L.decodeSiocSgReq(hex('sioc_sg_req'));
  assert.deepEqual(s, { src: '10.0.0.1', grp: '239.1.2.3', pktcnt: 0x1122334455, bytecnt: 0x66778899aabb, wrongIf: 5 });
  assert.deepEqual(L.encodeSiocSgReq(s), hex('sioc_sg_req'));
  const v = L.decodeSiocVifReq(hex('sioc_vif_req'));
  assert.deepEqual(v, { vifi: 31, icount: 1, ocount: 0x100000000, ibytes: 3, obytes: 0x123456789a });
  assert.deepEqual(L.encodeSiocVifReq(v), hex('sioc_vif_req'));
  // the helpers the socket answers with write the same counters into a caller's struct
  const out = Buffer.from(hex('sioc_vif_req'));
  out.fill(0, 8);
  L.writeVifCounters(out, v);
  assert.deepEqual(out, hex('sioc_vif_req'));
  const sg = Buffer.from(hex('sioc_sg_req'));
  sg.fill(0, 8);
  L.writeSgCounters(sg, s);
  assert.deepEqual(sg, hex('sioc_sg_req'));
});

test('mif6ctl: 12 bytes with threshold, pifi and rate limit', { skip }, () => {
  const m = L.decodeLinuxMif6ctl(hex('mif6ctl'));
  assert.deepEqual(m, { mifi: 0x0203, flags: L.MIFF_REGISTER, threshold: 9, pifi: 0x0405, rateLimit: 0x06070809 });
  assert.deepEqual(L.encodeLinuxMif6ctl(m), hex('mif6ctl'));
});

test('mf6cctl: Linux sockaddr_in6 (family 10 in 16 bits), 256-bit if_set', { skip }, () => {
  const m = L.decodeLinuxMf6cctl(hex('mf6cctl'));
  assert.deepEqual(m.origin, { family: 10, port: 0, flowinfo: 0, addr: '2001:db8::1', scopeId: 0 });
  assert.equal(m.mcastgrp.addr, 'ff3e::4321');
  assert.equal(m.parent, 3);
  assert.deepEqual(m.ifset, [0, 5, 31, 32, 255]);
  assert.deepEqual(L.encodeLinuxMf6cctl(m), hex('mf6cctl'));
  assert.deepEqual(L.encodeLinuxMf6cctl({ origin: '2001:db8::1', mcastgrp: 'ff3e::4321', parent: 3, ifset: m.ifset }), hex('mf6cctl'));
});

test('sioc_sg_req6 and sioc_mif_req6', { skip }, () => {
  const s = L.decodeLinuxSiocSgReq6(hex('sioc_sg_req6'));
  assert.equal(s.src.addr, '2001:db8::1');
  assert.equal(s.grp.family, 10);
  assert.equal(s.grp.addr, 'ff3e::4321');
  assert.deepEqual([s.pktcnt, s.bytecnt, s.wrongIf], [7, 0x10000000000, 9]);
  assert.deepEqual(L.encodeLinuxSiocSgReq6(s), hex('sioc_sg_req6'));
  const out = Buffer.from(hex('sioc_sg_req6'));
  out.fill(0, 56);
  L.writeSgCounters6(out, s);
  assert.deepEqual(out, hex('sioc_sg_req6'));
  const m = L.decodeSiocMifReq6(hex('sioc_mif_req6'));
  assert.deepEqual(m, { mifi: 17, icount: 4, ocount: 5, ibytes: 6, obytes: 0xfffffffff });
  assert.deepEqual(L.encodeSiocMifReq6(m), hex('sioc_mif_req6'));
});

test('igmpmsg and mrt6msg: the shared overlays, im_vif_hi where FreeBSD has unused3', { skip }, () => {
  const g = decodeIgmpmsg(hex('igmpmsg'));
  assert.equal(g.msgtype, L.IGMPMSG_WRONGVIF);
  assert.equal(g.vif, 0x34);
  assert.equal(g.unused3, 0x01); // im_vif_hi
  assert.deepEqual([g.src, g.dst], ['10.0.0.1', '239.1.2.3']);
  assert.deepEqual(encodeIgmpmsg(g), hex('igmpmsg'));
  const m = decodeMrt6msg(hex('mrt6msg'));
  assert.deepEqual(m, { mbz: 0, msgtype: L.MRT6MSG_NOCACHE, mif: 0x0102, pad: 0, src: '2001:db8::1', dst: 'ff3e::4321' });
  assert.deepEqual(encodeMrt6msg(m), hex('mrt6msg'));
});
