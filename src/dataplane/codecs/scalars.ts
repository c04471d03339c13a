// Scalar option arguments: MRT_INIT / MRT_ASSERT / MRT6_PIM take an `int`, MRT_DEL_VIF /
// MRT6_DEL_MIF a `vifi_t` / `mifi_t` (u_short), MRT_API_CONFIG a `uint32_t`. Same
// sooptcopyin rule as the structs: short is EINVAL, long is fine.

import { MrtError } from '../errno.js';
import { need, uint } from './util.js';

/** vifi_t / mifi_t (u_short) */
export const VIFI_SIZE = 2;
export const INT_SIZE = 4;
export const UINT32_SIZE = 4;

export function encodeVifi(v: number): Buffer {
  const b = Buffer.alloc(VIFI_SIZE);
  b.writeUInt16LE(uint(v, 16, 'vifi_t'), 0);
  return b;
}

export function decodeVifi(buf: Uint8Array, off = 0): number {
  return need(buf, off, VIFI_SIZE, 'vifi_t').readUInt16LE(off);
}

export function encodeInt(v: number): Buffer {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
    throw new MrtError('EINVAL', `int: ${String(v)} out of range`);
  }
  const b = Buffer.alloc(INT_SIZE);
  b.writeInt32LE(v, 0);
  return b;
}

export function decodeInt(buf: Uint8Array, off = 0): number {
  return need(buf, off, INT_SIZE, 'int').readInt32LE(off);
}

export function encodeUint32(v: number): Buffer {
  const b = Buffer.alloc(UINT32_SIZE);
  b.writeUInt32LE(uint(v, 32, 'uint32_t'), 0);
  return b;
}

export function decodeUint32(buf: Uint8Array, off = 0): number {
  return need(buf, off, UINT32_SIZE, 'uint32_t').readUInt32LE(off);
}
