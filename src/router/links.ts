// Link binding: the links vifs of both families share (one per interface, counted by the
// vifs using it), opened on first use and closed with the last vif, and the binding of a
// vif that a program under `mrsh exec` names by ifindex or address.

import { networkInterfaces } from 'node:os';
import { MrtError, fail } from '../dataplane/errno.js';
import type { Link } from '../dataplane/links/link.js';
import { VirtualLink } from '../dataplane/links/virtual.js';
import type { RouterCore } from './core.js';
import type { Family, LinkSpec } from './api.js';

export interface BoundLink {
  link: Link;
  /** vifs (both families) that use it */
  users: Set<string>;
  started: boolean;
}

/** `workers`: forwarding workers take the link's input (workers.ts), this copy only sends */
export type OpenLink = (spec: LinkSpec, local: string | undefined, opts?: { workers: boolean }) => Promise<Link>;

export class LinkBinder {
  private readonly links = new Map<string, BoundLink>();

  constructor(
    private readonly core: RouterCore,
    readonly open: OpenLink,
  ) {}

  /** the bound link of spec's interface, or a new one not yet kept (see bind) */
  async acquire(family: Family, spec: LinkSpec, local: string | undefined): Promise<{ bound: BoundLink; created: boolean }> {
    const bound = this.links.get(linkKey(spec.kind, spec.name));
    if (bound && spec.kind === 'packet' && spec.xdp && !bound.link.xdp) {
      fail('EBUSY', `dev ${spec.name} is already open without XDP input (${[...bound.users].join(', ')}); give those vifs xdp too`);
    }
    if (bound) return { bound, created: false };
    const workers = this.core.workers.serves(spec);
    const link = await this.open(spec, family === 'inet' ? local : undefined, { workers });
    if (workers) {
      try {
        await this.core.workers.openLink(linkKey(link.kind, link.name), spec, link);
      } catch (err) {
        await link.close();
        throw err;
      }
    }
    return { bound: { link, users: new Set(), started: false }, created: true };
  }

  /**
   * Tells the engine about the link's interface, with `local` among its IPv4 addresses;
   * returns the vif's local address (IPv4: the given one, the link's first, or a
   * 127.0.1.N stand-in).
   */
  attach(family: Family, vifi: number, link: Link, local: string | undefined): string | undefined {
    const e = this.core.engine(family);
    const lcl = family === 'inet' ? local ?? link.addrs4[0] ?? `127.0.1.${vifi + 1}` : undefined;
    const ifp = e.interfaces.get(link.ifindex);
    const addrs4 = new Set([...(ifp?.addrs4 ?? link.addrs4)]);
    if (lcl) addrs4.add(lcl);
    e.attachInterface({ ifindex: link.ifindex, name: link.name, addrs4: [...addrs4], addrs6: [...link.addrs6], multicast: true });
    return lcl;
  }

  /** the vif now uses the link: kept, counted, and receiving */
  bind(family: Family, vifi: number, bound: BoundLink): void {
    const link = bound.link;
    this.links.set(linkKey(link.kind, link.name), bound);
    bound.users.add(`${family}:${vifi}`);
    this.core.vifLinks[family][vifi] = link;
    this.core.captures[family][vifi].clear();
    // in order after the workers' open: until a worker has it, its copies come here
    this.core.workers.setVif(family, vifi, linkKey(link.kind, link.name)).catch((e: Error) => process.emitWarning(`forwarding workers: vif ${vifi}: ${e.message}; its copies go through the control thread`));
    if (!bound.started) {
      bound.started = true;
      link.start(this.core.onBatch(link.ifindex));
    }
  }

  async release(family: Family, index: number): Promise<void> {
    const link = this.core.vifLinks[family][index];
    if (!link) return;
    this.core.vifLinks[family][index] = null;
    const key = linkKey(link.kind, link.name);
    await this.core.workers.setVif(family, index, null);
    const bound = this.links.get(key);
    if (!bound) return;
    bound.users.delete(`${family}:${index}`);
    if (bound.users.size > 0) return;
    this.links.delete(key);
    // The interface leaves the engine's table without the departure semantics:
    // MRT_DEL_VIF never touches MFC entries.
    this.core.inet.interfaces.delete(link.ifindex);
    this.core.inet6.interfaces.delete(link.ifindex);
    await this.discard(link);
  }

  /** Closes a link no vif kept, with the workers' sockets on it. */
  async discard(link: Link): Promise<void> {
    await this.core.workers.closeLink(linkKey(link.kind, link.name));
    await link.close();
  }

  /**
   * The interface a daemon's vifctl or mif6ctl names becomes a vif's link: the link mrsh
   * already has on that interface (any family's), else a new `dev` link on it. Interfaces
   * are the kernel's; only ifindex and addresses of this namespace are looked at.
   */
  async bindExternal(family: Family, vifi: number, by: { ifindex?: number; lclAddr?: string }): Promise<{ ifindex: number; lclAddr?: string }> {
    let bound: BoundLink | undefined;
    let name: string | null = null;
    if (by.ifindex !== undefined) {
      bound = [...this.links.values()].find((b) => b.link.ifindex === by.ifindex);
      if (!bound) {
        const { loadNative } = await import('../dataplane/links/native.js');
        name = loadNative()?.ifNameOf(by.ifindex) ?? null;
        if (name === null) fail('ENODEV', `no interface has ifindex ${by.ifindex}`);
      }
    } else if (by.lclAddr !== undefined) {
      const a = by.lclAddr;
      bound = [...this.links.values()].find((b) => b.link.addrs4.includes(a));
      if (!bound) {
        for (const [n, addrs] of Object.entries(networkInterfaces())) if (addrs?.some((x) => x.family === 'IPv4' && x.address === a)) name = n;
        if (name === null) fail('EADDRNOTAVAIL', `no interface has address ${a}`);
      }
    } else fail('EINVAL', 'a vif names its interface by ifindex or local address');
    bound ??= (await this.acquire(family, { kind: 'packet', name: name! }, undefined)).bound;
    const local = this.attach(family, vifi, bound.link, by.lclAddr);
    this.bind(family, vifi, bound);
    return { ifindex: bound.link.ifindex, lclAddr: local };
  }

  async closeAll(): Promise<void> {
    for (const b of this.links.values()) await this.discard(b.link);
    this.links.clear();
  }
}

export function linkKey(kind: string, name: string): string {
  return `${kind}:${name}`;
}

export async function openLinkDefault(spec: LinkSpec, local: string | undefined, opts: { workers: boolean } = { workers: false }): Promise<Link> {
  if (spec.kind === 'virtual') return new VirtualLink(spec.name, local ? [local] : []);
  const { loadNative, nativeUnavailableReason } = await import('../dataplane/links/native.js');
  const why = nativeUnavailableReason();
  if (why !== null || loadNative() === null) throw new MrtError('EOPNOTSUPP', `${spec.kind === 'tun' ? 'tun' : 'dev'} links are unavailable: ${why ?? 'native addon not loaded'}; virtual links still work`);
  try {
    if (spec.kind === 'tun') {
      const { openTunLink } = await import('../dataplane/links/tun.js');
      // with workers: a multi-queue device, this queue one of several
      return await openTunLink(spec.name, { addrs4: local ? [local] : [], ...(opts.workers ? { multiQueue: true } : {}) });
    }
    const { openPacketLink } = await import('../dataplane/links/packet.js');
    // with workers their sockets receive (and take the XDP queues); this one only sends
    if (opts.workers) return await openPacketLink(spec.name, { receive: false });
    const link = await openPacketLink(spec.name, spec.xdp ? { xdp: true } : {});
    if (spec.xdp && !link.xdp) {
      // asked for by name: refuse rather than run on the slower path unannounced
      const why = (link as { xdpError?: string | null }).xdpError ?? 'not attached';
      await link.close();
      throw new MrtError('EOPNOTSUPP', `dev ${spec.name}: XDP input unavailable: ${why}`);
    }
    return link;
  } catch (err) {
    if (err instanceof MrtError) throw err;
    // a bad setting is the caller's error, not a missing device
    const code = (err as { code?: string }).code === 'EINVAL' ? 'EINVAL' : 'ENODEV';
    throw new MrtError(code, `cannot open ${spec.kind === 'tun' ? 'tun' : 'dev'} ${spec.name}: ${(err as Error).message}`);
  }
}
