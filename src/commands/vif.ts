// vif add / vif del: MRT_ADD_VIF and MRT_DEL_VIF (IPv6: MRT6_ADD_MIF, MRT6_DEL_MIF).
import type { Family, FamilyConfigState, LinkSpec, VifSpec } from '../router/api.js';
import { OK, callAsync, familyOf, kwFamily, type CommandDef } from './define.js';

/** running-config: each vif as it was added (a derived local address is not written) */
export function vifConfig(s: FamilyConfigState): string[] {
  return s.vifs.map((v) => {
    const parts = ['vif add', String(v.index)];
    if (v.register) parts.push('register');
    else if (v.link) parts.push(v.link.kind === 'packet' ? 'dev' : v.link.kind, v.link.name);
    if (v.link?.kind === 'packet' && v.link.xdp) parts.push('xdp');
    if (s.family === 'inet6') parts.push('ipv6');
    if (s.family === 'inet' && v.threshold !== undefined && v.threshold !== 1) parts.push('threshold', String(v.threshold));
    if (s.family === 'inet' && v.local && !(v.register && v.local === '127.0.0.2') && !v.local.startsWith('127.0.1.')) parts.push('local', v.local);
    if (v.remote) parts.push('remote', v.remote);
    return parts.join(' ');
  });
}

const OPTS = '{threshold <T:ttl> | local <LOCAL:addr> | remote <REMOTE:addr> | register | xdp | ipv4 | ipv6}';

export const vifCommands: CommandDef[] = [
  {
    name: 'vif add',
    syntax: `vif add <N:vif> ((tun <NAME:word> | dev <NAME:word> | virtual <NAME:word>) ${OPTS} | register ${OPTS})`,
    usage: 'vif add N (tun NAME | dev NAME | virtual NAME | register) [threshold T] [local LOCAL] [remote REMOTE] [register] [xdp] [ipv4|ipv6]',
    help: 'add a vif on a link (IPv6: a mif, chosen by `ipv6` or an IPv6 local address)',
    tokens: {
      NAME: 'device or link name (tun0, eth1, ...)',
      T: 'TTL threshold (stored and shown, not consulted, as FreeBSD)',
      LOCAL: 'local address (default: the link\'s first address)',
      REMOTE: 'remote address (shown only; FreeBSD no longer supports VIFF_TUNNEL)',
    },
    mutates: true,
    run: async ({ router }, a) => {
      const local = a.get<string>('LOCAL');
      const remote = a.get<string>('REMOTE');
      let family: Family = kwFamily(a);
      if (local && familyOf(local) === 'inet6') {
        if (a.has('ipv4')) a.fail('LOCAL', 'an IPv6 local address makes a mif, not an IPv4 vif');
        family = 'inet6';
      }
      if (a.has('ipv4') && a.has('ipv6')) a.fail('ipv6', 'ipv4 and ipv6 together');
      if (family === 'inet6' && a.get('T') !== undefined) a.fail('T', 'a mif has no TTL threshold');
      for (const [k, v] of [['LOCAL', local], ['REMOTE', remote]] as const)
        if (v && familyOf(v) !== family) a.fail(k, `address family does not match the ${family === 'inet' ? 'vif' : 'mif'}`);
      let link: LinkSpec | undefined;
      const name = a.get<string>('NAME');
      if (name !== undefined) {
        link = a.has('tun') ? { kind: 'tun', name } : a.has('dev') ? { kind: 'packet', name } : { kind: 'virtual', name };
      }
      if (a.has('xdp')) {
        if (link?.kind !== 'packet') a.fail('xdp', 'only a dev link reads through XDP');
        else link.xdp = true;
      }
      const spec: VifSpec = { family, index: a.need<number>('N') };
      if (link) spec.link = link;
      if (a.has('register')) spec.register = true;
      if (a.get('T') !== undefined) spec.threshold = a.get<number>('T');
      if (local) spec.local = local;
      if (remote) spec.remote = remote;
      await callAsync('vif add', () => router.addVif(spec));
      return OK;
    },
  },
  {
    name: 'vif del',
    syntax: 'vif del <N:vifRef> [ipv4|ipv6]',
    help: 'delete a vif (IPv6: a mif); entries using it stop forwarding there',
    mutates: true,
    run: async ({ router }, a) => {
      await callAsync('vif del', () => router.delVif(kwFamily(a), a.need<number>('N')));
      return OK;
    },
  },
];
