// The daemon's end of the control socket. Every client's lines run through the one command
// table against the one router, in arrival order (a global queue: an async command such as
// `vif add dev X` finishes before the next line of any client starts, so each reply means
// "applied"). Nothing a client does can hold up forwarding or other clients: writes never
// block, replies to a client that stops reading pause only that client's requests, and
// events to a slow subscriber are dropped and counted. What one client can make the daemon
// hold is bounded: one request of its own at a time, LINES_HIGH lines read ahead (then its
// socket is not read), replyHighWater bytes of replies it has not taken (then its next
// piece waits), and a large reply is made and written a piece at a time. Requests run in
// turns of SLICE_MS, a step per client per round, so receive batches, timers and other
// clients run in between.
import { chmodSync, existsSync, lchownSync, lstatSync, mkdtempSync, readFileSync, renameSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { execute } from '../commands/exec.js';
import { makeCtx } from '../commands/context.js';
import { CommandError, ParseError } from '../commands/errors.js';
import type { ExecResult } from '../commands/exec.js';
import type { RouterApi, UpcallEvent } from '../router/api.js';
import { jsonChunks } from './json-chunks.js';
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
  /** request lines read but not started: bounded, the socket is paused beyond LINES_HIGH */
  lines: (string | typeof OVERFLOW)[];
  lineBytes: number;
  /** input paused because lines piled up (not because replies did) */
  inputPaused: boolean;
  /** a request of this client is running (async) or its reply is being written */
  busy: boolean;
  /** the reply being written, a piece at a time */
  stream: Generator<string, void, undefined> | null;
  /** how much of the streamed reply went out (an error before the first piece can still be answered) */
  streamed: number;
  /** text to write, gathered so many small replies leave in one write */
  out: string[];
  outBytes: number;
  flushQueued: boolean;
  /** events that arrived while a reply was half written */
  held: string[];
  heldBytes: number;
  /** the client ended its side: close once everything it sent is answered */
  ended: boolean;
  /** monitor capture taps by request id: the call that ends each, packets not sent */
  taps: Map<number, { stop: () => void; dropped: number }>;
}

/** marks the place of an over-long line among the queued ones */
const OVERFLOW = Symbol('overflow');
/** request lines queued per client before its socket is paused (and resumed below half) */
const LINES_HIGH = 256;
const LINE_BYTES_HIGH = 1 << 20;
/** work done in one turn of the loop before receive batches and timers get theirs */
const SLICE_MS = 4;
/** pieces of a streamed reply, and gathered replies, go out at about this size */
const PIECE = 64 << 10;

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
    const server = createServer({ allowHalfOpen: true }, (sock) => this.accept(sock));
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
    const c: Client = { sock, subscribed: false, dropped: 0, lines: [], lineBytes: 0, inputPaused: false, busy: false, stream: null, streamed: 0, out: [], outBytes: 0, flushQueued: false, held: [], heldBytes: 0, ended: false, taps: new Map() };
    this.clients.add(c);
    sock.setEncoding('utf8');
    const split = new LineSplitter(
      (line) => {
        c.lines.push(line);
        c.lineBytes += line.length;
      },
      // answered in its turn, after the lines before it; nothing after it is read
      () => c.lines.push(OVERFLOW),
      this.opts.maxLine,
    );
    sock.on('data', (chunk: string) => {
      split.push(chunk);
      // A client that pipelines faster than its requests run is not read further until
      // they catch up: what it can make the daemon hold is LINES_HIGH lines (or a chunk).
      if ((c.lines.length > LINES_HIGH || c.lineBytes > LINE_BYTES_HIGH) && !c.inputPaused) {
        c.inputPaused = true;
        sock.pause();
      }
      this.schedule();
    });
    sock.on('drain', () => this.schedule());
    sock.on('end', () => {
      c.ended = true;
      this.schedule();
    });
    // a client that vanishes mid-request: its reply is dropped when it comes, nothing else
    sock.on('error', () => {});
    sock.on('close', () => {
      this.clients.delete(c);
      c.lines = [];
      c.stream = null;
      c.out = [];
      c.held = [];
      for (const t of c.taps.values()) t.stop();
      c.taps.clear();
    });
  }

  // ================================================================ the turn

  private pumpScheduled = false;
  /** which client starts the next turn: each gets a step per round, none starves */
  private rr = 0;

  private schedule(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(this.pump);
  }

  /**
   * One turn: a step for each client in rounds (one request run, or one piece of a reply
   * written) until SLICE_MS is spent, then back to the loop, so receive batches, timers
   * and other connections run between the pieces of a long flood.
   */
  private readonly pump = (): void => {
    this.pumpScheduled = false;
    const list = [...this.clients];
    if (list.length === 0) return;
    const end = performance.now() + SLICE_MS;
    let more = false;
    let worked = true;
    while (worked) {
      worked = false;
      const n = list.length;
      const start = this.rr++ % n;
      for (let i = 0; i < n; i++) {
        if (this.step(list[(start + i) % n]!)) worked = true;
        if (performance.now() >= end) {
          more = true;
          worked = false;
          break;
        }
      }
    }
    for (const c of list) this.flush(c);
    if (more) this.schedule();
  };

  /** blocked on its socket: replies it has not read, in the kernel or queued here */
  private backlog(c: Client): number {
    return c.sock.writableLength + c.outBytes;
  }

  /** Does one thing for c, if it can; false when it has nothing to do or must wait. */
  private step(c: Client): boolean {
    const s = c.sock;
    if (s.destroyed) return false;
    if (c.stream) return this.writePiece(c);
    if (c.busy) return false;
    if (c.lines.length === 0) {
      if (c.ended && !s.writableEnded) {
        this.flush(c);
        s.end();
      }
      return false;
    }
    // A client that does not read its replies gets no more of them until it catches up.
    if (this.backlog(c) > this.replyHigh) return false;
    const line = c.lines.shift()!;
    if (line === OVERFLOW) {
      c.lines = [];
      this.send(c, { id: null, ok: false, error: { message: `request line too long (over ${this.opts.maxLine ?? MAX_LINE} bytes)`, offset: null, errno: 'EMSGSIZE', parse: false } });
      this.flush(c);
      s.end();
      return true;
    }
    c.lineBytes -= line.length;
    if (c.inputPaused && c.lines.length <= LINES_HIGH / 2 && c.lineBytes <= LINE_BYTES_HIGH / 2) {
      c.inputPaused = false;
      s.resume();
    }
    this.onLine(c, line);
    return true;
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
      if (t?.dropped) this.event(c, `{"event":"dropped-packets","tap":${req.tap as number},"count":${t.dropped}}\n`);
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
      this.event(c, `{"event":"dropped-packets","tap":${id},"count":${t.dropped}}\n`);
      t.dropped = 0;
    };
    try {
      t.stop = this.router.tapCapture(vif, family, (dir, buf, off, len, timeMs) => {
        if (s.destroyed || !s.writable) return;
        // a capture was asked for: more room than upcall events get, for a burst
        if (this.backlog(c) + c.heldBytes > this.captureHigh) {
          // said once the client caught up, even if no packet follows
          if (t.dropped++ === 0) s.once('drain', tellDropped);
          return;
        }
        tellDropped();
        const hex = Buffer.from(buf.buffer, buf.byteOffset + off, len).toString('hex');
        this.event(c, `{"event":"packet","tap":${id},"dir":"${dir}","timeMs":${timeMs},"length":${len},"hex":"${hex}"}\n`);
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
    let written: Record<string, string> | undefined;
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
    ctx.shared = true;
    const reply = (r: ExecResult | null) => {
      c.busy = false;
      if (r === null) this.send(c, { id, ok: true, output: null });
      else if (r.ok) this.send(c, written ? { id, ok: true, output: r.output, files: written } : { id, ok: true, output: r.output });
      else this.send(c, { id, ok: false, error: wireError(r) });
    };
    const internal = (e: unknown) => {
      c.busy = false;
      this.log(`internal error on '${line}': ${(e as Error)?.stack ?? String(e)}`);
      this.send(c, { id, ok: false, error: { message: `internal error: ${(e as Error)?.message ?? String(e)}`, offset: null, errno: null, parse: false } });
    };
    // one request of a client at a time: its next line waits for this reply
    c.busy = true;
    if (this.queue === null) {
      // the common case: nothing queued, a synchronous command answers in this turn
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

  /** Starts writing a reply: a piece now, the rest in later steps (see writePiece). */
  private send(c: Client, msg: Reply): void {
    const s = c.sock;
    if (s.destroyed || !s.writable) return;
    c.busy = true;
    c.stream = jsonChunks(msg, PIECE);
    c.streamed = 0;
    this.stash = msg;
    this.writePiece(c);
    this.stash = null;
    this.schedule();
  }

  /** the reply send() is starting, for the error reply if its first piece cannot be made */
  private stash: Reply | null = null;

  /** One piece of c's reply (none while c's backlog is over the high water); true if written. */
  private writePiece(c: Client): boolean {
    const st = c.stream!;
    if (this.backlog(c) > this.replyHigh) return false;
    let r: IteratorResult<string, void>;
    try {
      r = st.next();
    } catch (e) {
      c.stream = null;
      c.busy = false;
      if (c.streamed === 0) {
        const id = this.stash?.id ?? null;
        this.send(c, { id, ok: false, error: { message: `reply not serialisable: ${(e as Error).message}`, offset: null, errno: null, parse: false } });
      } else {
        // half a line is out: the stream is beyond repair, say so and close
        this.log(`reply to a client could not be serialised after ${c.streamed} bytes: ${(e as Error).message}; closing it`);
        c.sock.destroy();
      }
      return true;
    }
    if (r.done) {
      c.stream = null;
      c.busy = false;
      this.queueOut(c, '\n');
      for (const h of c.held) this.queueOut(c, h);
      c.held = [];
      c.heldBytes = 0;
      return true;
    }
    c.streamed += r.value.length;
    this.queueOut(c, r.value);
    return true;
  }

  private queueOut(c: Client, text: string): void {
    c.out.push(text);
    c.outBytes += text.length;
    if (c.outBytes >= PIECE) this.flush(c);
    else if (!c.flushQueued) {
      // replies made outside a turn (an async command's) leave on the next tick
      c.flushQueued = true;
      process.nextTick(() => this.flush(c));
    }
  }

  private flush(c: Client): void {
    c.flushQueued = false;
    if (c.out.length === 0) return;
    const text = c.out.length === 1 ? c.out[0]! : c.out.join('');
    c.out = [];
    c.outBytes = 0;
    const s = c.sock;
    if (s.destroyed || !s.writable) return;
    s.write(text);
  }

  private readonly onUpcall = (ev: UpcallEvent): void => {
    let text: string | null = null;
    for (const c of this.clients) {
      if (!c.subscribed) continue;
      const s = c.sock;
      if (s.destroyed || !s.writable) continue;
      if (this.backlog(c) + c.heldBytes > this.eventHigh) {
        c.dropped++;
        this.droppedEvents++;
        continue;
      }
      text ??= `{"event":"upcall","upcall":${JSON.stringify(ev)}}\n`;
      const t = c.dropped ? `{"event":"dropped","count":${c.dropped}}\n${text}` : text;
      c.dropped = 0;
      this.event(c, t);
    }
  };

  /** an event line: after the reply being written, if one is half out */
  private event(c: Client, t: string): void {
    if (c.stream) {
      c.held.push(t);
      c.heldBytes += t.length;
    } else this.queueOut(c, t);
  }

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
