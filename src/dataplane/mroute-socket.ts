// The routing socket as a daemon sees it: setsockopt/getsockopt/ioctl on raw bytes in
// FreeBSD's layouts, with the gatekeeping of rip_ctloutput and X_ip_mrouter_set/get.
// Each open() is one socket; the one that does MRT_INIT becomes the mrouter.
// Short option buffers are EINVAL, longer ones are accepted and the excess ignored
// (sooptcopyin).

import { fail } from './errno.js';
import * as C from './codecs/index.js';
import type { InetEngine } from './inet.js';
import type { Inet6Engine } from './inet6.js';
import type { Upcall } from './upcall.js';

function need(optval: Uint8Array, size: number, what: string): void {
  if (optval.length < size) fail('EINVAL', `${what}: option length ${optval.length} is shorter than ${size}`);
}

export interface SocketOptions {
  /** priv_check(PRIV_NETINET_MROUTE): false → EPERM on every option */
  privileged?: boolean;
  /** the socket's protocol; MRT options need raw IGMP (IPv4) or ICMPv6 (IPv6) */
  protocol?: 'igmp' | 'icmpv6' | 'udp';
}

export class MrouteSocket {
  private closed = false;
  constructor(
    private readonly engine: InetEngine,
    private readonly opts: SocketOptions = {},
  ) {}

  private gate(): void {
    if (this.closed) fail('EINVAL', 'socket is closed');
    if (this.opts.privileged === false) fail('EPERM', 'multicast routing needs privilege');
    if ((this.opts.protocol ?? 'igmp') !== 'igmp') fail('EOPNOTSUPP', 'MRT options need a raw IGMP socket');
  }

  setsockopt(name: number, optval: Uint8Array = new Uint8Array(0)): Buffer | undefined {
    this.gate();
    const e = this.engine;
    if (name !== C.MRT_INIT && e.mrouter !== this) fail('EPERM', 'not the multicast routing socket');
    switch (name) {
      case C.MRT_INIT:
        need(optval, 4, 'MRT_INIT');
        e.init(this, C.decodeInt(optval));
        return;
      case C.MRT_DONE:
        e.done(this);
        return;
      case C.MRT_ADD_VIF:
        need(optval, C.VIFCTL_SIZE, 'MRT_ADD_VIF');
        e.addVif(this, C.decodeVifctl(optval));
        return;
      case C.MRT_DEL_VIF:
        need(optval, C.VIFI_SIZE, 'MRT_DEL_VIF');
        e.delVif(this, C.decodeVifi(optval));
        return;
      case C.MRT_ADD_MFC: {
        // Once any API feature is configured the kernel reads a whole mfcctl2.
        if (e.apiConfig !== 0) {
          need(optval, C.MFCCTL2_SIZE, 'MRT_ADD_MFC (mfcctl2)');
          e.addMfc(this, C.decodeMfcctl2(optval), true);
        } else {
          need(optval, C.MFCCTL_SIZE, 'MRT_ADD_MFC');
          e.addMfc(this, C.decodeMfcctl(optval), false);
        }
        return;
      }
      case C.MRT_DEL_MFC: {
        need(optval, C.MFCCTL_SIZE, 'MRT_DEL_MFC');
        const m = C.decodeMfcctl(optval);
        e.delMfc(this, m.origin, m.mcastgrp);
        return;
      }
      case C.MRT_ASSERT:
        need(optval, 4, 'MRT_ASSERT');
        e.setAssert(this, C.decodeInt(optval));
        return;
      case C.MRT_API_CONFIG: {
        need(optval, 4, 'MRT_API_CONFIG');
        const accepted = e.setApiConfig(this, C.decodeUint32(optval));
        // The accepted subset is written back into the caller's buffer.
        optval[0] = accepted & 0xff;
        optval[1] = (accepted >>> 8) & 0xff;
        optval[2] = (accepted >>> 16) & 0xff;
        optval[3] = accepted >>> 24;
        return C.encodeUint32(accepted);
      }
      case C.MRT_ADD_BW_UPCALL:
      case C.MRT_DEL_BW_UPCALL: {
        if (!(e.apiConfig & C.MRT_MFC_BW_UPCALL)) fail('EOPNOTSUPP', 'bandwidth upcalls need MRT_API_CONFIG bw-upcall');
        need(optval, C.BW_UPCALL_SIZE, name === C.MRT_ADD_BW_UPCALL ? 'MRT_ADD_BW_UPCALL' : 'MRT_DEL_BW_UPCALL');
        const b = C.decodeBwUpcall(optval);
        const spec = { src: b.src, dst: b.dst, flags: b.flags, threshold: b.threshold };
        if (name === C.MRT_ADD_BW_UPCALL) e.addBwUpcall(this, spec);
        else e.delBwUpcall(this, spec);
        return;
      }
      default:
        fail('EOPNOTSUPP', `option ${name} cannot be set`);
    }
  }

  /** getsockopt: no mrouter check (any privileged raw IGMP socket may read). */
  getsockopt(name: number): Buffer {
    this.gate();
    const e = this.engine;
    switch (name) {
      case C.MRT_VERSION:
        return C.encodeInt(C.MRT_VERSION_VALUE);
      case C.MRT_ASSERT:
        return C.encodeInt(e.assert ? 1 : 0);
      case C.MRT_API_SUPPORT:
        return C.encodeUint32(C.MRT_API_FLAGS_ALL);
      case C.MRT_API_CONFIG:
        return C.encodeUint32(e.apiConfig);
      default:
        fail('EOPNOTSUPP', `option ${name} cannot be read`);
    }
  }

  ioctl(cmd: number, req: Uint8Array): Buffer {
    this.gate();
    const e = this.engine;
    switch (cmd) {
      case C.SIOCGETSGCNT: {
        const r = C.decodeSiocSgReq(req);
        const c = e.getSgCnt(r.src, r.grp);
        return C.encodeSiocSgReq({ src: r.src, grp: r.grp, pktcnt: c.pktcnt, bytecnt: c.bytecnt, wrongIf: c.wrongIf });
      }
      case C.SIOCGETVIFCNT: {
        const r = C.decodeSiocVifReq(req);
        return C.encodeSiocVifReq({ vifi: r.vifi, ...e.getVifCnt(r.vifi) });
      }
      default:
        fail('EINVAL', `ioctl ${cmd.toString(16)} is not a multicast routing request`);
    }
  }

  /** read(2): the next upcall, or undefined. Only the mrouter receives upcalls. */
  recv(): Upcall | undefined {
    return this.engine.mrouter === this ? this.engine.upcalls.shift() : undefined;
  }

  /** close(2) of the mrouter socket does what MRT_DONE does (rip_detach). */
  close(): void {
    if (this.engine.mrouter === this) this.engine.done(this);
    this.closed = true;
  }
}

export class Mroute6Socket {
  private closed = false;
  constructor(
    private readonly engine: Inet6Engine,
    private readonly opts: SocketOptions = {},
  ) {}

  private gate(): void {
    if (this.closed) fail('EINVAL', 'socket is closed');
    if (this.opts.privileged === false) fail('EPERM', 'multicast routing needs privilege');
    if ((this.opts.protocol ?? 'icmpv6') !== 'icmpv6') fail('EOPNOTSUPP', 'MRT6 options need a raw ICMPv6 socket');
  }

  setsockopt(name: number, optval: Uint8Array = new Uint8Array(0)): void {
    this.gate();
    const e = this.engine;
    if (name !== C.MRT6_INIT && name !== C.MRT6_OINIT && e.mrouter !== this) fail('EPERM', 'not the IPv6 multicast routing socket');
    switch (name) {
      case C.MRT6_INIT:
      case C.MRT6_OINIT:
        need(optval, 4, 'MRT6_INIT');
        e.init(this, C.decodeInt(optval));
        return;
      case C.MRT6_DONE:
        e.done(this);
        return;
      case C.MRT6_ADD_MIF:
        need(optval, C.MIF6CTL_SIZE, 'MRT6_ADD_MIF');
        e.addMif(this, C.decodeMif6ctl(optval));
        return;
      case C.MRT6_DEL_MIF:
        need(optval, C.VIFI_SIZE, 'MRT6_DEL_MIF');
        e.delMif(this, C.decodeVifi(optval));
        return;
      case C.MRT6_ADD_MFC:
        need(optval, C.MF6CCTL_SIZE, 'MRT6_ADD_MFC');
        e.addMfc(this, C.decodeMf6cctl(optval));
        return;
      case C.MRT6_DEL_MFC: {
        need(optval, C.MF6CCTL_SIZE, 'MRT6_DEL_MFC');
        const m = C.decodeMf6cctl(optval);
        e.delMfc(this, m.origin, m.mcastgrp);
        return;
      }
      case C.MRT6_PIM:
        need(optval, 4, 'MRT6_PIM');
        e.setPim(this, C.decodeInt(optval));
        return;
      default:
        fail('EOPNOTSUPP', `option ${name} cannot be set`);
    }
  }

  /**
   * ip6_mrouter_get: a non-mrouter socket gets EACCES; only MRT6_PIM is readable, any
   * other name returns success with nothing copied (an empty buffer here).
   */
  getsockopt(name: number): Buffer {
    this.gate();
    this.engine.checkGet(this);
    if (name === C.MRT6_PIM) return C.encodeInt(this.engine.pim ? 1 : 0);
    return Buffer.alloc(0);
  }

  ioctl(cmd: number, req: Uint8Array): Buffer {
    this.gate();
    const e = this.engine;
    switch (cmd) {
      case C.SIOCGETSGCNT_IN6: {
        const r = C.decodeSiocSgReq6(req);
        const c = e.getSgCnt(r.src, r.grp);
        return C.encodeSiocSgReq6({ src: r.src, grp: r.grp, pktcnt: c.pktcnt, bytecnt: c.bytecnt, wrongIf: c.wrongIf });
      }
      case C.SIOCGETMIFCNT_IN6: {
        const r = C.decodeSiocMifReq6(req);
        return C.encodeSiocMifReq6({ mifi: r.mifi, ...e.getMifCnt(r.mifi) });
      }
      default:
        fail('EINVAL', `ioctl ${cmd.toString(16)} is not an IPv6 multicast routing request`);
    }
  }

  recv(): Upcall | undefined {
    return this.engine.mrouter === this ? this.engine.upcalls.shift() : undefined;
  }

  close(): void {
    if (this.engine.mrouter === this) this.engine.done(this);
    this.closed = true;
  }
}
