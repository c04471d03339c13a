// Counters, named as FreeBSD names them so `show statistics` can print netstat -gs's lines.

/** struct mrtstat / struct mrt6stat, without the mrts_ / mrt6s_ prefix. */
export class MrtStat {
  mfc_lookups = 0;
  mfc_misses = 0;
  upcalls = 0;
  no_route = 0;
  bad_tunnel = 0; // legacy, never incremented (as FreeBSD)
  cant_tunnel = 0; // legacy, never incremented
  wrong_if = 0;
  upq_ovflw = 0;
  cache_cleanups = 0;
  drop_sel = 0; // legacy rate limiter, never incremented
  q_overflow = 0; // never incremented
  pkt2large = 0; // never incremented
  upq_sockfull = 0;
}
export const MRTSTAT_FIELDS = Object.keys(new MrtStat()) as (keyof MrtStat)[];

/** struct pimstat (IPv4 PIM Register send/receive). */
export class PimStat {
  rcv_total_msgs = 0;
  rcv_total_bytes = 0;
  rcv_tooshort = 0;
  rcv_badsum = 0;
  rcv_badversion = 0;
  rcv_registers_msgs = 0;
  rcv_registers_bytes = 0;
  rcv_registers_wrongiif = 0;
  rcv_badregisters = 0;
  snd_registers_msgs = 0;
  snd_registers_bytes = 0;
}
export const PIMSTAT_FIELDS = Object.keys(new PimStat()) as (keyof PimStat)[];

/**
 * Where every packet handed to the engine went: exactly one of these counts it.
 * The kernel spreads the same facts over ipstat, mrtstat and silence; a userspace
 * router owes the operator one ledger that adds up (rx = sum of all the others).
 */
export class PacketLedger {
  rx = 0;
  // malformed, dropped before any lookup
  bad_short = 0; // shorter than a header
  bad_version = 0;
  bad_hdrlen = 0; // IPv4 IHL < 5 or beyond the packet
  bad_len = 0; // total / payload length inconsistent with the bytes received
  bad_sum = 0; // IPv4 header checksum
  bad_dst = 0; // destination not multicast
  bad_src = 0; // source multicast, or IPv6 unspecified source (ip6s_cantforward)
  bad_exthdr = 0; // IPv6 extension header chain that cannot be walked
  bad_options = 0; // IPv4 source route options: FreeBSD refuses to forward them
  // well-formed, not for forwarding by rule (the kernel delivers these locally only)
  local_scope = 0; // TTL/hop limit <= 1, 224.0.0.0/24, ffx1::/ffx2::
  linklocal_src = 0; // 169.254/16 source (RFC 3927 check in FreeBSD's ip_input)
  // looked up
  forwarded = 0; // resolved entry, arrived on the parent vif (0..n copies sent)
  wrong_if = 0; // resolved entry, arrived elsewhere
  miss_upcall = 0; // new pending entry created, NOCACHE sent, packet held
  miss_queued = 0; // held on an existing pending entry
  miss_overflow = 0; // pending entry's queue full (mrts_upq_ovflw)
  miss_novif = 0; // miss on an interface that is no vif: dropped silently (IPv4)
  miss_sockfull = 0; // NOCACHE could not be queued: entry discarded (ENOBUFS)
  miss_cap = 0; // unresolved-entry cap reached: no entry, no upcall
}
export const LEDGER_FIELDS = Object.keys(new PacketLedger()) as (keyof PacketLedger)[];

export function resetCounters<T extends object>(o: T): void {
  for (const k of Object.keys(o)) (o as Record<string, number>)[k] = 0;
}
