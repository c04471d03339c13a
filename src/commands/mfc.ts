// mfc add / mfc del: MRT_ADD_MFC with a struct mfcctl2 (IPv6: MRT6_ADD_MFC, mf6cctl).
import type { FamilyConfigState, MfcSpec } from '../router/api.js';
import { OK, call, familyOf, sgFamily, type CommandDef } from './define.js';
import { CommandError } from './errors.js';

/** one entry as the `mfc add` line that makes it */
export function mfcLine(s: MfcSpec): string {
  const parts = ['mfc add', s.source, s.group, 'iif', String(s.parent)];
  for (const o of s.oifs) parts.push('oif', s.family === 'inet' && o.ttl !== 1 ? `${o.vif}:${o.ttl}` : String(o.vif));
  for (const f of s.flags ?? []) {
    if (f.disableWrongvif) parts.push('flags', `${f.vif}:disable-wrongvif`);
    if (f.border) parts.push('flags', `${f.vif}:border`);
  }
  if (s.rp) parts.push('rp', s.rp);
  return parts.join(' ');
}

/** running-config: the entries the user added */
export function mfcConfig(s: FamilyConfigState): string[] {
  return s.mfc.map(mfcLine);
}

export const mfcCommands: CommandDef[] = [
  {
    name: 'mfc add',
    syntax: 'mfc add <S:addr> <G:addr> iif <N:vifRef> [oif <OIF:oif> | flags <FLAG:vifFlag> | rp <RP:addr>]...',
    help: 'install or replace the (S,G) entry: incoming vif, outgoing vifs with TTL thresholds, per-vif flags, RP',
    tokens: {
      N: 'the incoming vif (mfcc_parent)',
      OIF: 'outgoing vif N, forwarding packets whose TTL exceeds TTL (default 1; 0: not an oif)',
      FLAG: 'N:disable-wrongvif (no WRONGVIF upcall from vif N) or N:border (Border bit in Registers)',
      RP: 'RP address (needs mrt api config rp)',
    },
    mutates: true,
    run: ({ router }, a) => {
      const family = sgFamily(a);
      const spec: MfcSpec = {
        family,
        source: a.need<string>('S'),
        group: a.need<string>('G'),
        parent: a.need<number>('N'),
        oifs: [],
      };
      const seen = new Set<number>();
      for (const o of a.list<{ vif: number; ttl: number }>('OIF')) {
        if (seen.has(o.vif)) throw new CommandError(`oif ${o.vif} given twice`, a.at('OIF'));
        seen.add(o.vif);
        spec.oifs.push(o);
      }
      const flags = new Map<number, { vif: number; disableWrongvif?: boolean; border?: boolean }>();
      for (const f of a.list<{ vif: number; flag: string }>('FLAG')) {
        const e = flags.get(f.vif) ?? { vif: f.vif };
        if (f.flag === 'border') e.border = true;
        else e.disableWrongvif = true;
        flags.set(f.vif, e);
      }
      if (flags.size) spec.flags = [...flags.values()];
      const rps = a.list<string>('RP');
      if (rps.length > 1) a.fail('RP', 'rp given twice');
      if (rps.length) {
        if (familyOf(rps[0]) !== family) a.fail('RP', 'rp address family differs from the group');
        spec.rp = rps[0];
      }
      const warnings = call('mfc add', () => router.addMfc(spec));
      return warnings && warnings.length ? { kind: 'ok', message: warnings.map((w) => `% Warning: ${w}`).join('\n') } : OK;
    },
  },
  {
    name: 'mfc del',
    syntax: 'mfc del <S:addr> <G:addr>',
    help: 'delete the (S,G) entry and its bandwidth filters',
    mutates: true,
    run: ({ router }, a) => {
      const family = sgFamily(a);
      call('mfc del', () => router.delMfc(family, a.need<string>('S'), a.need<string>('G')));
      return OK;
    },
  },
];
