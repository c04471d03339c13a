// The attached shell's hold on the daemon: the session while the daemon answers, and when
// it goes away, a status that says so at once and a reconnect when the socket answers
// again. The panes start with the daemon's recent upcalls rather than from zero.
import type { ExecResult } from '../commands/exec.js';
import { CommandError } from '../commands/errors.js';
import { ControlClient } from '../control/client.js';
import { RemoteSession, type LiveView } from '../control/remote.js';
import type { CaptureListener, Family, RouterEvents, RouterStatus, UpcallEvent } from '../router/api.js';

export type LinkState = 'attached' | 'lost';

const RECENT = 16;

export class DaemonLink implements LiveView {
  private session: RemoteSession;
  private readonly upcallFns = new Set<(ev: UpcallEvent) => void>();
  private readonly stateFns = new Set<(s: LinkState) => void>();
  private readonly forward = (ev: UpcallEvent) => {
    for (const f of this.upcallFns) f(ev);
  };
  private recent: UpcallEvent[] = [];
  private retry: NodeJS.Timeout | null = null;
  private closed = false;
  state: LinkState = 'attached';

  constructor(
    session: RemoteSession,
    readonly socket: string,
    private readonly retryMs = 250,
  ) {
    this.session = session;
    this.watch(session);
  }

  /** the session, with the upcalls the daemon kept, so the pane starts where the daemon is */
  static async open(session: RemoteSession, socket: string, retryMs?: number): Promise<DaemonLink> {
    const link = new DaemonLink(session, socket, retryMs);
    link.recent = await recentUpcalls(session);
    return link;
  }

  private watch(s: RemoteSession): void {
    // subscribed here rather than through s.on, so a daemon that goes away mid-subscribe
    // is a lost link (onClose below), not an unhandled rejection
    s.client
      .subscribe((m) => {
        if (m.event === 'upcall') this.forward(m.upcall);
      })
      .catch(() => {});
    s.client.onClose(() => {
      if (this.closed || s !== this.session) return;
      this.setState('lost');
      this.reconnect();
    });
  }

  private setState(s: LinkState): void {
    this.state = s;
    for (const f of this.stateFns) f(s);
  }

  private reconnect(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(async () => {
      this.retry = null;
      try {
        const s = await RemoteSession.open(await ControlClient.connect(this.socket, 1000));
        if (this.closed) return s.close();
        this.session = s;
        this.watch(s);
        this.setState('attached');
      } catch {
        this.reconnect();
      }
    }, this.retryMs);
    this.retry.unref?.();
  }

  onState(fn: (s: LinkState) => void): () => void {
    this.stateFns.add(fn);
    return () => this.stateFns.delete(fn);
  }

  exec(line: string): ExecResult | Promise<ExecResult> | null {
    if (this.state === 'lost') {
      return { ok: false, error: new CommandError(`the daemon at ${this.socket} went away; reconnecting (nothing was run)`), parsed: null };
    }
    return this.session.exec(line);
  }

  on<E extends keyof RouterEvents>(_event: E, fn: RouterEvents[E]): void {
    this.upcallFns.add(fn);
    for (const ev of this.recent) fn(ev);
  }

  off<E extends keyof RouterEvents>(_event: E, fn: RouterEvents[E]): void {
    this.upcallFns.delete(fn);
  }

  status(): RouterStatus {
    return this.session.status();
  }

  tapCapture(vif: number, family: Family, fn: CaptureListener): Promise<() => void> {
    return this.session.tapCapture(vif, family, fn);
  }

  get droppedPackets(): number {
    return this.session.droppedPackets;
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.session.close();
  }
}

async function recentUpcalls(s: RemoteSession): Promise<UpcallEvent[]> {
  try {
    const r = await s.exec(`show upcalls last ${RECENT}`);
    return r && r.ok && r.output.kind === 'upcalls' ? r.output.upcalls : [];
  } catch {
    return [];
  }
}
