// bw-upcall add / del: MRT_ADD_BW_UPCALL and MRT_DEL_BW_UPCALL (IPv4 only, as FreeBSD).
import type { BwUpcallSpec } from '../router/api.js';
import { OK, call, sgFamily, type CommandDef } from './define.js';
import type { Args } from './args.js';

const FILTER = '(geq|leq) {packets <P:uint> | bytes <B:uint>} interval <SECONDS:seconds>';

function filter(a: Args) {
  const packets = a.get<number>('P');
  const bytes = a.get<number>('B');
  if (packets === undefined && bytes === undefined) a.fail('interval', 'give packets P, bytes B or both');
  const spec: { source: string; group: string; op: 'geq' | 'leq'; packets?: number; bytes?: number; intervalMs: number } = {
    source: a.need<string>('S'),
    group: a.need<string>('G'),
    op: a.has('geq') ? 'geq' : 'leq',
    // microseconds kept, as struct timeval does (2.999999 is under the minimum, 3.0004 stays)
    intervalMs: a.need<number>('SECONDS') * 1000,
  };
  if (packets !== undefined) spec.packets = packets;
  if (bytes !== undefined) spec.bytes = bytes;
  return spec;
}

function ipv4Only(a: Args): void {
  if (sgFamily(a) !== 'inet') a.fail('S', 'bandwidth upcalls exist for IPv4 only (as in FreeBSD)');
}

/** running-config: each meter as it was added */
export function bwUpcallConfig(meters: BwUpcallSpec[]): string[] {
  return meters.map((b) => {
    const parts = ['bw-upcall add', b.source, b.group, b.op];
    if (b.packets !== undefined) parts.push('packets', String(b.packets));
    if (b.bytes !== undefined) parts.push('bytes', String(b.bytes));
    parts.push('interval', String(b.intervalMs / 1000));
    return parts.join(' ');
  });
}

export const bwUpcallCommands: CommandDef[] = [
  {
    name: 'bw-upcall add',
    syntax: `bw-upcall add <S:addr> <G:addr> ${FILTER}`,
    help: 'install a bandwidth filter on (S,G): upcall when packets/bytes per interval are >= or <= the threshold',
    tokens: {
      P: 'threshold in packets per interval',
      B: 'threshold in bytes per interval',
      SECONDS: 'measurement interval, at least 3 seconds',
    },
    mutates: true,
    run: ({ router }, a) => {
      ipv4Only(a);
      const spec = filter(a);
      call('bw-upcall add', () => router.addBwUpcall(spec));
      return OK;
    },
  },
  {
    name: 'bw-upcall del',
    syntax: `bw-upcall del <S:addr> <G:addr> (${FILTER} | all)`,
    help: 'delete the filter given exactly as added, or all filters of (S,G)',
    tokens: {
      P: 'threshold in packets per interval',
      B: 'threshold in bytes per interval',
      SECONDS: 'measurement interval in seconds',
    },
    mutates: true,
    run: ({ router }, a) => {
      ipv4Only(a);
      if (a.has('all')) {
        call('bw-upcall del', () => router.delBwUpcall({ source: a.need('S'), group: a.need('G'), all: true }));
      } else {
        const spec = filter(a);
        call('bw-upcall del', () => router.delBwUpcall(spec));
      }
      return OK;
    },
  },
];
