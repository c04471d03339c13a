// A shell or one-shot attached to a daemon. Lines are parsed here (so usage errors and
// `| json` need no round trip), run on the daemon, and come back as the command layer's
// Output data, which this side formats: the same text, colours and JSON as embedded.
// The live view feeds the shell's panes and `monitor upcalls` from the event stream.
import { readFileSync } from 'node:fs';
import { CommandError, ParseError } from '../commands/errors.js';
import { parseLine, type ExecResult } from '../commands/exec.js';
import type { RouterEvents, RouterStatus, UpcallEvent } from '../router/api.js';
import type { ControlClient } from './client.js';

/** what the shell's panes and `monitor` need from a router */
export interface LiveView {
  on<E extends keyof RouterEvents>(event: E, fn: RouterEvents[E]): void;
  off<E extends keyof RouterEvents>(event: E, fn: RouterEvents[E]): void;
  status(): RouterStatus;
  now?(): number;
}

export class RemoteSession implements LiveView {
  private readonly listeners = new Set<(ev: UpcallEvent) => void>();
  private subscribed: Promise<void> | null = null;
  private lastStatus: RouterStatus;
  private statusTimer: NodeJS.Timeout | null = null;
  /** events the daemon dropped because this client was slow */
  dropped = 0;

  private constructor(
    readonly client: ControlClient,
    status: RouterStatus,
  ) {
    this.lastStatus = status;
  }

  static async open(client: ControlClient): Promise<RemoteSession> {
    return new RemoteSession(client, await client.call<RouterStatus>('status'));
  }

  exec(line: string): ExecResult | Promise<ExecResult> | null {
    let parsed;
    try {
      parsed = parseLine(line);
    } catch (e) {
      if (e instanceof ParseError) return { ok: false, error: e, parsed: null };
      throw e;
    }
    if (!parsed) return null;
    let files: Record<string, string> | undefined;
    const reads = parsed.command.reads;
    if (reads) {
      const path = parsed.args.get<string>(reads);
      if (path !== undefined) {
        try {
          files = { [path]: readFileSync(path, 'utf8') };
        } catch (e) {
          return { ok: false, error: new CommandError(`${parsed.command.name}: ${path}: ${(e as Error).message}`, parsed.args.at(reads)), parsed };
        }
      }
    }
    const p = parsed;
    return this.client.request(line, files).then((r): ExecResult => {
      if (r.ok) {
        if (r.output) return { ok: true, output: r.output, parsed: p };
        return { ok: true, output: { kind: 'ok' }, parsed: p };
      }
      const e = r.error;
      return { ok: false, error: e.parse ? new ParseError(e.message, e.offset ?? 0) : new CommandError(e.message, e.offset, e.errno), parsed: p };
    });
  }

  on<E extends keyof RouterEvents>(_event: E, fn: RouterEvents[E]): void {
    this.listeners.add(fn);
    this.subscribed ??= this.client.subscribe((m) => {
      if (m.event === 'upcall') for (const f of this.listeners) f(m.upcall);
      else if (m.event === 'dropped') this.dropped += m.count;
    });
  }

  off<E extends keyof RouterEvents>(_event: E, fn: RouterEvents[E]): void {
    this.listeners.delete(fn);
  }

  /** The last status the daemon sent; each call asks for the next (the status line polls once a second). */
  status(): RouterStatus {
    if (this.statusTimer === null) {
      this.statusTimer = setTimeout(() => {
        this.client.call<RouterStatus>('status').then(
          (s) => {
            this.lastStatus = s;
            this.statusTimer = null;
          },
          () => {},
        );
      }, 0);
      this.statusTimer.unref();
    }
    return this.lastStatus;
  }

  close(): void {
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.client.close();
  }
}
