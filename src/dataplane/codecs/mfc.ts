// struct mfcctl / mfcctl2 (MRT_ADD_MFC, MRT_DEL_MFC) and struct sioc_sg_req
// (SIOCGETSGCNT), amd64.

import { MAXVIFS } from './constants.js';
import {
  need,
  readInAddr,
  readU64,
  readU8Array,
  uint,
  writeInAddr,
  writeU64,
  writeU8Array,
} from './util.js';

/** struct mfcctl */
export interface Mfcctl {
  origin: string; // mfcc_origin (in_addr)
  mcastgrp: string; // mfcc_mcastgrp (in_addr)
  parent: number; // mfcc_parent (vifi_t): incoming vif
  /** mfcc_ttls[MAXVIFS]: per-vif TTL threshold, 0 = not an output. Length 32 (shorter is zero-filled on encode). */
  ttls: number[];
}

/** struct mfcctl2: mfcctl plus the advanced-API fields. */
export interface Mfcctl2 extends Mfcctl {
  /** mfcc_flags[MAXVIFS]: MRT_MFC_FLAGS_* per vif. Length 32 (shorter is zero-filled on encode). */
  flags: number[];
  rp: string; // mfcc_rp (in_addr)
}

export const MFCCTL_SIZE = 44; // 42 used + 2 tail padding (in_addr alignment)
export const MFCCTL2_SIZE = 80; // 74 used + 2 padding + mfcc_rp @76

function writeMfcctlFields(b: Buffer, v: Mfcctl, what: string): void {
  writeInAddr(b, 0, v.origin);
  writeInAddr(b, 4, v.mcastgrp);
  b.writeUInt16LE(uint(v.parent, 16, `${what}.mfcc_parent`), 8);
  writeU8Array(b, 10, v.ttls, MAXVIFS, `${what}.mfcc_ttls`);
}

function readMfcctlFields(b: Buffer, off: number): Mfcctl {
  return {
    origin: readInAddr(b, off),
    mcastgrp: readInAddr(b, off + 4),
    parent: b.readUInt16LE(off + 8),
    ttls: readU8Array(b, off + 10, MAXVIFS),
  };
}

export function encodeMfcctl(v: Mfcctl): Buffer {
  const b = Buffer.alloc(MFCCTL_SIZE);
  writeMfcctlFields(b, v, 'mfcctl');
  return b;
}

export function decodeMfcctl(buf: Uint8Array, off = 0): Mfcctl {
  return readMfcctlFields(need(buf, off, MFCCTL_SIZE, 'mfcctl'), off);
}

export function encodeMfcctl2(v: Mfcctl2): Buffer {
  const b = Buffer.alloc(MFCCTL2_SIZE);
  writeMfcctlFields(b, v, 'mfcctl2');
  writeU8Array(b, 42, v.flags, MAXVIFS, 'mfcctl2.mfcc_flags');
  writeInAddr(b, 76, v.rp);
  return b;
}

export function decodeMfcctl2(buf: Uint8Array, off = 0): Mfcctl2 {
  const b = need(buf, off, MFCCTL2_SIZE, 'mfcctl2');
  const base = readMfcctlFields(b, off);
  return { ...base, flags: readU8Array(b, off + 42, MAXVIFS), rp: readInAddr(b, off + 76) };
}

/** struct sioc_sg_req */
export interface SiocSgReq {
  src: string; // src (in_addr)
  grp: string; // grp (in_addr)
  pktcnt: number; // pktcnt (u_long)
  bytecnt: number; // bytecnt (u_long)
  wrongIf: number; // wrong_if (u_long)
}

export const SIOC_SG_REQ_SIZE = 32;

export function encodeSiocSgReq(v: SiocSgReq): Buffer {
  const b = Buffer.alloc(SIOC_SG_REQ_SIZE);
  writeInAddr(b, 0, v.src);
  writeInAddr(b, 4, v.grp);
  writeU64(b, 8, v.pktcnt, 'sioc_sg_req.pktcnt');
  writeU64(b, 16, v.bytecnt, 'sioc_sg_req.bytecnt');
  writeU64(b, 24, v.wrongIf, 'sioc_sg_req.wrong_if');
  return b;
}

export function decodeSiocSgReq(buf: Uint8Array, off = 0): SiocSgReq {
  const b = need(buf, off, SIOC_SG_REQ_SIZE, 'sioc_sg_req');
  return {
    src: readInAddr(b, off),
    grp: readInAddr(b, off + 4),
    pktcnt: readU64(b, off + 8),
    bytecnt: readU64(b, off + 16),
    wrongIf: readU64(b, off + 24),
  };
}
