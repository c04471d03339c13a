// A real `mrsh daemon` process and one-shot clients, for the control tests. Every daemon
// started here is killed and its socket directory removed by cleanupDaemons(), also when
// a test fails.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bundledCli } from './bundle.js';

export const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli.ts')];

export class Daemon {
  child: ChildProcess;
  log = '';
  readonly exited: Promise<number | null>;
  constructor(
    readonly socket: string,
    args: string[],
    opts: { ns?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ) {
    const cmd = [...CLI, 'daemon', '--socket', socket, ...args];
    const o = { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'ignore', 'pipe'] as ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...opts.env } };
    this.child = opts.ns ? spawn('ip', ['netns', 'exec', opts.ns, ...cmd], o) : spawn(cmd[0], cmd.slice(1), o);
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (d: string) => (this.log += d));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
    live.add(this);
  }
  /** resolves when the daemon logs that it listens */
  async ready(timeoutMs = 15000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.log.includes('listening on')) {
      if (Date.now() > end || this.child.exitCode !== null) throw new Error(`daemon did not start:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  kill(sig: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(sig);
  }
}

const live = new Set<Daemon>();
const dirs: string[] = [];

/** a directory for sockets and configs; 0755 so another user's refusal comes from the socket's mode */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mrsh-d-'));
  chmodSync(d, 0o755);
  dirs.push(d);
  return d;
}

export function cleanupDaemons(): void {
  for (const d of live) d.kill('SIGKILL');
  live.clear();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  if (userCli) rmSync(dirname(userCli), { recursive: true, force: true });
  userCli = null;
}

let userCli: string | null = null;

/** builds the copy of the CLI that another user runs (see bundle.ts); before mrsh({ user }) */
export async function prepareUserCli(): Promise<void> {
  userCli = await bundledCli();
}

/** a one-shot mrsh client: exit status, stdout, stderr. As another user it runs the bundled
 * copy from a directory that user can read, so the checkout's location does not matter. */
export function mrsh(args: string[], opts: { user?: string; env?: NodeJS.ProcessEnv } = {}): { status: number | null; stdout: string; stderr: string } {
  if (opts.user && !userCli) throw new Error('mrsh({ user }) needs await prepareUserCli() first');
  const cmd = opts.user ? ['runuser', '-u', opts.user, '--', process.execPath, userCli!, ...args] : [...CLI, ...args];
  const cwd = opts.user ? dirname(userCli!) : ROOT;
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...opts.env }, timeout: 20000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function mrshAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const t = setTimeout(() => c.kill('SIGKILL'), 20000);
    c.on('exit', (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}
