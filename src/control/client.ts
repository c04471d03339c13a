// The client's end of the control socket: requests matched to replies by id, events
// handed to a listener.
import { lstatSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { loadNative } from '../dataplane/links/native.js';
import { LineSplitter, type Event, type Reply } from './protocol.js';

export class ControlError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

/**
 * Why the process at the other end of a connected control socket must not be trusted, or
 * null: it must run as root or as this user. Anyone who can bind the path first (a shared
 * socket directory) would otherwise receive this user's commands and the files that
 * `configure replace` sends. The kernel's SO_PEERCRED says who bound the socket; without
 * the native addon the socket file's owner stands in (sound in a directory only this user
 * or root can write, which the default path is).
 */
export function peerProblem(sock: Socket, path: string, uid: number = process.getuid?.() ?? -1): string | null {
  if (uid < 0) return null; // no uids on this platform
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  const io = loadNative();
  let peer: number;
  let how: string;
  const cred = io && typeof fd === 'number' && fd >= 0 ? io.peerCred(fd) : null;
  if (cred !== null && typeof cred === 'object') {
    peer = cred.uid;
    how = `the daemon (pid ${cred.pid}) runs as uid ${peer}`;
  } else {
    try {
      peer = lstatSync(path).uid;
    } catch (e) {
      return `cannot tell who owns the socket (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
    how = `the socket is owned by uid ${peer}`;
  }
  if (peer === 0 || peer === uid) return null;
  return `${how}, neither root nor you (uid ${uid}): not trusted, nothing sent`;
}

export class ControlClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: Reply) => void>();
  private onEvent: ((e: Event) => void) | null = null;
  private closedErr: Error | null = null;
  private closeListeners: ((err: Error) => void)[] = [];
  /** requests of this tick, written together */
  private out: string[] = [];

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    const split = new LineSplitter(
      (line) => this.onLine(line),
      () => sock.destroy(new Error('reply line too long')),
    );
    sock.on('data', (c: string) => split.push(c));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new ControlError('the daemon closed the connection', 'ECONNRESET')));
  }

  /**
   * Connects; rejects with a ControlError whose code is the errno (ENOENT, ECONNREFUSED,
   * EACCES), or EPERM when the daemon is not one this user may trust (see peerProblem).
   */
  static connect(path: string, timeoutMs = 2000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      const t = setTimeout(() => {
        s.destroy();
        reject(new ControlError(`${path}: no answer within ${timeoutMs} ms`, 'ETIMEDOUT'));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        const problem = peerProblem(s, path);
        if (problem) {
          s.destroy();
          reject(new ControlError(`${path}: ${problem}`, 'EPERM'));
        } else resolve(new ControlClient(s));
      });
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(t);
        reject(new ControlError(`${path}: ${e.message}`, e.code ?? 'EIO'));
      });
    });
  }

  private onLine(line: string): void {
    let m: Reply | Event;
    try {
      m = JSON.parse(line) as Reply | Event;
    } catch {
      return;
    }
    if ('event' in m) {
      if (m.event === 'packet' || m.event === 'dropped-packets') this.taps.get(m.tap)?.(m);
      else this.onEvent?.(m);
      return;
    }
    if (m.id === null) return; // an error about a line we never sent whole
    const w = this.waiting.get(m.id);
    if (w) {
      this.waiting.delete(m.id);
      w(m);
    }
  }

  private fail(err: Error): void {
    if (this.closedErr) return;
    this.closedErr = err;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w({ id: null, ok: false, error: { message: `control socket: ${err.message}`, offset: null, errno: 'ECONNRESET', parse: false } });
    for (const f of this.closeListeners) f(err);
  }

  onClose(fn: (err: Error) => void): void {
    this.closeListeners.push(fn);
  }

  private send(body: Record<string, unknown>): Promise<Reply> {
    if (this.closedErr) return Promise.resolve({ id: null, ok: false, error: { message: `control socket: ${this.closedErr.message}`, offset: null, errno: 'ECONNRESET', parse: false } });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      if (this.out.push(JSON.stringify({ id, ...body }) + '\n') === 1)
        process.nextTick(() => {
          const text = this.out.join('');
          this.out = [];
          if (!this.sock.destroyed) this.sock.write(text);
        });
    });
  }

  /** Runs one command-table line on the daemon; resolves once it was applied. */
  request(line: string, files?: Record<string, string>): Promise<Reply> {
    return this.send(files ? { line, files } : { line });
  }

  async call<T>(name: 'status' | 'now'): Promise<T> {
    const r = await this.send({ call: name });
    if (!r.ok) throw new ControlError(r.error.message, r.error.errno ?? 'EIO');
    return r.result as T;
  }

  async subscribe(onEvent: (e: Event) => void): Promise<void> {
    this.onEvent = onEvent;
    const r = await this.send({ subscribe: 'upcalls' });
    if (!r.ok) throw new ControlError(r.error.message, r.error.errno ?? 'EIO');
  }

  /** listeners of monitor capture taps, by the id of the request that opened each */
  private readonly taps = new Map<number, (e: Extract<Event, { tap: number }>) => void>();

  /** Opens a capture tap on the daemon (monitor capture); resolves with its id once it runs. */
  async tap(vif: number, family: 'inet' | 'inet6', fn: (e: Extract<Event, { tap: number }>) => void): Promise<number> {
    // listening before the request goes: the first packet may come before the reply
    const id = this.nextId;
    this.taps.set(id, fn);
    const r = await this.send({ subscribe: 'capture', vif, family });
    if (!r.ok) {
      this.taps.delete(id);
      throw new ControlError(r.error.message, r.error.errno ?? 'EIO');
    }
    return id;
  }

  untap(id: number): void {
    this.taps.delete(id);
    void this.send({ unsubscribe: 'capture', tap: id });
  }

  close(): void {
    this.sock.end();
    this.sock.destroy();
  }
}
