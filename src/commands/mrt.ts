// mrt init|done, pim, assert, api config and show mrt: the socket-level switches of
// multicast(4) (MRT_INIT, MRT_DONE, MRT_PIM, MRT_ASSERT, MRT_API_CONFIG).
import { API_FLAGS, apiFlagNames } from '../dataplane/codecs/constants.js';
import { DEFAULT_PENDING_LIMIT } from '../dataplane/engine.js';
import type { FamilyConfigState } from '../router/api.js';
import { OK, call, callAsync, kwFamily, type CommandDef } from './define.js';

export { API_FLAGS, apiFlagNames };

/** running-config: the family's socket-level switches, written before its vifs */
export function mrtConfig(s: FamilyConfigState): string[] {
  const f = s.family === 'inet' ? 'ipv4' : 'ipv6';
  const lines = [`mrt init ${f}`];
  if (s.family === 'inet' && s.apiConfig) lines.push(`mrt api config ${apiFlagNames(s.apiConfig).join(' ')}`);
  if (s.family === 'inet' && s.pim) lines.push('mrt assert enable');
  if (s.family === 'inet6' && s.pim) lines.push('mrt pim enable ipv6');
  if (s.pendingLimit !== DEFAULT_PENDING_LIMIT) lines.push(`mrt pending-limit ${s.pendingLimit} ${f}`);
  return lines;
}

/** running-config: the forwarding workers, before any vif opens a link */
export function workersConfig(n: number): string[] {
  return n > 0 ? [`mrt workers ${n}`] : [];
}

/** running-config: where Registers go, once the vif it names exists */
export function registerViaConfig(s: FamilyConfigState): string[] {
  return s.registerVia === null ? [] : [`mrt register via ${s.registerVia}`];
}

export const mrtCommands: CommandDef[] = [
  {
    name: 'mrt init',
    syntax: 'mrt init [ipv4|ipv6]',
    help: 'start multicast routing for IPv4 (default) or IPv6 (MRT_INIT / MRT6_INIT)',
    mutates: true,
    run: ({ router }, a) => (call('mrt init', () => router.mrtInit(kwFamily(a))), OK),
  },
  {
    name: 'mrt done',
    syntax: 'mrt done [ipv4|ipv6]',
    help: 'stop multicast routing for a family, deleting its vifs, entries and filters (MRT_DONE)',
    mutates: true,
    run: ({ router }, a) => (call('mrt done', () => router.mrtDone(kwFamily(a))), OK),
  },
  {
    name: 'mrt pim',
    syntax: 'mrt pim (enable|disable) [ipv4|ipv6]',
    help: 'turn PIM processing on or off (MRT_PIM / MRT6_PIM)',
    mutates: true,
    run: ({ router }, a) => (call('mrt pim', () => router.setPim(kwFamily(a), a.has('enable'))), OK),
  },
  {
    name: 'mrt assert',
    syntax: 'mrt assert (enable|disable)',
    help: 'turn PIM assert processing on or off (MRT_ASSERT, IPv4)',
    mutates: true,
    run: ({ router }, a) => (call('mrt assert', () => router.setAssert(a.has('enable'))), OK),
  },
  {
    name: 'mrt pending-limit',
    syntax: 'mrt pending-limit <N:uint> [ipv4|ipv6]',
    help: 'the most unresolved entries held at once (default 4096; FreeBSD has no cap): a new flow beyond it gets no entry and no upcall',
    tokens: { N: 'unresolved entries at most, at least 1' },
    mutates: true,
    run: ({ router }, a) => {
      if (!router.setPendingLimit) a.fail('N', 'this router has no pending limit setting');
      call('mrt pending-limit', () => router.setPendingLimit!(kwFamily(a), a.need<number>('N')));
      return OK;
    },
  },
  {
    name: 'mrt workers',
    syntax: 'mrt workers <N:uint>',
    help: 'forward on N worker threads beside the control thread (0: on the control thread); before the first vif with a dev or tun link',
    tokens: { N: 'worker threads, 0-16 (one per core the router may use is the usual choice)' },
    mutates: true,
    run: async ({ router }, a) => {
      if (!router.setWorkers) a.fail('N', 'this router has no forwarding workers');
      await callAsync('mrt workers', () => router.setWorkers!(a.need<number>('N')));
      return OK;
    },
  },
  {
    name: 'mrt api config',
    syntax: 'mrt api config (disable-wrongvif|border-vif|rp|bw-upcall|none)...',
    help: 'request advanced API features and print the subset the engine accepted (MRT_API_CONFIG)',
    mutates: true,
    run: ({ router }, a) => {
      let bits = 0;
      for (const f of API_FLAGS) if (a.has(f.name)) bits |= f.flag;
      if (a.has('none') && bits) a.fail('none', "'none' cannot be combined with features");
      const got = call('mrt api config', () => router.apiConfig(bits));
      const names = apiFlagNames(got);
      return { kind: 'ok', message: `accepted: ${names.length ? names.join(' ') : 'none'} (0x${got.toString(16)})` };
    },
  },
  {
    name: 'mrt register via',
    syntax: 'mrt register via (<N:vifRef>|none)',
    help: 'send in-engine PIM Registers toward the RP out of vif N (mrsh has no unicast routing table)',
    tokens: { N: 'the vif whose link leads to the RP' },
    mutates: true,
    run: ({ router }, a) => {
      if (!router.setRegisterVia) a.fail('via', 'this router cannot send Registers');
      const n = a.get<number>('N');
      call('mrt register via', () => router.setRegisterVia!(n === undefined ? null : n));
      return OK;
    },
  },
  {
    name: 'show mrt',
    syntax: 'show mrt',
    help: 'version, API supported and configured, PIM and assert modes of both families',
    show: true,
    run: ({ router }) => ({
      kind: 'mrt',
      status: [router.mrtStatus('inet'), router.mrtStatus('inet6')],
      apiNames: [...API_FLAGS],
    }),
  },
];
