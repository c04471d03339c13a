// Network namespaces for the forwarding benchmark:
//
//   ns S (sender) s0 ── veth ── r0 [ns R: router] r1 ── veth ── o0 (ns O1, receiver)
//                                                 r2 ── veth ── o0 (ns O2, receiver)
//                                                 r3 ── veth ── o0 (ns O3, receiver)
//
// Addresses are documentation ones (192.0.2.0/24 in, 198.51.100.0/26 blocks out), only inside these namespaces. The router's receive work
// is steered to core 0 (RPS on r0), so whatever forwards - the kernel or mrsh - pays on
// core 0 for the same kernel work: the router namespace's input, the copies out, veth xmit.
// Receivers cost the router's core as little as possible: nothing listens in their
// namespaces, so each frame ends in the receiver's ip_rcv (unjoined group, dropped) and is
// counted by o0's rx_packets. That small drop runs on core 0 for the kernel and mrsh alike.
// Steering receivers to core 1 with RPS instead costs one inter-processor interrupt per
// frame sent from process context (mrsh's sendmmsg) but one per softirq batch for the
// kernel's own forwarding; on a VM an IPI is an MSR write and a VM exit, which skewed the
// comparison by itself (measured: a third of core 0 in native_write_msr). A tc ingress
// drop would be cheaper still, but this kernel has no matchall/gact modules.
// bench/forward.ts --receivers-off-core moves the receivers' input to core 1 instead, with
// no IPI per frame for either forwarder (threaded NAPI on o0, see napiOn). On a 2-core
// machine core 1 then carries the sender and the receivers and becomes the limit (~240k
// pps offered), so that mode compares the router core's busy share at equal load rather
// than peak rates.
import { execFileSync } from 'node:child_process';

export interface Topology {
  sender: string;
  router: string;
  receivers: string[];
  /** router-side interface names */
  iif: string;
  oifs: string[];
  senderAddr: string;
  receiverAddrs: string[];
}

export function sh(cmd: string, args: string[], allowFail = false): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if (allowFail) return '';
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(err.stderr ?? err.message).trim()}`);
  }
}

export const inNs = (ns: string, cmd: string, args: string[], allowFail = false): string =>
  sh('ip', ['netns', 'exec', ns, cmd, ...args], allowFail);

function addNs(name: string): void {
  sh('ip', ['netns', 'del', name], true);
  sh('ip', ['netns', 'add', name]);
  inNs(name, 'ip', ['link', 'set', 'lo', 'up']);
  // No IPv6 chatter (MLD, ND, RS) on the measured links.
  inNs(name, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  // Receivers join up to 1000 groups in one socket.
  inNs(name, 'sysctl', ['-qw', 'net.ipv4.igmp_max_memberships=2048']);
}

function veth(nsA: string, a: string, nsB: string, b: string, queues = 1): void {
  const q = queues > 1 ? ['numrxqueues', String(queues), 'numtxqueues', String(queues)] : [];
  sh('ip', ['link', 'add', a, 'netns', nsA, ...q, 'type', 'veth', 'peer', 'name', b, 'netns', nsB, ...q]);
  inNs(nsA, 'ip', ['link', 'set', a, 'up']);
  inNs(nsB, 'ip', ['link', 'set', b, 'up']);
}

/** Receive Packet Steering: which CPUs process what arrives on dev (hex mask). */
export function steer(ns: string, dev: string, mask: string): void {
  inNs(ns, 'sh', ['-c', `echo ${mask} > /sys/class/net/${dev}/queues/rx-0/rps_cpus`], true);
}

export interface TopologyOptions {
  /** run the receivers' input on this CPU (threaded NAPI, see napiOn) instead of the
   * sending one's - the router's - core */
  receiversCpu?: string;
  /** rx and tx queues of the sender's veth pair (s0, r0) */
  inputQueues?: number;
}

export function buildTopology(prefix = `mrsh-b-${process.pid}`, receivers = 3, opts: TopologyOptions = {}): Topology {
  const t: Topology = {
    sender: `${prefix}-s`,
    router: `${prefix}-r`,
    receivers: Array.from({ length: receivers }, (_, i) => `${prefix}-o${i + 1}`),
    iif: 'r0',
    oifs: Array.from({ length: receivers }, (_, i) => `r${i + 1}`),
    senderAddr: '192.0.2.1',
    receiverAddrs: Array.from({ length: receivers }, (_, i) => `198.51.100.${64 * i + 1}`),
  };
  try {
    for (const ns of [t.sender, t.router, ...t.receivers]) addNs(ns);
    veth(t.sender, 's0', t.router, 'r0', opts.inputQueues ?? 1);
    inNs(t.sender, 'ip', ['addr', 'add', '192.0.2.1/24', 'dev', 's0']);
    inNs(t.router, 'ip', ['addr', 'add', '192.0.2.2/24', 'dev', 'r0']);
    t.receivers.forEach((ns, i) => {
      veth(t.router, `r${i + 1}`, ns, 'o0');
      inNs(t.router, 'ip', ['addr', 'add', `198.51.100.${64 * i + 2}/26`, 'dev', `r${i + 1}`]);
      inNs(ns, 'ip', ['addr', 'add', `198.51.100.${64 * i + 1}/26`, 'dev', 'o0']);
      inNs(ns, 'ip', ['route', 'add', 'default', 'via', `198.51.100.${64 * i + 2}`]);
    });
    steer(t.router, 'r0', '1');
    if (opts.receiversCpu !== undefined) {
      // veth hands a frame to the peer's NAPI only if it could be aggregated: no TSO here
      for (const o of t.oifs) inNs(t.router, 'ethtool', ['-K', o, 'tso', 'off']);
      for (const ns of t.receivers) napiOn(ns, 'o0', opts.receiversCpu);
    }
    return t;
  } catch (e) {
    teardown(t);
    throw e;
  }
}

export function teardown(t: Topology): void {
  for (const ns of [t.sender, t.router, ...t.receivers]) sh('ip', ['netns', 'del', ns], true);
}

/** A device's kernel counter (rx_packets, tx_packets, rx_dropped...) in a namespace. */
export function devCounter(ns: string, dev: string, counter: string): number {
  return Number(inNs(ns, 'cat', [`/sys/class/net/${dev}/statistics/${counter}`], true).trim() || 'NaN');
}

/** Give dev its own NAPI (veth: GRO on), threaded, its kthread pinned to cpu, kept masked
 * between timer polls (200 us) so the side sending into it needs no IPI per frame - the
 * kernel's forwarding (softirq) and mrsh's (process context) alike. */
export function napiOn(ns: string, dev: string, cpu: string): void {
  inNs(ns, 'ethtool', ['-K', dev, 'gro', 'on']);
  inNs(ns, 'sh', ['-c', `echo 2 > /sys/class/net/${dev}/napi_defer_hard_irqs; echo 200000 > /sys/class/net/${dev}/gro_flush_timeout; echo 1 > /sys/class/net/${dev}/threaded`]);
  const pids = sh('sh', ['-c', `for p in /proc/[0-9]*; do c=$(cat $p/comm 2>/dev/null); case "$c" in napi/${dev}-*) echo \${p#/proc/};; esac; done`]).trim().split('\n').filter(Boolean);
  for (const pid of pids) sh('taskset', ['-p', '-c', cpu, pid]);
}
