// Words Tab and `?` can offer from the router's current state where the grammar expects a
// parameter: vif numbers and names, the sources and groups of MFC entries and pending
// ones, and the groups of policy rules.
import type { RouterApi } from '../router/api.js';

/** the part of the router completion reads: the embedded router, or a daemon's snapshot */
export type StateSource = Pick<RouterApi, 'listVifs' | 'listMfc' | 'listPending'> & { policy?(): { rules: { group: string }[] } | null };

export type StateWords = (paramDisplay: string) => { word: string; help: string }[];

const VIF_PARAMS = new Set(['<vif|name>', '<vif[:ttl]>', '<vif:disable-wrongvif|border>', '<vif>']);
const ADDR_PARAMS = new Set(['<A.B.C.D|X:X::X:X>']);
const PREFIX_PARAMS = new Set(['<A.B.C.D[/LEN]|X:X::X:X[/LEN]>']);

export function stateWords(router: StateSource): StateWords {
  return (display) => {
    const out: { word: string; help: string }[] = [];
    if (VIF_PARAMS.has(display)) {
      for (const fam of ['inet', 'inet6'] as const)
        for (const v of router.listVifs(fam)) {
          const name = v.link?.name ?? null;
          const what = `${fam === 'inet' ? 'vif' : 'mif'} ${v.index}${name ? ` (${name})` : ''}`;
          out.push({ word: String(v.index), help: what });
          if (name && display !== '<vif>') out.push({ word: name, help: what });
        }
    } else if (ADDR_PARAMS.has(display) || PREFIX_PARAMS.has(display)) {
      const seen = new Set<string>();
      const add = (a: string, help: string) => {
        if (!seen.has(a)) out.push({ word: a, help }), seen.add(a);
      };
      for (const fam of ['inet', 'inet6'] as const) {
        for (const e of router.listMfc(fam)) {
          add(e.source, 'a source in the MFC');
          add(e.group, 'a group in the MFC');
        }
        for (const e of router.listPending(fam)) {
          add(e.source, 'a source waiting for an entry');
          add(e.group, 'a group waiting for an entry');
        }
      }
      if (PREFIX_PARAMS.has(display)) for (const r of router.policy?.()?.rules ?? []) add(r.group, 'a group of a policy rule');
    }
    return out;
  };
}
