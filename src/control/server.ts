// The daemon's end of the control socket. Every client's lines run through the one command
// table against the one router, in arrival order (a global queue: an async command such as
// `vif add dev X` finishes before the next line of any client starts, so each reply means
// "applied"). Nothing a client does can hold up forwarding or other clients: writes never
// block (Node queues them), replies to a client that stops reading pause only that
// client's requests, and events to a slow subscriber are dropped and counted.
import { chmodSync, existsSync, lchownSync, lstatSync, mkdtempSync, readFileSync, renameSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { execute, makeCtx } from '../commands/exec.js';
import { CommandError, ParseError } from '../commands/errors.js';
import type { ExecResult } from '../commands/exec.js';
import type { RouterApi, UpcallEvent } from '../router/api.js';
import { LineSplitter, MAX_LINE, type Reply, type WireError } from './protocol.js';

export interface ServerOptions {
  path: string;
  /** admit this group: mode 0660 and the socket's group set to it (else 0600) */
  group?: string;
  log?: (msg: string) => void;
  /** bytes queued to a subscriber beyond which events are dropped */
  eventHighWater?: number;
  /** bytes queued to a client beyond which its requests wait (it is not reading replies) */
  replyHighWater?: number;
  /** bytes queued to a monitor capture client beyond which packets are dropped (counted, told) */
  captureHighWater?: number;
  /** longest request line (default MAX_LINE) */
  maxLine?: number;
}

interface Client {
  sock: Socket;
  subscribed: boolean;
  dropped: number;
  /** requests read but not yet answered */
  inflight: number;
  /** replies gathered in this tick: one write (one syscall) for all of them */
  out: string[];
  /** monitor capture taps by request id: the call that ends each, packets not sent */
  taps: Map<number, { stop: () => void; dropped: number }>;
}

/** gid of a group name, from /etc/group (Node has no getgrnam) */
export function groupId(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined) return Number(f[2]);
  }
  throw new Error(`group '${name}' does not exist`);
}

/** Whether something answers on a unix socket path: 'live', 'stale' (ECONNREFUSED), 'absent', or an errno. */
export function probeSocket(path: string, timeoutMs = 1000): Promise<'live' | 'stale' | 'absent' | string> {
  if (!existsSync(path)) return Promise.resolve('absent');
  return new Promise((resolve) => {
    const s = createConnection(path);
    const t = setTimeout(() => {
      s.destroy();
      resolve('ETIMEDOUT');
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve('live');
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      resolve(e.code === 'ECONNREFUSED' ? 'stale' : e.code === 'ENOENT' ? 'absent' : (e.code ?? e.message));
    });
  });
}

export function wireError(r: Extract<ExecResult, { ok: false }>): WireError {
  const e = r.error;
  return { message: e.message, offset: e.offset, errno: e instanceof CommandError ? e.errno : null, parse: e instanceof ParseError };
}

export class ControlServer {
  private server: Server | null = null;
  private readonly clients = new Set<Client>();
  private queue: Promise<void> | null = null;
  private readonly log: (msg: string) => void;
  private readonly eventHigh: number;
  private readonly replyHigh: number;
  private readonly captureHigh: number;
  /** the inode of the socket this server bound: close() removes only that */
  private boundIno = -1;
  /** events dropped for slow subscribers, all clients */
  droppedEvents = 0;

  constructor(
    private readonly router: RouterApi,
    private readonly opts: ServerOptions,
  ) {
    this.log = opts.log ?? (() => {});
    this.eventHigh = opts.eventHighWater ?? 256 << 10;
    this.replyHigh = opts.replyHighWater ?? 4 << 20;
    this.captureHigh = opts.captureHighWater ?? 16 << 20;
    router.on('upcall', this.onUpcall);
  }

  async listen(): Promise<void> {
    const path = this.opts.path;
    // Only a socket is ever taken for stale: anything else at the path (a file given by
    // mistake, a link) is refused, never removed.
    const notSocket = (): boolean => {
      try {
        return !lstatSync(path).isSocket();
      } catch {
        return false;
      }
    };
    if (notSocket()) throw new Error(`${path} exists and is not a socket: refusing to replace it`);
    const state = await probeSocket(path);
    if (state === 'live') throw new Error(`${path}: a daemon is already answering there`);
    if (state === 'stale') {
      if (notSocket()) throw new Error(`${path} exists and is not a socket: refusing to replace it`);
      this.log(`${path}: stale socket (no daemon answers), removing it`);
      unlinkSync(path);
    } else if (state !== 'absent') throw new Error(`${path}: ${state}`);
    const gid = this.opts.group !== undefined ? groupId(this.opts.group) : -1;
    const mode = gid >= 0 ? 0o660 : 0o600;
    const server = createServer({ allowHalfOpen: false }, (sock) => this.accept(sock));
    const bind = async (at: string, mask: number): Promise<void> => {
      // the umask covers bind() itself: the socket never exists with wider permissions
      const oldMask = process.umask(mask);
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(at, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } finally {
        process.umask(oldMask);
      }
    };
    // Mode and group are set where nobody else can swap the name for a link: in a 0700
    // directory of the daemon's own beside the path, then the socket is renamed into
    // place. (chmod/chown on the final name followed a symlink swapped in between.)
    const tmpDir = mkdtempSync(join(dirname(path), '.mrsh-'));
    const tmp = join(tmpDir, 's');
    try {
      if (Buffer.byteLength(tmp) < 108) {
        await bind(tmp, 0o177);
        if (gid >= 0) lchownSync(tmp, -1, gid);
        chmodSync(tmp, mode);
        renameSync(tmp, path);
      } else {
        // no room in sun_path for the detour: bind under the final mode's umask; lchown
        // changes a swapped-in link, never its target. Until it runs, the daemon's own
        // primary group (not another user) could connect.
        await bind(path, 0o777 & ~mode);
        if (gid >= 0) lchownSync(path, -1, gid);
      }
    } catch (e) {
      server.close();
      throw e;
    } finally {
      try {
        if (existsSync(tmp)) unlinkSync(tmp);
        rmdirSync(tmpDir);
      } catch {
        // left for the operator to see; the daemon's socket is in place either way
      }
    }
    this.boundIno = lstatSync(path).ino;
    this.server = server;
  }

  /** Runs fn after every queued command: the daemon's SIGHUP reload takes its turn like a client. */
  enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = (this.queue ?? Promise.resolve()).then(fn);
    const tail = run.then(
      () => {},
      () => {},
    );
    this.queue = tail;
    void tail.then(() => {
      if (this.queue === tail) this.queue = null;
    });
    return run;
  }

  private accept(sock: Socket): void {
    const c: Client = { sock, subscribed: false, dropped: 0, inflight: 0, out: [], taps: new Map() };
    this.clients.add(c);
    sock.setEncoding('utf8');
    const split = new LineSplitter(
      (line) => this.onLine(c, line),
      () => {
        // the reply goes out before the end: flushed now, not on the next tick after end()
        this.send(c, { id: null, ok: false, error: { message: `request line too long (over ${this.opts.maxLine ?? MAX_LINE} bytes)`, offset: null, errno: 'EMSGSIZE', parse: false } });
        this.flush(c);
        sock.end();
      },
      this.opts.maxLine,
    );
    sock.on('data', (chunk: string) => split.push(chunk));
    sock.on('drain', () => {
      if (sock.isPaused()) sock.resume();
    });
    // a client that vanishes mid-request: its reply is dropped when it comes, nothing else
    sock.on('error', () => {});
    sock.on('close', () => {
      this.clients.delete(c);
      for (const t of c.taps.values()) t.stop();
      c.taps.clear();
    });
  }

  private onLine(c: Client, line: string): void {
    let req: Record<string, unknown>;
    try {
      req = JSON.parse(line) as Record<string, unknown>;
      if (req === null || typeof req !== 'object' || Array.isArray(req)) throw new Error('not an object');
    } catch (e) {
      this.send(c, { id: null, ok: false, error: { message: `malformed request: ${(e as Error).message}`, offset: null, errno: 'EINVAL', parse: false } });
      return;
    }
    const id = typeof req.id === 'number' ? req.id : null;
    const bad = (message: string) => this.send(c, { id, ok: false, error: { message, offset: null, errno: 'EINVAL', parse: false } });
    if (id === null) return bad('request without a numeric id');
    if (typeof req.line === 'string') {
      const files = req.files && typeof req.files === 'object' ? (req.files as Record<string, unknown>) : {};
      this.runLine(c, id, req.line, files);
    } else if (req.subscribe === 'upcalls') {
      c.subscribed = true;
      this.send(c, { id, ok: true });
    } else if (req.unsubscribe === 'upcalls') {
      c.subscribed = false;
      this.send(c, { id, ok: true });
    } else if (req.subscribe === 'capture') {
      this.tap(c, id, req.vif, req.family);
    } else if (req.unsubscribe === 'capture') {
      const t = c.taps.get(req.tap as number);
      t?.stop();
      if (t?.dropped) c.sock.write(`{"event":"dropped-packets","tap":${req.tap as number},"count":${t.dropped}}\n`);
      c.taps.delete(req.tap as number);
      this.send(c, { id, ok: true });
    } else if (req.call === 'status') {
      this.send(c, { id, ok: true, result: this.router.status() });
    } else if (req.call === 'now') {
      this.send(c, { id, ok: true, result: this.router.now ? this.router.now() : Date.now() });
    } else bad('unknown request: expected line, subscribe, unsubscribe or call');
  }

  /**
   * monitor capture: every packet that passes the vif, whole, as an event. A client too
   * slow to take them has packets dropped and counted (then told), never the router held up.
   */
  private tap(c: Client, id: number, vif: unknown, family: unknown): void {
    if (typeof vif !== 'number' || (family !== 'inet' && family !== 'inet6')) {
      this.send(c, { id, ok: false, error: { message: 'subscribe capture: needs a numeric vif and family inet or inet6', offset: null, errno: 'EINVAL', parse: false } });
      return;
    }
    const s = c.sock;
    const t = { stop: () => {}, dropped: 0 };
    const tellDropped = (): void => {
      if (t.dropped === 0 || s.destroyed || !s.writable) return;
      s.write(`{"event":"dropped-packets","tap":${id},"count":${t.dropped}}\n`);
      t.dropped = 0;
    };
    try {
      t.stop = this.router.tapCapture(vif, family, (dir, buf, off, len, timeMs) => {
        if (s.destroyed || !s.writable) return;
        // a capture was asked for: more room than upcall events get, for a burst
        if (s.writableLength > this.captureHigh) {
          // said once the client caught up, even if no packet follows
          if (t.dropped++ === 0) s.once('drain', tellDropped);
          return;
        }
        tellDropped();
        const hex = Buffer.from(buf.buffer, buf.byteOffset + off, len).toString('hex');
        s.write(`{"event":"packet","tap":${id},"dir":"${dir}","timeMs":${timeMs},"length":${len},"hex":"${hex}"}\n`);
      });
    } catch (e) {
      const err = e as { message?: string; errno?: unknown };
      this.send(c, { id, ok: false, error: { message: `monitor capture: ${err.message}`, offset: null, errno: typeof err.errno === 'string' ? err.errno : null, parse: false } });
      return;
    }
    c.taps.set(id, t);
    this.send(c, { id, ok: true });
  }

  private runLine(c: Client, id: number, line: string, files: Record<string, unknown>): void {
    c.inflight++;
    const ctx = makeCtx(
      this.router,
      (p) => {
        const t = files[p];
        if (typeof t !== 'string') throw new Error('the client did not send this file');
        return t;
      },
      // files a command writes go back to the client, which writes them with its rights
      (p, data) => {
        (written ??= {})[p] = data.toString('base64');
      },
    );
    let written: Record<string, string> | undefined;
    ctx.shared = true;
    const reply = (r: ExecResult | null) => {
      c.inflight--;
      if (r === null) this.send(c, { id, ok: true, output: null });
      else if (r.ok) this.send(c, written ? { id, ok: true, output: r.output, files: written } : { id, ok: true, output: r.output });
      else this.send(c, { id, ok: false, error: wireError(r) });
    };
    const internal = (e: unknown) => {
      c.inflight--;
      this.log(`internal error on '${line}': ${(e as Error)?.stack ?? String(e)}`);
      this.send(c, { id, ok: false, error: { message: `internal error: ${(e as Error)?.message ?? String(e)}`, offset: null, errno: null, parse: false } });
    };
    if (this.queue === null) {
      // the common case: nothing queued, a synchronous command answers in this tick
      let r: ReturnType<typeof execute>;
      try {
        r = execute(line, ctx);
      } catch (e) {
        return internal(e);
      }
      if (!(r instanceof Promise)) return reply(r);
      void this.enqueue(() => r as Promise<ExecResult>).then(reply, internal);
      return;
    }
    void this.enqueue(async () => execute(line, ctx)).then(reply, internal);
  }

  private send(c: Client, msg: Reply): void {
    const s = c.sock;
    if (s.destroyed || !s.writable) return;
    let text: string;
    try {
      text = JSON.stringify(msg) + '\n';
    } catch (e) {
      text = JSON.stringify({ id: msg.id, ok: false, error: { message: `reply not serialisable: ${(e as Error).message}`, offset: null, errno: null, parse: false } }) + '\n';
    }
    if (c.out.push(text) === 1) process.nextTick(() => this.flush(c));
  }

  private flush(c: Client): void {
    const s = c.sock;
    const text = c.out.length === 1 ? c.out[0] : c.out.join('');
    c.out = [];
    if (s.destroyed || !s.writable) return;
    s.write(text);
    // A client that does not read its replies stops being read until it catches up.
    if (s.writableLength > this.replyHigh && !s.isPaused()) s.pause();
  }

  private readonly onUpcall = (ev: UpcallEvent): void => {
    let text: string | null = null;
    for (const c of this.clients) {
      if (!c.subscribed) continue;
      const s = c.sock;
      if (s.destroyed || !s.writable) continue;
      if (s.writableLength > this.eventHigh) {
        c.dropped++;
        this.droppedEvents++;
        continue;
      }
      if (c.dropped) {
        s.write(`{"event":"dropped","count":${c.dropped}}\n`);
        c.dropped = 0;
      }
      text ??= `{"event":"upcall","upcall":${JSON.stringify(ev)}}\n`;
      s.write(text);
    }
  };

  get clientCount(): number {
    return this.clients.size;
  }

  async close(): Promise<void> {
    this.router.off('upcall', this.onUpcall);
    const server = this.server;
    this.server = null;
    for (const c of this.clients) c.sock.destroy();
    this.clients.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
    // only our own socket: a later daemon's, or anything else put there, stays
    try {
      if (lstatSync(this.opts.path).ino === this.boundIno) unlinkSync(this.opts.path);
    } catch {
      // gone already
    }
  }
}
