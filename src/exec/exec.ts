// `mrsh exec [--socket PATH] -- COMMAND [ARGS...]`: runs an unmodified routing daemon
// (smcrouted, pimd) with its raw IGMP / ICMPv6 socket served by `mrsh daemon`, the way
// `onload CMD` gives a program OpenOnload's stack: the preload library
// (native/mrsh_preload.c) goes first in LD_PRELOAD and this process execve()s into the
// command, so the daemon keeps mrsh exec's pid and its supervisor's signals.
//
// Everything that would make the library silently absent is refused before anything runs:
// the dynamic loader ignores LD_PRELOAD for static binaries and for setuid/setgid or
// file-capability (AT_SECURE) ones, and such a daemon would program the kernel instead.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { constants as osConstants } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative, nativeUnavailableReason } from '../dataplane/links/native.js';
import { mrouteSocketPath } from '../control/mroute-endpoint.js';
import { defaultSocketPath } from '../control/socket-path.js';
import { execKind } from './elf.js';

const EXIT_REFUSED = 2;
const EXIT_NOT_EXECUTABLE = 126; // as env(1) and the shells
const EXIT_NOT_FOUND = 127;

export const EXEC_USAGE = 'usage: mrsh exec [--socket PATH] -- COMMAND [ARGS...]';

/** build/Release/libmrsh_preload.so: src/exec/ and dist/exec/ sit two levels below the root */
export function preloadLibraryPath(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'Release', 'libmrsh_preload.so');
}

interface ExecArgs {
  socket?: string;
  command: string[];
}

/** The arguments after `exec`; a string is a usage error. Options end at `--` or COMMAND. */
export function parseExecArgs(args: string[]): ExecArgs | string | 'help' {
  let socket: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return args.length > i + 1 ? { socket, command: args.slice(i + 1) } : 'no COMMAND given';
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--socket' || a === '-s') {
      if (i + 1 >= args.length) return `${a} needs a PATH`;
      socket = args[++i];
    } else if (a.startsWith('--socket=')) socket = a.slice('--socket='.length);
    else if (a.startsWith('-')) return `unknown option ${a} (put -- before the command's own options)`;
    else return { socket, command: args.slice(i) };
  }
  return 'no COMMAND given';
}

/** COMMAND as execvp would find it, or null */
export function resolveCommand(cmd: string, path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string | null {
  if (cmd.includes('/')) return existsSync(cmd) ? resolve(cmd) : null;
  for (const dir of path.split(delimiter)) {
    const p = join(dir || '.', cmd);
    try {
      if (statSync(p).isFile()) {
        accessSync(p, constants.X_OK);
        return resolve(p);
      }
    } catch {
      // not here
    }
  }
  return null;
}

/** Why the library could not be loaded into `file`, or null; `notes` collects what was not checked. */
export function refusal(file: string, notes: string[], depth = 0): string | null {
  const st = statSync(file);
  if (!st.isFile()) return `${file} is not a regular file`;
  if (st.mode & 0o6000) {
    const bits = [st.mode & 0o4000 ? 'setuid' : '', st.mode & 0o2000 ? 'setgid' : ''].filter(Boolean).join(' and ');
    return `${file} is ${bits}: the dynamic loader ignores LD_PRELOAD for it (run a copy without the bit, as root)`;
  }
  const caps = fileCapabilities(file);
  if (caps === null) notes.push(`file capabilities of ${file} unchecked (no getcap)`);
  else if (caps) return `${file} has file capabilities (${caps}): the dynamic loader ignores LD_PRELOAD for it (run it as root without them)`;
  const k = execKind(file);
  if (k.kind === 'static') return `${file} is statically linked: LD_PRELOAD cannot reach it, and it would program the kernel instead of mrsh`;
  if (k.kind === 'unknown') return `${file}: ${k.why}`;
  if (k.kind === 'script') {
    // the kernel runs the interpreter; that is what loads the library (one level of #!)
    if (depth > 0) return `${file}: a #! interpreter that is itself a script`;
    const interp = resolveCommand(k.interp, '');
    if (!interp) return `${file}: its interpreter ${k.interp} does not exist`;
    return refusal(realpathSync(interp), notes, depth + 1);
  }
  return null;
}

/** "cap_net_raw=ep" and the like, "" for none, null when it cannot be read (no getcap) */
function fileCapabilities(file: string): string | null {
  for (const getcap of ['/usr/sbin/getcap', '/sbin/getcap', 'getcap']) {
    const r = spawnSync(getcap, [file], { encoding: 'utf8' });
    if (r.error) continue;
    // getcap prints "FILE CAPS" (newer: "FILE =caps"), nothing when there are none
    return r.stdout.trim().slice(file.length).trim();
  }
  return null;
}

/** Whether a routing-socket endpoint listens at `path`: a SOCK_STREAM connect to a
 * SOCK_SEQPACKET listener fails with EPROTOTYPE, which says exactly that, without a hello. */
export function probeEndpoint(path: string): Promise<string | null> {
  return new Promise((done) => {
    const c = connect(path);
    c.once('connect', () => {
      c.destroy();
      done(`${path} is a stream socket, not mrsh's routing-socket endpoint`);
    });
    c.once('error', (e: NodeJS.ErrnoException) => {
      c.destroy();
      if (e.code === 'EPROTOTYPE') done(null);
      else if (e.code === 'ENOENT') done(`no mrsh daemon at ${path} (start \`mrsh daemon\`, or give --socket)`);
      else if (e.code === 'ECONNREFUSED') done(`nothing listens at ${path} (a stale socket: is mrsh daemon running?)`);
      else done(`cannot reach ${path}: ${e.code ?? e.message}`);
    });
  });
}

interface ExecNative {
  execve(path: string, argv: string[], envp: string[]): number;
}

export async function runExec(args: string[]): Promise<number> {
  const say = (msg: string) => process.stderr.write(`mrsh exec: ${msg}\n`);
  const p = parseExecArgs(args);
  if (p === 'help') {
    process.stdout.write(`${EXEC_USAGE}\n  Runs COMMAND with its multicast routing socket served by mrsh daemon (see mrsh(8)).\n`);
    return 0;
  }
  if (typeof p === 'string') {
    say(`${p}\n${EXEC_USAGE}`);
    return EXIT_REFUSED;
  }
  const [cmd, ...rest] = p.command;
  const file = resolveCommand(cmd);
  if (!file) {
    say(`${cmd}: command not found`);
    return EXIT_NOT_FOUND;
  }
  try {
    accessSync(file, constants.X_OK);
  } catch {
    say(`${file}: not executable`);
    return EXIT_NOT_EXECUTABLE;
  }
  const lib = preloadLibraryPath();
  const io = loadNative() as (ReturnType<typeof loadNative> & Partial<ExecNative>) | null;
  const notes: string[] = [];
  const why =
    (!existsSync(lib) ? `the preload library is not built: ${lib} is missing (run npm install, or node scripts/build-native.mjs)` : null) ??
    (typeof io?.execve !== 'function' ? `the native addon is not built (${nativeUnavailableReason() ?? 'no execve in it'})` : null) ??
    refusal(realpathSync(file), notes);
  if (why) {
    say(`${why}; nothing was run`);
    return EXIT_REFUSED;
  }
  const endpoint = resolve(mrouteSocketPath(p.socket ?? defaultSocketPath()));
  const down = await probeEndpoint(endpoint);
  if (down) {
    say(`${down}; nothing was run`);
    return EXIT_REFUSED;
  }
  for (const n of notes) say(`note: ${n}`);
  const env = { ...process.env, MRSH_MROUTE_SOCKET: endpoint, LD_PRELOAD: [lib, process.env.LD_PRELOAD].filter(Boolean).join(':') };
  const envp = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const e = io!.execve!(file, [cmd, ...rest], envp);
  say(`${file}: execve: ${errnoText(-e)}`);
  return -e === 2 ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
}

function errnoText(n: number): string {
  return Object.entries(osConstants.errno).find(([, v]) => v === n)?.[0] ?? `errno ${n}`;
}
