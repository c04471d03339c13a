// The contract between the command layer (shell, batch, one-shot, control socket) and a
// router. The embedded Router implements it; a client attached to a daemon sends its
// lines there, where they run against the daemon's Router, so commands never know
// whether the router runs in this process or in a daemon.
// All data here is plain JSON-able values: addresses are strings, counters numbers.
// Every method that changes state either applies completely or throws MrtError and
// changes nothing.

export type Family = 'inet' | 'inet6';
export type LinkSpec =
  | { kind: 'tun'; name: string }
  /** xdp: take multicast input through XDP (AF_XDP); unset: MRSH_PACKET_XDP decides */
  | { kind: 'packet'; name: string; xdp?: boolean }
  | { kind: 'virtual'; name: string };

export interface VifSpec {
  family: Family;
  index: number;
  link?: LinkSpec; // absent only for a register vif
  threshold?: number; // IPv4; stored and shown, never consulted when forwarding (as FreeBSD)
  local?: string; // IPv4 local address; defaults to the link's first address
  remote?: string;
  register?: boolean;
}

export interface VifInfo {
  family: Family;
  index: number;
  flags: number; // VIFF_* / MIFF_*
  register: boolean;
  threshold: number;
  local: string | null;
  remote: string | null;
  /** xdp: a packet link whose multicast input comes through XDP (AF_XDP) */
  link: { kind: string; name: string; ifindex: number; xdp?: boolean } | null;
  pktsIn: number;
  pktsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** send failures counted by the link (EAGAIN, ENOBUFS) */
  txDropped: number;
  /** what the vif's link received, before the engine (absent for the register vif) */
  rx?: LinkRx;
}

/** A link's input (src/router/link-rx.ts): frames = handed + dropped + kernelDropped */
export interface LinkRx {
  /** frames the interface received, as far as this link can tell */
  frames: number;
  /** handed to the engine (its ledger counts each from here) */
  handed: number;
  /** dropped by the link, by reason (not-ip, vlan, truncated, bad-length, gso, bad-csum-offset, down) */
  dropped: Record<string, number>;
  /** dropped by the kernel before the link could read them, by counter (ring-full,
   * xsk-no-frame, xsk-ring-full; a TUN's queue-full) */
  kernelDropped: Record<string, number>;
}

export interface MfcSpec {
  family: Family;
  source: string;
  group: string;
  parent: number; // iif vif index
  /** vif index -> ttl threshold (IPv4); for IPv6 any ttl > 0 puts the mif in the set */
  oifs: { vif: number; ttl: number }[];
  /** per-vif mfcctl2 flags */
  flags?: { vif: number; disableWrongvif?: boolean; border?: boolean }[];
  rp?: string;
}

/** a bandwidth meter as `bw-upcall add` gives it (IPv4) */
export interface BwUpcallSpec {
  source: string;
  group: string;
  op: 'geq' | 'leq';
  packets?: number;
  bytes?: number;
  intervalMs: number;
}

/** `bw-upcall del`: one meter by its spec, or all of (S,G)'s */
export interface BwUpcallDelSpec extends Partial<Omit<BwUpcallSpec, 'source' | 'group'>> {
  source: string;
  group: string;
  all?: boolean;
}

export interface BwMeterInfo {
  source: string;
  group: string;
  op: 'geq' | 'leq';
  unitPackets: boolean;
  unitBytes: boolean;
  thresholdPackets: number;
  thresholdBytes: number;
  intervalMs: number;
  measuredPackets: number;
  measuredBytes: number;
  startMs: number; // engine clock time the current interval started
}

export interface MfcInfo {
  family: Family;
  source: string;
  group: string;
  parent: number;
  oifs: { vif: number; ttl: number }[];
  flags: { vif: number; disableWrongvif: boolean; border: boolean }[];
  rp: string | null;
  packets: number;
  bytes: number;
  wrongIf: number;
  createdMs: number; // engine clock
  lastUsedMs: number | null;
  /** packets/s and bits/s over the last few seconds */
  pps: number;
  bps: number;
  /** daemon: the family's routing socket belongs to a program under `mrsh exec` */
  installedBy: 'user' | 'policy' | 'daemon';
  bwMeters: BwMeterInfo[];
}

export interface PendingInfo {
  family: Family;
  source: string;
  group: string;
  queued: number;
  arrivalVif: number;
  createdMs: number;
  expiresInMs: number;
}

export type UpcallType = 'NOCACHE' | 'WRONGVIF' | 'WHOLEPKT' | 'BW_UPCALL';

export interface UpcallEvent {
  seq: number;
  timeMs: number; // wall clock
  family: Family;
  type: UpcallType;
  vif: number;
  source: string;
  group: string;
  /** BW_UPCALL records, one per meter that fired */
  bw?: {
    source: string;
    group: string;
    flags: number;
    thresholdMs: number;
    thresholdPackets: number;
    thresholdBytes: number;
    measuredMs: number;
    measuredPackets: number;
    measuredBytes: number;
  }[];
  /** the exact bytes a daemon would read (struct igmpmsg / mrt6msg + appended data), hex */
  hex: string;
  length: number;
}

export interface MrtStatus {
  family: Family;
  initialized: boolean;
  version: number; // MRT_VERSION 0x0305
  pim: boolean;
  assert: boolean;
  apiSupport: number;
  apiConfig: number;
  maxVifs: number;
  vifs: number;
  mfcEntries: number;
  pendingEntries: number;
  /** who did MRT_INIT: mrsh itself, or a program under `mrsh exec`; null when not initialised */
  owner: MrtOwner | null;
}

export interface MrtOwner {
  program: string;
  pid: number;
  /** a program under `mrsh exec`, not this router's own commands */
  external?: boolean;
}

export type Stats = Record<string, number>;

export interface ExplainStep {
  check: string;
  ok: boolean;
  detail: string;
}
export interface Explanation {
  family: Family;
  source: string;
  group: string;
  verdict: 'forwarded' | 'not-forwarded' | 'pending' | 'no-entry';
  steps: ExplainStep[];
}

export interface InjectSpec {
  vif: number;
  family?: Family;
  source: string;
  group: string;
  ttl?: number;
  size?: number;
  count?: number;
  /** the datagram itself, as hex (inject raw): source, group, ttl and size are not used */
  raw?: string;
}
export interface InjectResult {
  sent: number;
  forwarded: number; // copies transmitted
  upcalls: number;
}

export interface CapturedPacket {
  timeMs: number;
  vif: number;
  family: Family;
  source: string;
  destination: string;
  ttl: number;
  protocol: number;
  length: number;
  checksumOk: boolean | null; // IPv4 header checksum; null for IPv6
  hex: string;
  /** out: the engine sent it on the vif; in: it arrived on the vif (or was injected there) */
  direction: 'in' | 'out';
}

/** `monitor capture`: one packet whole as it passes a vif; bytes valid only during the call, time in Unix ms */
export type CaptureListener = (dir: 'in' | 'out', buf: Uint8Array, off: number, len: number, timeMs: number) => void;

export interface RouterStatus {
  inet: MrtStatus;
  inet6: MrtStatus;
  /** forwarded packets/s over the last second, both families */
  forwardPps: number;
  upcallRate: number;
}

export interface RouterEvents {
  upcall: (ev: UpcallEvent) => void;
}

/**
 * A static rule above the MFC, in the spirit of smcroute's `mroute from IIF source S group
 * G to OIF...`: a NOCACHE upcall for a matching (S,G) arriving on `iif` installs the entry.
 * Prefixes are "ADDR/LEN"; a null source matches any source.
 */
export interface PolicyRule {
  family: Family;
  iif: number;
  source: string | null;
  group: string;
  oifs: { vif: number; ttl: number }[];
}

export interface PolicyInfo extends PolicyRule {
  /** 1-based position: the first matching rule wins */
  index: number;
  /** entries this rule installed since it was added */
  hits: number;
  /** entries it installed that are still in the MFC */
  installed: number;
}

export interface PolicyStatus {
  rules: PolicyInfo[];
  /** idle time after which an installed entry is deleted (0: never) */
  expireMs: number;
  /** entries removed by the idle sweep */
  expired: number;
  /** NOCACHE upcalls no rule matched */
  unmatched: number;
}

/** idle time after which a policy-installed entry is deleted, unless `policy expire` says otherwise */
export const DEFAULT_POLICY_EXPIRE_MS = 300_000;

/** one initialised family's configurable state, as specs */
export interface FamilyConfigState {
  family: Family;
  /** a program under `mrsh exec` owns the family's routing socket: its state is its own */
  owner: MrtOwner | null;
  /** MRT_API_CONFIG bits (IPv4) */
  apiConfig: number;
  /** MRT_ASSERT (IPv4) / MRT6_PIM (IPv6) */
  pim: boolean;
  pendingLimit: number;
  /** by index, as added (the local the user gave, not the derived one) */
  vifs: VifSpec[];
  registerVia: number | null;
  /** resolved entries the user added, in table order */
  mfc: MfcSpec[];
  policy: PolicyRule[];
}

export interface ConfigState {
  /** the initialised families, IPv4 first */
  families: FamilyConfigState[];
  policyExpireMs: number;
  bwUpcalls: BwUpcallSpec[];
  /** forwarding worker threads (`mrt workers`; 0: forwarding on the control thread) */
  workers?: number;
}

/** where the configuration comes from and what of the running state came from it */
export interface ConfigSource {
  /** the startup file `write memory` saves to; null when the router has none */
  startupFile: string | null;
  /** running-config lines that came from a configuration file (the rest is runtime state) */
  baseline: string[];
}

/** the static policy: routers without it refuse the policy commands */
export interface PolicyApi {
  addPolicy(rule: PolicyRule): void;
  delPolicy(rule: PolicyRule): void;
  setPolicyExpire(ms: number): void;
  policy(): PolicyStatus;
}

/** persistent configuration: a startup file, and replacing the running state with a file's */
export interface ConfigApi {
  configSource(): ConfigSource;
  setConfigBaseline(lines: string[]): void;
  /** saves runningConfig() to the startup file atomically; becomes the baseline */
  writeMemory(): { path: string; bytes: number };
  /** a throw-away router of the same kind (virtual links only) to canonicalise a config */
  scratch(): RouterApi;
}

export interface RouterApi extends Partial<PolicyApi>, Partial<ConfigApi> {
  mrtInit(family: Family): void;
  mrtDone(family: Family): void;
  setPim(family: Family, on: boolean): void;
  setAssert(on: boolean): void;
  /** The vif whose link leads toward the RP: where in-engine PIM Registers are sent (null: none). */
  setRegisterVia?(vif: number | null): void;
  /** MRT_API_CONFIG: returns the accepted subset */
  apiConfig(flags: number): number;
  mrtStatus(family: Family): MrtStatus;

  addVif(spec: VifSpec): Promise<VifInfo>;
  delVif(family: Family, index: number): Promise<void>;
  listVifs(family: Family): VifInfo[];

  /** warnings: what the kernel accepts but will not forward as asked (see Router.addMfc) */
  addMfc(spec: MfcSpec): string[] | void;
  delMfc(family: Family, source: string, group: string): void;
  /** Resolved entries; a source and/or group narrows the list (any spelling of the address). */
  listMfc(family: Family, filter?: { source?: string; group?: string }): MfcInfo[];
  listPending(family: Family): PendingInfo[];
  /** the unresolved-entry cap (mrt pending-limit) and the new flows it turned away */
  pendingCap?(family: Family): { limit: number; entries: number; dropped: number };
  setPendingLimit?(family: Family, limit: number): void;
  /** forwarding worker threads: set before the first vif that has a link */
  setWorkers?(n: number): Promise<void>;

  addBwUpcall(spec: BwUpcallSpec): void;
  delBwUpcall(spec: BwUpcallDelSpec): void;

  stats(family: Family): Stats;
  upcalls(last?: number): UpcallEvent[];
  explain(source: string, group: string, opts?: { ttl?: number; vif?: number }): Explanation;
  inject(spec: InjectSpec): InjectResult;
  capture(vif: number, family: Family, last?: number): CapturedPacket[];
  /** every packet that passes vif from now on, until the returned call */
  tapCapture(vif: number, family: Family, fn: CaptureListener): () => void;
  clearCounters(family?: Family, source?: string, group?: string): void;
  /** the configuration as lines (commands/running-config.ts writes them from configState()) */
  runningConfig(): string[];
  /** the state the configuration is written from */
  configState?(): ConfigState;
  status(): RouterStatus;

  /**
   * The engine clock (ms): the time base of createdMs, lastUsedMs and startMs, so the shell
   * can show uptimes and bw-meter remaining time. Optional: callers fall back to Date.now().
   */
  now?(): number;
  /** brings the engines to the current time; run before every command (see Router.catchUp) */
  catchUp?(): void;

  on<E extends keyof RouterEvents>(event: E, fn: RouterEvents[E]): void;
  off<E extends keyof RouterEvents>(event: E, fn: RouterEvents[E]): void;
  close(): Promise<void>;
}
