// Static policy above the MFC (smcroute's `mroute from ... to ...`): rules that answer
// NOCACHE upcalls by installing (S,G) entries, and the idle expiry of what they install.
import { DEFAULT_POLICY_EXPIRE_MS, type Family, type FamilyConfigState, type PolicyRule, type RouterApi } from '../router/api.js';
import type { Args } from './args.js';
import { OK, call, familyOf, type CommandDef } from './define.js';

function addrOf(p: string): string {
  const s = p.indexOf('/');
  return s < 0 ? p : p.slice(0, s);
}

function ruleOf(a: Args): PolicyRule {
  const group = a.need<string>('G');
  const source = a.get<string>('S') ?? null;
  const family: Family = familyOf(addrOf(group));
  if (source !== null && familyOf(addrOf(source)) !== family) a.fail('S', `source is ${family === 'inet' ? 'IPv6' : 'IPv4'} but group is ${family === 'inet' ? 'IPv4' : 'IPv6'}`);
  return { family, iif: a.need<number>('I'), source, group, oifs: a.list<{ vif: number; ttl: number }>('O') };
}

function need<K extends keyof RouterApi>(r: RouterApi, k: K, a: Args, at: string): NonNullable<RouterApi[K]> {
  const f = r[k];
  if (typeof f !== 'function') a.fail(at, 'this router has no static policy');
  return (f as (...x: unknown[]) => unknown).bind(r) as NonNullable<RouterApi[K]>;
}

const TOKENS = {
  I: 'the inbound vif (IPv6: mif) the flow must arrive on',
  S: 'source address or prefix (default: any source)',
  G: 'group address or prefix, e.g. 239.1.0.0/16 or ff0e::/16',
  O: 'an outgoing vif with an optional TTL threshold (default 1)',
};

/** one rule as the `policy add` line that makes it */
export function policyLine(r: PolicyRule): string {
  const parts = ['policy add from', String(r.iif)];
  if (r.source !== null) parts.push('source', r.source);
  parts.push('group', r.group, 'to');
  for (const o of r.oifs) parts.push(r.family === 'inet' && o.ttl !== 1 ? `${o.vif}:${o.ttl}` : String(o.vif));
  return parts.join(' ');
}

/** running-config: the family's rules, in match order */
export function policyConfig(s: FamilyConfigState): string[] {
  return s.policy.map(policyLine);
}

/** running-config: the idle expiry, when not the default */
export function policyExpireConfig(ms: number): string[] {
  return ms === DEFAULT_POLICY_EXPIRE_MS ? [] : [`policy expire ${ms / 1000}`];
}

export const policyCommands: CommandDef[] = [
  {
    name: 'policy add',
    syntax: 'policy add from <I:vifRef> [source <S:prefix>] group <G:prefix> to <O:oif>...',
    usage: 'policy add from <vif> [source <S[/LEN]>] group <G[/LEN]> to <vif[:ttl]>...',
    help: 'a static rule: a NOCACHE for a matching (S,G) arriving on the from vif installs the entry with these oifs',
    tokens: TOKENS,
    mutates: true,
    run: ({ router }, a) => {
      const rule = ruleOf(a);
      call('policy add', () => need(router, 'addPolicy', a, 'add')(rule));
      return OK;
    },
  },
  {
    name: 'policy del',
    syntax: 'policy del from <I:vifRef> [source <S:prefix>] group <G:prefix> [to <O:oif>...]',
    usage: 'policy del from <vif> [source <S[/LEN]>] group <G[/LEN]>',
    help: 'delete the rule with this from, source and group (entries it installed stay until they idle out)',
    tokens: TOKENS,
    mutates: true,
    run: ({ router }, a) => {
      const rule = ruleOf(a);
      call('policy del', () => need(router, 'delPolicy', a, 'del')(rule));
      return OK;
    },
  },
  {
    name: 'policy expire',
    syntax: 'policy expire <T:seconds>',
    help: 'delete a policy-installed entry after this many seconds without traffic (0: never; default 300)',
    tokens: { T: 'idle time in seconds' },
    mutates: true,
    run: ({ router }, a) => {
      const ms = Math.round(a.need<number>('T') * 1000);
      call('policy expire', () => need(router, 'setPolicyExpire', a, 'expire')(ms));
      return OK;
    },
  },
  {
    name: 'show policy',
    syntax: 'show policy',
    help: 'the static policy rules in the order they match, with hits and installed entries',
    show: true,
    run: ({ router }, a) => ({ kind: 'policy', policy: need(router, 'policy', a, 'policy')() }),
  },
];
