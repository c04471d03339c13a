// The topology of test/e2e/smcroute.test.ts (and bench/daemon.ts's forwarding figures), in
// network namespaces named after the pid, with documentation addresses only:
//
//   S (sender) s0 ── veth ── r0 [R: router] r1 ── veth ── o0 O1 (receiver)
//   192.0.2.2               192.0.2.1      198.51.100.1      198.51.100.2/25
//   2001:db8::2             2001:db8::1    2001:db8:1::1     2001:db8:1::2
//                                          r2 ── veth ── o0 O2 (receiver)
//                                          198.51.100.129    198.51.100.130/25
//                                          2001:db8:2::1     2001:db8:2::2
//
// smcrouted runs in R either on the kernel (its own raw IGMP / ICMPv6 socket, Linux ipmr)
// or under `mrsh exec` beside an `mrsh daemon` in R (the routing socket served by mrsh,
// forwarding over AF_PACKET links on r0..r2). Each run has its own conf, IPC socket and pid
// file. Everything started here is killed, and the namespaces removed, by cleanup().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../../src/control/client.js';
import { Netns, nsExec, sh, sleep, udpReceive, udpSend, type UdpReceiver } from '../dataplane/links/helpers.js';
export type { UdpReceiver };

export const ROOT = new URL('../..', import.meta.url).pathname;
export const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli.ts')];
/** mrsh as installed (bin/mrsh.js runs the compiled dist/ when it is current): for benches */
export const INSTALLED_CLI = [process.execPath, join(ROOT, 'bin/mrsh.js')];

export const SMCROUTED = ['/usr/sbin/smcrouted', '/usr/bin/smcrouted'].find((p) => existsSync(p)) ?? 'smcrouted';
export const SMCROUTECTL = ['/usr/sbin/smcroutectl', '/usr/bin/smcroutectl'].find((p) => existsSync(p)) ?? 'smcroutectl';

export const A = {
  s4: '192.0.2.2',
  r0_4: '192.0.2.1',
  o4: ['198.51.100.2', '198.51.100.130'],
  r4: ['198.51.100.1', '198.51.100.129'],
  s6: '2001:db8::2',
  r0_6: '2001:db8::1',
  o6: ['2001:db8:1::2', '2001:db8:2::2'],
  r6: ['2001:db8:1::1', '2001:db8:2::1'],
} as const;

/** the group every conf forwards to both receivers: what fence() sends */
export const FENCE = { 4: '239.0.2.250', 6: 'ff0e::db8:fe' } as const;

/** Why smcroute runs cannot be done here, or null. */
export function smcrouteMissing(): string | null {
  for (const p of [SMCROUTED, SMCROUTECTL]) {
    const r = spawnSync(p, ['-v'], { stdio: 'ignore' });
    if (r.error) return `${p} not found (scripts/ci-deps.sh installs Debian's smcroute)`;
  }
  return null;
}

export class Lab {
  readonly ns: Netns;
  S = '';
  R = '';
  O: string[] = [];
  readonly dir: string;
  private children = new Set<ChildProcess>();
  private receivers = new Set<UdpReceiver>();

  constructor(prefix = `mrsh-sm-${process.pid}`) {
    this.ns = new Netns(prefix);
    this.dir = mkdtempSync(join(tmpdir(), 'mrsh-sm-'));
  }

  build(): void {
    const n = this.ns;
    this.S = n.add('s');
    this.R = n.add('r');
    this.O = [n.add('o1'), n.add('o2')];
    n.veth(this.S, 's0', this.R, 'r0');
    n.veth(this.O[0]!, 'o0', this.R, 'r1');
    n.veth(this.O[1]!, 'o0', this.R, 'r2');
    nsExec(this.S, 'ip', ['addr', 'add', `${A.s4}/24`, 'dev', 's0']);
    nsExec(this.S, 'ip', ['-6', 'addr', 'add', `${A.s6}/64`, 'dev', 's0', 'nodad']);
    nsExec(this.S, 'ip', ['route', 'add', '239.0.0.0/8', 'dev', 's0']);
    nsExec(this.S, 'ip', ['-6', 'route', 'add', 'ff0e::/16', 'dev', 's0']);
    nsExec(this.R, 'ip', ['addr', 'add', `${A.r0_4}/24`, 'dev', 'r0']);
    nsExec(this.R, 'ip', ['-6', 'addr', 'add', `${A.r0_6}/64`, 'dev', 'r0', 'nodad']);
    for (let i = 0; i < 2; i++) {
      const O = this.O[i]!;
      nsExec(this.R, 'ip', ['addr', 'add', `${A.r4[i]}/25`, 'dev', `r${i + 1}`]);
      nsExec(this.R, 'ip', ['-6', 'addr', 'add', `${A.r6[i]}/64`, 'dev', `r${i + 1}`, 'nodad']);
      nsExec(O, 'ip', ['addr', 'add', `${A.o4[i]}/25`, 'dev', 'o0']);
      nsExec(O, 'ip', ['-6', 'addr', 'add', `${A.o6[i]}/64`, 'dev', 'o0', 'nodad']);
      nsExec(O, 'ip', ['route', 'add', '239.0.0.0/8', 'dev', 'o0']);
      nsExec(O, 'ip', ['-6', 'route', 'add', 'ff0e::/16', 'dev', 'o0']);
    }
  }

  /** a process of this lab: killed (SIGKILL, its process group) by cleanup() */
  track(c: ChildProcess): ChildProcess {
    this.children.add(c);
    c.once('exit', () => this.children.delete(c));
    return c;
  }

  cleanup(): void {
    for (const r of this.receivers) r.stop();
    this.receivers.clear();
    this.fences = {};
    for (const c of this.children) {
      try {
        if (c.pid) process.kill(-c.pid, 'SIGKILL');
      } catch {
        c.kill('SIGKILL');
      }
    }
    this.children.clear();
    // smcrouted started by `mrsh exec` may have left the group: the pid files name them
    for (const pid of pidsIn(this.dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    this.ns.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private ports = new Map<string, number>();
  private fences: { 4?: { rx: UdpReceiver[]; at: number }; 6?: { rx: UdpReceiver[]; at: number } } = {};

  /** each group its own UDP port: a socket bound to a port gets every joined group's datagrams to it */
  portFor(group: string): number {
    if (group === FENCE[4]) return 5590;
    if (group === FENCE[6]) return 5591;
    let p = this.ports.get(group);
    if (p === undefined) this.ports.set(group, (p = 5500 + this.ports.size));
    return p;
  }

  /** receivers that joined group on each O's o0, in order O1, O2 */
  async join(fam: 4 | 6, group: string): Promise<UdpReceiver[]> {
    const rx: UdpReceiver[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await udpReceive(this.O[i]!, fam, group, this.portFor(group), fam === 4 ? A.o4[i]! : '::%o0');
      this.receivers.add(r);
      rx.push(r);
    }
    return rx;
  }

  stopReceivers(rx: UdpReceiver[]): void {
    for (const r of rx) {
      r.stop();
      this.receivers.delete(r);
    }
  }

  /** count datagrams "<prefix>-<i>" from S to group (TTL / hop limit 8), gapMs apart (0: a burst) */
  send(fam: 4 | 6, group: string, count: number, prefix: string, gapMs = 2): void {
    udpSend(this.S, fam, group, this.portFor(group), fam === 4 ? A.s4 : '::%s0', count, prefix, 8, gapMs);
  }

  /**
   * Send FENCE datagrams until both receivers (joined to FENCE[fam]) have one more: whatever
   * S sent before through the router has then been forwarded or dropped (both forwarders
   * handle a link's input in order). Every conf forwards FENCE to r1 and r2.
   */
  async fence(fam: 4 | 6, tries = 10): Promise<void> {
    let f = this.fences[fam];
    // helpers' receivers exit after 20 s by themselves: renew them well before
    if (!f || Date.now() - f.at > 12000) {
      if (f) this.stopReceivers(f.rx);
      f = this.fences[fam] = { rx: await this.join(fam, FENCE[fam]), at: Date.now() };
    }
    const rx = f.rx;
    const base = rx.map((r) => r.messages.length);
    for (let k = 0; k < tries; k++) {
      this.send(fam, FENCE[fam], 1, `fence${k}`, 0);
      await Promise.all(rx.map((r, i) => r.waitFor(base[i]! + 1, 1000)));
      if (rx.every((r, i) => r.messages.length > base[i]!)) return;
    }
    throw new Error(`fence: IPv${fam} ${FENCE[fam]} did not reach both receivers after ${tries} tries`);
  }

  /** drop the fence receivers (a new run joins its own) */
  resetFences(): void {
    for (const fam of [4, 6] as const) {
      const f = this.fences[fam];
      if (f) this.stopReceivers(f.rx);
      delete this.fences[fam];
    }
  }

  /** the router namespace's kernel multicast routing state, as the test suites read it */
  kernelMroute(): { vif4: string[]; mfc4: string[]; vif6: string[]; mfc6: string[] } {
    const rows = (f: string): string[] =>
      nsExec(this.R, 'cat', [`/proc/net/${f}`], { allowFail: true })
        .split('\n')
        .slice(1)
        .filter((l) => l.trim());
    return { vif4: rows('ip_mr_vif'), mfc4: rows('ip_mr_cache'), vif6: rows('ip6_mr_vif'), mfc6: rows('ip6_mr_cache') };
  }

  /** the kernel's own (S,G) counters in R, from /proc/net/ip_mr_cache and ip6_mr_cache */
  kernelCounters(): Map<string, { packets: number; bytes: number }> {
    const m = new Map<string, { packets: number; bytes: number }>();
    const k = this.kernelMroute();
    for (const l of k.mfc4) {
      // Group Origin Iif Pkts Bytes Wrong Oifs; addresses as the hex of a __be32 read in host order
      const [g, o, , pk, by] = l.trim().split(/\s+/);
      const ip = (h: string): string => [6, 4, 2, 0].map((i) => parseInt(h.slice(i, i + 2), 16)).join('.');
      m.set(`${ip(o!)},${ip(g!)}`, { packets: Number(pk), bytes: Number(by) });
    }
    for (const l of k.mfc6) {
      const [g, o, , pk, by] = l.trim().split(/\s+/);
      m.set(`${canon6(o!)},${canon6(g!)}`, { packets: Number(pk), bytes: Number(by) });
    }
    return m;
  }

  rxPackets(ns: string, dev: string): number {
    return Number(nsExec(ns, 'cat', [`/sys/class/net/${dev}/statistics/rx_packets`]).trim());
  }

  file(name: string, text: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, text);
    return p;
  }
}

/** an IPv6 address in its canonical text form */
export function canon6(a: string): string {
  return new URL(`http://[${a}]/`).hostname.slice(1, -1);
}

function pidsIn(dir: string): number[] {
  const out: number[] = [];
  const r = spawnSync('sh', ['-c', `cat ${dir}/*.pid 2>/dev/null`], { encoding: 'utf8' });
  for (const l of (r.stdout ?? '').split('\n')) if (/^\d+$/.test(l.trim())) out.push(Number(l.trim()));
  return out;
}

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** poll an expensive predicate (a process per call) every intervalMs until it holds */
export async function poll(pred: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return true;
    if (Date.now() > end) return false;
    await sleep(intervalMs);
  }
}

export type Mode = 'kernel' | 'mrsh';

/** One smcrouted run: its own conf, IPC socket and pid file in the lab's directory. */
export class Smcrouted {
  log = '';
  pid = 0;
  readonly child: ChildProcess;
  readonly conf: string;
  readonly ipc: string;
  readonly pidFile: string;
  readonly exited: Promise<void>;

  constructor(
    readonly lab: Lab,
    readonly tag: string,
    conf: string,
    readonly mode: Mode,
    /** mrsh: the daemon's control socket (the routing sockets are at SOCKET.mroute) */
    readonly mrshSocket?: string,
  ) {
    this.conf = lab.file(`${tag}.conf`, conf);
    this.ipc = join(lab.dir, `${tag}.sock`);
    this.pidFile = join(lab.dir, `${tag}.pid`);
    const argv = [SMCROUTED, '-n', '-N', '-f', this.conf, '-u', this.ipc, '-P', this.pidFile, '-i', `mrsh-${tag}`, '-l', 'debug'];
    const cmd = mode === 'kernel' ? argv : [...CLI, 'exec', '--socket', mrshSocket!, '--', ...argv];
    this.child = lab.track(
      spawn('ip', ['netns', 'exec', lab.R, ...cmd], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true }),
    );
    for (const s of [this.child.stdout!, this.child.stderr!]) s.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    this.exited = new Promise((r) => (this.child.exitCode !== null ? r() : this.child.once('exit', () => r())));
  }

  /** resolves once the pid file names a live smcrouted and its IPC socket answers */
  async ready(timeoutMs = 20000): Promise<void> {
    const end = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      if (exited) throw new Error(`smcrouted (${this.mode}, ${this.tag}) exited before it was ready (${this.child.exitCode ?? this.child.signalCode}):\n${this.log}`);
      if (existsSync(this.pidFile) && existsSync(this.ipc)) {
        const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
        if (pid > 0 && alive(pid) && this.ctlTry(['show', 'interfaces']).status === 0) {
          this.pid = pid;
          return;
        }
      }
      if (Date.now() > end) throw new Error(`smcrouted (${this.mode}, ${this.tag}) not ready in ${timeoutMs} ms:\n${this.log}`);
      await sleep(50);
    }
  }

  ctlTry(args: string[]): { status: number | null; out: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.lab.R, SMCROUTECTL, '-u', this.ipc, ...args], { encoding: 'utf8', timeout: 10000 });
    return { status: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
  }

  ctl(args: string[]): string {
    const r = this.ctlTry(args);
    if (r.status !== 0) throw new Error(`smcroutectl ${args.join(' ')} (${this.mode}): exit ${r.status}: ${r.out}\nsmcrouted log:\n${this.log.slice(-3000)}`);
    return r.out;
  }

  /** rules and installed entries with their counters, from `smcroutectl -d -p show routes` */
  routes(): SmcShow {
    return parseRoutes(this.ctl(['-d', '-p', 'show', 'routes']));
  }

  signal(sig: NodeJS.Signals): void {
    if (this.pid && alive(this.pid)) process.kill(this.pid, sig);
  }

  /** SIGTERM (or sig); resolves when the process we started exited */
  async stop(sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 10000): Promise<void> {
    this.signal(sig);
    if (this.child.pid) {
      try {
        process.kill(this.child.pid, sig);
      } catch {
        /* gone */
      }
    }
    const t = setTimeout(() => {
      try {
        process.kill(-this.child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    await this.exited;
    clearTimeout(t);
    if (this.pid) await poll(() => !alive(this.pid), timeoutMs, 20);
  }
}

export interface SmcRoute {
  source: string;
  group: string;
  iif: string;
  packets: number;
  bytes: number;
  oifs: string[];
}

export interface SmcShow {
  /** (*,G) template rules */
  templates: SmcRoute[];
  /** (S,G) rules */
  rules: SmcRoute[];
  /** what smcrouted reads back from the forwarder (SIOCGETSGCNT): installed (S,G) entries */
  kernel: SmcRoute[];
}

/**
 * `smcroutectl -d -p show routes`: sections "(*,G) Template Rules", "(S,G) Rules" and
 * "Kernel MFC Table", each a heading then rows
 *   (S, G)   IIF   PACKETS   BYTES   OIFS...
 */
export function parseRoutes(out: string): SmcShow {
  const res: SmcShow = { templates: [], rules: [], kernel: [] };
  let sec: SmcRoute[] | null = null;
  for (const line of out.split('\n')) {
    if (/Template Rules/.test(line)) sec = res.templates;
    else if (/\(S,G\) Rules/.test(line)) sec = res.rules;
    else if (/Kernel MFC Table/.test(line)) sec = res.kernel;
    const m = /^\s*\(\s*([0-9a-fA-F.:*]+)\s*,\s*([0-9a-fA-F.:/]+)\s*\)\s+(\S+)\s+(\d+)\s+(\d+)\s*(.*)$/.exec(line);
    if (!m || !sec) continue;
    sec.push({ source: m[1]!, group: m[2]!, iif: m[3]!, packets: Number(m[4]), bytes: Number(m[5]), oifs: m[6]!.trim().split(/\s+/).filter(Boolean) });
  }
  return res;
}

/** An `mrsh daemon` in the router namespace. */
/** what an MrshDaemon needs of its lab: a directory for the socket, a process tracker */
export interface DaemonHost {
  readonly dir: string;
  track(c: ChildProcess): ChildProcess;
}

export class MrshDaemon {
  log = '';
  readonly child: ChildProcess;
  readonly socket: string;
  readonly exited: Promise<void>;
  constructor(
    readonly lab: DaemonHost,
    tag: string,
    readonly ns = (lab as Lab).R,
    cli: string[] = CLI,
  ) {
    this.socket = join(lab.dir, `${tag}.mrsh.sock`);
    this.child = lab.track(
      spawn('ip', ['netns', 'exec', ns, ...cli, 'daemon', '--socket', this.socket], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], detached: true }),
    );
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    this.exited = new Promise((r) => (this.child.exitCode !== null ? r() : this.child.once('exit', () => r())));
  }
  async ready(timeoutMs = 30000): Promise<void> {
    const end = Date.now() + timeoutMs;
    // the control socket first, then the routing-socket endpoint (or why there is none)
    while (!this.log.includes('listening on') || !/routing sockets \(mrsh exec\) on |no routing-socket endpoint/.test(this.log)) {
      if (Date.now() > end || this.child.exitCode !== null) throw new Error(`mrsh daemon did not start:\n${this.log}`);
      await sleep(20);
    }
  }
  /** a one-shot command against this daemon, parsed JSON */
  json(line: string): any {
    const r = spawnSync('ip', ['netns', 'exec', this.ns, ...CLI, '--socket', this.socket, ...line.split(' '), '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 20000,
    });
    if (r.status !== 0) throw new Error(`mrsh ${line}: exit ${r.status}: ${r.stderr}\ndaemon log:\n${this.log.slice(-3000)}`);
    return JSON.parse(r.stdout);
  }
  private client: ControlClient | null = null;
  /** a command over the control socket (no CLI process): the reply's data */
  async request(line: string): Promise<any> {
    this.client ??= await ControlClient.connect(this.socket);
    const r = await this.client.request(line);
    if (!r.ok) throw new Error(`mrsh ${line}: ${r.error.message}\ndaemon log:\n${this.log.slice(-3000)}`);
    return r.output;
  }
  async stop(): Promise<void> {
    this.client?.close();
    this.client = null;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const t = setTimeout(() => {
      try {
        process.kill(-this.child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000);
    await this.exited;
    clearTimeout(t);
  }
}

/** Whether `mrsh exec` and the daemon's routing-socket endpoint exist in this tree; else why not. */
let execMissing: string | null | undefined;
export function mrshExecMissing(): string | null {
  if (execMissing === undefined) execMissing = findExecMissing();
  return execMissing;
}

function findExecMissing(): string | null {
  const missing: string[] = [];
  if (!existsSync(join(ROOT, 'src/control/mroute-endpoint.ts'))) missing.push('src/control/mroute-endpoint.ts (the daemon endpoint)');
  if (!existsSync(join(ROOT, 'native/mrsh_preload.c'))) missing.push('native/mrsh_preload.c (the preload library)');
  const help = spawnSync(CLI[0]!, [...CLI.slice(1), 'exec', '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 20000 });
  if (help.status !== 0 || !/exec/.test(help.stdout + help.stderr)) missing.push('`mrsh exec` (src/cli.ts)');
  return missing.length ? `mrsh half cannot run yet, missing: ${missing.join('; ')}` : null;
}

export { sh };
