// show policy and the configure replace report.
import type { Output } from '../commands/output.js';
import type { PolicyStatus } from '../router/api.js';
import type { Painter } from './style.js';
import { table } from './table.js';

export function policyText(s: PolicyStatus, p: Painter): string {
  const head = `Static policy: ${s.rules.length} rule${s.rules.length === 1 ? '' : 's'}, first match wins; installed entries expire after ${s.expireMs ? `${s.expireMs / 1000} s idle` : 'never'} (${s.expired} expired, ${s.unmatched} NOCACHE unmatched)`;
  if (s.rules.length === 0) return head;
  const rows = s.rules.map((r) => [
    r.index,
    r.iif,
    r.source ?? 'any',
    r.group,
    r.oifs.map((o) => (o.ttl !== 1 ? `${o.vif}:${o.ttl}` : String(o.vif))).join(' '),
    r.hits,
    r.installed,
  ]);
  return `${head}\n${table(['#', 'From', 'Source', 'Group', 'To', 'Hits', 'Installed'], rows, p)}`;
}

export function configDiffText(d: Extract<Output, { kind: 'config-diff' }>, p: Painter): string {
  const out: string[] = [];
  out.push(`${d.dryRun ? 'Would apply' : 'Applied'} ${d.file}: ${d.remove.length} removal${d.remove.length === 1 ? '' : 's'}, ${d.add.length} addition${d.add.length === 1 ? '' : 's'} or change${d.add.length === 1 ? '' : 's'}, ${d.unchanged} unchanged`);
  for (const l of d.remove) out.push(p.red(`- ${l}`));
  for (const l of d.add) out.push(p.green(`+ ${l}`));
  if (d.runtime.length) {
    out.push(`Runtime state not in ${d.file} (${d.runtimeAction === 'drop' ? 'dropped: drop-runtime' : 'kept: keep-runtime; drop-runtime removes it'}):`);
    for (const l of d.runtime) out.push(`  ${d.runtimeAction === 'drop' ? '-' : '='} ${l}`);
  }
  return out.join('\n');
}
