// Parameter types of the command grammar. Each parse() takes one token and returns the
// value or undefined (no match); they are hand-written, not regex-built per line, because a
// batch of 100,000 lines goes through them.
import { isIPv4, isIPv6 } from 'node:net';

export interface ParamType {
  /** the name shown in `?` help, e.g. <A.B.C.D|X:X::X:X> */
  display: string;
  describe: string;
  parse(tok: string): unknown;
}

function uintIn(tok: string, max: number): number | undefined {
  const n = tok.length;
  if (n === 0 || n > 10) return undefined;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = tok.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    v = v * 10 + c;
  }
  return v <= max ? v : undefined;
}

export const uint: ParamType = {
  display: '<0-4294967295>',
  describe: 'an unsigned integer',
  parse: (t) => uintIn(t, 0xffffffff),
};

/**
 * A vif given by its link's name (eth0), where a number is accepted. The grammar has no
 * state, so the name is resolved to a number against the router when the line runs
 * (resolveVifNames, exec.ts).
 */
export class VifName {
  constructor(readonly name: string) {}
}

function vifNameOf(t: string): VifName | undefined {
  return /^[A-Za-z][A-Za-z0-9_.@-]{0,31}$/.test(t) ? new VifName(t) : undefined;
}

function vifOrName(t: string): number | VifName | undefined {
  return uintIn(t, 0xffff) ?? vifNameOf(t);
}

/** vif/mif indices are checked by the engine (its limit is a setting), so any u16 parses */
export const vif: ParamType = {
  display: '<vif>',
  describe: 'a vif (IPv6: mif) index',
  parse: (t) => uintIn(t, 0xffff),
};

/** a vif by index or by its link's name */
export const vifRef: ParamType = {
  display: '<vif|name>',
  describe: "a vif (IPv6: mif) index, or its link's name",
  parse: vifOrName,
};

export const ttl: ParamType = {
  display: '<0-255>',
  describe: 'a TTL (IPv6: hop limit)',
  parse: (t) => uintIn(t, 255),
};

export const count: ParamType = {
  display: '<1-1000000>',
  describe: 'a count',
  parse: (t) => {
    const v = uintIn(t, 1_000_000);
    return v === undefined || v === 0 ? undefined : v;
  },
};

export const size: ParamType = {
  display: '<20-65535>',
  describe: 'a datagram size in bytes, IP header included',
  parse: (t) => uintIn(t, 65535),
};

export const addr: ParamType = {
  display: '<A.B.C.D|X:X::X:X>',
  describe: 'an IPv4 or IPv6 address',
  parse: (t) => (isIPv4(t) || (t.includes(':') && isIPv6(t)) ? t : undefined),
};

export const seconds: ParamType = {
  display: '<seconds>',
  describe: 'a time in seconds (decimals allowed)',
  parse: (t) => {
    if (t.length === 0 || t.length > 16) return undefined;
    let dot = false;
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 46 && !dot) dot = true;
      else if (c < 48 || c > 57) return undefined;
    }
    const v = Number(t);
    return Number.isFinite(v) ? v : undefined;
  },
};

/** `N` or `N:TTL`, as an oif of mfc add; a bare N means TTL 1 */
export const oif: ParamType = {
  display: '<vif[:ttl]>',
  describe: "an outgoing vif (index or link name) with an optional TTL threshold (default 1)",
  parse: (t) => {
    const c = t.lastIndexOf(':');
    if (c < 0) {
      const v = vifOrName(t);
      return v === undefined ? undefined : { vif: v, ttl: 1 };
    }
    const v = vifOrName(t.slice(0, c));
    const l = uintIn(t.slice(c + 1), 255);
    return v === undefined || l === undefined ? undefined : { vif: v, ttl: l };
  },
};

/** `N:disable-wrongvif` or `N:border` (mfcctl2 per-vif flags) */
export const vifFlag: ParamType = {
  display: '<vif:disable-wrongvif|border>',
  describe: 'a per-vif flag of the entry',
  parse: (t) => {
    const c = t.lastIndexOf(':');
    if (c < 0) return undefined;
    const v = vifOrName(t.slice(0, c));
    const f = t.slice(c + 1);
    if (v === undefined) return undefined;
    if ('disable-wrongvif'.startsWith(f) && f.length > 0) return { vif: v, flag: 'disable-wrongvif' };
    if ('border'.startsWith(f) && f.length > 0) return { vif: v, flag: 'border' };
    return undefined;
  },
};

export const word: ParamType = {
  display: '<name>',
  describe: 'a name',
  parse: (t) => (t.length > 0 && t.length <= 64 && t[0] !== '|' ? t : undefined),
};

/** an address with an optional prefix length: 239.1.0.0/16, ff0e::/16, 10.0.0.1 */
export const prefix: ParamType = {
  display: '<A.B.C.D[/LEN]|X:X::X:X[/LEN]>',
  describe: 'an IPv4 or IPv6 address or prefix',
  parse: (t) => {
    const s = t.indexOf('/');
    const a = s < 0 ? t : t.slice(0, s);
    if (!(isIPv4(a) || (a.includes(':') && isIPv6(a)))) return undefined;
    if (s < 0) return t;
    const len = uintIn(t.slice(s + 1), isIPv4(a) ? 32 : 128);
    return len === undefined ? undefined : t;
  },
};

/** a file name: anything but a pipe, up to PATH_MAX */
export const path: ParamType = {
  display: '<file>',
  describe: 'a file name',
  parse: (t) => (t.length > 0 && t.length <= 4096 && t[0] !== '|' ? t : undefined),
};

/** bytes as hex digits (two per byte, any case): a whole packet for inject raw */
export const hex: ParamType = {
  display: '<hex>',
  describe: 'bytes as hex digits, two per byte',
  parse: (t) => (t.length >= 2 && t.length % 2 === 0 && t.length <= 2 * 65575 && /^[0-9a-fA-F]+$/.test(t) ? t.toLowerCase() : undefined),
};

export const TYPES: Record<string, ParamType> = { uint, vif, vifRef, ttl, count, size, addr, seconds, oif, vifFlag, word, prefix, path, hex };
