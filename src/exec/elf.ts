// What the dynamic loader will do with a file: only a dynamically linked ELF (one with a
// PT_INTERP program header) runs ld.so, and only ld.so reads LD_PRELOAD. A static binary
// would silently talk to the kernel instead of mrsh, so `mrsh exec` asks first.
import { closeSync, openSync, readSync } from 'node:fs';

export type ExecKind =
  | { kind: 'dynamic'; interp: string }
  | { kind: 'static' }
  | { kind: 'script'; interp: string }
  | { kind: 'unknown'; why: string };

const PT_INTERP = 3;

/** Reads the ELF header and program headers (or a script's #! line) of `path`. */
export function execKind(path: string): ExecKind {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    const n = readSync(fd, head, 0, 64, 0);
    if (n >= 2 && head[0] === 0x23 && head[1] === 0x21) {
      const line = head.toString('latin1', 2, n).split('\n')[0].trim();
      // a longer #! line is cut here, but its first word is what the kernel runs
      return { kind: 'script', interp: line.split(/[ \t]/)[0] };
    }
    if (n < 52 || head.readUInt32BE(0) !== 0x7f454c46) return { kind: 'unknown', why: 'not an ELF executable or a #! script' };
    const is64 = head[4] === 2;
    const le = head[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const phoff = is64 ? u64(head, 32) : u32(head, 28);
    const phentsize = u16(head, is64 ? 54 : 42);
    const phnum = u16(head, is64 ? 56 : 44);
    if (phnum === 0 || phentsize < (is64 ? 56 : 32)) return { kind: 'static' };
    const ph = Buffer.alloc(phentsize * phnum);
    if (readSync(fd, ph, 0, ph.length, phoff) !== ph.length) return { kind: 'unknown', why: 'truncated ELF program headers' };
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize;
      if (u32(ph, o) !== PT_INTERP) continue;
      const off = is64 ? u64(ph, o + 8) : u32(ph, o + 4);
      const size = is64 ? u64(ph, o + 32) : u32(ph, o + 16);
      const s = Buffer.alloc(Math.min(size, 4096));
      readSync(fd, s, 0, s.length, off);
      return { kind: 'dynamic', interp: s.toString('latin1').replace(/\0.*$/s, '') };
    }
    return { kind: 'static' };
  } finally {
    closeSync(fd);
  }
}
