// The mrsh side of the forwarding benchmark, run inside the router namespace:
//   ip netns exec NS taskset -c 0 node --import tsx bench/lib/mrsh-forwarder.ts \
//     --impl router|relay --kind packet|tun --iif r0 --oifs r1,r2,r3 \
//     --source S --group-base G --groups N [--iif-addr A/len] [--workers N]
// impl router: the real Router (src/router/router.ts) with vifs and (S,G) MFC entries.
// impl relay:  links only - every IPv4 datagram from iif goes to every oif with TTL and
//              header checksum patched in place - the ceiling the links allow.
// Prints "ready" once forwarding, and a JSON line of counters on SIGTERM/SIGINT.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Link } from '../../src/dataplane/links/link.js';

interface Args {
  impl: 'router' | 'relay';
  kind: 'packet' | 'tun';
  iif: string;
  oifs: string[];
  source: string;
  groupBase: string;
  groups: number;
  iifAddr: string | null;
  /** forwarding worker threads (mrt workers) */
  workers: number;
}

function parseArgs(argv: string[]): Args {
  const get = (k: string, d?: string): string => {
    const i = argv.indexOf(`--${k}`);
    if (i >= 0 && i + 1 < argv.length) return argv[i + 1]!;
    if (d === undefined) throw new Error(`missing --${k}`);
    return d;
  };
  return {
    impl: get('impl', 'router') as Args['impl'],
    kind: get('kind', 'packet') as Args['kind'],
    iif: get('iif'),
    oifs: get('oifs').split(','),
    source: get('source'),
    groupBase: get('group-base', '239.1.0.0'),
    groups: Number(get('groups', '1')),
    iifAddr: argv.includes('--iif-addr') ? get('iif-addr') : null,
    workers: Number(get('workers', '0')),
  };
}

const ipv4 = (s: string): number => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
const dotted = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** Minimal shape of src/router/router.ts used here (RouterApi plus the static factory). */
interface RouterLike {
  mrtInit(family: 'inet'): void;
  addVif(spec: { family: 'inet'; index: number; link: { kind: 'packet' | 'tun'; name: string } }): Promise<unknown>;
  addMfc(spec: { family: 'inet'; source: string; group: string; parent: number; oifs: { vif: number; ttl: number }[] }): void;
  listVifs(family: 'inet'): unknown[];
  stats(family: 'inet'): Record<string, number>;
  close(): Promise<void>;
  setWorkers(n: number): Promise<void>;
}

const routerPath = fileURLToPath(new URL('../../src/router/router.ts', import.meta.url));

export function routerAvailable(): boolean {
  return existsSync(routerPath);
}

// ---------------------------------------------------------------------------------------
// MRSH ROUTER RUN: uses the real Router once src/router/router.ts exists.
// ---------------------------------------------------------------------------------------
async function runRouter(a: Args): Promise<() => Promise<object>> {
  // A computed specifier so this file type-checks before the Router lands.
  const spec = '../../src/router/router.js';
  const mod = (await import(spec)) as { Router: { create(): Promise<RouterLike> } };
  const router = await mod.Router.create();
  if (a.workers > 0) await router.setWorkers(a.workers);
  router.mrtInit('inet');
  await router.addVif({ family: 'inet', index: 0, link: { kind: a.kind, name: a.iif } });
  for (let i = 0; i < a.oifs.length; i++) {
    await router.addVif({ family: 'inet', index: i + 1, link: { kind: a.kind, name: a.oifs[i]! } });
  }
  if (a.iifAddr) execFileSync('ip', ['addr', 'add', a.iifAddr, 'dev', a.iif]);
  const base = ipv4(a.groupBase);
  const oifs = a.oifs.map((_, i) => ({ vif: i + 1, ttl: 1 }));
  for (let g = 0; g < a.groups; g++) {
    router.addMfc({ family: 'inet', source: a.source, group: dotted(base + g), parent: 0, oifs });
  }
  return async () => {
    const out = { impl: 'router', vifs: router.listVifs('inet'), stats: router.stats('inet') };
    await router.close();
    return out;
  };
}

// ---------------------------------------------------------------------------------------
// Links-only relay: no engine, the upper bound of what the links can carry.
// ---------------------------------------------------------------------------------------
async function runRelay(a: Args): Promise<() => Promise<object>> {
  const open =
    a.kind === 'packet'
      ? (await import('../../src/dataplane/links/packet.js')).openPacketLink
      : (await import('../../src/dataplane/links/tun.js')).openTunLink;
  const inl = await open(a.iif);
  const outs: Link[] = [];
  for (const o of a.oifs) outs.push(await open(o));
  if (a.iifAddr) execFileSync('ip', ['addr', 'add', a.iifAddr, 'dev', a.iif]);
  inl.start((b) => {
    const buf = b.buf;
    for (let i = 0; i < b.count; i++) {
      const off = b.offsets[i]!;
      if (buf[off]! >> 4 !== 4 || buf[off + 16]! < 224 || buf[off + 16]! > 239 || buf[off + 8]! <= 1) continue;
      // TTL - 1 and the matching incremental header checksum update (RFC 1624).
      buf[off + 8]!--;
      let sum = buf.readUInt16BE(off + 10) + 0x0100;
      sum = (sum & 0xffff) + (sum >>> 16);
      buf.writeUInt16BE(sum & 0xffff, off + 10);
      for (let k = 0; k < outs.length; k++) outs[k]!.send(buf, off, b.lengths[i]!);
    }
    for (let k = 0; k < outs.length; k++) outs[k]!.flush();
  });
  return async () => {
    const out = {
      impl: 'relay',
      iif: { name: inl.name, ...inl.counters },
      oifs: outs.map((l) => ({ name: l.name, ...l.counters })),
    };
    await inl.close();
    for (const l of outs) await l.close();
    return out;
  };
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.impl === 'router' && !routerAvailable()) {
    console.error(`mrsh-forwarder: ${routerPath} does not exist yet (use --impl relay)`);
    process.exit(3);
  }
  const finish = a.impl === 'router' ? await runRouter(a) : await runRelay(a);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const summary = await finish();
    console.log(JSON.stringify(summary));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  console.log('ready');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(`mrsh-forwarder: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  });
}
