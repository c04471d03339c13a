// The client's end of the control socket: requests matched to replies by id, events
// handed to a listener.
import { createConnection, type Socket } from 'node:net';
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

  /** Connects; rejects with a ControlError whose code is the errno (ENOENT, ECONNREFUSED, EACCES). */
  static connect(path: string, timeoutMs = 2000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      const t = setTimeout(() => {
        s.destroy();
        reject(new ControlError(`${path}: no answer within ${timeoutMs} ms`, 'ETIMEDOUT'));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        resolve(new ControlClient(s));
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
      this.onEvent?.(m);
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

  close(): void {
    this.sock.end();
    this.sock.destroy();
  }
}
