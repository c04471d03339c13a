// Process entry. yargs reads the options and picks the mode:
//   mrsh                      interactive shell (stdin and stdout a TTY)
//   mrsh -f FILE | mrsh < FILE batch
//   mrsh COMMAND ...          one shot
//   mrsh daemon [-f FILE]     the router as a daemon with a control socket
//   mrsh exec -- CMD ...      a routing daemon run on the daemon's routing socket (src/exec)
// Every mode runs lines through the same command table. One-shot commands and the shell
// attach to a daemon when its socket answers (like vtysh), else embed a router in this
// process; batch files always run embedded. Ink and React load only for the shell.
import { readFileSync } from 'node:fs';
import { makeCtx, runBatch } from './commands/context.js';
import { formatError, ParseError } from './commands/errors.js';
import { parseLine, run } from './commands/exec.js';
import type { RouterApi, UpcallEvent } from './router/api.js';
import type { LiveView, RemoteSession } from './control/remote.js';
import { present } from './format/present.js';
import { wantColor } from './format/style.js';
import { mrshVersion } from './commands/version.js';
import { fileErrorText, localFileWriter, rethrowFileError } from './commands/out-file.js';
import { startCaptureStream, type CaptureStream } from './commands/capture-stream.js';
import type { Output } from './commands/output.js';

export const EXIT_OK = 0;
export const EXIT_COMMAND = 1;
export const EXIT_USAGE = 2;

async function embeddedRouter(): Promise<RouterApi> {
  const { Router } = await import('./router/router.js');
  return Router.create();
}

/**
 * stdout as a Unix filter's: a reader that closes early (`| head -1`) is EPIPE, after which
 * output is discarded without a word (stderr and the exit status still tell the run's
 * outcome) and a monitor ends; any other write error is reported once.
 */
let stdoutGone = false;
const stdoutGoneListeners: (() => void)[] = [];
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (stdoutGone) return;
  stdoutGone = true;
  if (e.code !== 'EPIPE') process.stderr.write(`mrsh: stdout: ${e.message}\n`);
  for (const f of stdoutGoneListeners) f();
});

function writeOut(s: string | Buffer): void {
  if (!stdoutGone) process.stdout.write(s);
}

/** a one-shot's text goes to stderr when its data went to stdout (capture ... pcap -) */
function dataOnStdout(r: { ok: boolean; output?: Output }): boolean {
  return r.ok && (r.output?.kind === 'capture' || r.output?.kind === 'monitor-capture') && r.output.file === '-';
}

/**
 * Resolves once everything written to the stream left the process. A pipe's writes are
 * asynchronous: exiting with some still queued loses them (a slow reader got 64 KiB).
 * Writes complete in order, so the callback of an empty write comes after all before it.
 */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** stdout writes gathered per tick: a 100,000-line batch must not pay a write per line */
function bufferedStdout() {
  let buf: string[] = [];
  let size = 0;
  const flush = () => {
    if (buf.length) writeOut(buf.join(''));
    buf = [];
    size = 0;
  };
  return {
    line(s: string) {
      buf.push(s, '\n');
      size += s.length;
      if (size > 1 << 16) flush();
    },
    flush,
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

interface Opts {
  file?: string;
  /** control socket to attach to (default: $MRSH_SOCKET or the per-user path) */
  socket?: string;
  keepGoing: boolean;
  check: boolean;
  json: boolean;
  color?: boolean;
  words: string[];
}

async function batchMode(o: Opts): Promise<number> {
  const name = o.file && o.file !== '-' ? o.file : '<stdin>';
  let text: string;
  try {
    text = o.file && o.file !== '-' ? readFileSync(o.file, 'utf8') : await readStdin();
  } catch (e) {
    process.stderr.write(`mrsh: ${name}: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  // --check applies the state-changing lines to this process's own router, so the engine's
  // checks run (links are opened as they would be); nothing outlives the run
  const router = await embeddedRouter();
  const color = o.color ?? wantColor(process.stdout, process.env, o.json);
  const out = bufferedStdout();
  // monitor capture in a batch file runs until the file ends
  const captures: { stream: CaptureStream; file: string }[] = [];
  const res = await runBatch(text, router, {
    name,
    keepGoing: o.keepGoing,
    check: o.check,
    onResult: (r, line) => {
      if (r.ok && r.output.kind === 'monitor-capture') {
        const { vif, family, file } = r.output;
        return startCaptureStream(router, vif, family, file, null).then((stream) => void captures.push({ stream, file }), rethrowFileError(file));
      }
      const p = present(r, line, { color, json: o.json, compact: true });
      if (p.text !== null) out.line(p.text);
    },
    onError: (t) => {
      out.flush();
      process.stderr.write(`${t}\n`);
    },
  });
  out.flush();
  for (const c of captures) {
    const { packets } = c.stream.stop();
    process.stderr.write(`${name}: monitor capture: ${packets} packets written to ${c.file}\n`);
  }
  if (o.check && res.errors === 0) process.stderr.write(`${name}: ${res.commands} commands OK\n`);
  await router.close();
  return res.errors ? EXIT_COMMAND : EXIT_OK;
}

/** the daemon's session, or null to embed; undefined after reporting an error */
async function attached(o: Opts): Promise<RemoteSession | null | undefined> {
  const { attach } = await import('./control/attach.js');
  const a = await attach(o.socket);
  if ('error' in a) {
    process.stderr.write(`mrsh: ${a.error}\n`);
    return undefined;
  }
  if (a.session === null && a.warning) process.stderr.write(`mrsh: ${a.warning}\n`);
  return a.session;
}

async function oneShot(o: Opts): Promise<number> {
  const line = o.words.join(' ');
  let parsed;
  try {
    parsed = parseLine(line);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    process.stderr.write(`${formatError(e, line)}\n`);
    return EXIT_USAGE;
  }
  if (!parsed) return EXIT_USAGE;
  const session = await attached(o);
  if (session === undefined) return EXIT_COMMAND;
  if (session) {
    try {
      session.stdout = writeOut;
      let r = session.exec(line)!;
      if (r instanceof Promise) r = await r;
      if (!r.ok && r.error instanceof ParseError) {
        process.stderr.write(`${formatError(r.error, line)}\n`);
        return EXIT_USAGE;
      }
      const color = o.color ?? wantColor(process.stdout, process.env, o.json || parsed.pipe.json);
      if (r.ok && r.output.kind === 'monitor') return await monitor(session, r.output.types, o.json || parsed.pipe.json, color);
      if (r.ok && r.output.kind === 'monitor-capture') return await monitorCapture(session, r.output);
      const p = present(r, line, { color, json: o.json, width: process.stdout.columns });
      if (p.text !== null) if (p.error || dataOnStdout(r)) process.stderr.write(`${p.text}\n`);
      else writeOut(`${p.text}\n`);
      return p.error ? EXIT_COMMAND : EXIT_OK;
    } finally {
      session.close();
    }
  }
  const router = await embeddedRouter();
  try {
    let r = run(parsed, makeCtx(router, undefined, localFileWriter(writeOut)));
    if (r instanceof Promise) r = await r;
    const color = o.color ?? wantColor(process.stdout, process.env, o.json || parsed.pipe.json);
    if (r.ok && r.output.kind === 'monitor') return await monitor(router, r.output.types, o.json || parsed.pipe.json, color);
    if (r.ok && r.output.kind === 'monitor-capture') return await monitorCapture(router, r.output);
    const p = present(r, line, { color, json: o.json, width: process.stdout.columns });
    if (p.text !== null) if (p.error || dataOnStdout(r)) process.stderr.write(`${p.text}\n`);
      else writeOut(`${p.text}\n`);
    // a script that thinks it configured a router must not be silently wrong
    if (r.ok && parsed.command.mutates) {
      const { defaultSocketPath } = await import('./control/socket-path.js');
      process.stderr.write(`mrsh: no router running at ${o.socket ?? defaultSocketPath()}: this change applied to a router that exits with this command\n`);
    }
    return p.error ? EXIT_COMMAND : EXIT_OK;
  } finally {
    await router.close();
  }
}

/** `mrsh monitor upcalls`: one line (or JSON object) per upcall until SIGINT */
async function monitor(router: LiveView, types: string[] | null, json: boolean, color: boolean): Promise<number> {
  const { upcallLine } = await import('./format/upcalls.js');
  const { painter } = await import('./format/style.js');
  const p = painter(color);
  const out = bufferedStdout();
  let pending = false;
  const onUpcall = (ev: UpcallEvent) => {
    if (types && !types.includes(ev.type)) return;
    out.line(json ? JSON.stringify({ schema: 1, kind: 'upcall', ...ev }) : upcallLine(ev, p));
    if (!pending) {
      pending = true;
      setImmediate(() => {
        pending = false;
        out.flush();
      });
    }
  };
  router.on('upcall', onUpcall);
  // a bare promise does not keep Node running; the timer does, until Ctrl-C
  const keepAlive = setInterval(() => {}, 1 << 30);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    stdoutGoneListeners.push(() => resolve());
    process.once('SIGTERM', () => resolve());
    // attached: the stream ends with the daemon
    if ('client' in router) (router as RemoteSession).client.onClose(() => resolve());
  });
  clearInterval(keepAlive);
  router.off('upcall', onUpcall);
  out.flush();
  return EXIT_OK;
}

/** `mrsh monitor capture N pcap FILE`: packets into FILE (or stdout) until SIGINT */
async function monitorCapture(src: LiveView, out: { vif: number; family: 'inet' | 'inet6'; file: string }): Promise<number> {
  let stream: CaptureStream;
  try {
    stream = await startCaptureStream(src, out.vif, out.family, out.file, writeOut);
  } catch (e) {
    process.stderr.write(`% monitor capture: ${fileErrorText(out.file, e)}\n`);
    return EXIT_COMMAND;
  }
  const what = `${out.family === 'inet' ? 'vif' : 'mif'} ${out.vif}`;
  const where = out.file === '-' ? 'standard output' : out.file;
  // the tap is set: every packet from here on is in the file
  process.stderr.write(`mrsh: capturing ${what} to ${where}, Ctrl-C to stop\n`);
  const keepAlive = setInterval(() => {}, 1 << 30);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    stdoutGoneListeners.push(() => resolve());
    if ('client' in src) (src as RemoteSession).client.onClose(() => resolve());
  });
  clearInterval(keepAlive);
  const { packets, dropped } = stream.stop();
  process.stderr.write(`mrsh: ${packets} packets of ${what} written to ${where}${dropped ? `; ${dropped} more dropped by the daemon (this client read too slowly)` : ''}\n`);
  return EXIT_OK;
}

async function interactive(o: Opts): Promise<number> {
  const session = await attached(o);
  if (session === undefined) return EXIT_COMMAND;
  // Ink renders only a final frame when it believes it runs in CI (a CI variable is set);
  // a person at a terminal is interactive wherever the shell was started from.
  if (process.stdin.isTTY && process.stdout.isTTY) process.env.CI = '0';
  const { startShell } = await import('./shell/start.js');
  if (session) {
    try {
      const { defaultSocketPath } = await import('./control/socket-path.js');
      return await startShell({ remote: session, socket: o.socket ?? defaultSocketPath() });
    } finally {
      session.close();
    }
  }
  const router = await embeddedRouter();
  try {
    return await startShell({ router });
  } finally {
    await router.close();
  }
}

/**
 * The common one-shot (`mrsh show vif --json`) needs no option parser: when every option is
 * one of these, skip loading yargs (a third of the start-up). Anything else goes to yargs.
 */
function quickOneShot(argv: string[]): Opts | null {
  const words: string[] = [];
  let json = false;
  let color: boolean | undefined;
  for (const a of argv) {
    if (a === '--json' || a === '-j') json = true;
    else if (a === '--color') color = true;
    else if (a === '--no-color') color = false;
    else if (a.startsWith('-')) return null;
    else words.push(a);
  }
  return words.length ? { keepGoing: false, check: false, json, color, words } : null;
}

export async function main(argv: string[]): Promise<number> {
  // exec takes another program's options after it: they must never reach yargs
  if (argv[0] === 'exec') return (await import('./exec/exec.js')).runExec(argv.slice(1));
  const quick = argv[0] === 'daemon' ? null : quickOneShot(argv);
  if (quick) return oneShot(quick);
  const { default: yargs } = await import('yargs');
  let usageError: string | null = null;
  const y = yargs(argv)
    .scriptName('mrsh')
    .usage(
      'Usage:\n  mrsh                      interactive shell\n  mrsh -f FILE [--check] [--keep-going]   run a batch file (or: mrsh < FILE)\n  mrsh COMMAND ... [--json]  run one command\n  mrsh daemon [-f STARTUP] [--socket PATH] [--group NAME]   run the router as a daemon\n  mrsh exec [--socket PATH] -- COMMAND [ARGS...]   run a routing daemon on mrsh\'s routing socket\n\nShell and one-shot commands attach to a daemon whose socket answers.\nSee mrsh(8); `mrsh help` lists the commands.',
    )
    .option('file', { alias: 'f', type: 'string', describe: 'run the commands in FILE (- for stdin)' })
    .option('keep-going', { alias: 'k', type: 'boolean', default: false, describe: 'batch: go on after an error' })
    .option('check', { alias: 'n', type: 'boolean', default: false, describe: 'batch: parse and validate, apply nothing' })
    .option('json', { alias: 'j', type: 'boolean', default: false, describe: 'show commands print JSON' })
    .option('color', { type: 'boolean', describe: 'force colours on or off (default: on a TTY without NO_COLOR)' })
    .option('socket', { alias: 's', type: 'string', describe: 'control socket (default: $MRSH_SOCKET, /run/mrsh.sock for root, else $XDG_RUNTIME_DIR/mrsh.sock or /tmp/mrsh-UID/mrsh.sock)' })
    .option('group', { type: 'string', describe: 'daemon: admit this group to the socket (mode 0660)' })
    .parserConfiguration({ 'parse-positional-numbers': false, 'boolean-negation': true })
    .strictOptions()
    .help('help')
    .alias('help', 'h')
    .version('version', 'print the version and exit', mrshVersion())
    .exitProcess(false)
    .fail((msg, err) => {
      usageError = msg ?? err?.message ?? 'usage error';
    });
  const a = await y.parseAsync();
  if (usageError !== null) {
    process.stderr.write(`mrsh: ${usageError}\n${await y.getHelp()}\n`);
    return EXIT_USAGE;
  }
  if (a.help || a.version) return EXIT_OK;
  const o: Opts = {
    file: a.file,
    keepGoing: a['keep-going'],
    check: a.check,
    json: a.json,
    color: a.color,
    socket: a.socket,
    words: a._.map(String),
  };
  if (o.words[0] === 'daemon') {
    if (o.words.length > 1 || o.check || o.keepGoing || o.json) {
      process.stderr.write('mrsh: usage: mrsh daemon [-f STARTUP] [--socket PATH] [--group NAME]\n');
      return EXIT_USAGE;
    }
    const { runDaemon } = await import('./control/daemon.js');
    return runDaemon({ file: o.file, socket: o.socket, group: a.group });
  }
  if (a.group !== undefined) {
    process.stderr.write('mrsh: --group is for mrsh daemon\n');
    return EXIT_USAGE;
  }
  if (o.file !== undefined) {
    if (o.words.length) {
      process.stderr.write('mrsh: give either -f FILE or a command, not both\n');
      return EXIT_USAGE;
    }
    return batchMode(o);
  }
  if (o.words.length) return oneShot(o);
  if (!process.stdin.isTTY) return batchMode(o);
  if (o.check || o.keepGoing) {
    process.stderr.write('mrsh: --check and --keep-going are for batch files\n');
    return EXIT_USAGE;
  }
  return interactive(o);
}

main(process.argv.slice(2)).then(
  async (code) => {
    process.exitCode = code;
    // everything written reaches the reader, however slow, before the exit; stray handles
    // (timers of links) must not keep a finished one-shot alive after that
    await drained(process.stdout);
    await drained(process.stderr);
    process.exit(code);
  },
  (e: unknown) => {
    process.stderr.write(`mrsh: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(70);
  },
);
