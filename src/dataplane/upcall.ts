// Upcalls: the messages the engine leaves on the routing socket for the routing daemon.
// Each keeps the exact bytes a FreeBSD daemon would read (struct igmpmsg / struct mrt6msg
// and what the kernel appends) and decodes its header on demand.

export type FamilyName = 'inet' | 'inet6';

/** IGMPMSG_* / MRT6MSG_* */
export const UPCALL_NOCACHE = 1;
export const UPCALL_WRONGVIF = 2;
export const UPCALL_WHOLEPKT = 3;
export const UPCALL_BW = 4; // FreeBSD IGMPMSG_BW_UPCALL (Linux reuses 4 for WRVIFWHOLE)

export const UPCALL_NAMES: Record<number, string> = {
  1: 'NOCACHE',
  2: 'WRONGVIF',
  3: 'WHOLEPKT',
  4: 'BW_UPCALL',
};

/** One bw_upcall record as delivered (IPv4 only). Times in microseconds. */
export interface BwUpcallRecord {
  src: number;
  dst: number;
  flags: number;
  thresholdUs: number;
  thresholdPackets: number;
  thresholdBytes: number;
  measuredUs: number;
  measuredPackets: number;
  measuredBytes: number;
}

export class Upcall {
  constructor(
    readonly family: FamilyName,
    readonly type: number,
    /** im_vif / im6_mif */
    readonly vif: number,
    /** the message exactly as read(2) would return it */
    readonly bytes: Buffer,
    /** engine clock, ms */
    readonly time: number,
    /** the sockaddr a recvfrom() would report: S for data upcalls, 0.0.0.0 for BW */
    readonly from: string,
    readonly records?: BwUpcallRecord[],
  ) {}

  get typeName(): string {
    return UPCALL_NAMES[this.type] ?? `TYPE${this.type}`;
  }
}

/**
 * The routing socket's receive buffer: bounded, so an unread socket cannot grow the
 * router without limit. A full buffer drops the new message (mrts_upq_sockfull).
 */
export class UpcallQueue {
  private ring: (Upcall | undefined)[];
  private head = 0;
  private count = 0;
  /** called after a message is queued, so a reader can be woken */
  onPush: (() => void) | null = null;

  constructor(readonly limit: number) {
    this.ring = new Array(limit);
  }

  get length(): number {
    return this.count;
  }

  push(u: Upcall): boolean {
    if (this.count >= this.limit) return false;
    this.ring[(this.head + this.count) % this.limit] = u;
    this.count++;
    this.onPush?.();
    return true;
  }

  shift(): Upcall | undefined {
    if (this.count === 0) return undefined;
    const u = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.limit;
    this.count--;
    return u;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
  }
}
