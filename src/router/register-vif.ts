// The register vif of a routing daemon under `mrsh exec`, as Linux gives it one
// (net/ipv4/ipmr.c, ipmr_reg_vif and pim_rcv): adding a VIFF_REGISTER vif makes a `pimreg`
// interface (pimd looks its ifindex up and exits without it), and PIM Registers the host
// receives, on any interface, are decapsulated into the register vif. mrsh's `pimreg` is
// a TUN device in the daemon's namespace; the Registers come from a raw PIM socket of
// mrsh's own, which sees every PIM packet the host's stack takes in (the daemon's own raw
// PIM socket still gets its copy, as on Linux).
import { MrtError } from '../dataplane/errno.js';
import { REGISTER_IFINDEX4 } from '../dataplane/inet.js';
import { requireNative, type NativeIo, type PollHandle } from '../dataplane/links/native.js';
import { decapRegister } from '../dataplane/pim-register-input.js';
import type { Router } from './router.js';

/** Linux's pimreg: ETH_DATA_LEN - sizeof(iphdr) - 8 */
const PIMREG_MTU = 1500 - 20 - 8;
const IPPROTO_PIM = 103;
const SLOT = 65536;
const BATCH = 32;
const RCVBUF = 1 << 20;

export class RegisterVif {
  private io: NativeIo;
  private tunFd = -1;
  private rawFd = -1;
  private polls: PollHandle[] = [];
  private readonly rx = Buffer.alloc(SLOT * BATCH);
  private readonly offs = new Int32Array(BATCH);
  private readonly lens = new Int32Array(BATCH);
  /** what the host sent out of pimreg: Linux turns it into WHOLEPKT upcalls; here it is dropped */
  pimregTxDropped = 0;
  /** the vif this serves, or -1 while closed */
  vifi = -1;

  constructor(private readonly router: Router) {
    this.io = requireNative();
  }

  /** MRT_ADD_VIF with VIFF_REGISTER: `pimreg` and the Register input. */
  open(vifi: number): void {
    if (this.vifi >= 0) throw new MrtError('EADDRINUSE', `vif ${this.vifi} is already the register vif`);
    let tun;
    try {
      tun = this.io.openTun('pimreg', PIMREG_MTU, null);
    } catch (e) {
      // Linux's vif_add answers ENOBUFS when the pimreg device cannot be registered
      throw new MrtError('ENOBUFS', `cannot create the pimreg interface: ${(e as Error).message}`);
    }
    if (!tun.created) {
      this.io.close(tun.fd);
      throw new MrtError('ENOBUFS', 'an interface named pimreg already exists in this namespace (another multicast router?)');
    }
    const raw = this.io.openRaw(IPPROTO_PIM, RCVBUF);
    if (raw < 0) {
      this.io.close(tun.fd);
      throw new MrtError('ENOBUFS', `cannot open a raw PIM socket for the Registers: errno ${-raw}`);
    }
    this.tunFd = tun.fd;
    this.rawFd = raw;
    this.vifi = vifi;
    this.polls = [this.io.pollStart(raw, () => this.registers()), this.io.pollStart(tun.fd, () => this.drainPimreg())];
  }

  close(): void {
    for (const p of this.polls) this.io.pollStop(p);
    this.polls = [];
    if (this.rawFd >= 0) this.io.close(this.rawFd);
    if (this.tunFd >= 0) this.io.close(this.tunFd); // the device goes with its last fd
    this.rawFd = this.tunFd = -1;
    this.vifi = -1;
  }

  private registers(): void {
    const e = this.router.inet;
    for (;;) {
      this.router.syncClock();
      const n = this.io.recvTun(this.rawFd, this.rx, SLOT, BATCH, this.offs, this.lens);
      if (n <= 0) break;
      for (let i = 0; i < n; i++) {
        const off = this.offs[i]!;
        const len = this.lens[i]!;
        if (len < 20) continue;
        // only while the engine has the register vif (a daemon may be deleting it)
        if (e.regVif !== this.vifi) continue;
        const inner = decapRegister(this.rx, off, len, e.pimstat);
        if (inner >= 0) e.input(REGISTER_IFINDEX4, this.rx, inner, off + len - inner);
      }
      // the copies queued for sending still point into rx: send them before it is reused
      this.router.settle();
      if (n < BATCH) break;
    }
  }

  private drainPimreg(): void {
    for (;;) {
      const n = this.io.recvTun(this.tunFd, this.rx, SLOT, BATCH, this.offs, this.lens);
      if (n <= 0) return;
      this.pimregTxDropped += n;
    }
  }
}
