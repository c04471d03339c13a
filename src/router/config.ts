// The router's persistent configuration: the startup file `write memory` saves to, and
// the baseline (what of the running state came from a file). The lines themselves are
// written by the command layer from the router's state (commands/running-config.ts).

import { FILE_ERRNOS, MrtError, fail, type Errno } from '../dataplane/errno.js';
import { writeFileAtomic } from './atomic-file.js';
import { sgKey } from '../dataplane/addr.js';
import type { BwMeterStore } from './bw-meters.js';
import type { RouterCore } from './core.js';
import type { MfcStore } from './mfc.js';
import type { PolicyAgent } from './policy-agent.js';
import type { VifTable } from './vifs.js';
import type { ConfigSource, ConfigState, Family, FamilyConfigState, MfcSpec } from './api.js';

export class StartupConfig {
  private baseline: string[] = [];

  constructor(private readonly file: string | null) {}

  source(): ConfigSource {
    return { startupFile: this.file, baseline: [...this.baseline] };
  }

  setBaseline(lines: string[]): void {
    this.baseline = [...lines];
  }

  /** saves the lines atomically; they become the baseline */
  write(lines: string[]): { path: string; bytes: number } {
    if (this.file === null) fail('ENOENT', 'this router has no startup file (mrsh daemon -f FILE names one)');
    let bytes: number;
    try {
      bytes = writeFileAtomic(this.file, lines.join('\n') + '\n');
    } catch (e) {
      // the real errno by name (ENOSPC, EROFS, EACCES, EPERM...), EIO only for the unknown
      const err = e as NodeJS.ErrnoException;
      const errno = err.code && (FILE_ERRNOS as readonly string[]).includes(err.code) ? (err.code as Errno) : 'EIO';
      const text = err.code && err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message;
      throw new MrtError(errno, text.includes(this.file) ? text : `${this.file}: ${text}`);
    }
    this.baseline = lines;
    return { path: this.file, bytes };
  }
}

/** the state the configuration is written from, as specs (commands/running-config.ts writes it) */
export function configState(core: RouterCore, vifs: VifTable, store: MfcStore, policy: PolicyAgent, bw: BwMeterStore): ConfigState {
  const families: FamilyConfigState[] = [];
  for (const family of ['inet', 'inet6'] as Family[]) {
    const f = core.fam(family);
    const e = f.engine;
    if (e.mrouter === null) continue;
    const mfc: MfcSpec[] = [];
    for (const id of e.entryIds('resolved')) {
      const k = sgKey(e.originOf(id), e.groupOf(id), family);
      const s = store.specs[family].get(k);
      if (s && !store.byPolicy[family].has(k)) mfc.push(s); // the policy re-creates its own
    }
    families.push({
      family,
      owner: core.external[family],
      apiConfig: f.apiConfig,
      pim: f.pim,
      pendingLimit: e.pendingLimit,
      vifs: [...vifs.specs[family]].sort((a, b) => a[0] - b[0]).map(([, s]) => s),
      registerVia: family === 'inet' && core.registerVia >= 0 ? core.registerVia : null,
      mfc,
      policy: policy.table.list(() => 0).filter((r) => r.family === family),
    });
  }
  return { families, policyExpireMs: policy.expire, bwUpcalls: bw.list(), workers: core.workers.count };
}
