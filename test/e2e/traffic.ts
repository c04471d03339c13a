// Steady traffic for the load tests: a paced UDP sender that reports how many datagrams
// its socket took, a receiver that only counts, and the kernel's own counters (interface
// statistics, UDP receive errors) that say where the rest went.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { nsExec } from '../dataplane/links/helpers.js';

const SENDER = `
const dgram = require('node:dgram');
const [group, port, ifc, count, burst, gap] = process.argv.slice(1).map((v, i) => (i === 0 || i === 2 ? v : Number(v)));
const s = dgram.createSocket('udp4');
s.bind(0, () => {
  s.setMulticastInterface(ifc); s.setMulticastTTL(8); s.setMulticastLoopback(false);
  let sent = 0, done = 0, failed = 0;
  const payload = Buffer.alloc(32);
  const next = () => {
    for (let k = 0; k < burst && sent < count; k++, sent++)
      s.send(payload, port, group, (err) => { if (err) failed++; if (++done === count) { console.log(JSON.stringify({ sent: done - failed, failed })); s.close(); } });
    if (sent < count) setTimeout(next, gap);
  };
  next();
});`;

/** count datagrams to group from ns, burst every gapMs; resolves with how many the socket sent */
export function paceSend(ns: string, group: string, port: number, ifc: string, count: number, burst: number, gapMs: number): Promise<{ sent: number; failed: number }> {
  return new Promise((resolve, reject) => {
    const c = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SENDER, group, String(port), ifc, String(count), String(burst), String(gapMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { sent: number; failed: number }) : reject(new Error(`sender exited ${code}`))));
  });
}

const COUNTER = `
const dgram = require('node:dgram');
const [group, port, ifc] = process.argv.slice(1);
const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
let n = 0, shown = -1;
s.on('message', () => n++);
setInterval(() => { if (n !== shown) { shown = n; console.log(n); } }, 10);
s.bind(Number(port), () => { s.setRecvBufferSize(4 << 20); s.addMembership(group, ifc); console.log('ready'); });`;

export interface Counter {
  /** datagrams received so far (as last reported, every 10 ms) */
  readonly count: number;
  /** resolves once the count stops changing for quietMs */
  settle(quietMs: number, timeoutMs: number): Promise<number>;
  stop(): void;
}

/** a UDP socket in ns, joined to group on ifc, that counts what arrives */
export function countReceive(ns: string, group: string, port: number, ifc: string): Promise<Counter> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', COUNTER, group, String(port), ifc], { stdio: ['ignore', 'pipe', 'inherit'] });
  let count = 0;
  let changed = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('receiver did not start')), 5000);
    child.on('exit', (code) => reject(new Error(`receiver exited ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line !== 'ready') {
        count = Number(line);
        changed = Date.now();
        return;
      }
      clearTimeout(timer);
      resolve({
        get count() {
          return count;
        },
        async settle(quietMs, timeoutMs) {
          const end = Date.now() + timeoutMs;
          while (Date.now() - changed < quietMs && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
          return count;
        },
        stop() {
          child.kill('SIGKILL');
        },
      });
    });
  });
}

/** one counter of an interface from its sysfs statistics, in namespace ns */
export function ifStat(ns: string, dev: string, name: string): number {
  return Number(nsExec(ns, 'cat', [`/sys/class/net/${dev}/statistics/${name}`]).trim());
}

/** the Udp: row of /proc/net/snmp in ns, by field name */
export function udpSnmp(ns: string): Record<string, number> {
  const lines = nsExec(ns, 'cat', ['/proc/net/snmp']).split('\n').filter((l) => l.startsWith('Udp:'));
  const keys = lines[0]!.split(/\s+/);
  const vals = lines[1]!.split(/\s+/);
  return Object.fromEntries(keys.slice(1).map((k, i) => [k, Number(vals[i + 1])]));
}

/** resident set size of a live process, in bytes (0 once it is gone) */
export function rssOf(pid: number): number {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}
