// Static policy above the MFC: smcroute-style `mroute from IIF [source S/LEN] group G/LEN
// to OIF...` rules. The table only matches; the router installs and expires entries.
// First match wins, in the order rules were added (like an ACL), so overlapping rules
// never depend on prefix lengths the operator has to work out.
import { fail } from '../dataplane/errno.js';
import { isIPv4, isIPv6, parseIPv4, parseIPv6, formatIPv4, formatIPv6 } from '../dataplane/addr.js';
import type { Family, PolicyInfo, PolicyRule } from './api.js';

interface Prefix {
  bytes: Uint8Array;
  len: number;
}

interface Rule {
  rule: PolicyRule;
  source: Prefix | null;
  group: Prefix;
  hits: number;
}

function toBytes(family: Family, a: string): Uint8Array {
  if (family === 'inet6') return parseIPv6(a);
  const n = parseIPv4(a);
  return Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

/** "A" or "A/LEN" -> canonical "A/LEN" with host bits cleared */
export function parsePrefix(family: Family, text: string, what: string): { text: string; prefix: Prefix } {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const max = family === 'inet' ? 32 : 128;
  if (family === 'inet' ? !isIPv4(addr) : !isIPv6(addr)) fail('EINVAL', `${what} '${addr}' is not an ${family === 'inet' ? 'IPv4' : 'IPv6'} address`);
  const len = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > max || (slash >= 0 && !/^\d+$/.test(text.slice(slash + 1)))) fail('EINVAL', `${what} prefix length in '${text}' out of range (0-${max})`);
  const bytes = toBytes(family, addr);
  for (let bit = len; bit < max; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  const canon = family === 'inet' ? formatIPv4(((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0) : formatIPv6(bytes);
  return { text: `${canon}/${len}`, prefix: { bytes, len } };
}

function inPrefix(p: Prefix, a: Uint8Array): boolean {
  const full = p.len >> 3;
  for (let i = 0; i < full; i++) if (a[i] !== p.bytes[i]) return false;
  const rest = p.len & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[full] & mask) === p.bytes[full];
}

function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  return a.family === b.family && a.iif === b.iif && a.source === b.source && a.group === b.group;
}

export class PolicyTable {
  private rules: Rule[] = [];

  /** Validates and canonicalises; a rule with the same from/source/group replaces its oifs in place. */
  add(r: PolicyRule, maxVifs: number): PolicyRule {
    const family = r.family;
    const checkVif = (v: number, what: string) => {
      if (!Number.isInteger(v) || v < 0 || v >= maxVifs) fail('EINVAL', `${what} ${v} out of range (0-${maxVifs - 1})`);
    };
    checkVif(r.iif, 'from');
    if (r.oifs.length === 0) fail('EINVAL', 'a rule needs at least one outgoing vif (to N...)');
    for (const o of r.oifs) {
      checkVif(o.vif, 'to');
      if (!Number.isInteger(o.ttl) || o.ttl < 1 || o.ttl > 255) fail('EINVAL', `to ${o.vif}: TTL threshold ${o.ttl} out of range (1-255)`);
      if (o.vif === r.iif) fail('EINVAL', `to ${o.vif}: the outgoing vif is the rule's from vif`);
    }
    const g = parsePrefix(family, r.group, 'group');
    const first = g.prefix.bytes[0];
    if (family === 'inet' ? (first & 0xf0) !== 0xe0 || g.prefix.len < 4 : first !== 0xff || g.prefix.len < 8)
      fail('EINVAL', `group ${r.group} is not within ${family === 'inet' ? '224.0.0.0/4' : 'ff00::/8'}`);
    const s = r.source === null ? null : parsePrefix(family, r.source, 'source');
    const rule: PolicyRule = { family, iif: r.iif, source: s ? s.text : null, group: g.text, oifs: r.oifs.map((o) => ({ vif: o.vif, ttl: o.ttl })) };
    const old = this.rules.find((x) => sameRule(x.rule, rule));
    if (old) old.rule = rule;
    else this.rules.push({ rule, source: s ? s.prefix : null, group: g.prefix, hits: 0 });
    return rule;
  }

  /** Deletes the rule with this from/source/group (oifs need not be given). */
  del(r: PolicyRule): PolicyRule {
    const g = parsePrefix(r.family, r.group, 'group').text;
    const s = r.source === null ? null : parsePrefix(r.family, r.source, 'source').text;
    const i = this.rules.findIndex((x) => sameRule(x.rule, { ...r, source: s, group: g }));
    if (i < 0) fail('ENOENT', `no policy rule from ${r.iif}${s ? ` source ${s}` : ''} group ${g}`);
    return this.rules.splice(i, 1)[0].rule;
  }

  clear(family: Family): void {
    this.rules = this.rules.filter((r) => r.rule.family !== family);
  }

  /** every rule matching (S,G) regardless of the arrival vif, in order */
  matchingAny(family: Family, source: string, group: string): { index: number; rule: PolicyRule }[] {
    const s = toBytes(family, source);
    const g = toBytes(family, group);
    const out: { index: number; rule: PolicyRule }[] = [];
    this.rules.forEach((r, i) => {
      if (r.rule.family === family && inPrefix(r.group, g) && (r.source === null || inPrefix(r.source, s))) out.push({ index: i + 1, rule: r.rule });
    });
    return out;
  }

  /** the first rule for (S,G) arriving on vif, counted as a hit */
  match(family: Family, source: string, group: string, vif: number): PolicyRule | null {
    if (this.rules.length === 0) return null;
    const s = toBytes(family, source);
    const g = toBytes(family, group);
    for (const r of this.rules) {
      if (r.rule.family !== family || r.rule.iif !== vif) continue;
      if (!inPrefix(r.group, g) || (r.source !== null && !inPrefix(r.source, s))) continue;
      r.hits++;
      return r.rule;
    }
    return null;
  }

  list(installedBy: (rule: PolicyRule) => number): PolicyInfo[] {
    return this.rules.map((r, i) => ({ ...r.rule, oifs: r.rule.oifs.map((o) => ({ ...o })), index: i + 1, hits: r.hits, installed: installedBy(r.rule) }));
  }

  get size(): number {
    return this.rules.length;
  }
}
