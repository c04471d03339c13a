// IPv4 multicast forwarding: FreeBSD's ip_mroute.c over the generic core.
// Control operations take the calling socket (`so`) so the mrouter-ownership rules of
// X_ip_mrouter_set apply; errors are the errnos FreeBSD returns, checked in its order.

import { fail } from './errno.js';
import { formatIPv4, parseIPv4 } from './addr.js';
import { classify4 } from './classify.js';
import {
  MrouteEngine,
  ENTRY_RESOLVED,
  NO_IFINDEX,
  type EngineOptions,
} from './engine.js';
import {
  decrementTtl4,
  hasSourceRoute4,
  ipv4HeaderOk,
  readU32,
  setIpv4Checksum,
  writeU32,
  internetChecksum,
} from './packet.js';
import { PimStat } from './stats.js';
import { Upcall, UPCALL_WHOLEPKT, UPCALL_WRONGVIF } from './upcall.js';
import { BwMeters, type BwSpec } from './bw-meter.js';
import {
  MRT_VERSION_VALUE,
  VIFF_TUNNEL,
  VIFF_REGISTER,
  MRT_MFC_FLAGS_DISABLE_WRONGVIF,
  MRT_MFC_FLAGS_BORDER_VIF,
  MRT_MFC_FLAGS_ALL,
  MRT_MFC_RP,
  MRT_MFC_BW_UPCALL,
  MRT_API_FLAGS_ALL,
} from './codecs/constants.js';

export {
  MRT_VERSION_VALUE,
  VIFF_REGISTER,
  MRT_MFC_FLAGS_DISABLE_WRONGVIF,
  MRT_MFC_FLAGS_BORDER_VIF,
  MRT_MFC_RP,
  MRT_MFC_BW_UPCALL,
  MRT_API_FLAGS_ALL,
};
/** ratecheck interval for WRONGVIF upcalls, per (S,G) */
export const ASSERT_MSG_TIME_MS = 3000;
/** ifindex of the register_vif pseudo-interface (never a kernel ifindex) */
export const REGISTER_IFINDEX4 = -4;
/** ip_len above which an inner packet is fragmented before Register encapsulation */
export const PIM_REG_MAX_INNER = 65535 - 20 - 8;

/** struct vifctl */
export interface VifCtl {
  vifi: number;
  flags: number;
  threshold: number;
  rateLimit: number;
  lclAddr: string;
  rmtAddr: string;
}

/** struct mfcctl / mfcctl2 (flags and rp absent for the plain mfcctl) */
export interface MfcCtl {
  origin: string;
  mcastgrp: string;
  parent: number;
  ttls: ArrayLike<number>;
  flags?: ArrayLike<number>;
  rp?: string;
}

export interface SgCount {
  pktcnt: number;
  bytecnt: number;
  wrongIf: number;
}
export interface VifCount {
  icount: number;
  ocount: number;
  ibytes: number;
  obytes: number;
}

export class InetEngine extends MrouteEngine {
  readonly family = 'inet' as const;
  /**
   * Packets held per pending entry: current FreeBSD uses a buf_ring of MAX_UPQ (4), and a
   * buf_ring holds size - 1, so 3 (ip_mroute.c; the old TAILQ code held 5).
   */
  protected readonly upqMax = 3;

  assert = false; // MRT_ASSERT, alias MRT_PIM
  apiConfig = 0; // MRT_API_CONFIG
  readonly pimstat = new PimStat();
  readonly meters: BwMeters;
  /** ip_id for Register outer headers */
  private ipId = 1;
  /** where kernel-built PIM Registers go: unicast toward the RP (the router routes it) */
  transmitUnicast: (dst: number, buf: Uint8Array, off: number, len: number) => void = () => {};

  private readonly key = new Uint32Array(2);

  constructor(opts: EngineOptions = {}) {
    super(opts, 2, 32);
    this.meters = new BwMeters(this);
  }

  // ================================================================ control

  private checkOwner(so: object): void {
    if (this.mrouter !== so) fail('EPERM', 'not the multicast routing socket (MRT_INIT it first)');
  }

  /** MRT_INIT: only the value 1; ENOPROTOOPT is checked before EADDRINUSE. */
  init(so: object, value = 1): void {
    if (value !== 1) fail('ENOPROTOOPT', `MRT_INIT takes 1, not ${value}`);
    if (this.mrouter !== null) fail('EADDRINUSE', 'multicast routing already initialised by a socket');
    this.initCore(so);
  }

  /** MRT_DONE (or closing the mrouter socket) tears everything down. */
  done(so: object): void {
    this.checkOwner(so);
    this.meters.clear();
    this.doneCore();
    this.assert = false;
    this.apiConfig = 0;
  }

  setAssert(so: object, value: number): void {
    this.checkOwner(so);
    // FreeBSD's set_assert rejects values other than 0/1 but the caller drops the EINVAL:
    // setsockopt returns 0 and the setting stays as it was.
    if (value === 0 || value === 1) this.assert = value === 1;
  }

  /** MRT_API_CONFIG set: returns the accepted subset, written back to the caller. */
  setApiConfig(so: object, requested: number): number {
    this.checkOwner(so);
    if (this.numVifs > 0 || this.assert || this.table.size > 0)
      fail('EPERM', 'MRT_API_CONFIG only before any vif, MFC entry or assert is configured');
    this.apiConfig = (requested & MRT_API_FLAGS_ALL) >>> 0;
    return this.apiConfig;
  }

  addVif(so: object, c: VifCtl): void {
    this.wBegin();
    try {
      this.checkOwner(so);
      if (c.vifi >= this.maxVifs) fail('EINVAL', `vif index ${c.vifi} out of range (0-${this.maxVifs - 1})`);
      if (c.rateLimit !== 0) fail('EINVAL', 'vifc_rate_limit is not supported and must be 0');
      const lcl = parseIPv4(c.lclAddr);
      if (lcl === 0) fail('EADDRNOTAVAIL', 'vifc_lcl_addr is 0.0.0.0');
      const register = (c.flags & VIFF_REGISTER) !== 0;
      let ifindex: number;
      if (register) {
        // The register vif's address is not checked against interfaces (127.0.0.2 works).
        ifindex = REGISTER_IFINDEX4;
      } else {
        const ifp = this.interfaceOwning(c.lclAddr);
        if (ifp === null) fail('EADDRNOTAVAIL', `no interface has address ${c.lclAddr}`);
        if (c.flags & VIFF_TUNNEL) fail('EOPNOTSUPP', 'VIFF_TUNNEL is not supported');
        if (!ifp.multicast) fail('EOPNOTSUPP', `interface ${ifp.name} is not multicast-capable`);
        ifindex = ifp.ifindex;
      }
      if (this.vifUsed[c.vifi]) fail('EADDRINUSE', `vif ${c.vifi} is in use`);
      this.clearVif(c.vifi); // re-adding a vif starts its counters at 0
      this.vifUsed[c.vifi] = 1;
      this.vifFlags[c.vifi] = c.flags;
      this.vifThreshold[c.vifi] = c.threshold; // stored, never consulted (as FreeBSD)
      this.vifIf[c.vifi] = ifindex;
      this.vifLcl[c.vifi] = lcl;
      this.vifRmt[c.vifi] = parseIPv4(c.rmtAddr || '0.0.0.0');
      this.vifIsRegister[c.vifi] = register ? 1 : 0;
      if (register && this.regVif < 0) this.regVif = c.vifi;
      if (c.vifi >= this.numVifs) this.numVifs = c.vifi + 1;
    } finally {
      this.wEnd();
    }
  }

  delVif(so: object, vifi: number): void {
    this.wBegin();
    try {
      this.checkOwner(so);
      if (vifi >= this.numVifs) fail('EINVAL', `vif ${vifi} is beyond numvifs (${this.numVifs})`);
      if (!this.vifUsed[vifi]) fail('EADDRNOTAVAIL', `vif ${vifi} is not configured`);
      if (vifi === this.regVif) this.regVif = -1;
      this.clearVif(vifi);
      this.recomputeNumVifs();
      // MFC entries keep pointing at the empty slot: arrivals there count as wrong-iif.
    } finally {
      this.wEnd();
    }
  }

  /** MRT_ADD_MFC. `ctl2` says an mfcctl2 was passed (required once any API flag is set). */
  addMfc(so: object, c: MfcCtl, ctl2 = c.flags !== undefined): void {
    this.checkOwner(so);
    if (this.apiConfig !== 0 && !ctl2) fail('EINVAL', 'struct mfcctl2 is required once MRT_API_CONFIG enabled a feature');
    const origin = parseIPv4(c.origin);
    const group = parseIPv4(c.mcastgrp);
    this.key[0] = origin;
    this.key[1] = group;
    const rpWord = (this.apiConfig & MRT_MFC_RP) && c.rp ? [parseIPv4(c.rp)] : null;
    this.addMfcCore(this.key, c.parent, c.ttls, c.flags ?? null, rpWord, this.apiConfig & MRT_MFC_FLAGS_ALL, this.numVifs);
  }

  /**
   * MRT_ADD_MFC with the addresses as words, no flags or rp: the hot path of a daemon
   * installing routes through the Linux socket, which has no text to parse. Returns the id.
   */
  addMfcWords(so: object, origin: number, group: number, parent: number, ttls: ArrayLike<number>): number {
    this.checkOwner(so);
    if (this.apiConfig !== 0) fail('EINVAL', 'struct mfcctl2 is required once MRT_API_CONFIG enabled a feature');
    this.key[0] = origin;
    this.key[1] = group;
    return this.addMfcCore(this.key, parent, ttls, null, null, 0, this.numVifs);
  }

  /** the id of the resolved (S,G) given as words, else -1 */
  resolvedId(origin: number, group: number): number {
    const id = this.table.find2(origin, group);
    return id >= 0 && this.state[id] === ENTRY_RESOLVED ? id : -1;
  }

  delMfc(so: object, origin: string, group: string): void {
    this.checkOwner(so);
    const id = this.table.find2(parseIPv4(origin), parseIPv4(group));
    if (id < 0) fail('EADDRNOTAVAIL', `no MFC entry (${origin}, ${group})`);
    const p = this.pending.get(id);
    if (p) this.heldDropped += p.queue.length;
    this.freeEntry(id);
  }

  /** SIOCGETSGCNT: resolved entries only. */
  getSgCnt(origin: string, group: string): SgCount {
    const id = this.table.find2(parseIPv4(origin), parseIPv4(group));
    if (id < 0 || this.state[id] !== ENTRY_RESOLVED) fail('EADDRNOTAVAIL', `no MFC entry (${origin}, ${group})`);
    return { pktcnt: this.pkts(id), bytecnt: this.bytes(id), wrongIf: this.wrongIfs(id) };
  }

  /** SIOCGETVIFCNT: an unused slot below numvifs reads as zeros (F4-old; current F4 is UB there). */
  getVifCnt(vifi: number): VifCount {
    if (vifi >= this.numVifs) fail('EINVAL', `vif ${vifi} is beyond numvifs (${this.numVifs})`);
    this.outside?.fold(); // forwarding workers' counts too
    return { icount: this.vifPktIn[vifi], ocount: this.vifPktOut[vifi], ibytes: this.vifBytesIn[vifi], obytes: this.vifBytesOut[vifi] };
  }

  addBwUpcall(so: object, spec: BwSpec): void {
    this.checkOwner(so);
    this.meters.add(spec);
  }

  delBwUpcall(so: object, spec: BwSpec): void {
    this.checkOwner(so);
    this.meters.del(spec);
  }

  private interfaceOwning(addr: string) {
    for (const ifp of this.interfaces.values()) if (ifp.addrs4.includes(addr)) return ifp;
    return null;
  }

  // ================================================================ packets

  /**
   * ip_input + ip_mforward for one IPv4 datagram received on `ifindex`. Never throws;
   * every packet lands in exactly one ledger counter.
   */
  input(ifindex: number, buf: Uint8Array, off: number, len: number): void {
    const L = this.ledger;
    L.rx++;
    if (len < 20) {
      L.bad_short++;
      return;
    }
    const b0 = buf[off];
    if (b0 >>> 4 !== 4) {
      L.bad_version++;
      return;
    }
    const hl = (b0 & 15) << 2;
    if (hl < 20 || hl > len) {
      L.bad_hdrlen++;
      return;
    }
    const tot = (buf[off + 2] << 8) | buf[off + 3];
    if (tot < hl || tot > len) {
      L.bad_len++;
      return;
    }
    if (!ipv4HeaderOk(buf, off, hl)) {
      L.bad_sum++;
      return;
    }
    const dst = readU32(buf, off + 16);
    const src = readU32(buf, off + 12);
    const ttl = buf[off + 8];
    // without MRT_INIT the kernel would only deliver it locally (local_scope)
    const c = classify4(src, dst, ttl, hl > 20 && hasSourceRoute4(buf, off, hl), this.mrouter !== null);
    if (c !== 'lookup') {
      L[c]++;
      return;
    }
    this.stat.mfc_lookups++;
    // One line: the slot holds the key, the state and everything mdqSlot reads.
    const t = this.table;
    const sb = t.lookup2(src, dst);
    if (sb >= 0 && ((t.slots[sb + 3] >>> 16) & 0xff) === ENTRY_RESOLVED) {
      this.mdqSlot(sb, ifindex, buf, off, tot, ttl);
      return;
    }
    const id = sb < 0 ? -1 : t.slots[sb + 2] - 1;
    this.stat.mfc_misses++;
    this.stat.no_route++;
    this.key[0] = src;
    this.key[1] = dst;
    this.miss(id, this.key, ifindex, buf, off, tot);
  }

  protected forwardHeld(id: number, ifindex: number, data: Buffer): void {
    this.mdq(id, ifindex, data, 0, data.length, data[8]);
  }

  protected beforeFanout(buf: Uint8Array, off: number): void {
    decrementTtl4(buf, off);
  }

  protected isLocallyOriginated(parent: number, buf: Uint8Array, off: number): boolean {
    // ip_mdq counts the parent's traffic as output when the source is the vif's own address.
    return readU32(buf, off + 12) === this.vifLcl[parent];
  }

  protected missOnNonVif(): number {
    return -1; // FreeBSD: no vif for the arrival interface, no upcall, no entry
  }

  protected onWrongIf(id: number, ifindex: number, buf: Uint8Array, off: number, len: number): void {
    if (ifindex === REGISTER_IFINDEX4) this.pimstat.rcv_registers_wrongiif++;
    if (!this.assert) return;
    const parent = this.parent[id];
    if (parent >= this.numVifs || this.vifIf[parent] === NO_IFINDEX) return;
    const av = this.vifForIf(ifindex);
    if (av < 0) return;
    if (this.mflags[id * this.maxVifs + av] & MRT_MFC_FLAGS_DISABLE_WRONGVIF) return;
    if (this.now - this.lastAssert[id] < ASSERT_MSG_TIME_MS) return;
    this.lastAssert[id] = this.now;
    this.sendUpcall(this.headerUpcall(UPCALL_WRONGVIF, av, buf, off, len));
  }

  /** NOCACHE / WRONGVIF: a copy of the IP header (options included), bytes 8-10 overwritten. */
  protected headerUpcall(type: number, vif: number, buf: Uint8Array, off: number, _len: number): Upcall {
    const hl = (buf[off] & 15) << 2;
    const msg = Buffer.from(buf.subarray(off, off + hl));
    msg[8] = type; // im_msgtype
    msg[9] = 0; // im_mbz
    msg[10] = vif & 0xff; // im_vif
    return new Upcall('inet', type, vif, msg, this.now, formatIPv4(readU32(buf, off + 12)));
  }

  protected registerSend(id: number, vif: number, buf: Uint8Array, off: number, len: number): void {
    // The packet's TTL was already decremented and its checksum patched by beforeFanout.
    if (this.apiConfig & MRT_MFC_RP && this.rp[id] !== 0) {
      this.pimRegisterSendRp(id, buf, off, len);
      return;
    }
    this.sendWholePkt(vif, buf, off, len);
  }

  private sendWholePkt(vif: number, buf: Uint8Array, off: number, len: number): void {
    // A fresh 20-byte igmpmsg (type 3, im_vif = register vif, src/dst of the inner packet)
    // followed by the whole packet.
    const msg = Buffer.alloc(20 + len);
    msg[8] = UPCALL_WHOLEPKT;
    msg[10] = vif & 0xff;
    msg.set(buf.subarray(off + 12, off + 20), 12);
    msg.set(buf.subarray(off, off + len), 20);
    const u = new Upcall('inet', UPCALL_WHOLEPKT, vif, msg, this.now, formatIPv4(readU32(buf, off + 12)));
    if (this.sendUpcall(u)) {
      this.pimstat.snd_registers_msgs++;
      this.pimstat.snd_registers_bytes += len;
    }
  }

  /**
   * pim_register_send_rp: encapsulate in-engine. Outer IPv4 (TTL 64, protocol 103, source
   * the parent vif's address, destination the RP, TOS and DF copied), PIM v2 Register
   * header whose checksum covers only its 8 bytes, Border bit from the *parent* vif's
   * mfcc_flags (the code, not the manual). Oversized inner packets are fragmented first.
   */
  private pimRegisterSendRp(id: number, buf: Uint8Array, off: number, len: number): void {
    const parent = this.parent[id];
    if (parent >= this.numVifs || this.vifLcl[parent] === 0) return; // EADDRNOTAVAIL: dropped
    if (len > PIM_REG_MAX_INNER) {
      for (const frag of fragmentIpv4(buf, off, len, PIM_REG_MAX_INNER)) this.pimRegisterSendRp(id, frag, 0, frag.length);
      return;
    }
    const border = (this.mflags[id * this.maxVifs + parent] & MRT_MFC_FLAGS_BORDER_VIF & this.apiConfig) !== 0;
    const out = Buffer.alloc(28 + len);
    out[0] = 0x45;
    out[1] = buf[off + 1]; // TOS
    out.writeUInt16BE(28 + len, 2);
    out.writeUInt16BE(this.ipId, 4);
    this.ipId = (this.ipId + 1) & 0xffff;
    out[6] = buf[off + 6] & 0x40; // DF copied from the inner header
    out[8] = 64;
    out[9] = 103; // IPPROTO_PIM
    writeU32(out, 12, this.vifLcl[parent]);
    writeU32(out, 16, this.rp[id]);
    setIpv4Checksum(out, 0);
    out[20] = 0x21; // PIM version 2, type 1 (Register)
    if (border) out[24] = 0x80; // Border bit; the kernel never sets Null-Register
    const c = internetChecksum(out, 20, 8);
    out[22] = c >>> 8;
    out[23] = c & 0xff;
    out.set(buf.subarray(off, off + len), 28);
    this.pimstat.snd_registers_msgs++;
    this.pimstat.snd_registers_bytes += len;
    this.transmitUnicast(this.rp[id], out, 0, out.length);
  }

  protected override meterPacket(id: number, len: number): void {
    this.meters.onPacket(id, len);
  }

  protected override metering(): boolean {
    return this.meters.size !== 0;
  }

  protected override onEntryFreed(id: number): void {
    this.meters.dropEntry(id);
  }

  protected override runFamilyTimers(now: number): void {
    this.meters.advance(now);
  }

  protected override familyDeadline(): number {
    return this.meters.nextDeadline();
  }

  // ================================================================ views

  originOf(id: number): string {
    return formatIPv4(this.table.keys[id * 2]);
  }
  groupOf(id: number): string {
    return formatIPv4(this.table.keys[id * 2 + 1]);
  }
  rpOf(id: number): string | null {
    return this.rp[id] === 0 ? null : formatIPv4(this.rp[id]);
  }
  findEntry(origin: string, group: string): number {
    return this.table.find2(parseIPv4(origin), parseIPv4(group));
  }
}

/**
 * Fragment an IPv4 datagram (whose header checksum is valid) into pieces of at most
 * `mtu` bytes, as ip_fragment would. Used only for oversized Register payloads.
 */
export function fragmentIpv4(buf: Uint8Array, off: number, len: number, mtu: number): Buffer[] {
  const hl = (buf[off] & 15) << 2;
  const payload = len - hl;
  const chunk = (mtu - hl) & ~7;
  const frags: Buffer[] = [];
  const origOff = ((buf[off + 6] << 8) | buf[off + 7]) & 0x1fff;
  const origMf = (buf[off + 6] & 0x20) !== 0;
  for (let p = 0; p < payload; p += chunk) {
    const n = Math.min(chunk, payload - p);
    const f = Buffer.alloc(hl + n);
    f.set(buf.subarray(off, off + hl), 0);
    f.set(buf.subarray(off + hl + p, off + hl + p + n), hl);
    f.writeUInt16BE(hl + n, 2);
    const more = p + n < payload || origMf;
    const fo = origOff + p / 8;
    f[6] = (buf[off + 6] & 0x40) | (more ? 0x20 : 0) | ((fo >>> 8) & 0x1f);
    f[7] = fo & 0xff;
    setIpv4Checksum(f, 0);
    frags.push(f);
  }
  return frags;
}
