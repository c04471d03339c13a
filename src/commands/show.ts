// The show commands. Each reads the router and returns data; src/format lays it out
// (Cisco blocks, netstat -g tables) or turns it into JSON. Where IPv6 has the same view,
// `show ipv6 X` is the twin of `show X`, declared once here.
import { readFileSync } from 'node:fs';
import { isMulticastGroup } from '../dataplane/classify.js';
import type { Family, MfcInfo, PendingInfo, RouterApi } from '../router/api.js';
import type { Args } from './args.js';
import { familyOf, type CommandDef } from './define.js';
import type { MrouteView, Output } from './output.js';
import { CommandError } from './errors.js';
import { mrshVersion } from './version.js';

export function engineNow(router: RouterApi): number {
  return router.now ? router.now() : Date.now();
}

/** `show mroute [A [B]]`: a multicast address is the group, the other the source */
function sgFilter(a: Args): { source?: string; group?: string; family?: Family } {
  const out: { source?: string; group?: string; family?: Family } = {};
  for (const k of ['A', 'B']) {
    const v = a.get<string>(k);
    if (!v) continue;
    const fam = familyOf(v);
    if (out.family && fam !== out.family) a.fail(k, 'source and group of different families');
    out.family = fam;
    const slot = isMulticastGroup(fam, v) ? 'group' : 'source';
    if (out[slot]) a.fail(k, `two ${slot} addresses`);
    out[slot] = v;
  }
  return out;
}

function matches(e: MfcInfo | PendingInfo, f: { source?: string; group?: string }): boolean {
  return (!f.source || e.source === f.source) && (!f.group || e.group === f.group);
}

function twin(
  name: string,
  rest: string,
  help: string,
  run: (router: RouterApi, a: Args, family: Family) => Output,
  tokens?: Record<string, string>,
): CommandDef[] {
  const tail = rest ? ` ${rest}` : '';
  return [
    // `show ip X` is how IOS and FRR spell the IPv4 view
    { name: `show ${name}`, syntax: `show ${name}${tail}`, aliases: [`show ip ${name}${tail}`], help, tokens, show: true, run: ({ router }, a) => run(router, a, 'inet') },
    {
      name: `show ipv6 ${name}`,
      syntax: `show ipv6 ${name}${tail}`,
      help: `${help} (IPv6)`,
      tokens,
      show: true,
      run: ({ router }, a) => run(router, a, 'inet6'),
    },
  ];
}

export const showCommands: CommandDef[] = [
  ...twin(
    'mroute',
    '[<A:addr> [<B:addr>]] [detail|count|summary|table [fill]]',
    'the multicast routing table in Cisco IOS style: one block per (S,G); or detail, count or summary views, or FRR\'s columns (table)',
    (router, a, fam) => {
      const f = sgFilter(a);
      const family = f.family ?? fam;
      if (f.family && f.family !== fam && fam === 'inet6') a.fail('A', 'an IPv4 address in show ipv6 mroute');
      const view: MrouteView = a.has('detail') ? 'detail' : a.has('count') ? 'count' : a.has('summary') ? 'summary' : a.has('table') ? 'table' : 'brief';
      return {
        kind: 'mroute',
        family,
        view,
        ...(a.has('fill') ? { fill: true } : {}),
        entries: router.listMfc(family, { source: f.source, group: f.group }),
        vifs: router.listVifs(family),
        pending: router.listPending(family).filter((e) => matches(e, f)),
        nowMs: engineNow(router),
      };
    },
    {
      A: 'a source or group address (a multicast address is the group); IPv6 selects the IPv6 table',
      B: 'the other of source and group',
    },
  ),
  ...twin('vif', '', 'the vif table, as netstat -g (IPv6: the mif table)', (router, _a, family) => ({
    kind: 'vif',
    family,
    vifs: router.listVifs(family),
  })),
  ...twin('mfc', '', 'the forwarding cache, as netstat -g, with bandwidth meters under their entry', (router, _a, family) => ({
    kind: 'mfc',
    family,
    entries: router.listMfc(family),
    pending: router.listPending(family),
    nowMs: engineNow(router),
  })),
  {
    name: 'show bw-upcall',
    syntax: 'show bw-upcall',
    help: 'the entries that have bandwidth filters, each with its Bandwidth Meters, as netstat -g',
    show: true,
    run: ({ router }) => ({
      kind: 'bw-upcall',
      entries: router.listMfc('inet').filter((e) => e.bwMeters.length > 0),
      nowMs: engineNow(router),
    }),
  },
  ...twin('statistics', '', 'forwarding statistics with the counter names of netstat -gs', (router, _a, family) => ({
    kind: 'statistics',
    family,
    stats: router.stats(family),
  })),
  ...twin('pending', '', 'unresolved entries: packets that caused a NOCACHE upcall and wait for an mfc add', (router, _a, family) => ({
    kind: 'pending',
    family,
    pending: router.listPending(family),
    nowMs: engineNow(router),
    ...(router.pendingCap ? { cap: router.pendingCap(family) } : {}),
  })),
  {
    name: 'show upcalls',
    syntax: 'show upcalls [last <C:count>]',
    help: 'the upcalls the engine sent (NOCACHE, WRONGVIF, WHOLEPKT, BW_UPCALL), oldest first',
    tokens: { C: 'how many of the most recent' },
    show: true,
    run: ({ router }, a) => ({ kind: 'upcalls', upcalls: router.upcalls(a.get<number>('C')) }),
  },
  {
    name: 'show version',
    syntax: 'show version',
    help: 'the version of mrsh and the node it runs on',
    show: true,
    run: () => ({ kind: 'version', version: mrshVersion(), node: process.version, platform: `${process.platform} ${process.arch}` }),
  },
  {
    name: 'show startup-config',
    syntax: 'show startup-config',
    help: 'the startup file, as write memory saved it (read where the router runs)',
    show: true,
    run: ({ router }) => {
      const file = router.configSource?.().startupFile ?? null;
      if (!file) throw new CommandError('show startup-config: this router has no startup file');
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new CommandError(`show startup-config: ${file}: ${(e as Error).message}`, null, (e as { code?: string }).code ?? null);
      }
      return { kind: 'running-config', lines: text.replace(/\n$/, '').split('\n') };
    },
  },
  {
    name: 'show running-config',
    syntax: 'show running-config',
    help: 'the commands that rebuild the current state, as a batch file',
    show: true,
    run: ({ router }) => ({ kind: 'running-config', lines: router.runningConfig() }),
  },
];
