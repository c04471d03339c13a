// Vif names in a parsed line, turned into the numbers the handlers take, against the
// router the line runs on (a daemon resolves them itself: its state, not the client's).
import { isIPv6 } from 'node:net';
import type { Family, RouterApi } from '../router/api.js';
import type { Args } from './args.js';
import { CommandError } from './errors.js';
import { VifName } from './types.js';

/** the family the line is about, as the handlers decide it: ipv6, or an IPv6 address */
function lineFamily(a: Args): Family {
  if (a.has('ipv6')) return 'inet6';
  for (const v of Object.values(a.values)) {
    for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string' && x.includes(':') && isIPv6(x.split('/')[0])) return 'inet6';
  }
  return 'inet';
}

/** replaces each VifName in `a` (bare, or the vif of an oif / flag) with its index */
export function resolveVifNames(a: Args, router: RouterApi, command: string): void {
  let table: Map<string, number> | null = null;
  const index = (n: VifName, key: string): number => {
    if (!table) {
      table = new Map();
      for (const v of router.listVifs(lineFamily(a))) {
        const name = v.link?.name ?? (v.register ? 'register' : null);
        if (name !== null && !table.has(name)) table.set(name, v.index);
      }
    }
    const i = table.get(n.name);
    if (i === undefined) throw new CommandError(`${command}: no vif named ${n.name}`, a.at(key));
    return i;
  };
  const fix = (x: unknown, key: string): unknown => {
    if (x instanceof VifName) return index(x, key);
    if (x && typeof x === 'object' && (x as { vif?: unknown }).vif instanceof VifName) return { ...x, vif: index((x as { vif: VifName }).vif, key) };
    return x;
  };
  for (const [key, v] of Object.entries(a.values)) a.values[key] = Array.isArray(v) ? v.map((x) => fix(x, key)) : fix(v, key);
}
