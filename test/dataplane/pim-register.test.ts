// In-engine PIM Register encapsulation, decoded by an independent decoder (scapy).

import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { InetEngine } from '../../src/dataplane/inet.js';
import { buildPacket } from '../../src/router/packets.js';
import { setIpv4Checksum } from '../../src/dataplane/packet.js';

const PY = '/usr/bin/python3';
const DECODER = new URL('./tools/decode-register.py', import.meta.url).pathname;

function scapyAvailable(): string | null {
  if (!existsSync(PY)) return `${PY} not found`;
  const r = spawnSync(PY, ['-c', 'import scapy.layers.inet'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'python3-scapy is not installed (scripts/ci-deps.sh installs it as root)';
}

function decode(pkts: Buffer[]): any[] {
  const r = spawnSync(PY, [DECODER], { input: pkts.map((p) => p.toString('hex')).join('\n') + '\n', encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

function setup(opts: { border?: boolean; rp?: string; api?: number } = {}) {
  const e = new InetEngine();
  e.attachInterface({ ifindex: 1, name: 'a', addrs4: ['10.0.1.1'], addrs6: [], multicast: true });
  e.attachInterface({ ifindex: 2, name: 'b', addrs4: ['10.0.2.1'], addrs6: [], multicast: true });
  const so = {};
  e.init(so, 1);
  e.setApiConfig(so, opts.api ?? 0x303);
  e.addVif(so, { vifi: 0, flags: 0, threshold: 1, rateLimit: 0, lclAddr: '10.0.1.1', rmtAddr: '0.0.0.0' });
  e.addVif(so, { vifi: 1, flags: 0, threshold: 1, rateLimit: 0, lclAddr: '10.0.2.1', rmtAddr: '0.0.0.0' });
  e.addVif(so, { vifi: 3, flags: 4, threshold: 1, rateLimit: 0, lclAddr: '127.0.0.2', rmtAddr: '0.0.0.0' });
  const ttls = new Array(32).fill(0);
  ttls[3] = 1;
  const flags = new Array(32).fill(0);
  if (opts.border) flags[0] = 2; // on the parent vif: FreeBSD reads it there, not on the register vif
  e.addMfc(so, { origin: '10.0.1.100', mcastgrp: '239.1.1.1', parent: 0, ttls, flags, rp: opts.rp ?? '10.0.2.9' }, true);
  const regs: { dst: number; pkt: Buffer }[] = [];
  e.transmitUnicast = (dst, buf, off, len) => regs.push({ dst, pkt: Buffer.from(buf.subarray(off, off + len)) });
  return { e, regs };
}

describe('PIM Register encapsulation (case 43, 44)', () => {
  let why: string | null = null;
  before(() => {
    why = scapyAvailable();
  });

  it('every field and checksum as FreeBSD builds it, decoded by scapy', (t) => {
    if (why) return t.skip(why);
    const { e, regs } = setup();
    const inner = buildPacket('inet', '10.0.1.100', '239.1.1.1', 64, 200);
    inner[1] = 0x28; // TOS copied to the outer header
    inner[6] = 0x40; // DF copied too
    const fixed = Buffer.from(inner);
    fixed.writeUInt16BE(0, 10);
    setIpv4Checksum(fixed, 0);
    e.input(1, fixed, 0, fixed.length);
    assert.equal(regs.length, 1);
    assert.equal(e.upcalls.length, 0, 'no WHOLEPKT when the engine encapsulates');
    const [d] = decode(regs.map((r) => r.pkt));
    assert.equal(d.version, 4);
    assert.equal(d.ihl, 5);
    assert.equal(d.proto, 103);
    assert.equal(d.ttl, 64);
    assert.equal(d.src, '10.0.1.1', 'source = the parent (incoming) vif address');
    assert.equal(d.dst, '10.0.2.9', 'destination = the RP');
    assert.equal(d.tos, 0x28);
    assert.equal(d.flags & 2, 2, 'DF copied');
    assert.equal(d.len, 200 + 28);
    assert.ok(d.hdr_checksum_ok);
    assert.equal(d.pim_version, 2);
    assert.equal(d.pim_type, 1);
    assert.ok(d.pim_checksum_ok, 'checksum over the 8-byte PIM header only');
    assert.equal(d.border, false);
    assert.equal(d.null_register, false);
    assert.equal(d.inner_src, '10.0.1.100');
    assert.equal(d.inner_dst, '239.1.1.1');
    assert.equal(d.inner_ttl, 63);
    assert.ok(d.inner_checksum_ok);
    assert.equal(e.pimstat.snd_registers_msgs, 1);
    assert.equal(e.pimstat.snd_registers_bytes, 200);
  });

  it('Border bit from the parent vif flag (with border-vif configured)', (t) => {
    if (why) return t.skip(why);
    const { e, regs } = setup({ border: true });
    const p = buildPacket('inet', '10.0.1.100', '239.1.1.1', 64, 100);
    e.input(1, p, 0, p.length);
    const [d] = decode(regs.map((r) => r.pkt));
    assert.equal(d.border, true);
    assert.ok(d.pim_checksum_ok);
  });

  it('oversized inner packets are fragmented first, each fragment encapsulated', (t) => {
    if (why) return t.skip(why);
    const { e, regs } = setup();
    const p = buildPacket('inet', '10.0.1.100', '239.1.1.1', 64, 65535);
    e.input(1, p, 0, p.length);
    assert.equal(regs.length, 2);
    const ds = decode(regs.map((r) => r.pkt));
    assert.equal(ds[0].inner_mf, true);
    assert.equal(ds[1].inner_mf, false);
    assert.equal(ds[0].inner_frag, 0);
    assert.ok(ds[1].inner_frag > 0);
    for (const d of ds) {
      assert.ok(d.hdr_checksum_ok && d.pim_checksum_ok && d.inner_checksum_ok);
      assert.ok(d.len <= 65535);
    }
    assert.equal(ds[0].inner_len - 20 + (ds[1].inner_len - 20), 65535 - 20);
  });

  it('an RP of 0.0.0.0 falls back to WHOLEPKT upcalls (case 44)', () => {
    const { e, regs } = setup({ rp: '0.0.0.0' });
    const p = buildPacket('inet', '10.0.1.100', '239.1.1.1', 64, 100);
    e.input(1, p, 0, p.length);
    assert.equal(regs.length, 0);
    assert.equal(e.upcalls.shift()?.type, 3);
  });

  it('without MRT_MFC_RP configured the RP is ignored: WHOLEPKT', () => {
    const { e, regs } = setup({ api: 0x3 });
    const p = buildPacket('inet', '10.0.1.100', '239.1.1.1', 64, 100);
    e.input(1, p, 0, p.length);
    assert.equal(regs.length, 0);
    assert.equal(e.upcalls.shift()?.type, 3);
  });
});
