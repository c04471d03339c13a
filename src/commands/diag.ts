// Diagnostics: explain, inject, capture and clear counters. These answer "why is nothing
// forwarded?" without a packet generator or tcpdump, on every link type.
import type { Family, InjectSpec } from '../router/api.js';
import { INJECT_MAX } from '../router/packets.js';
import { OK, call, kwFamily, sgFamily, type CommandDef } from './define.js';
import type { Output } from './output.js';

/** packets injected between two turns of the loop (about 5 ms of engine work) */
const INJECT_SLICE = 2048;

export const diagCommands: CommandDef[] = [
  {
    name: 'explain',
    syntax: 'explain <S:addr> <G:addr> {ttl <T:ttl> | vif <N:vifRef>}',
    help: 'why (S,G) is or is not forwarded: entry or pending, arrival vif vs parent, each oif\'s TTL threshold, vifs, filters',
    tokens: {
      T: 'TTL (hop limit) the packets arrive with (default 64)',
      vif: 'the vif the packets arrive on (default: the entry\'s parent)',
      N: 'arrival vif index',
    },
    show: true,
    run: ({ router }, a) => {
      sgFamily(a);
      const opts: { ttl?: number; vif?: number } = {};
      if (a.get('T') !== undefined) opts.ttl = a.get<number>('T');
      if (a.get('N') !== undefined) opts.vif = a.get<number>('N');
      const explanation = call('explain', () => router.explain(a.need('S'), a.need('G'), opts));
      return { kind: 'explain', explanation, ttl: opts.ttl ?? null, vif: opts.vif ?? null };
    },
  },
  {
    name: 'inject',
    syntax: 'inject <N:vifRef> (<S:addr> <G:addr> {ttl <T:ttl> | size <Z:size> | count <C:count>} | raw <H:hex> {count <C:count>})',
    help: 'send test UDP datagrams into the engine as if they arrived on vif N (IPv6 addresses: on mif N), by default one 60-byte datagram (IPv6: 80) with TTL 64; or any bytes given raw',
    tokens: {
      N: 'the arrival vif',
      T: 'TTL (hop limit) of the packets (default 64; 0 is sent as given)',
      Z: 'datagram size in bytes, IP header included (default 60; IPv6 80)',
      C: 'how many packets (default 1)',
      H: 'the datagram from its IP header on, as hex, malformed or not (version 6: to mif N)',
    },
    show: true,
    mutates: true,
    run: ({ router }, a) => {
      const raw = a.get<string>('H');
      const family: Family = raw !== undefined ? (parseInt(raw[0], 16) === 6 ? 'inet6' : 'inet') : sgFamily(a);
      const spec: InjectSpec = raw !== undefined ? { vif: a.need('N'), family, source: '', group: '', raw } : { vif: a.need('N'), family, source: a.need('S'), group: a.need('G') };
      if (a.get('T') !== undefined) spec.ttl = a.get<number>('T');
      if (a.get('Z') !== undefined) spec.size = a.get<number>('Z');
      if (a.get('C') !== undefined) spec.count = a.get<number>('C');
      const count = spec.count ?? 1;
      // out of range: refused by the router as one call
      if (count <= INJECT_SLICE || !Number.isInteger(count) || count > INJECT_MAX) return { kind: 'inject', vif: spec.vif, family, result: call('inject', () => router.inject(spec)) };
      // A million packets take seconds: injected a slice at a time, the loop turning in
      // between, so real traffic keeps being forwarded and timers fire meanwhile.
      return (async (): Promise<Output> => {
        const result = call('inject', () => router.inject({ ...spec, count: INJECT_SLICE }));
        for (let left = count - INJECT_SLICE; left > 0; left -= INJECT_SLICE) {
          await new Promise((r) => setImmediate(r));
          const r = call('inject', () => router.inject({ ...spec, count: Math.min(left, INJECT_SLICE) }));
          result.sent += r.sent;
          result.forwarded += r.forwarded;
          result.upcalls += r.upcalls;
        }
        return { kind: 'inject', vif: spec.vif, family, result };
      })();
    },
  },
  {
    name: 'capture',
    syntax: 'capture <N:vifRef> {ipv4 | ipv6 | last <C:count>}',
    help: 'the last packets the engine sent on vif N (ipv6: mif N), decoded header and hex',
    tokens: { C: 'how many of the most recent (default 10)' },
    show: true,
    run: ({ router }, a) => {
      if (a.has('ipv4') && a.has('ipv6')) a.fail('ipv6', 'ipv4 and ipv6 together');
      const family: Family = kwFamily(a);
      const vif = a.need<number>('N');
      const packets = call('capture', () => router.capture(vif, family, a.get<number>('C') ?? 10));
      return { kind: 'capture', vif, family, packets };
    },
  },
  {
    name: 'clear counters',
    syntax: 'clear counters [<S:addr> <G:addr> | ipv4 | ipv6]',
    help: 'reset packet, byte and wrong-vif counters of every entry and vif, of one family, or of (S,G)',
    mutates: true,
    run: ({ router }, a) => {
      if (a.get('S') !== undefined) {
        const family = sgFamily(a);
        call('clear counters', () => router.clearCounters(family, a.need('S'), a.need('G')));
      } else if (a.has('ipv4') || a.has('ipv6')) {
        call('clear counters', () => router.clearCounters(kwFamily(a)));
      } else {
        call('clear counters', () => router.clearCounters());
      }
      return OK;
    },
  },
];
