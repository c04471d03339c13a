// IPv6 multicast forwarding: FreeBSD's ip6_mroute.c over the generic core.
// Differences from IPv4 that FreeBSD has and we keep: mifs name a physical interface by
// index (ENXIO when unknown), no per-mif TTL thresholds (membership in the set is all),
// the hop limit is decremented on arrival, a miss upcalls even from a non-mif interface,
// WRONGMIF is not rate-limited, 5 held packets, ESRCH from SIOCGETSGCNT_IN6, EACCES for
// a get from a non-mrouter socket, and no API negotiation or bandwidth meters.

import { fail } from './errno.js';
import { formatIPv6, parseIPv6 } from './addr.js';
import { MrouteEngine, ENTRY_RESOLVED, NO_IFINDEX, type EngineOptions } from './engine.js';
import { walkIpv6ExtHeaders } from './packet.js';
import { classify6 } from './classify.js';
import { Upcall, UPCALL_WHOLEPKT, UPCALL_WRONGVIF } from './upcall.js';

export const MIFF_REGISTER = 0x1;
/** ifindex of the register_mif pseudo-interface */
export const REGISTER_IFINDEX6 = -6;

/** struct mif6ctl */
export interface Mif6Ctl {
  mifi: number;
  flags: number;
  pifi: number;
}

/** struct mf6cctl (ifset as the list of member mif indices) */
export interface Mf6cCtl {
  origin: string;
  mcastgrp: string;
  parent: number;
  ifset: readonly number[];
}

export class Inet6Engine extends MrouteEngine {
  readonly family = 'inet6' as const;
  /** MAX_UPQ6 is 4 but the overflow test (count > 4) lets 5 in. */
  protected readonly upqMax = 5;

  pim = false; // MRT6_PIM
  private readonly key = new Uint32Array(8);
  private readonly ttlScratch: Uint8Array;

  constructor(opts: EngineOptions = {}) {
    super(opts, 8, 64);
    this.ttlScratch = new Uint8Array(this.maxVifs);
  }

  // ================================================================ control

  private checkOwner(so: object): void {
    if (this.mrouter !== so) fail('EPERM', 'not the multicast routing socket (MRT6_INIT it first)');
  }

  init(so: object, value = 1): void {
    if (value !== 1) fail('ENOPROTOOPT', `MRT6_INIT takes 1, not ${value}`);
    if (this.mrouter !== null) fail('EADDRINUSE', 'IPv6 multicast routing already initialised by a socket');
    this.initCore(so);
  }

  done(so: object): void {
    this.checkOwner(so);
    this.doneCore();
    this.pim = false;
  }

  /** MRT6_PIM: unlike IPv4's MRT_ASSERT, a value other than 0/1 is an error. */
  setPim(so: object, value: number): void {
    this.checkOwner(so);
    if (value !== 0 && value !== 1) fail('EINVAL', `MRT6_PIM takes 0 or 1, not ${value}`);
    this.pim = value === 1;
  }

  /** Get options from another socket are refused (unlike IPv4). */
  checkGet(so: object): void {
    if (this.mrouter !== so) fail('EACCES', 'not the IPv6 multicast routing socket');
  }

  addMif(so: object, c: Mif6Ctl): void {
    this.wBegin();
    try {
      this.checkOwner(so);
      if (c.mifi >= this.maxVifs) fail('EINVAL', `mif index ${c.mifi} out of range (0-${this.maxVifs - 1})`);
      if (this.vifUsed[c.mifi]) fail('EADDRINUSE', `mif ${c.mifi} is in use`);
      const ifp = this.interfaces.get(c.pifi);
      // The interface index is checked even for a register mif.
      if (!ifp) fail('ENXIO', `no interface with index ${c.pifi}`);
      const register = (c.flags & MIFF_REGISTER) !== 0;
      if (!register && !ifp.multicast) fail('EOPNOTSUPP', `interface ${ifp.name} is not multicast-capable`);
      this.clearVif(c.mifi);
      this.vifUsed[c.mifi] = 1;
      this.vifFlags[c.mifi] = c.flags;
      this.vifIf[c.mifi] = register ? REGISTER_IFINDEX6 : ifp.ifindex;
      this.vifIsRegister[c.mifi] = register ? 1 : 0;
      if (register && this.regVif < 0) this.regVif = c.mifi;
      if (c.mifi >= this.numVifs) this.numVifs = c.mifi + 1;
    } finally {
      this.wEnd();
    }
  }

  /** MRT6_DEL_MIF: out of range and unused are both EINVAL. */
  delMif(so: object, mifi: number): void {
    this.wBegin();
    try {
      this.checkOwner(so);
      if (mifi >= this.numVifs || !this.vifUsed[mifi]) fail('EINVAL', `mif ${mifi} is not configured`);
      if (mifi === this.regVif) this.regVif = -1;
      this.clearVif(mifi);
      this.recomputeNumVifs();
    } finally {
      this.wEnd();
    }
  }

  addMfc(so: object, c: Mf6cCtl): void {
    this.checkOwner(so);
    this.fillKey(c.origin, c.mcastgrp);
    // ip6_mroute's lookup helper counts every failed lookup, this one included.
    const existing = this.table.find(this.key);
    if (existing < 0 || this.state[existing] !== ENTRY_RESOLVED) this.stat.mfc_misses++;
    const ttls = this.ttlScratch;
    ttls.fill(0);
    for (const m of c.ifset) {
      if (!Number.isInteger(m) || m < 0 || m >= this.maxVifs) fail('EINVAL', `mif ${m} in the interface set is out of range (0-${this.maxVifs - 1})`);
      ttls[m] = 1; // membership: forwarded whenever the hop limit allows forwarding at all
    }
    this.addMfcCore(this.key, c.parent, ttls, null, null, 0, this.maxVifs);
  }

  /** MRT6_DEL_MFC: resolved entries only. */
  delMfc(so: object, origin: string, group: string): void {
    this.checkOwner(so);
    this.fillKey(origin, group);
    const id = this.table.find(this.key);
    if (id < 0 || this.state[id] !== ENTRY_RESOLVED) fail('EADDRNOTAVAIL', `no MFC entry (${origin}, ${group})`);
    this.freeEntry(id);
  }

  /** SIOCGETSGCNT_IN6: ESRCH on a miss (IPv4 says EADDRNOTAVAIL). */
  getSgCnt(origin: string, group: string): { pktcnt: number; bytecnt: number; wrongIf: number } {
    this.fillKey(origin, group);
    const id = this.table.find(this.key);
    if (id < 0 || this.state[id] !== ENTRY_RESOLVED) {
      this.stat.mfc_misses++;
      fail('ESRCH', `no MFC entry (${origin}, ${group})`);
    }
    return { pktcnt: this.pkts(id), bytecnt: this.bytes(id), wrongIf: this.wrongIfs(id) };
  }

  getMifCnt(mifi: number): { icount: number; ocount: number; ibytes: number; obytes: number } {
    if (mifi >= this.numVifs) fail('EINVAL', `mif ${mifi} is beyond nummifs (${this.numVifs})`);
    this.outside?.fold(); // forwarding workers' counts too
    return { icount: this.vifPktIn[mifi], ocount: this.vifPktOut[mifi], ibytes: this.vifBytesIn[mifi], obytes: this.vifBytesOut[mifi] };
  }

  private fillKey(origin: string, group: string): void {
    const s = parseIPv6(origin);
    const g = parseIPv6(group);
    for (let w = 0; w < 4; w++) {
      this.key[w] = ((s[w * 4] << 24) | (s[w * 4 + 1] << 16) | (s[w * 4 + 2] << 8) | s[w * 4 + 3]) >>> 0;
      this.key[4 + w] = ((g[w * 4] << 24) | (g[w * 4 + 1] << 16) | (g[w * 4 + 2] << 8) | g[w * 4 + 3]) >>> 0;
    }
  }

  // ================================================================ packets

  /** ip6_input + ip6_mforward for one IPv6 datagram received on `ifindex`. Never throws. */
  input(ifindex: number, buf: Uint8Array, off: number, len: number): void {
    const L = this.ledger;
    L.rx++;
    if (len < 40) {
      L.bad_short++;
      return;
    }
    if (buf[off] >>> 4 !== 6) {
      L.bad_version++;
      return;
    }
    const plen = (buf[off + 4] << 8) | buf[off + 5];
    const tot = 40 + plen;
    // plen 0 would mean a jumbogram: not forwarded by a multicast router.
    if (plen === 0 || tot > len) {
      L.bad_len++;
      return;
    }
    const hlim = buf[off + 7];
    const c = classify6(buf, off + 8, buf, off + 24, hlim, walkIpv6ExtHeaders(buf, off, tot) >= 0, this.mrouter !== null);
    if (c !== 'lookup') {
      L[c]++;
      return;
    }
    // FreeBSD decrements the hop limit on the packet itself, before the lookup.
    buf[off + 7] = hlim - 1;
    const key = this.key;
    for (let w = 0; w < 4; w++) {
      const o = off + 8 + w * 4;
      key[w] = ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
      const d = o + 16;
      key[4 + w] = ((buf[d] << 24) | (buf[d + 1] << 16) | (buf[d + 2] << 8) | buf[d + 3]) >>> 0;
    }
    this.stat.mfc_lookups++;
    // The probe reads the slot's first line (key, id, state, oif offset); a hit's counters
    // are the slot's second line.
    const t = this.table;
    const sb = t.lookup(key);
    if (sb >= 0 && ((t.slots[sb + t.metaWord] >>> 16) & 0xff) === ENTRY_RESOLVED) {
      this.mdqSlot(sb, ifindex, buf, off, tot, 255);
      return;
    }
    const id = sb < 0 ? -1 : t.slots[sb + t.refWord] - 1;
    this.stat.mfc_misses++;
    this.stat.no_route++;
    this.miss(id, key, ifindex, buf, off, tot);
  }

  protected forwardHeld(id: number, ifindex: number, data: Buffer): void {
    this.mdq(id, ifindex, data, 0, data.length, 255);
  }

  protected beforeFanout(): void {
    // the hop limit was decremented on arrival
  }

  protected isLocallyOriginated(): boolean {
    // ip6_mdq counts output for packets with no receiving interface; ours all arrive on one.
    return false;
  }

  protected missOnNonVif(): number {
    return this.numVifs; // im6_mif = nummifs: IPv6 upcalls even then
  }

  protected onWrongIf(id: number, ifindex: number, buf: Uint8Array, off: number, len: number): void {
    if (!this.pim) return;
    const parent = this.parent[id];
    if (parent >= this.numVifs || this.vifIf[parent] === NO_IFINDEX) return;
    let av = this.vifForIf(ifindex);
    if (av < 0) av = this.numVifs;
    // No rate limit: one WRONGMIF per such packet.
    this.sendUpcall(this.headerUpcall(UPCALL_WRONGVIF, av, buf, off, len));
  }

  /** NOCACHE / WRONGMIF: struct mrt6msg overlaid on a copy of the 40-byte IPv6 header. */
  protected headerUpcall(type: number, mif: number, buf: Uint8Array, off: number, _len: number): Upcall {
    const msg = Buffer.from(buf.subarray(off, off + 40));
    msg[0] = 0; // im6_mbz
    msg[1] = type; // im6_msgtype
    msg.writeUInt16LE(mif & 0xffff, 2); // im6_mif, host order
    return new Upcall('inet6', type, mif, msg, this.now, formatIPv6(buf, off + 8));
  }

  /** A register mif always upcalls WHOLEPKT: FreeBSD has no in-kernel IPv6 Register. */
  protected registerSend(_id: number, mif: number, buf: Uint8Array, off: number, len: number): void {
    const msg = Buffer.alloc(40 + len);
    msg[1] = UPCALL_WHOLEPKT;
    msg.writeUInt16LE(mif & 0xffff, 2);
    msg.set(buf.subarray(off, off + len), 40);
    this.sendUpcall(new Upcall('inet6', UPCALL_WHOLEPKT, mif, msg, this.now, formatIPv6(buf, off + 8)));
  }

  // ================================================================ views

  originOf(id: number): string {
    return formatIPv6(this.keyBytes(id, 0));
  }
  groupOf(id: number): string {
    return formatIPv6(this.keyBytes(id, 4));
  }
  rpOf(): string | null {
    return null;
  }
  findEntry(origin: string, group: string): number {
    this.fillKey(origin, group);
    return this.table.find(this.key);
  }
  private keyBytes(id: number, word: number): Uint8Array {
    const b = new Uint8Array(16);
    for (let w = 0; w < 4; w++) {
      const v = this.table.keys[id * 8 + word + w];
      b[w * 4] = v >>> 24;
      b[w * 4 + 1] = (v >>> 16) & 0xff;
      b[w * 4 + 2] = (v >>> 8) & 0xff;
      b[w * 4 + 3] = v & 0xff;
    }
    return b;
  }
}
