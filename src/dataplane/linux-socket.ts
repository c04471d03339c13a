// One raw IGMP (IPv4) or ICMPv6 (IPv6) socket of an unmodified Linux routing daemon under
// `mrsh exec`: its MRT_* / MRT6_* setsockopt, getsockopt and SIOCGET* ioctl requests in
// Linux's numbers and layouts (codecs/linux.ts), answered on the engine, which keeps its
// FreeBSD semantics. What Linux checks, in the order ip_mroute_setsockopt / vif_add /
// ipmr_mfc_add (net/ipv4/ipmr.c) and their ip6mr.c counterparts check it, is checked here
// first, so a daemon sees Linux's errno; the engine's own MrtErrors (FreeBSD names) are
// then mapped to Linux numbers. Comments beginning `LINUX:` mark what a daemon gets that
// a Linux kernel would do otherwise; they are gathered into the man page.
//
// Requests of one socket must be handled in order: a caller awaits a returned Promise
// before it hands over the next request (the endpoint does).

import { MrtError, type Errno } from './errno.js';
import * as L from './codecs/linux.js';
import { decodeSiocSgReq } from './codecs/mfc.js';
import { formatIPv4, isMulticast4, isMulticast6, parseIPv4, parseIPv6 } from './addr.js';
import { setIpv4Checksum } from './packet.js';
import type { InetEngine } from './inet.js';
import { REGISTER_IFINDEX6, type Inet6Engine } from './inet6.js';
import type { MrouteEngine } from './engine.js';
import { Upcall, UPCALL_NOCACHE, UPCALL_WHOLEPKT, UPCALL_WRONGVIF } from './upcall.js';

// mfcctl's fields where the hot path reads them in place
const MFC_ORIGIN = L.OFFSETOF['mfcctl.mfcc_origin'];
const MFC_GROUP = L.OFFSETOF['mfcctl.mfcc_mcastgrp'];
const MFC_PARENT = L.OFFSETOF['mfcctl.mfcc_parent'];
const MFC_TTLS = L.OFFSETOF['mfcctl.mfcc_ttls'];

export interface VifBinder {
  /**
   * Finds the kernel interface a vifctl/mif6ctl names (by ifindex with VIFF_USE_IFINDEX or
   * a mif's pifi, else by local IPv4 address), opens or reuses mrsh's link on it and
   * attaches it to the engine (engine.attachInterface), so engine.addVif/addMif then
   * succeeds. Throws MrtError (e.g. ENODEV / EADDRNOTAVAIL) when there is no such
   * interface. Returns the ifindex and, for IPv4, the local address to put in the
   * engine's vifctl.
   */
  bindVif(family: 'inet' | 'inet6', vifi: number, by: { ifindex?: number; lclAddr?: string }): Promise<{ ifindex: number; lclAddr?: string }>;
  /** the vif is gone (deleted, its add failed, or torn down at close): release its link */
  releaseVif(family: 'inet' | 'inet6', vifi: number): Promise<void>;
  /**
   * IPv4's VIFF_REGISTER vif is being added: what Linux makes for it (a `pimreg` interface,
   * Registers decapsulated into it), released by releaseVif. Absent: no `pimreg`.
   */
  bindRegisterVif?(vifi: number): Promise<void>;
}

export interface SockReply {
  /** Linux errno number, 0 = success */
  err: number;
  /** getsockopt value, ioctl result struct */
  data?: Buffer;
  /** why, for logs */
  message?: string;
}

export interface LinuxSocketOptions {
  /** identity passed to the engine as the mrouter; default the socket itself */
  owner?: object;
}

type Reply = SockReply | Promise<SockReply>;
type Name = L.LinuxErrnoName;

const OK: SockReply = { err: 0 };

/** success, with what went wrong releasing links, if anything */
function done(trouble: string | undefined): SockReply {
  return trouble ? { err: 0, message: trouble } : OK;
}

function no(name: Name, message: string): SockReply {
  return { err: L.LINUX_ERRNO[name], message: `${name}: ${message}` };
}

/** An engine MrtError as Linux reports it; `remap` names the errnos Linux says otherwise. */
function fromError(e: unknown, remap: Partial<Record<Errno, Name>> = {}): SockReply {
  if (!(e instanceof MrtError)) throw e;
  const name = remap[e.errno] ?? e.errno;
  return { err: L.LINUX_ERRNO[name], message: e.errno === name ? e.message : `${name} (engine: ${e.message})` };
}

/**
 * Linux keeps mroute_do_assert / do_pim / do_wrvifwhole in the table, not the socket: they
 * outlive the mrouter's close and any socket reads them. One table per engine.
 */
interface TableState {
  assert: number;
  pim: number;
  wrvifwhole: boolean;
}
const tables = new WeakMap<MrouteEngine, TableState>();
function tableOf(e: MrouteEngine): TableState {
  let t = tables.get(e);
  if (!t) tables.set(e, (t = { assert: 0, pim: 0, wrvifwhole: false }));
  return t;
}

/**
 * A register vif names no interface on Linux (the kernel makes `pimreg`), so its vifctl
 * address is whatever the daemon left there; the engine wants a non-zero one.
 */
const REGISTER_LCL_ADDR = '127.0.0.2';

/** What the two families share: the option switch, the table state, teardown. */
abstract class LinuxRouteSocket<E extends InetEngine | Inet6Engine> {
  protected abstract readonly family: 'inet' | 'inet6';
  /** IPPROTO_IP or IPPROTO_IPV6 */
  protected abstract readonly level: number;
  /** the table id a socket starts in (RT_TABLE_DEFAULT / RT6_TABLE_DFLT) */
  protected abstract readonly defaultTable: number;
  /** IPv4 demands exact lengths where IPv6 takes at least sizeof (ip6mr.c: `optlen <`) */
  protected abstract readonly exactLengths: boolean;

  protected readonly owner: object;
  protected closed = false;
  /** vifs whose link the binder gave us, to release */
  protected readonly bound = new Set<number>();
  /** MRT_TABLE: the socket's table id (0 means the default, as in `ipmr_table ? : DEFAULT`) */
  table = 0;

  constructor(
    protected readonly engine: E,
    protected readonly binder: VifBinder,
    opts: LinuxSocketOptions = {},
  ) {
    this.owner = opts.owner ?? this;
  }

  get isMrouter(): boolean {
    return this.engine.mrouter === this.owner;
  }

  protected get state(): TableState {
    return tableOf(this.engine);
  }

  setsockopt(level: number, name: number, optval: Buffer): Reply {
    if (this.closed) return no('EBADF', 'socket is closed');
    // ip_mroute_opt(): only MRT_BASE..MRT_MAX reach the multicast code.
    if (level !== this.level || name < L.MRT_BASE || name > L.MRT_MAX) return no('ENOPROTOOPT', `level ${level} option ${name} is not a multicast routing option`);
    // LINUX: Linux lets any CAP_NET_ADMIN socket change the table besides the mrouter
    // (EACCES only without the capability), and such changes are "static" (they outlive
    // the mrouter). The engine has one owner, so here every other socket is unprivileged:
    // EACCES for all but MRT_INIT and MRT_TABLE, which only picks the socket's own table
    // and which daemons set before MRT_INIT.
    if (name !== L.MRT_INIT && name !== L.MRT_TABLE && !this.isMrouter) return no('EACCES', 'only the socket that did MRT_INIT may change the multicast routing table');
    const len = optval.length;
    try {
      switch (name) {
        case L.MRT_INIT:
          if (this.exactLengths ? len !== L.INT_SIZE : len < L.INT_SIZE) return no('EINVAL', `MRT_INIT takes an int, not ${len} bytes`);
          if (this.engine.mrouter !== null) return no('EADDRINUSE', 'multicast routing is already initialised by a socket');
          // Linux ignores the value (FreeBSD's MRT_INIT demands 1, hence the 1 here).
          this.engine.init(this.owner, 1);
          this.applyAssert();
          return OK;
        case L.MRT_DONE:
          return this.teardown().then(done);
        case L.MRT_ADD_VIF:
          return this.addVif(optval);
        case L.MRT_DEL_VIF:
          return this.delVif(optval);
        case L.MRT_ADD_MFC:
          return this.addMfc(optval);
        case L.MRT_DEL_MFC:
          return this.delMfc(optval);
        case L.MRT_ASSERT:
          if (len !== L.INT_SIZE) return no('EINVAL', `MRT_ASSERT takes an int, not ${len} bytes`);
          this.state.assert = optval.readInt32LE(0);
          this.applyAssert();
          return OK;
        case L.MRT_PIM: {
          if (len !== L.INT_SIZE) return no('EINVAL', `MRT_PIM takes an int, not ${len} bytes`);
          const val = optval.readInt32LE(0);
          // Turning PIM on or off also sets assert; WRVIFWHOLE is taken only on a change.
          const on = val !== 0 ? 1 : 0;
          const t = this.state;
          if (on !== t.pim) {
            t.pim = on;
            t.assert = on;
            // LINUX: MRT_PIM 4 (IGMPMSG_WRVIFWHOLE, FRR) is accepted, but the engine sends
            // only the WRONGVIF upcall, never the WRVIFWHOLE copy of the packet after it.
            t.wrvifwhole = val === L.IGMPMSG_WRVIFWHOLE;
          }
          this.applyAssert();
          return OK;
        }
        case L.MRT_TABLE:
          return this.setTable(optval);
        case L.MRT_FLUSH:
          if (len !== L.INT_SIZE) return no('EINVAL', `MRT_FLUSH takes an int, not ${len} bytes`);
          return this.flush(optval.readInt32LE(0));
        case L.MRT_ADD_MFC_PROXY:
        case L.MRT_DEL_MFC_PROXY:
          // LINUX: no (*,*|G) proxy entries: the answer of a kernel older than 3.9.
          return no('ENOPROTOOPT', 'MFC proxy entries are not supported');
        default:
          // MRT_VERSION, which cannot be set
          return no('ENOPROTOOPT', `option ${name} cannot be set`);
      }
    } catch (e) {
      return fromError(e);
    }
  }

  /** ip_mroute_getsockopt: any socket may read; the value is an int cut to optlen. */
  getsockopt(level: number, name: number, optlen: number): SockReply {
    if (this.closed) return no('EBADF', 'socket is closed');
    if (level !== this.level || name < L.MRT_BASE || name > L.MRT_MAX) return no('ENOPROTOOPT', `level ${level} option ${name} is not a multicast routing option`);
    let val: number;
    switch (name) {
      case L.MRT_VERSION:
        val = L.MRT_VERSION_VALUE;
        break;
      case L.MRT_PIM:
        val = this.state.pim;
        break;
      case L.MRT_ASSERT:
        val = this.state.assert; // as set: Linux stores MRT_ASSERT's int unchanged
        break;
      default:
        return no('ENOPROTOOPT', `option ${name} cannot be read`);
    }
    if (optlen < 0) return no('EINVAL', `optlen ${optlen}`);
    const b = Buffer.alloc(L.INT_SIZE);
    b.writeInt32LE(val, 0);
    return { err: 0, data: b.subarray(0, Math.min(optlen, L.INT_SIZE)) };
  }

  abstract ioctl(request: number, arg: Buffer): SockReply;

  /**
   * The kernel's close of the socket (mrtsock_destruct / ip6mr_sk_done). Rejects, after
   * the whole teardown, if a link could not be released, so the caller can log it.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const trouble = await this.teardown();
    if (trouble) throw new Error(trouble);
  }

  /** MRT_DONE, or the close: the table is emptied, and the links of our vifs released. */
  protected async teardown(): Promise<string | undefined> {
    const vifs = [...this.bound];
    this.bound.clear();
    if (this.isMrouter) this.engine.done(this.owner);
    return this.release(vifs);
  }

  /**
   * The binder lets the links go. The vifs are gone from the table whatever it says, so
   * a failure does not fail the request: it comes back as the reply's message.
   */
  protected async release(vifs: readonly number[]): Promise<string | undefined> {
    const trouble: string[] = [];
    for (const v of vifs) {
      try {
        await this.binder.releaseVif(this.family, v);
      } catch (e) {
        trouble.push(`vif ${v}: releasing its link: ${(e as Error).message}`);
      }
    }
    return trouble.length ? trouble.join('; ') : undefined;
  }

  /**
   * LINUX: the engine's assert switch is on/off; Linux's do_assert is any int (any non-zero
   * is on), read back as set.
   */
  protected abstract applyAssert(): void;
  protected abstract addVif(optval: Buffer): Reply;
  protected abstract delVif(optval: Buffer): Reply;
  protected abstract addMfc(optval: Buffer): Reply;
  protected abstract delMfc(optval: Buffer): Reply;

  private setTable(optval: Buffer): SockReply {
    if (optval.length !== 4) return no('EINVAL', `MRT_TABLE takes a u32, not ${optval.length} bytes`);
    const id = optval.readUInt32LE(0);
    // ip6mr.c checks the id's size before EBUSY ("pim6reg%u" must fit IFNAMSIZ).
    if (this.family === 'inet6' && id !== L.RT_TABLE_DEFAULT && id >= 100000000) return no('EINVAL', `table id ${id} is too large`);
    if (this.isMrouter) return no('EBUSY', 'MRT_TABLE after MRT_INIT');
    // LINUX: one table, the default: any other id gets what a kernel without
    // CONFIG_IP_MROUTE_MULTIPLE_TABLES answers for every id.
    if (id !== 0 && id !== this.defaultTable) return no('ENOPROTOOPT', `only the default table (${this.defaultTable}) exists`);
    this.table = id;
    return OK;
  }

  /** mroute_clean_tables(flags): every vif and entry is the mrouter's (none is static). */
  private flush(flags: number): Reply {
    const e = this.engine;
    if (flags & L.MRT_FLUSH_MFC) {
      // resolved entries and, with MRT_FLUSH_MFC, the unresolved queue.
      // LINUX: IPv6 unresolved entries are left to expire (the engine deletes only resolved
      // ones there, as FreeBSD's MRT6_DEL_MFC).
      for (const id of e.entryIds(this.family === 'inet' ? 'all' : 'resolved')) e.delMfc(this.owner, e.originOf(id), e.groupOf(id));
    }
    if (!(flags & L.MRT_FLUSH_VIFS)) return OK;
    const released: number[] = [];
    for (let v = e.numVifs - 1; v >= 0; v--) {
      if (!e.vifUsed[v]) continue;
      this.engineDelVif(v);
      if (this.bound.delete(v)) released.push(v);
    }
    return released.length ? this.release(released).then(done) : OK;
  }

  protected abstract engineDelVif(vifi: number): void;

  /**
   * Linux's ipmr_update_thresholds: only vifs that exist below maxvif keep a threshold,
   * 0 and 255 mean "not an output", every other slot is cleared. The engine copies the
   * slots below numvifs and leaves the rest (FreeBSD): clear those after the add.
   */
  protected clearSlotsAbove(id: number): void {
    const e = this.engine;
    const base = id * e.maxVifs;
    for (let v = e.numVifs; v < e.maxVifs; v++) e.ttls[base + v] = 0;
  }

  protected isResolved(origin: string, group: string): boolean {
    const id = this.engine.findEntry(origin, group);
    return id >= 0 && !this.engine.isPending(id);
  }

  /** bindVif, then `add`; the link is released again if the engine refuses the vif. */
  protected async bindThenAdd(vifi: number, by: { ifindex?: number; lclAddr?: string } | null, add: (r: { ifindex: number; lclAddr?: string }) => void): Promise<SockReply> {
    let r: { ifindex: number; lclAddr?: string };
    try {
      // null: the register vif
      if (by === null) r = (await this.binder.bindRegisterVif!(vifi), { ifindex: 0 });
      else r = await this.binder.bindVif(this.family, vifi, by);
    } catch (e) {
      // vif_add / mif6_add: no such device is EADDRNOTAVAIL on Linux.
      return fromError(e, { ENODEV: 'EADDRNOTAVAIL', ENXIO: 'EADDRNOTAVAIL' });
    }
    if (this.closed) {
      await this.release([vifi]);
      return no('EBADF', 'socket closed while its vif was being bound');
    }
    try {
      add(r);
    } catch (e) {
      await this.release([vifi]);
      return fromError(e, { ENXIO: 'EADDRNOTAVAIL' });
    }
    this.bound.add(vifi);
    return OK;
  }
}

// ===========================================================================
// IPv4

export class LinuxMrouteSocket extends LinuxRouteSocket<InetEngine> {
  protected readonly family = 'inet' as const;
  protected readonly level = L.IPPROTO_IP;
  protected readonly defaultTable = L.RT_TABLE_DEFAULT;
  protected readonly exactLengths = true;

  protected applyAssert(): void {
    // LINUX: with MRT_ASSERT but not MRT_PIM, Linux sends WRONGVIF only when the packet
    // arrived on one of the entry's outgoing vifs; the engine sends it for any vif.
    if (this.isMrouter) this.engine.setAssert(this.owner, this.state.assert !== 0 ? 1 : 0);
  }

  protected addVif(optval: Buffer): Reply {
    if (optval.length !== L.VIFCTL_SIZE) return no('EINVAL', `MRT_ADD_VIF takes a ${L.VIFCTL_SIZE}-byte vifctl, not ${optval.length} bytes`);
    const c = L.decodeLinuxVifctl(optval);
    const e = this.engine;
    if (c.vifi >= Math.min(L.MAXVIFS, e.maxVifs)) return no('ENFILE', `vif ${c.vifi}: the table has ${Math.min(L.MAXVIFS, e.maxVifs)}`);
    if (e.vifUsed[c.vifi]) return no('EADDRINUSE', `vif ${c.vifi} is in use`);
    // LINUX: vifc_rate_limit and vifc_threshold are kept by Linux and used by neither.
    const base = { vifi: c.vifi, threshold: c.threshold, rateLimit: 0, rmtAddr: c.rmtAddr };
    // vif_add switches on the whole flags byte: combinations are EINVAL.
    switch (c.flags) {
      case L.VIFF_REGISTER:
        if (e.regVif >= 0) return no('EADDRINUSE', `vif ${e.regVif} is already the register vif`);
        {
          const add = (): void => e.addVif(this.owner, { ...base, flags: L.VIFF_REGISTER, lclAddr: c.lclAddr !== '0.0.0.0' ? c.lclAddr : REGISTER_LCL_ADDR });
          // The binder makes `pimreg` and feeds it the Registers, as ipmr_reg_vif and
          // pim_rcv do; WHOLEPKT upcalls come as on Linux.
          const bind = this.binder.bindRegisterVif;
          if (!bind) return (add(), OK);
          return this.bindThenAdd(c.vifi, null, add);
        }
      case L.VIFF_TUNNEL:
        // LINUX: no DVMRP tunnels: Linux without a `tunl0` device says ENOBUFS too.
        return no('ENOBUFS', 'no tunl0: DVMRP tunnel vifs are not supported');
      case L.VIFF_USE_IFINDEX:
      case 0: {
        const byIndex = c.flags === L.VIFF_USE_IFINDEX;
        return this.bindThenAdd(c.vifi, byIndex ? { ifindex: c.lclIfindex } : { lclAddr: c.lclAddr }, (r) =>
          e.addVif(this.owner, { ...base, flags: 0, lclAddr: r.lclAddr ?? (byIndex ? '0.0.0.0' : c.lclAddr) }),
        );
      }
      default:
        return no('EINVAL', `vifc_flags 0x${c.flags.toString(16)}`);
    }
  }

  protected delVif(optval: Buffer): Reply {
    // Linux's MRT_DEL_VIF takes a whole vifctl (FreeBSD's a vifi_t).
    if (optval.length !== L.VIFCTL_SIZE) return no('EINVAL', `MRT_DEL_VIF takes a ${L.VIFCTL_SIZE}-byte vifctl, not ${optval.length} bytes`);
    const vifi = L.decodeLinuxVifctl(optval).vifi;
    if (vifi >= L.MAXVIFS) return no('ENFILE', `vif ${vifi}`);
    const e = this.engine;
    if (vifi >= e.numVifs || !e.vifUsed[vifi]) return no('EADDRNOTAVAIL', `vif ${vifi} is not configured`);
    e.delVif(this.owner, vifi);
    if (!this.bound.delete(vifi)) return OK;
    return this.release([vifi]).then(done);
  }

  protected engineDelVif(vifi: number): void {
    this.engine.delVif(this.owner, vifi);
  }

  protected addMfc(optval: Buffer): Reply {
    if (optval.length !== L.MFCCTL_SIZE) return no('EINVAL', `MRT_ADD_MFC takes a ${L.MFCCTL_SIZE}-byte mfcctl, not ${optval.length} bytes`);
    // Read in place, no decoded object: a daemon may install hundreds of thousands of these.
    const origin = optval.readUInt32BE(MFC_ORIGIN);
    const group = optval.readUInt32BE(MFC_GROUP);
    const parent = optval.readUInt16LE(MFC_PARENT);
    if (parent >= L.MAXVIFS) return no('ENFILE', `mfcc_parent ${parent}`);
    const e = this.engine;
    // An existing entry is updated whatever its group; a new one needs a multicast group
    // or INADDR_ANY.
    if (group !== 0 && !isMulticast4(group) && e.resolvedId(origin, group) < 0) return no('EINVAL', `${formatIPv4(group)} is not a multicast group`);
    // LINUX: (*,G) and (*,*) entries (origin or group 0.0.0.0) are accepted but, the lookup
    // being exact, match no packet.
    // LINUX: an unresolved (S,G) waits for this add 10 s on Linux with up to 4 packets
    // held; the engine keeps it about 1.5 s with 3 (IPv6: 5), as FreeBSD does.
    // LINUX: where two vifs share an interface, Linux takes an arrival on the highest
    // numbered one, the engine on the lowest.
    const ttls = this.ttlScratch;
    for (let v = 0; v < L.MAXVIFS; v++) {
      const t = optval[MFC_TTLS + v];
      ttls[v] = v < e.numVifs && e.vifUsed[v] && t < 255 ? t : 0;
    }
    this.clearSlotsAbove(e.addMfcWords(this.owner, origin, group, parent, ttls));
    return OK;
  }
  private readonly ttlScratch = new Uint8Array(L.MAXVIFS);

  protected delMfc(optval: Buffer): Reply {
    if (optval.length !== L.MFCCTL_SIZE) return no('EINVAL', `MRT_DEL_MFC takes a ${L.MFCCTL_SIZE}-byte mfcctl, not ${optval.length} bytes`);
    const m = L.decodeLinuxMfcctl(optval);
    // Linux looks only among resolved entries: an unresolved (S,G) is ENOENT too.
    if (!this.isResolved(m.origin, m.mcastgrp)) return no('ENOENT', `no MFC entry (${m.origin}, ${m.mcastgrp})`);
    this.engine.delMfc(this.owner, m.origin, m.mcastgrp);
    return OK;
  }

  /** ipmr_ioctl: no ownership check, any socket may read counters. */
  ioctl(request: number, arg: Buffer): SockReply {
    if (this.closed) return no('EBADF', 'socket is closed');
    const e = this.engine;
    try {
      switch (request) {
        case L.SIOCGETVIFCNT: {
          if (arg.length < L.SIOC_VIF_REQ_SIZE) return no('EFAULT', `sioc_vif_req of ${arg.length} bytes`);
          const vifi = arg.readUInt16LE(0);
          if (vifi >= e.numVifs) return no('EINVAL', `vif ${vifi} is beyond maxvif (${e.numVifs})`);
          if (!e.vifUsed[vifi]) return no('EADDRNOTAVAIL', `vif ${vifi} is not configured`);
          const out = Buffer.from(arg.subarray(0, L.SIOC_VIF_REQ_SIZE)); // the caller's struct, counters filled
          L.writeVifCounters(out, e.getVifCnt(vifi));
          return { err: 0, data: out };
        }
        case L.SIOCGETSGCNT: {
          if (arg.length < L.SIOC_SG_REQ_SIZE) return no('EFAULT', `sioc_sg_req of ${arg.length} bytes`);
          const r = decodeSiocSgReq(arg);
          const out = Buffer.from(arg.subarray(0, L.SIOC_SG_REQ_SIZE));
          L.writeSgCounters(out, e.getSgCnt(r.src, r.grp));
          return { err: 0, data: out };
        }
        default:
          // ipmr_ioctl says ENOIOCTLCMD and sock_do_ioctl ends with dev_ioctl's ENOTTY
          // (SIOCGETRPF too: neither ipmr.c nor ip6mr.c implements it).
          return no('ENOTTY', `ioctl 0x${request.toString(16)}`);
      }
    } catch (err) {
      return fromError(err);
    }
  }

  /**
   * An upcall as a Linux daemon reads it from its raw IGMP socket, or null where Linux has
   * no such message (FreeBSD's BW_UPCALL).
   */
  static upcallBytes(u: Upcall): Buffer | null {
    if (u.family !== 'inet') return null;
    const b = u.bytes;
    switch (u.type) {
      case UPCALL_NOCACHE:
      case UPCALL_WRONGVIF: {
        // ipmr_cache_report: the IP header copy with ip_p = 0 and the vif in im_vif /
        // im_vif_hi, tot_len covering it and the struct igmphdr (type, code 0) after it.
        const hl = b.length;
        const out = Buffer.alloc(hl + L.IGMPHDR_SIZE);
        b.copy(out, 0);
        out.writeUInt16BE(hl + L.IGMPHDR_SIZE, 2);
        out[L.OFFSETOF['igmpmsg.im_msgtype']] = u.type;
        out[L.OFFSETOF['igmpmsg.im_mbz']] = 0;
        out[L.OFFSETOF['igmpmsg.im_vif']] = u.vif & 0xff;
        out[L.OFFSETOF['igmpmsg.im_vif_hi']] = (u.vif >>> 8) & 0xff;
        out[hl] = u.type;
        return out;
      }
      case UPCALL_WHOLEPKT: {
        // The inner packet's own 20 header bytes become the igmpmsg (ihl 5, tot_len + 20),
        // not FreeBSD's zeroed one.
        const inner = b.subarray(L.IGMPMSG_SIZE);
        const out = Buffer.alloc(L.IGMPMSG_SIZE + inner.length);
        inner.copy(out, L.IGMPMSG_SIZE);
        // Linux reports the packet before the TTL decrement (the register vif is served
        // ahead of ip_decrease_ttl); the engine decremented it for every output.
        if (inner.length >= 20 && out[L.IGMPMSG_SIZE + 8] < 255) {
          out[L.IGMPMSG_SIZE + 8]++;
          setIpv4Checksum(out, L.IGMPMSG_SIZE);
        }
        out.set(out.subarray(L.IGMPMSG_SIZE, L.IGMPMSG_SIZE + Math.min(20, inner.length)), 0);
        out[0] = (out[0] & 0xf0) | 5;
        out.writeUInt16BE((inner.length + L.IGMPMSG_SIZE) & 0xffff, 2);
        out[L.OFFSETOF['igmpmsg.im_msgtype']] = L.IGMPMSG_WHOLEPKT;
        out[L.OFFSETOF['igmpmsg.im_mbz']] = 0;
        out[L.OFFSETOF['igmpmsg.im_vif']] = u.vif & 0xff;
        out[L.OFFSETOF['igmpmsg.im_vif_hi']] = (u.vif >>> 8) & 0xff;
        return out;
      }
      default:
        return null; // IGMPMSG_BW_UPCALL: Linux's 4 is WRVIFWHOLE, and it has no meters
    }
  }
}

// ===========================================================================
// IPv6

export class LinuxMroute6Socket extends LinuxRouteSocket<Inet6Engine> {
  protected readonly family = 'inet6' as const;
  protected readonly level = L.IPPROTO_IPV6;
  protected readonly defaultTable = L.RT6_TABLE_DFLT;
  protected readonly exactLengths = false;

  protected applyAssert(): void {
    // The engine's IPv6 switch for WRONGMIF is MRT6_PIM; Linux's is do_assert.
    // LINUX: Linux rate-limits WRONGMIF to one per entry every 3 s and sends none for a
    // packet from a non-mif interface; the engine (FreeBSD) sends one per packet, with
    // im6_mif = the number of mifs for a non-mif arrival. The same goes for NOCACHE from a
    // non-mif interface, which Linux never sends.
    if (this.isMrouter) this.engine.setPim(this.owner, this.state.assert !== 0 ? 1 : 0);
  }

  protected addVif(optval: Buffer): Reply {
    if (optval.length < L.MIF6CTL_SIZE) return no('EINVAL', `MRT6_ADD_MIF takes a ${L.MIF6CTL_SIZE}-byte mif6ctl, not ${optval.length} bytes`);
    const c = L.decodeLinuxMif6ctl(optval);
    const e = this.engine;
    if (c.mifi >= Math.min(L.MAXMIFS, e.maxVifs)) return no('ENFILE', `mif ${c.mifi}: the table has ${Math.min(L.MAXMIFS, e.maxVifs)}`);
    if (e.vifUsed[c.mifi]) return no('EADDRINUSE', `mif ${c.mifi} is in use`);
    switch (c.flags) {
      case L.MIFF_REGISTER:
        if (e.regVif >= 0) return no('EADDRINUSE', `mif ${e.regVif} is already the register mif`);
        // LINUX: no `pim6reg` netdevice appears. The engine's register mif hangs off its
        // register pseudo-interface, as the router's own does; mif6c_pifi is not looked at.
        if (!e.interfaces.has(REGISTER_IFINDEX6)) e.attachInterface({ ifindex: REGISTER_IFINDEX6, name: 'register_mif', addrs4: [], addrs6: [], multicast: true });
        e.addMif(this.owner, { mifi: c.mifi, flags: L.MIFF_REGISTER, pifi: REGISTER_IFINDEX6 });
        return OK;
      case 0:
        return this.bindThenAdd(c.mifi, { ifindex: c.pifi }, (r) => e.addMif(this.owner, { mifi: c.mifi, flags: 0, pifi: r.ifindex }));
      default:
        return no('EINVAL', `mif6c_flags 0x${c.flags.toString(16)}`);
    }
  }

  protected delVif(optval: Buffer): Reply {
    if (optval.length < L.MIFI_SIZE) return no('EINVAL', `MRT6_DEL_MIF takes a mifi_t, not ${optval.length} bytes`);
    const mifi = optval.readUInt16LE(0);
    const e = this.engine;
    // mif6_delete: EADDRNOTAVAIL (the engine, as FreeBSD, says EINVAL)
    if (mifi >= e.numVifs || !e.vifUsed[mifi]) return no('EADDRNOTAVAIL', `mif ${mifi} is not configured`);
    e.delMif(this.owner, mifi);
    if (!this.bound.delete(mifi)) return OK;
    return this.release([mifi]).then(done);
  }

  protected engineDelVif(mifi: number): void {
    this.engine.delMif(this.owner, mifi);
  }

  protected addMfc(optval: Buffer): Reply {
    if (optval.length < L.MF6CCTL_SIZE) return no('EINVAL', `MRT6_ADD_MFC takes a ${L.MF6CCTL_SIZE}-byte mf6cctl, not ${optval.length} bytes`);
    const m = L.decodeLinuxMf6cctl(optval);
    if (m.parent >= L.MAXMIFS) return no('ENFILE', `mf6cc_parent ${m.parent}`);
    const e = this.engine;
    const origin = m.origin.addr;
    const group = m.mcastgrp.addr;
    if (!this.isResolved(origin, group)) {
      const g = parseIPv6(group);
      if (!isMulticast6(g) && g.some((x) => x !== 0)) return no('EINVAL', `${group} is not a multicast group`);
    }
    // Bits beyond MAXMIFS are ignored, and so are mifs that do not exist.
    const ifset = m.ifset.filter((v) => v < L.MAXMIFS && v < e.numVifs && e.vifUsed[v]);
    e.addMfc(this.owner, { origin, mcastgrp: group, parent: m.parent, ifset });
    return OK;
  }

  protected delMfc(optval: Buffer): Reply {
    if (optval.length < L.MF6CCTL_SIZE) return no('EINVAL', `MRT6_DEL_MFC takes a ${L.MF6CCTL_SIZE}-byte mf6cctl, not ${optval.length} bytes`);
    const m = L.decodeLinuxMf6cctl(optval);
    if (!this.isResolved(m.origin.addr, m.mcastgrp.addr)) return no('ENOENT', `no MFC entry (${m.origin.addr}, ${m.mcastgrp.addr})`);
    this.engine.delMfc(this.owner, m.origin.addr, m.mcastgrp.addr);
    return OK;
  }

  /** ip6mr_ioctl: no ownership check (FreeBSD's EACCES for other sockets does not apply). */
  ioctl(request: number, arg: Buffer): SockReply {
    if (this.closed) return no('EBADF', 'socket is closed');
    const e = this.engine;
    try {
      switch (request) {
        case L.SIOCGETMIFCNT_IN6: {
          if (arg.length < L.SIOC_MIF_REQ6_SIZE) return no('EFAULT', `sioc_mif_req6 of ${arg.length} bytes`);
          const mifi = arg.readUInt16LE(0);
          if (mifi >= e.numVifs) return no('EINVAL', `mif ${mifi} is beyond maxvif (${e.numVifs})`);
          if (!e.vifUsed[mifi]) return no('EADDRNOTAVAIL', `mif ${mifi} is not configured`);
          const out = Buffer.from(arg.subarray(0, L.SIOC_MIF_REQ6_SIZE));
          L.writeVifCounters(out, e.getMifCnt(mifi));
          return { err: 0, data: out };
        }
        case L.SIOCGETSGCNT_IN6: {
          if (arg.length < L.SIOC_SG_REQ6_SIZE) return no('EFAULT', `sioc_sg_req6 of ${arg.length} bytes`);
          const r = L.decodeLinuxSiocSgReq6(arg);
          const out = Buffer.from(arg.subarray(0, L.SIOC_SG_REQ6_SIZE));
          L.writeSgCounters6(out, e.getSgCnt(r.src.addr, r.grp.addr));
          return { err: 0, data: out };
        }
        default:
          return no('ENOTTY', `ioctl 0x${request.toString(16)}`);
      }
    } catch (err) {
      return fromError(err, { ESRCH: 'EADDRNOTAVAIL' }); // a missing (S,G): FreeBSD ESRCH, Linux EADDRNOTAVAIL
    }
  }

  /** An upcall as a Linux daemon reads it from its raw ICMPv6 socket (struct mrt6msg first). */
  static upcallBytes(u: Upcall): Buffer | null {
    if (u.family !== 'inet6') return null;
    const b = u.bytes;
    const O = L.OFFSETOF;
    switch (u.type) {
      case UPCALL_NOCACHE:
      case UPCALL_WRONGVIF: {
        // ip6mr_cache_report builds a fresh mrt6msg: im6_pad is 0, where FreeBSD's overlay
        // keeps payload length, next header and hop limit.
        const out = Buffer.alloc(L.MRT6MSG_SIZE);
        out[O['mrt6msg.im6_msgtype']] = u.type;
        out.writeUInt16LE(u.vif & 0xffff, O['mrt6msg.im6_mif']);
        b.copy(out, O['mrt6msg.im6_src'], 8, 40); // source and destination of the header copy
        return out;
      }
      case UPCALL_WHOLEPKT: {
        // mrt6msg with the inner packet's source and destination (FreeBSD leaves them 0),
        // then the packet as it was before the hop limit was decremented.
        const inner = b.subarray(L.MRT6MSG_SIZE);
        const out = Buffer.alloc(L.MRT6MSG_SIZE + inner.length);
        inner.copy(out, L.MRT6MSG_SIZE);
        out[O['mrt6msg.im6_msgtype']] = L.MRT6MSG_WHOLEPKT;
        out.writeUInt16LE(u.vif & 0xffff, O['mrt6msg.im6_mif']);
        if (inner.length >= 40) {
          inner.copy(out, O['mrt6msg.im6_src'], 8, 40);
          if (out[L.MRT6MSG_SIZE + 7] < 255) out[L.MRT6MSG_SIZE + 7]++;
        }
        return out;
      }
      default:
        return null;
    }
  }
}
