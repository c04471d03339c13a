// A network namespace with a veth pair and an `mrsh daemon` in it, and the stand-in routing
// daemon (tools/rsock_probe.c) run there under the preload library, for the mrsh exec tests.
// Everything is removed by Lab.close(), which the tests call in after() so it runs on failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Daemon, ROOT, cleanupDaemons, mrsh, tempDir } from '../control/daemon-helpers.js';

export const LIB = join(ROOT, 'build', 'Release', 'libmrsh_preload.so');
export const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli.ts')];

/** Why these tests cannot run here, or null. */
export function labMissing(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, raw sockets)';
  if (spawnSync('cc', ['--version']).error) return 'no C compiler (cc)';
  if (spawnSync('ip', ['-V']).error) return 'no ip(8)';
  if (!existsSync(LIB)) return `${LIB} is not built (node scripts/build-native.mjs)`;
  return null;
}

/** Compiles a C tool of tools/ into dir; returns its path. */
export function compile(dir: string, name: string, extra: string[] = []): string {
  const out = join(dir, name);
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', out, join(ROOT, 'test', 'exec', 'tools', `${name}.c`), ...extra, '-lpthread'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc ${name}.c failed:\n${r.stderr}`);
  return out;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

export class Lab {
  readonly ns = `mrshx-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  readonly dir = tempDir();
  readonly socket = join(this.dir, 'mrsh.sock');
  readonly endpoint = `${this.socket}.mroute`;
  daemon!: Daemon;
  /** ifindex of va, the interface the probe's vifs name */
  ifindex = 0;
  private probes: Probe[] = [];

  async open(): Promise<void> {
    ip('netns', 'add', this.ns);
    ip('-n', this.ns, 'link', 'set', 'lo', 'up');
    ip('-n', this.ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
    ip('-n', this.ns, 'link', 'set', 'va', 'up');
    ip('-n', this.ns, 'link', 'set', 'vb', 'up');
    ip('-n', this.ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'va');
    ip('-n', this.ns, '-6', 'addr', 'add', '2001:db8::1/64', 'dev', 'va', 'nodad');
    const r = spawnSync('ip', ['-n', this.ns, '-o', 'link', 'show', 'va'], { encoding: 'utf8' });
    this.ifindex = Number(r.stdout.split(':')[0]);
    this.daemon = new Daemon(this.socket, [], { ns: this.ns });
    await this.daemon.ready();
    await until(() => this.daemon.log.includes('routing sockets (mrsh exec) on'), () => `no endpoint:\n${this.daemon.log}`);
  }

  /** the probe under the library (or, with `exec`, through `mrsh exec`), in the namespace */
  probe(bin: string, opts: { env?: NodeJS.ProcessEnv; exec?: boolean } = {}): Probe {
    const cmd = opts.exec ? [...CLI, 'exec', '--socket', this.socket, '--', bin] : [bin];
    const env = opts.exec ? { ...process.env, ...opts.env } : { ...process.env, LD_PRELOAD: LIB, MRSH_MROUTE_SOCKET: this.endpoint, ...opts.env };
    const p = new Probe(spawn('ip', ['netns', 'exec', this.ns, ...cmd], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] }));
    this.probes.push(p);
    return p;
  }

  /** a one-shot mrsh command on the daemon */
  mrsh(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    return mrsh(['--socket', this.socket, ...args]);
  }

  close(): void {
    for (const p of this.probes) p.kill();
    cleanupDaemons();
    spawnSync('ip', ['netns', 'del', this.ns]);
  }
}

/** The stand-in daemon: one command line in, one answer line out. */
export class Probe {
  stderr = '';
  private waiting: ((line: string) => void)[] = [];
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    createInterface({ input: child.stdout! }).on('line', (l) => {
      this.waiting.shift()?.(l);
    });
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
  }
  /** sends a command, resolves with its answer line */
  q(cmd: string, timeoutMs = 20000): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`probe: no answer to "${cmd}" in ${timeoutMs} ms; stderr:\n${this.stderr}`)), timeoutMs);
      const done = (l: string) => {
        clearTimeout(t);
        resolve(l);
      };
      this.waiting.push(done);
      this.child.stdin!.write(`${cmd}\n`);
    });
  }
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** waits for a condition, polling; never a fixed sleep */
export async function until(cond: () => boolean, why: () => string, timeoutMs = 15000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${why()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
