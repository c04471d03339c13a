// `explain S G`: why a flow is or is not forwarded, walking the engine's own decision
// in its order (ip_mforward, then ip_mdq) against the state as it is now.

import { parseIPv4, parseIPv6 } from '../dataplane/addr.js';
import { classify4, classify6, isLocalScopeGroup, isMulticastGroup, type Classification } from '../dataplane/classify.js';
import { MRT_MFC_FLAGS_DISABLE_WRONGVIF, MRT_MFC_RP, ASSERT_MSG_TIME_MS } from '../dataplane/inet.js';
import { sgKey } from '../dataplane/addr.js';
import type { InetEngine } from '../dataplane/inet.js';
import type { Inet6Engine } from '../dataplane/inet6.js';
import type { Link } from '../dataplane/links/link.js';
import type { Explanation, ExplainStep, Family, MfcSpec, MrtOwner, PolicyRule } from './api.js';

/** what explain reads: the router's state, passed in so this file does not import the router */
export interface ExplainSource {
  readonly inet: InetEngine;
  readonly inet6: Inet6Engine;
  readonly mfcSpecs: { inet: Map<string, MfcSpec>; inet6: Map<string, MfcSpec> };
  readonly policyExpire: number;
  engine(family: Family): InetEngine | Inet6Engine;
  policyFor(family: Family, source: string, group: string): { rules: { index: number; rule: PolicyRule }[]; installedBy: PolicyRule | null };
  externalOwner(family: Family): MrtOwner | null;
  vifLink(family: Family, v: number): Link | null;
}

export function explain(r: ExplainSource, family: Family, source: string, group: string, opts: { ttl?: number; vif?: number }): Explanation {
  const steps: ExplainStep[] = [];
  const e = r.engine(family);
  const v4 = family === 'inet';
  const vifWord = v4 ? 'vif' : 'mif';
  const out = (verdict: Explanation['verdict']): Explanation => ({ family, source, group, verdict, steps });

  steps.push({ check: 'multicast routing', ok: e.mrouter !== null, detail: e.mrouter !== null ? `${v4 ? 'MRT_INIT' : 'MRT6_INIT'} done` : `not initialised: nothing is forwarded (mrt init ${v4 ? 'ipv4' : 'ipv6'})` });
  if (e.mrouter === null) return out('not-forwarded');

  // The engine's own checks before the lookup (classify.ts), on this flow's addresses.
  const verdict = v4
    ? classify4(parseIPv4(source), parseIPv4(group), opts.ttl ?? 255, false, true)
    : classify6(parseIPv6(source), 0, parseIPv6(group), 0, opts.ttl ?? 255, true, true);
  const refused = refusal(verdict, family, source, group, opts.ttl);
  if (refused) {
    steps.push(refused);
    return out('not-forwarded');
  }
  steps.push({ check: 'group scope', ok: true, detail: `${group} is routable` });
  if (opts.ttl !== undefined) steps.push({ check: 'packet TTL', ok: true, detail: `TTL ${opts.ttl} > 1` });

  const id = e.findEntry(source, group);
  const pol = r.policyFor(family, source, group);
  if (id < 0 || e.isPending(id)) policySteps(steps, pol.rules, null, vifWord, opts.vif);
  if (id < 0) {
    steps.push({
      check: 'MFC entry',
      ok: false,
      detail: `no (${source}, ${group}) entry. The first packet arriving on a ${vifWord} creates a pending entry and a NOCACHE upcall; ${v4 ? 'on a non-vif interface it is dropped silently' : 'IPv6 upcalls even from a non-mif interface'}. There is no wildcard: an entry with source 0.0.0.0 matches only that source.`,
    });
    return out('no-entry');
  }
  if (e.isPending(id)) {
    const p = e.pendingInfo(id)!;
    steps.push({
      check: 'MFC entry',
      ok: false,
      detail: `pending (unresolved): NOCACHE sent for arrival ${vifWord} ${p.arrivalVif}, ${p.queued} packet(s) held, freed in ${Math.max(0, Math.round(e.pendingExpiresIn(id)))} ms unless an entry is added`,
    });
    return out('pending');
  }
  steps.push({ check: 'MFC entry', ok: true, detail: `resolved: ${e.pkts(id)} packets, ${e.bytes(id)} bytes, ${e.wrongIfs(id)} wrong-${vifWord} arrivals` });
  const owner = r.externalOwner(family);
  if (owner) steps.push({ check: 'installed by', ok: true, detail: `${owner.program} (pid ${owner.pid}), which owns the ${v4 ? 'IPv4' : 'IPv6'} routing socket (mrsh exec)` });
  if (pol.installedBy || pol.rules.length) policySteps(steps, pol.rules, pol.installedBy, vifWord, opts.vif, r.policyExpire, e.parent[id]);

  const parent = e.parent[id];
  const parentOk = parent < e.numVifs && e.vifUsed[parent] === 1;
  steps.push({ check: `incoming ${vifWord}`, ok: parentOk, detail: parentOk ? `${vifWord} ${parent} (${linkName(r, family, parent)})` : `${vifWord} ${parent} does not exist: every packet counts as wrong-${vifWord}` });
  if (!parentOk) return out('not-forwarded');

  if (opts.vif !== undefined && opts.vif !== parent) {
    let detail = `packets arriving on ${vifWord} ${opts.vif} fail the RPF check (parent is ${parent}): counted as wrong-${vifWord}, not forwarded`;
    if (v4) {
      const fl = e.mflags[id * e.maxVifs + opts.vif] ?? 0;
      if (!r.inet.assert) detail += '; no WRONGVIF upcall (assert is off)';
      else if (fl & MRT_MFC_FLAGS_DISABLE_WRONGVIF) detail += `; WRONGVIF suppressed by disable-wrongvif on ${vifWord} ${opts.vif}`;
      else detail += `; WRONGVIF upcall at most once per ${ASSERT_MSG_TIME_MS / 1000} s for this entry`;
    } else detail += r.inet6.pim ? '; a WRONGMIF upcall for every such packet' : '; no WRONGMIF upcall (pim is off)';
    steps.push({ check: 'arrival', ok: false, detail });
    return out('not-forwarded');
  }

  const ttl = opts.ttl;
  const spec = r.mfcSpecs[family].get(sgKey(source, group, family));
  let forwarding = 0;
  const oifs = e.oifsOf(id);
  for (const o of oifs) {
    const exists = o.vif < e.numVifs && e.vifUsed[o.vif] === 1;
    if (!exists) {
      steps.push({ check: `oif ${o.vif}`, ok: false, detail: `${vifWord} ${o.vif} was deleted: copies are counted but go nowhere` });
      continue;
    }
    // The parent is not excluded (FreeBSD): an oif equal to the parent sends a copy back out.
    if (!v4) {
      forwarding++;
      steps.push({ check: `oif ${o.vif}`, ok: true, detail: `in the interface set (${linkName(r, family, o.vif)}); hop limit decremented` });
      continue;
    }
    if (e.vifIsRegister[o.vif]) {
      forwarding++;
      steps.push({ check: `oif ${o.vif}`, ok: true, detail: `register vif: ${r.inet.apiConfig & MRT_MFC_RP && e.rpOf(id) ? `PIM Register to ${e.rpOf(id)}` : 'WHOLEPKT upcall'}` });
      continue;
    }
    if (ttl === undefined) {
      forwarding++;
      steps.push({ check: `oif ${o.vif}`, ok: true, detail: `threshold ${o.ttl}: forwarded when the packet's TTL is above ${o.ttl} (${linkName(r, family, o.vif)})` });
    } else if (ttl > o.ttl) {
      forwarding++;
      steps.push({ check: `oif ${o.vif}`, ok: true, detail: `TTL ${ttl} > threshold ${o.ttl}: forwarded with TTL ${ttl - 1} (${linkName(r, family, o.vif)})` });
    } else {
      steps.push({ check: `oif ${o.vif}`, ok: false, detail: `TTL ${ttl} is not above threshold ${o.ttl}: not forwarded here` });
    }
  }
  // Oifs the user asked for that the engine did not take: the vif did not exist at add time.
  if (spec) {
    for (const o of spec.oifs) {
      if (oifs.some((x) => x.vif === o.vif)) continue;
      const now = o.vif < e.numVifs && e.vifUsed[o.vif] === 1;
      steps.push({
        check: `oif ${o.vif}`,
        ok: false,
        detail: `requested but not in the entry: ${vifWord} ${o.vif} did not exist when the entry was added${now ? ' (it does now: re-add the entry to include it)' : ''}`,
      });
    }
  }
  if (oifs.length === 0 && (!spec || spec.oifs.length === 0)) steps.push({ check: 'outgoing interfaces', ok: false, detail: 'none: the entry accepts and drops (a negative cache entry)' });

  if (v4) {
    for (const m of r.inet.meters.metersOf(id)) {
      steps.push({
        check: 'bw-upcall',
        ok: true,
        detail: `${m.geq ? '>=' : '<='} ${[m.flags & 1 ? `${m.thrPackets} packets` : '', m.flags & 2 ? `${m.thrBytes} bytes` : ''].filter(Boolean).join(' or ')} per ${m.intervalMs / 1000} s; measured so far ${m.packets} packets ${m.bytes} bytes (meters only report, never block)`,
      });
    }
  }
  return out(forwarding > 0 ? 'forwarded' : 'not-forwarded');
}

/** the step that says why the classifier's verdict stops the flow, or null for 'lookup' */
function refusal(c: Classification, family: Family, source: string, group: string, ttl: number | undefined): ExplainStep | null {
  switch (c) {
    case 'lookup':
      return null;
    case 'bad_dst':
      return { check: 'group', ok: false, detail: `${group} is not a multicast address` };
    case 'bad_src':
      return { check: 'source', ok: false, detail: isMulticastGroup(family, source) || source === '255.255.255.255' ? `${source} is a multicast or broadcast address: dropped as malformed` : `${source} is the unspecified address: never forwarded` };
    case 'linklocal_src':
      return { check: 'source', ok: false, detail: `${source} is link-local (169.254/16): ignored by ip_input (RFC 3927)` };
    case 'local_scope': {
      if (!isLocalScopeGroup(family, group)) return { check: 'packet TTL', ok: false, detail: `TTL ${ttl} <= 1: the kernel delivers it locally only` };
      if (family === 'inet') return { check: 'group scope', ok: false, detail: `${group} is in 224.0.0.0/24 (link-local): never forwarded` };
      const scope = parseIPv6(group)[1] & 15;
      return { check: 'group scope', ok: false, detail: `${group} has scope ${scope} (${scope === 1 ? 'interface' : scope === 2 ? 'link' : 'reserved'}-local): never forwarded` };
    }
    default:
      // bad_options and bad_exthdr are properties of a packet, not of a flow
      return { check: 'packet', ok: false, detail: `dropped (${c})` };
  }
}

/**
 * What the static policy does for (S,G). The MFC keys by (S,G), so when rules from
 * several inbound vifs match, the first arrival's rule installs the entry and the entry
 * keeps that iif; the same flow on another vif is a wrong-vif arrival until the entry
 * idles out.
 */
function policySteps(
  steps: ExplainStep[],
  rules: { index: number; rule: PolicyRule }[],
  installedBy: PolicyRule | null,
  vifWord: string,
  arrival: number | undefined,
  expireMs = 0,
  parent = -1,
): void {
  const desc = (x: { index: number; rule: PolicyRule }) => `rule ${x.index} (from ${vifWord} ${x.rule.iif}${x.rule.source ? ` source ${x.rule.source}` : ''} group ${x.rule.group})`;
  if (installedBy) {
    const which = rules.find((x) => x.rule === installedBy);
    steps.push({
      check: 'policy',
      ok: true,
      detail: `installed by ${which ? desc(which) : 'a policy rule since deleted'}; deleted after ${expireMs ? `${expireMs / 1000} s` : 'never (policy expire 0)'} without traffic`,
    });
  } else if (rules.length === 0) {
    steps.push({ check: 'policy', ok: false, detail: 'no policy rule matches (S,G): only an mfc add resolves it' });
    return;
  } else if (parent >= 0) {
    steps.push({ check: 'policy', ok: true, detail: `the entry was added by the user (mfc add): the policy leaves it alone` });
  }
  const iifs = [...new Set(rules.map((x) => x.rule.iif))];
  if (!installedBy && parent < 0) {
    const first = new Map<number, { index: number; rule: PolicyRule }>();
    for (const x of rules) if (!first.has(x.rule.iif)) first.set(x.rule.iif, x);
    const on = arrival !== undefined ? first.get(arrival) : undefined;
    if (arrival !== undefined && !on) steps.push({ check: 'policy', ok: false, detail: `no rule is from ${vifWord} ${arrival}: a NOCACHE from there is not answered (rules are from ${vifWord} ${iifs.join(', ')})` });
    else steps.push({ check: 'policy', ok: true, detail: `the first packet on ${on ? `${vifWord} ${arrival}` : iifs.map((v) => `${vifWord} ${v}`).join(' or ')} installs the entry: ${on ? desc(on) : [...first.values()].map(desc).join('; ')}` });
  }
  if (iifs.length > 1) {
    steps.push({
      check: 'policy: several inbound vifs',
      ok: true,
      detail: `rules from ${vifWord}s ${iifs.join(', ')} match (S,G), but the MFC holds one entry per (S,G): the first arrival's rule installs it and the entry keeps that iif${parent >= 0 ? ` (${vifWord} ${parent})` : ''}; the flow on another ${vifWord} counts as wrong-${vifWord} until the entry idles out`,
    });
  }
}

function linkName(r: ExplainSource, family: Family, v: number): string {
  const l = r.vifLink(family, v);
  if (l) return `${l.kind} ${l.name}`;
  return r.engine(family).vifIsRegister[v] ? 'register' : 'no link';
}
