// A forwarding worker's decision: ip_mdq for the packets that need nothing but the MFC,
// read from the memory the control thread shares (shared-mfc.ts). A datagram that is
// well formed, classified `lookup` (classify.ts, as in the engine), matches a resolved
// entry without meters, arrives on the entry's parent vif and goes out only on vifs this
// worker can send on, is forwarded here: TTL / hop limit decremented, copies transmitted,
// counted in the worker's own counters (worker-counters.ts). Everything else returns
// false untouched and the caller hands it to the control thread's engine, which decides
// it exactly as without workers: misses (NOCACHE, held packets), wrong interface
// (WRONGVIF), bandwidth meters, register vifs, IGMP/MLD for the daemon, malformed packets.
//
// The decision reads the shared index under its seqlock: the generation before and after
// must match and be even, else it is read again; so a worker never forwards on a
// half-changed entry, and a change is seen from the next packet on.

import { MfcIndex } from './mfc-table.js';
import { decrementTtl4, ipv4HeaderOk, walkIpv6ExtHeaders } from './packet.js';
import { classify4, classify6 } from './classify.js';
import { CTL_EPOCH, CTL_GEN, CTL_MROUTER, CTL_NUMVIFS, CTL_SYNCED, CTL_TAPPED, type MfcShare } from './shared-mfc.js';
import { WC_ENTRY_WORDS, WC_FORWARDED, WC_LOOKUPS, WC_PUNTED, WC_RX, WC_TX, WC_VIF, WC_VIF_WORDS, type WorkerCounterBlock } from './worker-counters.js';

const ENTRY_RESOLVED = 1;
const IPPROTO_IGMP = 2;
const IPPROTO_HOPOPTS = 0;
const IPPROTO_ICMPV6 = 58;
/** reads of a changing index before the packet goes to the control thread instead */
const MAX_RETRIES = 64;

export type FamilyIndex = 0 | 1;
/** a copy out: family (0 inet, 1 inet6), vif, the datagram */
export type WorkerTransmit = (family: FamilyIndex, vif: number, buf: Uint8Array, off: number, len: number) => void;
/** a packet seen: arrived on vif (dir 'in') or sent on it ('out') */
export type WorkerCapture = (family: FamilyIndex, vif: number, out: boolean, buf: Uint8Array, off: number, len: number) => void;

class FamilyView {
  readonly index: MfcIndex;
  ctl: Int32Array;
  epoch: number;
  oif: Uint8Array;
  vifIf: Int32Array;
  vifLcl: Uint32Array;
  vifIsRegister: Uint8Array;
  small: Float64Array;
  entries: Float64Array;
  ack: Int32Array;
  /** vifs this worker has a link to send on (1) */
  readonly canSend: Uint8Array;
  /** the decision's outgoing vifs, before any is sent */
  readonly outs: Int32Array;

  constructor(share: MfcShare, c: WorkerCounterBlock) {
    this.index = new MfcIndex(share.keyWords, share.slots, share.nslots);
    this.canSend = new Uint8Array(share.maxVifs);
    this.outs = new Int32Array(share.maxVifs);
    this.ctl = share.ctl;
    this.epoch = share.epoch;
    this.oif = share.oifTtls;
    this.vifIf = share.vifIf;
    this.vifLcl = share.vifLcl;
    this.vifIsRegister = share.vifIsRegister;
    this.small = c.small;
    this.entries = c.entries;
    this.ack = c.ack;
  }

  /** The buffers of a later epoch; the worker's entry counts move to the new block. */
  adopt(share: MfcShare, entries: Float64Array): void {
    this.index.attach(share.slots, share.nslots);
    this.oif = share.oifTtls;
    this.vifIf = share.vifIf;
    this.vifLcl = share.vifLcl;
    this.vifIsRegister = share.vifIsRegister;
    if (entries !== this.entries) {
      entries.set(this.entries.subarray(0, Math.min(this.entries.length, entries.length)));
      this.entries = entries;
    }
    this.epoch = share.epoch;
    Atomics.store(this.ack, 0, share.epoch);
  }

  /** the lowest vif on an interface (FreeBSD's first match), or -1 */
  vifForIf(ifindex: number): number {
    const n = this.ctl[CTL_NUMVIFS];
    for (let v = 0; v < n; v++) if (this.vifIf[v] === ifindex) return v;
    return -1;
  }
}

/**
 * The vifs a decision sends on, into f.outs: threshold set and below `ttl`; -1 when one
 * of them is not this worker's to send on (register vif, no link here, a capture tap).
 */
function outsOf(f: FamilyView, base: number, numVifs: number, ttl: number, tapped: number): number {
  const oif = f.oif;
  let n = 0;
  for (let v = 0; v < numVifs; v++) {
    const t = oif[base + v];
    if (t !== 0 && ttl > t) {
      if (f.vifIsRegister[v] !== 0 || f.canSend[v] === 0 || (tapped & (1 << v)) !== 0) return -1;
      f.outs[n++] = v;
    }
  }
  return n;
}

export class Forwarder {
  readonly fam: [FamilyView, FamilyView];
  /** engine time now, ms (the control thread's clock) */
  now = 0;
  capture: WorkerCapture | null = null;
  private readonly key6 = new Uint32Array(8);

  constructor(
    inet: { share: MfcShare; counters: WorkerCounterBlock },
    inet6: { share: MfcShare; counters: WorkerCounterBlock },
    private readonly transmit: WorkerTransmit,
    /** called when a family's epoch moved: must adopt() that family's newer buffers */
    private readonly onEpoch: (family: FamilyIndex) => void,
  ) {
    this.fam = [new FamilyView(inet.share, inet.counters), new FamilyView(inet6.share, inet6.counters)];
  }

  adopt(family: FamilyIndex, share: MfcShare, entries: Float64Array): void {
    this.fam[family].adopt(share, entries);
  }

  setCanSend(family: FamilyIndex, vif: number, on: boolean): void {
    this.fam[family].canSend[vif] = on ? 1 : 0;
  }

  /** Forward the datagram at buf[off, off+len) that arrived on `ifindex`; false: the control thread's. */
  input(ifindex: number, buf: Uint8Array, off: number, len: number): boolean {
    const v6 = buf[off] >>> 4 === 6;
    if (v6 ? this.input6(ifindex, buf, off, len) : this.input4(ifindex, buf, off, len)) return true;
    this.fam[v6 ? 1 : 0].small[WC_PUNTED]++;
    return false;
  }

  /** The packet is this worker's: counted (ip_mdq counts the parent's traffic as output
   * when the source is the vif's own address, `parentOut`) and captured as it arrived. */
  private countIn(fi: FamilyIndex, f: FamilyView, id: number, parent: number, parentOut: boolean, buf: Uint8Array, off: number, tot: number): void {
    const s = f.small;
    s[WC_RX]++;
    s[WC_LOOKUPS]++;
    s[WC_FORWARDED]++;
    const e = f.entries;
    const ei = id * WC_ENTRY_WORDS;
    if (ei < e.length) {
      e[ei]++;
      e[ei + 1] += tot;
      e[ei + 2] = this.now;
    }
    if (this.capture !== null) this.capture(fi, parent, false, buf, off, tot);
    const pb = WC_VIF + parent * WC_VIF_WORDS + (parentOut ? 2 : 0);
    s[pb]++;
    s[pb + 1] += tot;
  }

  /** The copies out on the decision's vifs (f.outs[0..n)), after the header change. */
  private sendOut(fi: FamilyIndex, f: FamilyView, n: number, buf: Uint8Array, off: number, tot: number): void {
    const s = f.small;
    const cap = this.capture;
    for (let i = 0; i < n; i++) {
      const v = f.outs[i];
      const vb = WC_VIF + v * WC_VIF_WORDS + 2;
      s[vb]++;
      s[vb + 1] += tot;
      if (cap !== null) cap(fi, v, true, buf, off, tot);
      this.transmit(fi, v, buf, off, tot);
    }
    s[WC_TX] += n;
  }

  private input4(ifindex: number, buf: Uint8Array, off: number, len: number): boolean {
    // options are rare: their checks (source routes) stay with the engine
    if (len < 20 || buf[off] !== 0x45) return false;
    const tot = (buf[off + 2] << 8) | buf[off + 3];
    if (tot < 20 || tot > len || buf[off + 9] === IPPROTO_IGMP || !ipv4HeaderOk(buf, off, 20)) return false;
    const f = this.fam[0];
    const ctl = f.ctl;
    const src = ((buf[off + 12] << 24) | (buf[off + 13] << 16) | (buf[off + 14] << 8) | buf[off + 15]) >>> 0;
    const dst = ((buf[off + 16] << 24) | (buf[off + 17] << 16) | (buf[off + 18] << 8) | buf[off + 19]) >>> 0;
    const ttl = buf[off + 8];
    if (classify4(src, dst, ttl, false, ctl[CTL_MROUTER] !== 0) !== 'lookup') return false;
    let n = 0;
    let id = 0;
    let parent = 0;
    for (let tries = 0; ; tries++) {
      if (tries > MAX_RETRIES) return false;
      const g = Atomics.load(ctl, CTL_GEN);
      if ((g & 1) !== 0) continue;
      if (Atomics.load(ctl, CTL_EPOCH) !== f.epoch) {
        this.onEpoch(0);
        continue;
      }
      const idx = f.index;
      const sb = idx.lookup2(src, dst);
      if (sb < 0) return false;
      const slots = idx.slots;
      const meta = slots[sb + 3];
      // resolved, and no flag (meters): anything else is the engine's
      if (meta >>> 16 !== ENTRY_RESOLVED) return false;
      const numVifs = ctl[CTL_NUMVIFS];
      if (numVifs !== ctl[CTL_SYNCED]) return false;
      parent = meta & 0xffff;
      if (parent >= numVifs || f.vifIf[parent] !== ifindex) return false;
      id = slots[sb + 2] - 1;
      const base = slots[sb + 4];
      const tapped = ctl[CTL_TAPPED];
      if (tapped !== 0 && (tapped & (1 << parent)) !== 0) return false;
      n = outsOf(f, base, numVifs, ttl, tapped);
      if (n < 0) return false;
      if (Atomics.load(ctl, CTL_GEN) === g) break;
    }
    this.countIn(0, f, id, parent, src === f.vifLcl[parent], buf, off, tot);
    decrementTtl4(buf, off);
    this.sendOut(0, f, n, buf, off, tot);
    return true;
  }

  private input6(ifindex: number, buf: Uint8Array, off: number, len: number): boolean {
    if (len < 40) return false;
    const plen = (buf[off + 4] << 8) | buf[off + 5];
    const tot = 40 + plen;
    const nh = buf[off + 6];
    // hop-by-hop (MLD) and ICMPv6 may be for the daemon: the control thread looks
    if (plen === 0 || tot > len || nh === IPPROTO_HOPOPTS || nh === IPPROTO_ICMPV6) return false;
    const f = this.fam[1];
    const ctl = f.ctl;
    const hlim = buf[off + 7];
    if (classify6(buf, off + 8, buf, off + 24, hlim, walkIpv6ExtHeaders(buf, off, tot) >= 0, ctl[CTL_MROUTER] !== 0) !== 'lookup') return false;
    const key = this.key6;
    for (let w = 0; w < 4; w++) {
      const o = off + 8 + w * 4;
      key[w] = ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
      const d = o + 16;
      key[4 + w] = ((buf[d] << 24) | (buf[d + 1] << 16) | (buf[d + 2] << 8) | buf[d + 3]) >>> 0;
    }
    let n = 0;
    let id = 0;
    let parent = 0;
    for (let tries = 0; ; tries++) {
      if (tries > MAX_RETRIES) return false;
      const g = Atomics.load(ctl, CTL_GEN);
      if ((g & 1) !== 0) continue;
      if (Atomics.load(ctl, CTL_EPOCH) !== f.epoch) {
        this.onEpoch(1);
        continue;
      }
      const idx = f.index;
      const sb = idx.lookup(key);
      if (sb < 0) return false;
      const slots = idx.slots;
      const meta = slots[sb + idx.metaWord];
      if (meta >>> 16 !== ENTRY_RESOLVED) return false;
      const numVifs = ctl[CTL_NUMVIFS];
      if (numVifs !== ctl[CTL_SYNCED]) return false;
      parent = meta & 0xffff;
      if (parent >= numVifs || f.vifIf[parent] !== ifindex) return false;
      id = slots[sb + idx.refWord] - 1;
      const base = slots[sb + idx.oifWord];
      const tapped = ctl[CTL_TAPPED];
      if (tapped !== 0 && (tapped & (1 << parent)) !== 0) return false;
      // the engine compares mif thresholds with 255 (hop limits are not thresholds)
      n = outsOf(f, base, numVifs, 255, tapped);
      if (n < 0) return false;
      if (Atomics.load(ctl, CTL_GEN) === g) break;
    }
    this.countIn(1, f, id, parent, false, buf, off, tot);
    // FreeBSD decrements the hop limit on arrival; here only once the packet is ours to send
    buf[off + 7] = hlim - 1;
    this.sendOut(1, f, n, buf, off, tot);
    return true;
  }
}
