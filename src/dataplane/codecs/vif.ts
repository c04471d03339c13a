// struct vifctl (MRT_ADD_VIF) and struct sioc_vif_req (SIOCGETVIFCNT), amd64.

import { need, readInAddr, readU64, uint, writeInAddr, writeU64 } from './util.js';

/** struct vifctl */
export interface Vifctl {
  vifi: number; // vifc_vifi (vifi_t, u_short)
  flags: number; // vifc_flags (u_char, VIFF_*)
  threshold: number; // vifc_threshold (u_char); stored, never consulted
  rateLimit: number; // vifc_rate_limit (u_int); FreeBSD demands 0
  lclAddr: string; // vifc_lcl_addr (in_addr)
  rmtAddr: string; // vifc_rmt_addr (in_addr); tunnels only, unused
}

export const VIFCTL_SIZE = 16;

export function encodeVifctl(v: Vifctl): Buffer {
  const b = Buffer.alloc(VIFCTL_SIZE);
  b.writeUInt16LE(uint(v.vifi, 16, 'vifctl.vifc_vifi'), 0);
  b[2] = uint(v.flags, 8, 'vifctl.vifc_flags');
  b[3] = uint(v.threshold, 8, 'vifctl.vifc_threshold');
  b.writeUInt32LE(uint(v.rateLimit, 32, 'vifctl.vifc_rate_limit'), 4);
  writeInAddr(b, 8, v.lclAddr);
  writeInAddr(b, 12, v.rmtAddr);
  return b;
}

export function decodeVifctl(buf: Uint8Array, off = 0): Vifctl {
  const b = need(buf, off, VIFCTL_SIZE, 'vifctl');
  return {
    vifi: b.readUInt16LE(off),
    flags: b[off + 2]!,
    threshold: b[off + 3]!,
    rateLimit: b.readUInt32LE(off + 4),
    lclAddr: readInAddr(b, off + 8),
    rmtAddr: readInAddr(b, off + 12),
  };
}

/** struct sioc_vif_req: u_long counters, so 6 bytes of padding after vifi. */
export interface SiocVifReq {
  vifi: number; // vifi (vifi_t)
  icount: number; // icount (u_long): packets in
  ocount: number; // ocount (u_long): packets out
  ibytes: number; // ibytes (u_long)
  obytes: number; // obytes (u_long)
}

export const SIOC_VIF_REQ_SIZE = 40;

export function encodeSiocVifReq(v: SiocVifReq): Buffer {
  const b = Buffer.alloc(SIOC_VIF_REQ_SIZE);
  b.writeUInt16LE(uint(v.vifi, 16, 'sioc_vif_req.vifi'), 0);
  writeU64(b, 8, v.icount, 'sioc_vif_req.icount');
  writeU64(b, 16, v.ocount, 'sioc_vif_req.ocount');
  writeU64(b, 24, v.ibytes, 'sioc_vif_req.ibytes');
  writeU64(b, 32, v.obytes, 'sioc_vif_req.obytes');
  return b;
}

export function decodeSiocVifReq(buf: Uint8Array, off = 0): SiocVifReq {
  const b = need(buf, off, SIOC_VIF_REQ_SIZE, 'sioc_vif_req');
  return {
    vifi: b.readUInt16LE(off),
    icount: readU64(b, off + 8),
    ocount: readU64(b, off + 16),
    ibytes: readU64(b, off + 24),
    obytes: readU64(b, off + 32),
  };
}
