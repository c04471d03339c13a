// What Tab and `?` complete from in a shell attached to a daemon: the daemon's vifs,
// entries, pending entries and policy rules, as last fetched. Completion is synchronous
// (a key press), the daemon is a round trip away, so a snapshot is kept and refreshed
// after every line the shell runs and when Tab or ? is pressed (that answer uses the
// snapshot before it; the next one sees the refresh). One refresh at a time.
import type { ExecResult } from '../commands/exec.js';
import type { Family, MfcInfo, PendingInfo, PolicyStatus, VifInfo } from '../router/api.js';
import type { StateSource } from './state-words.js';

export class RemoteState implements StateSource {
  private vifs: Record<Family, VifInfo[]> = { inet: [], inet6: [] };
  private mfc: Record<Family, MfcInfo[]> = { inet: [], inet6: [] };
  private pending: Record<Family, PendingInfo[]> = { inet: [], inet6: [] };
  private rules: PolicyStatus | null = null;
  private inflight: Promise<void> | null = null;
  private again = false;

  constructor(private readonly exec: (line: string) => ExecResult | Promise<ExecResult> | null) {}

  listVifs(f: Family): VifInfo[] {
    return this.vifs[f];
  }
  listMfc(f: Family): MfcInfo[] {
    return this.mfc[f];
  }
  listPending(f: Family): PendingInfo[] {
    return this.pending[f];
  }
  policy(): PolicyStatus | null {
    return this.rules;
  }

  /** fetches the daemon's state; a call while one runs makes one more run after it */
  refresh(): Promise<void> {
    if (this.inflight) {
      this.again = true;
      return this.inflight;
    }
    this.inflight = this.fetch().finally(() => {
      this.inflight = null;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.inflight;
  }

  private async fetch(): Promise<void> {
    const run = async (line: string): Promise<ExecResult | null> => {
      try {
        return await this.exec(line);
      } catch {
        return null; // a daemon gone away: keep the last snapshot
      }
    };
    for (const [f, line] of [['inet', 'show mroute'], ['inet6', 'show ipv6 mroute']] as const) {
      const r = await run(line);
      if (r?.ok && r.output.kind === 'mroute') {
        this.vifs[f] = r.output.vifs;
        this.mfc[f] = r.output.entries;
        this.pending[f] = r.output.pending;
      }
    }
    const p = await run('show policy');
    if (p?.ok && p.output.kind === 'policy') this.rules = p.output.policy;
  }
}
