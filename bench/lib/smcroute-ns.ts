// Debian's smcrouted in a network namespace of its own, for benches that put a figure of
// mrsh beside smcroute's: three veth pairs (r0-p0, r1-p1, r2-p2, both ends inside) with
// documentation addresses, r0..r2 enabled as phyints. The daemon can be restarted with an
// empty table (its exit is the kernel's MRT_DONE: the namespace's MFC goes with it), and
// close() removes the namespace and the files. Needs root, ip(8) and smcroute.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SMCROUTED = ['/usr/sbin/smcrouted', '/usr/bin/smcrouted'].find((p) => existsSync(p)) ?? 'smcrouted';
export const SMCROUTECTL = ['/usr/sbin/smcroutectl', '/usr/bin/smcroutectl'].find((p) => existsSync(p)) ?? 'smcroutectl';

/** RFC 5737 networks for r0..r2 and RFC 5771's MCAST-TEST-NET for groups */
export const DOC_NETS = ['192.0.2', '198.51.100', '203.0.113'];
export const DOC_GROUP_NET = '233.252.0';

/** The i-th of a list of distinct (S,G) of documentation addresses (750 sources a group). */
export function docSG(i: number): { source: string; group: string } {
  const s = i % 750;
  const g = Math.floor(i / 750);
  if (g > 253) throw new RangeError('docSG: at most 190,500 pairs');
  return { source: `${DOC_NETS[Math.floor(s / 250)]}.${(s % 250) + 2}`, group: `${DOC_GROUP_NET}.${g + 1}` };
}

function sh(cmd: string, args: string[], allowFail = false): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout ?? '';
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export class SmcrouteNs {
  readonly ns = `mrsh-bsmc-${process.pid}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'mrsh-bsmc-'));
  /** the daemon's control socket: a path, so smcroutectl reaches it from any namespace */
  readonly sock = join(this.dir, 'smcroute.sock');
  private readonly conf = join(this.dir, 'smcroute.conf');
  private daemon: ChildProcess | null = null;
  private closed = false;

  constructor() {
    sh('ip', ['netns', 'del', this.ns], true);
    sh('ip', ['netns', 'add', this.ns]);
    process.on('exit', () => this.close());
    const inNs = (...a: string[]) => sh('ip', ['-n', this.ns, ...a]);
    inNs('link', 'set', 'lo', 'up');
    for (let i = 0; i < 3; i++) {
      inNs('link', 'add', `r${i}`, 'type', 'veth', 'peer', 'name', `p${i}`);
      inNs('addr', 'add', `${DOC_NETS[i]}.1/24`, 'dev', `r${i}`);
      inNs('link', 'set', `r${i}`, 'up');
      inNs('link', 'set', `p${i}`, 'up');
    }
    writeFileSync(this.conf, 'phyint r0 enable\nphyint r1 enable\nphyint r2 enable\n');
  }

  /** smcroutectl against this daemon; `input` goes to its stdin (batch mode). */
  ctl(args: string[], input?: string) {
    return spawnSync(SMCROUTECTL, ['-p', '-u', this.sock, ...args], { encoding: 'utf8', input, maxBuffer: 1 << 26 });
  }

  /** (Re)start smcrouted with an empty table and wait until it answers with its vifs. */
  start(): void {
    this.stop();
    const d = spawn('ip', ['netns', 'exec', this.ns, SMCROUTED, '-n', '-N', '-f', this.conf, '-u', this.sock, '-P', join(this.dir, 'smcroute.pid'), '-i', this.ns, '-l', 'err'], {
      stdio: 'ignore',
    });
    this.daemon = d;
    const end = Date.now() + 10_000;
    for (;;) {
      const r = existsSync(this.sock) ? this.ctl(['show', 'interfaces']) : null;
      if (r && r.status === 0 && /\br2\s+2\b/.test(r.stdout)) return;
      if (d.exitCode !== null || Date.now() > end) throw new Error(`smcrouted did not come up in ${this.ns}`);
      spawnSync('sleep', ['0.05']);
    }
  }

  /** Number of (S,G) routes in the namespace's kernel MFC. */
  kernelRoutes(): number {
    return sh('ip', ['-n', this.ns, 'mroute', 'show']).split('\n').filter((l) => l.startsWith('(')).length;
  }

  stop(): void {
    const d = this.daemon;
    this.daemon = null;
    if (!d || d.exitCode !== null || d.pid === undefined) return;
    try {
      process.kill(d.pid, 'SIGTERM');
    } catch {
      return;
    }
    // wait for it to be gone (a zombie is: its sockets are closed), so the next daemon's
    // MRT_INIT finds the namespace free; the event loop reaps it later
    const end = Date.now() + 5000;
    while (Date.now() < end && alive(d.pid)) spawnSync('sleep', ['0.02']);
    rmSync(this.sock, { force: true });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    sh('ip', ['netns', 'del', this.ns], true);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
