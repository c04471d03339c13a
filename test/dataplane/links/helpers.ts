// Network-namespace plumbing for the link tests: namespaces named after the test's pid,
// real UDP senders/receivers run inside them with `ip netns exec`, datagram builders.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { nativeUnavailableReason } from '../../../src/dataplane/links/native.js';

/** Why these tests cannot run here, or null. */
/** python3 sends the raw frames (non-IP, VLAN, truncated) some link tests need */
export const hasPython = ((): boolean => {
  try {
    execFileSync('python3', ['-c', 'import socket'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export function skipReason(): string | null {
  const why = nativeUnavailableReason();
  if (why) return why;
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'iproute2 (ip) is not installed';
  }
  return null;
}

export function sh(cmd: string, args: string[], opts: { allowFail?: boolean } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if (opts.allowFail) return '';
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(err.stderr ?? err.message).trim()}`);
  }
}

export const nsExec = (ns: string, cmd: string, args: string[], opts?: { allowFail?: boolean }): string =>
  sh('ip', ['netns', 'exec', ns, cmd, ...args], opts);

/** Namespaces created by this process, removed by cleanup() even after failures. */
export class Netns {
  readonly names: string[] = [];
  constructor(readonly prefix = `mrsh-t-${process.pid}`) {}

  add(suffix: string): string {
    const name = `${this.prefix}-${suffix}`;
    sh('ip', ['netns', 'del', name], { allowFail: true });
    sh('ip', ['netns', 'add', name]);
    this.names.push(name);
    nsExec(name, 'ip', ['link', 'set', 'lo', 'up']);
    // Addresses we add are used at once: no duplicate address detection delay.
    nsExec(name, 'sysctl', ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    return name;
  }

  /** A veth pair with one end in each namespace, both up. */
  veth(nsA: string, a: string, nsB: string, b: string): void {
    sh('ip', ['link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
    nsExec(nsA, 'ip', ['link', 'set', a, 'up']);
    nsExec(nsB, 'ip', ['link', 'set', b, 'up']);
  }

  cleanup(): void {
    for (const n of this.names.splice(0)) sh('ip', ['netns', 'del', n], { allowFail: true });
  }
}

/** Turn tx checksum offload on for dev; returns whether ethtool confirmed it. */
export function txOffloadOn(ns: string, dev: string): { confirmed: boolean; why?: string } {
  try {
    execFileSync('ethtool', ['--version'], { stdio: 'ignore' });
  } catch {
    return { confirmed: false, why: 'ethtool not installed (scripts/ci-deps.sh installs it); veth default is tx on' };
  }
  nsExec(ns, 'ethtool', ['-K', dev, 'tx', 'on']);
  const out = nsExec(ns, 'ethtool', ['-k', dev]);
  return { confirmed: /^tx-checksumming: on/m.test(out) };
}

// The sender and receiver are ordinary Node dgram sockets in the other namespaces.
const SENDER = `
const dgram = require('node:dgram');
const [fam, group, port, ifc, count, ttl, prefix, gap] = process.argv.slice(1);
const s = dgram.createSocket(fam === '6' ? 'udp6' : 'udp4');
s.bind(0, () => {
  s.setMulticastInterface(ifc);
  s.setMulticastTTL(Number(ttl));
  s.setMulticastLoopback(false);
  let i = 0;
  const fail = (err) => { if (err) { console.error(err.message); process.exit(1); } };
  if (Number(gap) === 0) {
    // A burst: every datagram queued at once.
    let left = Number(count);
    for (; i < Number(count); i++) s.send(Buffer.from(prefix + '-' + i), Number(port), group, (err) => { fail(err); if (--left === 0) s.close(); });
    return;
  }
  const next = () => {
    if (i === Number(count)) return s.close();
    const msg = Buffer.from(prefix + '-' + i++);
    s.send(msg, Number(port), group, (err) => { fail(err); setTimeout(next, Number(gap)); });
  };
  next();
});
`;

const RECEIVER = `
const dgram = require('node:dgram');
const [fam, group, port, ifc] = process.argv.slice(1);
const s = dgram.createSocket({ type: fam === '6' ? 'udp6' : 'udp4', reuseAddr: true });
s.on('message', (m, r) => console.log(JSON.stringify({ hex: m.toString('hex'), from: r.address })));
s.bind(Number(port), () => { s.addMembership(group, ifc); console.log('ready'); });
setTimeout(() => process.exit(0), 20000).unref();
`;

/** Send count UDP datagrams "<prefix>-<i>" to group:port from namespace ns; resolves on exit. */
export function udpSend(
  ns: string,
  fam: 4 | 6,
  group: string,
  port: number,
  ifc: string,
  count: number,
  prefix: string,
  ttl = 8,
  gapMs = 5,
): void {
  nsExec(ns, process.execPath, ['-e', SENDER, String(fam), group, String(port), ifc, String(count), String(ttl), prefix, String(gapMs)]);
}

export interface UdpReceiver {
  messages: { payload: string; from: string }[];
  waitFor(n: number, timeoutMs: number): Promise<void>;
  stop(): void;
}

/** A UDP socket in ns that joined group on interface ifc; resolves once it is listening. */
export function udpReceive(ns: string, fam: 4 | 6, group: string, port: number, ifc: string): Promise<UdpReceiver> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', RECEIVER, String(fam), group, String(port), ifc], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const messages: { payload: string; from: string }[] = [];
  let waiter: (() => void) | null = null;
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error('receiver did not start')), 5000);
    child.on('exit', (code) => reject(new Error(`receiver exited ${code}`)));
    rl.on('line', (line) => {
      if (line === 'ready') {
        clearTimeout(timer);
        resolve({
          messages,
          waitFor(n, timeoutMs) {
            return new Promise((res) => {
              const t = setTimeout(res, timeoutMs);
              const check = (): void => {
                if (messages.length >= n) {
                  clearTimeout(t);
                  waiter = null;
                  res();
                }
              };
              waiter = check;
              check();
            });
          },
          stop() {
            child.kill();
          },
        });
        return;
      }
      const m = JSON.parse(line) as { hex: string; from: string };
      messages.push({ payload: Buffer.from(m.hex, 'hex').toString(), from: m.from });
      waiter?.();
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) return false;
    await sleep(10);
  }
  return true;
}

// ---- datagrams ----

function sum16(b: Uint8Array, start: number, end: number, acc = 0): number {
  for (let i = start; i < end; i += 2) acc += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  return acc;
}
function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return acc;
}

/** Whether the UDP checksum of an IPv4 or IPv6 datagram (no extension headers) verifies. */
export function udpChecksumOk(d: Uint8Array): boolean {
  if (d[0]! >> 4 === 4) {
    const ihl = (d[0]! & 15) * 4;
    const total = (d[2]! << 8) | d[3]!;
    if (d[9] !== 17) return false;
    if (((d[ihl + 6]! << 8) | d[ihl + 7]!) === 0) return true; // no checksum, legal in IPv4
    let acc = sum16(d, 12, 20); // addresses
    acc += 17 + (total - ihl);
    acc = sum16(d, ihl, total, acc);
    return fold(acc) === 0xffff;
  }
  const plen = (d[4]! << 8) | d[5]!;
  if (d[6] !== 17) return false;
  let acc = sum16(d, 8, 40);
  acc += 17 + plen;
  acc = sum16(d, 40, 40 + plen, acc);
  return fold(acc) === 0xffff;
}

export function udpPayload(d: Uint8Array): { src: string; dst: string; ttl: number; payload: string; dport: number } {
  if (d[0]! >> 4 === 4) {
    const ihl = (d[0]! & 15) * 4;
    const total = (d[2]! << 8) | d[3]!;
    return {
      src: Array.from(d.subarray(12, 16)).join('.'),
      dst: Array.from(d.subarray(16, 20)).join('.'),
      ttl: d[8]!,
      dport: (d[ihl + 2]! << 8) | d[ihl + 3]!,
      payload: Buffer.from(d.subarray(ihl + 8, total)).toString(),
    };
  }
  const plen = (d[4]! << 8) | d[5]!;
  return {
    src: v6(d.subarray(8, 24)),
    dst: v6(d.subarray(24, 40)),
    ttl: d[7]!,
    dport: (d[42]! << 8) | d[43]!,
    payload: Buffer.from(d.subarray(48, 40 + plen)).toString(),
  };
}

function v6(b: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return parts.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:::+/, '::');
}

function parse4(a: string): number[] {
  return a.split('.').map(Number);
}
function parse6(a: string): number[] {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((x) => parseInt(x, 16));
  return groups.flatMap((g) => [g >> 8, g & 255]);
}

/** A complete UDP datagram with valid IP (v4) and UDP checksums. */
export function buildUdp(src: string, dst: string, dport: number, payload: string, ttl = 8): Buffer {
  const data = Buffer.from(payload);
  const udpLen = 8 + data.length;
  if (!src.includes(':')) {
    const d = Buffer.alloc(20 + udpLen);
    d[0] = 0x45;
    d.writeUInt16BE(d.length, 2);
    d[8] = ttl;
    d[9] = 17;
    d.set(parse4(src), 12);
    d.set(parse4(dst), 16);
    d.writeUInt16BE(0xffff - fold(sum16(d, 0, 20)), 10);
    d.writeUInt16BE(40000, 20);
    d.writeUInt16BE(dport, 22);
    d.writeUInt16BE(udpLen, 24);
    data.copy(d, 28);
    let acc = sum16(d, 12, 20) + 17 + udpLen;
    acc = sum16(d, 20, d.length, acc);
    d.writeUInt16BE(0xffff - fold(acc) || 0xffff, 26);
    return d;
  }
  const d = Buffer.alloc(40 + udpLen);
  d[0] = 0x60;
  d.writeUInt16BE(udpLen, 4);
  d[6] = 17;
  d[7] = ttl;
  d.set(parse6(src), 8);
  d.set(parse6(dst), 24);
  d.writeUInt16BE(40000, 40);
  d.writeUInt16BE(dport, 42);
  d.writeUInt16BE(udpLen, 44);
  data.copy(d, 48);
  let acc = sum16(d, 8, 40) + 17 + udpLen;
  acc = sum16(d, 40, d.length, acc);
  d.writeUInt16BE(0xffff - fold(acc) || 0xffff, 46);
  return d;
}

/** Counter InCsumErrors of Udp (or Udp6) in a namespace. */
export function udpCsumErrors(ns: string, fam: 4 | 6): number {
  if (fam === 4) {
    const lines = nsExec(ns, 'cat', ['/proc/net/snmp']).split('\n').filter((l) => l.startsWith('Udp:'));
    const keys = lines[0]!.split(/\s+/);
    const vals = lines[1]!.split(/\s+/);
    return Number(vals[keys.indexOf('InCsumErrors')]);
  }
  const m = /^Udp6InCsumErrors\s+(\d+)/m.exec(nsExec(ns, 'cat', ['/proc/net/snmp6']));
  return m ? Number(m[1]) : 0;
}
