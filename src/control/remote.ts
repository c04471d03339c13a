// A shell or one-shot attached to a daemon. Lines are parsed here (so usage errors and
// `| json` need no round trip), run on the daemon, and come back as the command layer's
// Output data, which this side formats: the same text, colours and JSON as embedded.
// The live view feeds the shell's panes and `monitor upcalls` from the event stream.
import { readFileSync } from 'node:fs';
import { CommandError, ParseError } from '../commands/errors.js';
import { parseLine, type ExecResult } from '../commands/exec.js';
import type { CaptureListener, Family, RouterEvents, RouterStatus, UpcallEvent } from '../router/api.js';
import type { CaptureSource } from '../commands/capture-stream.js';
import { fileErrorText, localFileWriter } from '../commands/out-file.js';
import type { ControlClient } from './client.js';

/** what the shell's panes and `monitor` need from a router */
export interface LiveView extends CaptureSource {
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
  /** capture packets the daemon dropped because this client was slow */
  droppedPackets = 0;
  /** where a file named `-` goes (a one-shot's stdout); null: refused */
  stdout: ((data: Buffer) => void) | null = null;

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
        // files the command wrote on the daemon's side are written here, as this user
        if (r.files) {
          const write = localFileWriter(this.stdout);
          for (const [path, b64] of Object.entries(r.files)) {
            try {
              write(path, Buffer.from(b64, 'base64'));
            } catch (e) {
              const code = (e as NodeJS.ErrnoException)?.code;
              const at = p.command.writes ? p.args.at(p.command.writes) : null;
              return { ok: false, error: new CommandError(`${p.command.name}: ${fileErrorText(path, e)}`, at, typeof code === 'string' && code !== 'EINVAL' ? code : null), parsed: p };
            }
          }
        }
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

  async tapCapture(vif: number, family: Family, fn: CaptureListener): Promise<() => void> {
    const id = await this.client.tap(vif, family, (e) => {
      if (e.event === 'dropped-packets') this.droppedPackets += e.count;
      else {
        const b = Buffer.from(e.hex, 'hex');
        fn(e.dir, b, 0, b.length, e.timeMs);
      }
    });
    return () => this.client.untap(id);
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
