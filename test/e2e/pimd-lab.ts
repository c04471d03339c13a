// Topologies and plumbing for test/e2e/pimd.test.ts and bench/daemon-pimd.ts: Debian's
// unmodified pimd (2.3.x) in network namespaces named after the pid, documentation
// addresses only.
//
// one router ("one"):
//   S s0 ──── r0 [R] r1 ──── o0 O       198.51.100.1/25 - 198.51.100.2/25 (IGMPv2 on r1)
//   192.0.2.2  192.0.2.1
//                    r2 ──── o0 O2      198.51.100.129/25 - 198.51.100.130/25 (IGMPv3)
//   R is DR on every link, candidate BSR and candidate RP (on r0). pimd 2.3.2 ignores an
//   IGMPv3 leave (a TO_IN{} record: it logs the report and keeps the group until its
//   membership timer, ~45 s), so r1 runs IGMPv2 and the receiver's kernel, hearing v2
//   queries, leaves with a v2 Leave that pimd answers with group-specific queries.
//
// two routers in a line ("line"):
//   S s0 ──── r0 [R1] t0 ────── t0 [R2] r1 ──── o0 O
//   192.0.2.2  192.0.2.1  203.0.113.1  203.0.113.2  198.51.100.1  198.51.100.2
//   R2 (the receiver's side) is candidate BSR and RP (on t0); R1 is the sender's DR, so
//   the first packets reach the RP inside PIM Registers, then natively once R2 joined
//   (S,G) towards S; static unicast routes give each router the RPF to the far subnet.
//
// Two things are pluggable, so each scenario runs unchanged on either dataplane:
// - how pimd is started (`Pimd`): on the kernel, `pimd …` in the router namespace; on
//   mrsh, `mrsh exec --socket S -- pimd …` beside an `mrsh daemon --socket S` there;
// - where the MFC is read (`Dataplane.mfc()`): /proc/net/ip_mr_vif + ip_mr_cache (what
//   `ip mroute` shows) on the kernel, `mrsh --socket S show mroute --json` on mrsh.
//
// pimd 2.3.2 has no pid-file, dump-file or IPC option (and no pimctl): it writes
// /var/run/pimd.pid and /var/run/pimd/pimd.dump (SIGUSR1). Each instance therefore runs
// with its own directory bind-mounted over /run inside the mount namespace that
// `ip netns exec` makes (its mounts do not propagate back), so two pimds never share a
// file and the host's /run is untouched. pimd's own view of the RP set is its debug dump
// on stderr ("Candidate Rendezvous-Point Set", printed by its 5 s timer when
// pim_bootstrap/pim_cand_rp debugging is on); its (S,G) table is the SIGUSR1 dump.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns, nsExec, sleep } from '../dataplane/links/helpers.js';
import { toJson } from '../../src/format/json.js';
import { CLI, MrshDaemon, ROOT, alive, mrshExecMissing, poll } from './smcroute-lab.js';
export { alive, poll, MrshDaemon };

export const DEPS = process.env.MRSH_DEPS_DIR ?? '/var/cache/mrsh-deps';
export const PIMD = process.env.MRSH_PIMD ?? join(DEPS, 'pimd/usr/sbin/pimd');

/** Why pimd runs cannot be done here, or null. */
export function pimdMissing(): string | null {
  if (!existsSync(PIMD)) return `${PIMD} not found (scripts/ci-deps.sh unpacks Debian's pimd there)`;
  const r = spawnSync(PIMD, ['-v'], { encoding: 'utf8' });
  if (r.error || !/pimd version 2\.3\./.test((r.stdout ?? '') + (r.stderr ?? ''))) return `${PIMD} -v: not pimd 2.3.x (${r.error?.message ?? r.stdout})`;
  return null;
}

/** Why the wire checks or the lab cannot be done here (tshark, ethtool), or null. */
export function toolsMissing(): string | null {
  if (spawnSync('tshark', ['-v'], { stdio: 'ignore' }).error) return 'tshark not installed (scripts/ci-deps.sh installs it)';
  if (spawnSync('ethtool', ['--version'], { stdio: 'ignore' }).error) return 'ethtool not installed (scripts/ci-deps.sh installs it)';
  return null;
}

export type Mode = 'kernel' | 'mrsh';
export type Topology = 'one' | 'line';

export const A = {
  s: '192.0.2.2',
  r0: '192.0.2.1',
  t1: '203.0.113.1',
  t2: '203.0.113.2',
  r1: '198.51.100.1',
  o: '198.51.100.2',
  r2: '198.51.100.129',
  o2: '198.51.100.130',
} as const;

export interface RouterNs {
  /** R (one), R1 / R2 (line) */
  name: string;
  ns: string;
  /** the interfaces pimd runs on */
  ifs: string[];
}

export class PimLab {
  readonly ns: Netns;
  readonly dir: string;
  S = '';
  O = '';
  /** one: the second receiver's namespace (behind r2) */
  O2 = '';
  routers: RouterNs[] = [];
  private children = new Set<ChildProcess>();
  /** processes started with a pid file in dir (pimd): killed by pid too */
  private pidDirs = new Set<string>();

  constructor(
    readonly topology: Topology,
    prefix = `mrsh-pim-${process.pid}-${topology}`,
  ) {
    this.ns = new Netns(prefix);
    this.dir = mkdtempSync(join(tmpdir(), 'mrsh-pim-'));
  }

  build(): void {
    const n = this.ns;
    this.S = n.add('s');
    this.O = n.add('o');
    nsExec(this.S, 'ip', ['link', 'set', 'lo', 'up']);
    if (this.topology === 'one') {
      const R = n.add('r');
      this.O2 = n.add('o2');
      this.routers = [{ name: 'R', ns: R, ifs: ['r0', 'r1', 'r2'] }];
      n.veth(this.S, 's0', R, 'r0');
      n.veth(this.O, 'o0', R, 'r1');
      n.veth(this.O2, 'o0', R, 'r2');
      nsExec(R, 'ip', ['addr', 'add', `${A.r0}/24`, 'dev', 'r0']);
      nsExec(R, 'ip', ['addr', 'add', `${A.r1}/25`, 'dev', 'r1']);
      nsExec(R, 'ip', ['addr', 'add', `${A.r2}/25`, 'dev', 'r2']);
      nsExec(this.O2, 'ip', ['addr', 'add', `${A.o2}/25`, 'dev', 'o0']);
      nsExec(this.O2, 'ip', ['route', 'add', 'default', 'via', A.r2]);
    } else {
      const R1 = n.add('r1');
      const R2 = n.add('r2');
      this.routers = [
        { name: 'R1', ns: R1, ifs: ['r0', 't0'] },
        { name: 'R2', ns: R2, ifs: ['t0', 'r1'] },
      ];
      n.veth(this.S, 's0', R1, 'r0');
      n.veth(R1, 't0', R2, 't0');
      n.veth(this.O, 'o0', R2, 'r1');
      nsExec(R1, 'ip', ['addr', 'add', `${A.r0}/24`, 'dev', 'r0']);
      nsExec(R1, 'ip', ['addr', 'add', `${A.t1}/24`, 'dev', 't0']);
      nsExec(R2, 'ip', ['addr', 'add', `${A.t2}/24`, 'dev', 't0']);
      nsExec(R2, 'ip', ['addr', 'add', `${A.r1}/24`, 'dev', 'r1']);
      // unicast RPF (pimd asks the kernel's FIB over netlink)
      nsExec(R1, 'ip', ['route', 'add', '198.51.100.0/24', 'via', A.t2]);
      nsExec(R2, 'ip', ['route', 'add', '192.0.2.0/24', 'via', A.t1]);
    }
    for (const r of this.routers) nsExec(r.ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    // The sender's datagrams leave with their UDP checksum complete, as on a real wire:
    // veth's tx checksum offload would hand the first-hop router a CHECKSUM_PARTIAL packet,
    // which pimd copies as is into its Register, and the RP then forwards it decapsulated
    // with a checksum the receiver's kernel rejects (UdpInCsumErrors).
    nsExec(this.S, 'ethtool', ['-K', 's0', 'tx', 'off']);
    nsExec(this.S, 'ip', ['addr', 'add', `${A.s}/24`, 'dev', 's0']);
    nsExec(this.S, 'ip', ['route', 'add', 'default', 'via', A.r0]);
    nsExec(this.O, 'ip', ['addr', 'add', `${A.o}/${this.topology === 'one' ? 25 : 24}`, 'dev', 'o0']);
    nsExec(this.O, 'ip', ['route', 'add', 'default', 'via', A.r1]);
  }

  router(name: string): RouterNs {
    const r = this.routers.find((x) => x.name === name);
    if (!r) throw new Error(`no router ${name} in the ${this.topology} topology`);
    return r;
  }

  /** a process of this lab (started detached): its process group is killed by cleanup() */
  track(c: ChildProcess): ChildProcess {
    this.children.add(c);
    c.once('exit', () => this.children.delete(c));
    return c;
  }

  /** a directory of this lab; a pimd.pid in it names a process cleanup() kills */
  subdir(name: string, pidFile = false): string {
    const d = join(this.dir, name);
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true });
    if (pidFile) this.pidDirs.add(d);
    return d;
  }

  file(name: string, text: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, text);
    return p;
  }

  cleanup(): void {
    for (const c of this.children) {
      try {
        if (c.pid) process.kill(-c.pid, 'SIGKILL');
      } catch {
        c.kill('SIGKILL');
      }
    }
    this.children.clear();
    // a pimd under `mrsh exec` may have left the process group: its pid file names it
    for (const d of this.pidDirs) {
      const p = join(d, 'pimd.pid');
      const pid = existsSync(p) ? Number(readFileSync(p, 'utf8').trim()) : 0;
      if (pid > 0 && alive(pid) && /pimd/.test(readCmdline(pid))) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    this.pidDirs.clear();
    this.ns.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** the router namespace's kernel multicast routing, as the test suites read it */
  kernelState(ns: string): { vifs: string[]; mfc: string[] } {
    const rows = (f: string): string[] =>
      nsExec(ns, 'cat', [`/proc/net/${f}`], { allowFail: true })
        .split('\n')
        .slice(1)
        .filter((l) => l.trim());
    return { vifs: rows('ip_mr_vif'), mfc: rows('ip_mr_cache') };
  }

  rxPackets(ns: string, dev: string): number {
    return Number(nsExec(ns, 'cat', [`/sys/class/net/${dev}/statistics/rx_packets`]).trim());
  }
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

// ---- where the MFC is read ----

/** one (S,G) of the forwarder, interfaces by name */
export interface Mfc {
  source: string;
  group: string;
  iif: string;
  oifs: string[];
  packets: number;
  bytes: number;
  wrongIf: number;
}

export interface Dataplane {
  readonly mode: Mode;
  /** where mfc() reads: for messages */
  readonly where: string;
  mfc(): Promise<Mfc[]>;
  /** vif index -> interface name; pimd's register vif is "register" on both */
  vifs(): Promise<Map<number, string>>;
  /** the forwarder's counters, for a failure's report (mrsh: show statistics; kernel: none) */
  counters(): Promise<unknown>;
}

const hexIp = (h: string): string => [6, 4, 2, 0].map((i) => parseInt(h.slice(i, i + 2), 16)).join('.');

/** Linux ipmr in the namespace: /proc/net/ip_mr_vif and ip_mr_cache */
export class KernelDataplane implements Dataplane {
  readonly mode = 'kernel' as const;
  readonly where = '/proc/net/ip_mr_cache';
  async counters(): Promise<unknown> {
    return null;
  }
  constructor(
    readonly lab: PimLab,
    readonly ns: string,
  ) {}
  async vifs(): Promise<Map<number, string>> {
    return this.vifsNow();
  }
  private vifsNow(): Map<number, string> {
    const m = new Map<number, string>();
    for (const l of this.lab.kernelState(this.ns).vifs) {
      // Vif Interface BytesIn PktsIn BytesOut PktsOut Flags(hex) Local Remote
      const [idx, name, , , , , flags] = l.trim().split(/\s+/);
      m.set(Number(idx), parseInt(flags!, 16) & 4 ? 'register' : name!); // VIFF_REGISTER: Linux's pimreg
    }
    return m;
  }
  async mfc(): Promise<Mfc[]> {
    const vifs = this.vifsNow();
    const out: Mfc[] = [];
    for (const l of this.lab.kernelState(this.ns).mfc) {
      // Group Origin Iif Pkts Bytes Wrong Oifs(vif:ttl ...); unresolved entries have Iif -1
      const [g, o, iif, pk, by, wr, ...oifs] = l.trim().split(/\s+/);
      if (Number(iif) < 0) continue;
      out.push({
        source: hexIp(o!),
        group: hexIp(g!),
        iif: vifs.get(Number(iif)) ?? `vif${iif}`,
        oifs: oifs.map((x) => vifs.get(Number(x.split(':')[0])) ?? `vif${x}`),
        packets: Number(pk),
        bytes: Number(by),
        wrongIf: Number(wr),
      });
    }
    return out;
  }
}

/**
 * `show mroute` of the mrsh daemon in the namespace, in its --json form, asked over the
 * control socket: a one-shot CLI per poll would hold this process in spawnSync for a
 * second at a time, and pimd, whose debug log this process reads, would block on its
 * full stderr pipe (it then falls seconds behind its upcalls).
 */
export class MrshDataplane implements Dataplane {
  readonly mode = 'mrsh' as const;
  readonly where = 'mrsh show mroute --json';
  constructor(readonly daemon: MrshDaemon) {}
  private async json(line: string): Promise<any> {
    return toJson(await this.daemon.request(line));
  }
  async counters(): Promise<Record<string, number>> {
    // the non-zero ones: a report, not a table
    const s: { counters: { field: string; value: number }[] } = await this.json('show statistics');
    return Object.fromEntries(s.counters.filter((c) => c.value !== 0).map((c) => [c.field, c.value]));
  }
  async vifs(): Promise<Map<number, string>> {
    const s: { vifs: { index: number; register: boolean; link: { name: string } | null }[] } = await this.json('show vif');
    return new Map(s.vifs.map((v) => [v.index, v.register ? 'register' : (v.link?.name ?? `vif${v.index}`)]));
  }
  async mfc(): Promise<Mfc[]> {
    type Vif = { vif: number; name: string };
    const s: { entries: { source: string; group: string; iif: Vif; oifs: Vif[]; packets: number; bytes: number; wrongIf: number }[] } = await this.json('show mroute');
    // mrsh names the register vif `register_vif`; both dataplanes say `register` here
    const name = (v: Vif): string => (v.name === 'register_vif' ? 'register' : v.name);
    return s.entries.map((e) => ({
      source: e.source,
      group: e.group,
      iif: name(e.iif),
      oifs: e.oifs.map(name),
      packets: e.packets,
      bytes: e.bytes,
      wrongIf: e.wrongIf,
    }));
  }
}

/** Whether the mrsh half can run in this tree, else what is missing (loudly, not a skip). */
export function mrshPimdMissing(): string | null {
  return mrshExecMissing();
}

// ---- how pimd is started ----

/** pimd's debug subsystems we read: RP set dumps, kernel MFC calls, IGMP, PIM messages */
export const PIMD_DEBUG = 'kernel,igmp_proto,pim_hello,pim_register,pim_join_prune,pim_bootstrap,pim_cand_rp';

/** keep a log bounded: the head (startup) and the recent tail */
function cap(s: string, max = 4_000_000): string {
  return s.length > max ? s.slice(0, 200_000) + '\n[... cut ...]\n' + s.slice(-(max - 300_000)) : s;
}

export interface RpEntry {
  rp: string;
  /** pimd's "Incoming" column: the vif towards the RP */
  vif: number;
  prefix: string;
  priority: number;
  holdtime: number;
}

/** the RP set blocks pimd prints ("Candidate Rendezvous-Point Set"), in order */
export function rpSets(log: string): { rps: RpEntry[]; bsr: string | null }[] {
  const out: { rps: RpEntry[]; bsr: string | null }[] = [];
  const re = /Candidate Rendezvous-Point Set =+\n[^\n]*\n-[-\s]*\n([\s\S]*?)-{20,}\n(?:Current BSR address: (\S+))?/g;
  for (let m = re.exec(log); m; m = re.exec(log)) {
    const rps: RpEntry[] = [];
    for (const l of m[1]!.split('\n')) {
      const f = l.trim().split(/\s+/);
      if (f.length >= 5 && /^\d+\.\d+\.\d+\.\d+$/.test(f[0]!)) rps.push({ rp: f[0]!, vif: Number(f[1]), prefix: f[2]!, priority: Number(f[3]), holdtime: Number(f[4]) });
    }
    out.push({ rps, bsr: m[2] ?? null });
  }
  return out;
}

/** One pimd run in a router namespace: its own conf and its own /run (pid file, dump). */
export class Pimd {
  log = '';
  pid = 0;
  readonly child: ChildProcess;
  readonly conf: string;
  readonly run: string;
  readonly exited: Promise<void>;
  readonly startedAt = Date.now();

  constructor(
    readonly lab: PimLab,
    readonly router: RouterNs,
    readonly tag: string,
    conf: string,
    readonly mode: Mode,
    /** mrsh: the daemon's control socket (the routing sockets are at SOCKET.mroute) */
    readonly mrshSocket?: string,
    /** replaces the pimd argv (strace, for the report); null: as is */
    wrap: string[] | null = null,
  ) {
    this.conf = lab.file(`${tag}.conf`, conf);
    this.run = lab.subdir(`${tag}.run`, true);
    mkdirSync(join(this.run, 'pimd'));
    const argv = [PIMD, '-f', '-N', '-c', this.conf, `--debug=${PIMD_DEBUG}`];
    const prog = wrap ? [...wrap, ...argv] : argv;
    const cmd = mode === 'kernel' ? prog : [...CLI, 'exec', '--socket', mrshSocket!, '--', ...prog];
    // the bind mount lives in the mount namespace `ip netns exec` made for this command
    const script = 'mount --bind "$0" /run && exec "$@"';
    this.child = lab.track(spawn('ip', ['netns', 'exec', router.ns, 'sh', '-c', script, this.run, ...cmd], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
    for (const s of [this.child.stdout!, this.child.stderr!]) s.setEncoding('utf8').on('data', (d: string) => (this.log = cap(this.log + d)));
    this.exited = new Promise((r) => (this.child.exitCode !== null ? r() : this.child.once('exit', () => r())));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** resolves once the pid file names a live pimd and it brought up every phyint */
  async ready(timeoutMs = 20000): Promise<void> {
    const pidFile = join(this.run, 'pimd.pid');
    const ok = await poll(() => {
      if (!this.running) return true;
      if (!existsSync(pidFile)) return false;
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (!(pid > 0 && alive(pid))) return false;
      this.pid = pid;
      return this.router.ifs.every((i) => new RegExp(`Interface ${i} comes up; vif #\\d+ now in service`).test(this.log));
    }, timeoutMs, 20);
    if (!this.running) throw new Error(`pimd ${this.tag} (${this.mode}) exited before it was ready (${this.child.exitCode ?? this.child.signalCode}):\n${this.log.slice(-4000)}`);
    if (!ok) throw new Error(`pimd ${this.tag} (${this.mode}) not ready in ${timeoutMs} ms:\n${this.log.slice(-4000)}`);
  }

  /** pimd's latest RP set dump */
  rpSet(): { rps: RpEntry[]; bsr: string | null } | null {
    const all = rpSets(this.log);
    return all[all.length - 1] ?? null;
  }

  /**
   * Wait (by condition) until pimd's own RP set maps 224.0.0.0/4 to rp; returns the ms
   * since this pimd started. pimd prints the RP set every 5 s timer tick.
   */
  async rpReady(rp: string, timeoutMs = 90000): Promise<number> {
    const has = (): boolean => !!this.rpSet()?.rps.some((e) => e.rp === rp && e.prefix === '224/4');
    const ok = await poll(() => !this.running || has(), timeoutMs, 50);
    if (!this.running) throw new Error(`pimd ${this.tag} (${this.mode}) exited while waiting for the RP set:\n${this.log.slice(-4000)}`);
    if (!ok) throw new Error(`pimd ${this.tag} (${this.mode}): no RP ${rp} for 224/4 in its RP set after ${timeoutMs} ms; last RP set: ${JSON.stringify(this.rpSet())}\n${this.log.slice(-4000)}`);
    return Date.now() - this.startedAt;
  }

  /** pimd's own tables (SIGUSR1: vifs and the multicast routing table) */
  async dump(timeoutMs = 5000): Promise<string> {
    const f = join(this.run, 'pimd', 'pimd.dump');
    const before = existsSync(f) ? statSync(f).mtimeMs : 0;
    rmSync(f, { force: true });
    process.kill(this.pid, 'SIGUSR1');
    const ok = await poll(() => existsSync(f) && /Number of Cache MIRRORs/.test(readFileSync(f, 'utf8')), timeoutMs, 20);
    if (!ok) throw new Error(`pimd ${this.tag}: no dump in ${f} after SIGUSR1 (before: ${before})`);
    return readFileSync(f, 'utf8');
  }

  /** SIGTERM (pimd says goodbye to its neighbours); resolves when it exited */
  async stop(timeoutMs = 10000): Promise<void> {
    for (const p of [this.pid, this.child.pid]) {
      if (p && alive(p)) {
        try {
          process.kill(p, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    }
    const t = setTimeout(() => {
      try {
        process.kill(-this.child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      if (this.pid && alive(this.pid)) process.kill(this.pid, 'SIGKILL');
    }, timeoutMs);
    await this.exited;
    clearTimeout(t);
    if (this.pid) await poll(() => !alive(this.pid), timeoutMs, 20);
  }
}

/** the (S,G) entries in a pimd SIGUSR1 dump: "Source ... Group ..." rows of its MRT */
export function dumpHasSG(dump: string, source: string, group: string): boolean {
  // pimd prints each (S,G) as a line "<source> <group> <rp> ... " under "(S,G)"
  return dump.split('\n').some((l) => {
    const f = l.trim().split(/\s+/);
    return f[0] === source && f[1] === group;
  });
}

/** the one-router conf: DR on both links, candidate BSR and RP on r0 (the sender's side) */
export const ONE_CONF = ['phyint r0 enable', 'phyint r1 enable igmpv2', 'phyint r2 enable', 'bsr-candidate r0 priority 5', 'rp-candidate r0 time 10 priority 20', ''].join('\n');

/**
 * join_to_forward_ms, one router: pimd started with ONE_CONF (by startPimd, on whichever
 * dataplane) and waited for by condition until its RP set formed. Per group: a receiver
 * in O2 (behind r2) joins first and a sender starts (its first packet's NOCACHE makes pimd
 * install (S,G) r0 -> r2); once O2 receives, the tree exists and the source flows, and a
 * receiver in O (behind r1) joins: the figure is the ms from that join to its first
 * datagram, both on its own clock: the IGMP report's way to pimd, pimd's MRT_ADD_MFC
 * adding r1, and the next datagram (gapMs apart). A cold join (no (S,G) yet while the
 * source already sends) would measure the forwarder's unresolved-entry expiry instead:
 * Linux upcalls once per unresolved (S,G) and keeps it 10 s, pimd installs nothing for a
 * group without receivers, so the join waits for the next upcall.
 */
export async function joinToForward(lab: PimLab, startPimd: (conf: string) => Promise<Pimd>, dp: Dataplane, groups: string[], gapMs = 2): Promise<number[]> {
  const p = await startPimd(ONE_CONF);
  await p.rpReady(A.r0);
  const out: number[] = [];
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    const port = 5700 + i;
    const anchor = await receive(lab, lab.O2, g, port, A.o2);
    if (!(await poll(() => p.log.includes(`group ${g}`), 15000, 10))) throw new Error(`${dp.mode}: pimd never saw O2's IGMP report for ${g}`);
    // bounded: at most 10 s of traffic
    const s = send(lab, lab.S, g, port, A.s, Math.ceil(10000 / gapMs), 'j2f', gapMs);
    try {
      if (!(await anchor.waitFor(1, 5000))) throw new Error(`${dp.mode}: O2 got nothing of ${g}: ${JSON.stringify(await dp.mfc())}`);
      const rx = await receive(lab, lab.O, g, port, A.o);
      const got = await rx.waitFor(1, 8000);
      await rx.leave();
      if (!got) throw new Error(`${dp.mode}: no datagram to ${g} within 8 s of the join: ${JSON.stringify(await dp.mfc())}`);
      out.push(rx.messages[0]!.t - rx.joinedAt);
    } finally {
      await s.stop();
      await anchor.leave();
    }
  }
  return out;
}

// ---- traffic ----

// A receiver with its own clock: the time it joined and the time of each datagram, in
// ms since the epoch (performance.timeOrigin + now()), so join-to-first-packet is measured
// inside one process, free of pipe and test-loop delays.
const RECEIVER = `
const dgram = require('node:dgram');
const { performance } = require('node:perf_hooks');
const [group, port, ifc, life] = process.argv.slice(1);
const now = () => performance.timeOrigin + performance.now();
const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
s.on('message', (m) => console.log(JSON.stringify({ t: now(), p: m.toString() })));
s.bind(Number(port), () => { s.addMembership(group, ifc); console.log(JSON.stringify({ joined: now() })); });
process.on('SIGTERM', () => process.exit(0));
setTimeout(() => process.exit(0), Number(life)).unref();
`;

export interface Receiver {
  joinedAt: number;
  messages: { t: number; payload: string }[];
  waitFor(n: number, timeoutMs: number, prefix?: string): Promise<boolean>;
  count(prefix: string): number;
  /** close the socket (the kernel leaves the group: an IGMPv3 report); resolves on exit */
  leave(): Promise<number>;
}

/** a UDP socket in ns that joined group on ifc (an address): the kernel there reports it */
export function receive(lab: PimLab, ns: string, group: string, port: number, ifc: string, lifeMs = 120000): Promise<Receiver> {
  const child = lab.track(spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', RECEIVER, group, String(port), ifc, String(lifeMs)], { stdio: ['ignore', 'pipe', 'inherit'], detached: true }));
  const messages: { t: number; payload: string }[] = [];
  const waiters = new Set<() => void>();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('receiver did not start')), 10000);
    child.once('exit', (code) => reject(new Error(`receiver exited ${code}`)));
    const count = (prefix?: string): number => (prefix ? messages.filter((m) => m.payload.startsWith(prefix + '-')).length : messages.length);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as { joined?: number; t?: number; p?: string };
      if (m.joined !== undefined) {
        clearTimeout(timer);
        resolve({
          joinedAt: m.joined,
          messages,
          count,
          waitFor(n, timeoutMs, prefix) {
            return new Promise((res) => {
              const done = (v: boolean): void => {
                clearTimeout(t);
                waiters.delete(check);
                res(v);
              };
              const t = setTimeout(() => done(count(prefix) >= n), timeoutMs);
              const check = (): void => {
                if (count(prefix) >= n) done(true);
              };
              waiters.add(check);
              check();
            });
          },
          async leave() {
            const at = Date.now();
            child.kill('SIGTERM');
            await exited;
            return at;
          },
        });
        return;
      }
      messages.push({ t: m.t!, payload: m.p! });
      for (const w of [...waiters]) w();
    });
  });
}

const SENDER = `
const dgram = require('node:dgram');
const [group, port, ifc, count, gap, prefix, ttl] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
s.bind(0, ifc, () => {
  s.setMulticastInterface(ifc);
  s.setMulticastTTL(Number(ttl));
  s.setMulticastLoopback(false);
  let i = 0;
  const next = () => {
    if (i === Number(count)) return s.close();
    s.send(Buffer.from(prefix + '-' + i++), Number(port), group, (err) => {
      if (err) { console.error(err.message); process.exit(1); }
      setTimeout(next, Number(gap));
    });
  };
  next();
});
process.on('SIGTERM', () => process.exit(0));
`;

export interface Sender {
  /** resolves once all were sent (or it was stopped) */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** count datagrams "<prefix>-<i>" from S (ifc: its address), gapMs apart, TTL 16 */
export function send(lab: PimLab, ns: string, group: string, port: number, ifc: string, count: number, prefix: string, gapMs: number): Sender {
  const child = lab.track(spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SENDER, group, String(port), ifc, String(count), String(gapMs), prefix, '16'], { stdio: ['ignore', 'ignore', 'inherit'], detached: true }));
  const done = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
  return {
    done,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await done;
    },
  };
}

// ---- the wire ----

export interface WirePacket {
  t: number;
  src: string;
  dst: string;
  /** PIM message type (0 hello, 1 register, 2 register-stop, 3 join/prune, 4 bootstrap, 8 C-RP adv); null: not PIM */
  pim: number | null;
  /** a UDP datagram's payload (for a Register: the encapsulated one's) */
  payload: string | null;
}

const FIELDS = ['-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', 'aggregator=,', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'pim.type', '-e', 'data.data'];

function parseField(line: string): WirePacket | null {
  if (!line.trim() || !/^\d/.test(line)) return null;
  const [t, src, dst, pim, data] = line.split('|');
  return {
    t: Number(t) * 1000,
    src: src!.split(',')[0]!,
    dst: dst!.split(',')[0]!,
    pim: pim ? Number(pim.split(',')[0]) : null,
    payload: data ? Buffer.from(data.split(',').pop()!.replace(/:/g, ''), 'hex').toString() : null,
  };
}

const PROBE = `
const s = require('node:dgram').createSocket('udp4');
s.send(Buffer.from('mrsh-probe'), 9, process.argv[1], () => s.close());
`;

/**
 * A tshark capture on one interface of a namespace (PIM and UDP only: bounded), decoded
 * live (-l, fields). started() returns once a probe datagram the namespace sends to
 * probeTo shows in the capture, so nothing after it is missed.
 */
export class Capture {
  private child: ChildProcess;
  private err = '';
  readonly packets: WirePacket[] = [];
  readonly exited: Promise<void>;
  constructor(
    readonly lab: PimLab,
    readonly ns: string,
    readonly dev: string,
    readonly probeTo: string,
  ) {
    this.child = lab.track(spawn('ip', ['netns', 'exec', ns, 'tshark', '-n', '-l', '-i', dev, '-f', 'ip proto 103 or udp', ...FIELDS], { stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      const p = parseField(l);
      if (p) this.packets.push(p);
    });
    this.exited = new Promise((r) => (this.child.exitCode !== null ? r() : this.child.once('exit', () => r())));
  }
  async started(timeoutMs = 15000): Promise<void> {
    const ok = await poll(() => /Capturing on/.test(this.err) || this.child.exitCode !== null, timeoutMs, 20);
    if (!ok || this.child.exitCode !== null) throw new Error(`tshark on ${this.dev} did not start: ${this.err}`);
    if (!(await this.probe())) throw new Error(`tshark on ${this.dev} in ${this.ns} never showed the probe: ${this.err}`);
  }
  /** sends probes until one more shows in the capture: everything on the wire before it has */
  private async probe(): Promise<boolean> {
    const probes = (): number => this.packets.filter((p) => p.payload === 'mrsh-probe').length;
    const before = probes();
    for (let i = 0; i < 20 && this.child.exitCode === null; i++) {
      spawnSync('ip', ['netns', 'exec', this.ns, process.execPath, '-e', PROBE, this.probeTo], { stdio: 'ignore', timeout: 5000 });
      if (await poll(() => probes() > before, 300, 20)) return true;
    }
    return false;
  }
  async stop(): Promise<WirePacket[]> {
    // tshark has printed what it has when a probe sent now shows; then stop it
    if (this.child.exitCode === null && !(await this.probe())) throw new Error(`tshark on ${this.dev} in ${this.ns} stopped showing the probe: ${this.err}`);
    if (this.child.exitCode === null) this.child.kill('SIGINT');
    const t = setTimeout(() => {
      try {
        process.kill(-this.child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 10000);
    await this.exited;
    clearTimeout(t);
    return this.packets.filter((p) => p.payload !== 'mrsh-probe');
  }
}

export { sleep };
