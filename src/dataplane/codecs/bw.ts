// struct bw_data and struct bw_upcall (MRT_ADD_BW_UPCALL / MRT_DEL_BW_UPCALL argument and
// IGMPMSG_BW_UPCALL record), amd64: struct timeval is two 8-byte longs.

import { need, readI64, readInAddr, readU64, uint, writeI64, writeInAddr, writeU64 } from './util.js';

/** struct bw_data */
export interface BwData {
  timeSec: number; // b_time.tv_sec (time_t)
  timeUsec: number; // b_time.tv_usec (suseconds_t, long)
  packets: number; // b_packets (uint64_t)
  bytes: number; // b_bytes (uint64_t)
}

export const BW_DATA_SIZE = 32;

export function writeBwData(b: Buffer, off: number, v: BwData, field = 'bw_data'): void {
  writeI64(b, off, v.timeSec, `${field}.b_time.tv_sec`);
  writeI64(b, off + 8, v.timeUsec, `${field}.b_time.tv_usec`);
  writeU64(b, off + 16, v.packets, `${field}.b_packets`);
  writeU64(b, off + 24, v.bytes, `${field}.b_bytes`);
}

export function readBwData(b: Buffer, off: number): BwData {
  return {
    timeSec: readI64(b, off),
    timeUsec: readI64(b, off + 8),
    packets: readU64(b, off + 16),
    bytes: readU64(b, off + 24),
  };
}

export function encodeBwData(v: BwData): Buffer {
  const b = Buffer.alloc(BW_DATA_SIZE);
  writeBwData(b, 0, v);
  return b;
}

export function decodeBwData(buf: Uint8Array, off = 0): BwData {
  return readBwData(need(buf, off, BW_DATA_SIZE, 'bw_data'), off);
}

/** struct bw_upcall */
export interface BwUpcall {
  src: string; // bu_src (in_addr)
  dst: string; // bu_dst (in_addr)
  flags: number; // bu_flags (uint32_t, BW_UPCALL_*)
  threshold: BwData; // bu_threshold
  measured: BwData; // bu_measured
}

export const BW_UPCALL_SIZE = 80; // 12 used + 4 padding to align the timevals at 16

/** Write one bw_upcall at b[off..off+80) (the caller zeroes the padding, e.g. Buffer.alloc). */
export function writeBwUpcall(b: Buffer, off: number, v: BwUpcall): void {
  writeInAddr(b, off, v.src);
  writeInAddr(b, off + 4, v.dst);
  b.writeUInt32LE(uint(v.flags, 32, 'bw_upcall.bu_flags'), off + 8);
  writeBwData(b, off + 16, v.threshold, 'bw_upcall.bu_threshold');
  writeBwData(b, off + 48, v.measured, 'bw_upcall.bu_measured');
}

export function readBwUpcall(b: Buffer, off: number): BwUpcall {
  return {
    src: readInAddr(b, off),
    dst: readInAddr(b, off + 4),
    flags: b.readUInt32LE(off + 8),
    threshold: readBwData(b, off + 16),
    measured: readBwData(b, off + 48),
  };
}

export function encodeBwUpcall(v: BwUpcall): Buffer {
  const b = Buffer.alloc(BW_UPCALL_SIZE);
  writeBwUpcall(b, 0, v);
  return b;
}

export function decodeBwUpcall(buf: Uint8Array, off = 0): BwUpcall {
  return readBwUpcall(need(buf, off, BW_UPCALL_SIZE, 'bw_upcall'), off);
}
