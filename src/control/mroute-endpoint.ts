// The routing-socket endpoint of `mrsh daemon`: programs under `mrsh exec` reach the
// engine here, each raw IGMP/ICMPv6 socket of theirs as two SOCK_SEQPACKET connections
// (native/mrsh_rsock_proto.h): `data`, the fd the program holds, where upcalls arrive,
// and `ctl`, where its setsockopt/getsockopt/ioctl requests come in order. The Linux
// personality (src/dataplane/linux-socket.ts) answers them on the engine. A socket's
// close, or its program's death, is the kernel's close of the mrouter socket: what it
// owned is torn down and the log says so.
import { readFileSync, unlinkSync, lstatSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { parseIPv4, parseIPv6 } from '../dataplane/addr.js';
import { LINUX_ERRNO } from '../dataplane/codecs/linux.js';
import { LinuxMrouteSocket, LinuxMroute6Socket, type VifBinder } from '../dataplane/linux-socket.js';
import { requireNative, type NativeIo, type PollHandle } from '../dataplane/links/native.js';
import type { Upcall } from '../dataplane/upcall.js';
import type { Router } from '../router/router.js';
import { RegisterVif } from '../router/register-vif.js';
import type { Family } from '../router/api.js';
import * as P from './mroute-proto.js';

export interface EndpointOptions {
  path: string;
  /** admit this group (mode 0660), else only the owner (0600) */
  gid?: number;
  log?: (msg: string) => void;
  /** the seqpacket calls (the addon's; the warm-up passes an in-memory one) */
  io?: EndpointIo;
}

export type EndpointIo = Pick<NativeIo, 'seqpacketListen' | 'seqpacketAccept' | 'seqpacketRecv' | 'seqpacketSend' | 'pollStart' | 'pollStop' | 'close'>;

interface Conn {
  fd: number;
  poll: PollHandle | null;
  pid: number;
  uid: number;
  sock: RSock | null;
}

interface RSock {
  token: number;
  family: Family;
  program: string;
  pid: number;
  data: Conn;
  ctl: Conn | null;
  impl: LinuxMrouteSocket | LinuxMroute6Socket;
  /** requests waiting while an asynchronous one (MRT_ADD_VIF opening a link) runs */
  backlog: P.Request[];
  busy: boolean;
  closed: boolean;
}

const SLOT = 65536 + P.REQ_SIZE;
const BATCH = 32;
const ROUNDS = 8;
const EAGAIN = 11;
// MRT_ADD_MFC / MRT_DEL_MFC, the same numbers for MRT6_*
const MRT_ADD_MFC = 204;
const MRT_DEL_MFC = 205;

/** errno name (MrtError) → Linux number, for errors raised outside the Linux socket */
function linuxErrno(name: string | undefined): number {
  return (name && (LINUX_ERRNO as Record<string, number>)[name]) || LINUX_ERRNO.EINVAL;
}

function optName(level: number, name: number): string {
  const v4 = ['MRT_INIT', 'MRT_DONE', 'MRT_ADD_VIF', 'MRT_DEL_VIF', 'MRT_ADD_MFC', 'MRT_DEL_MFC', 'MRT_VERSION', 'MRT_ASSERT', 'MRT_PIM', 'MRT_TABLE'];
  const n = v4[name - 200];
  return n ? (level === 41 ? n.replace('MRT_', 'MRT6_').replace('_VIF', '_MIF') : n) : `option ${name}`;
}

export class MrouteEndpoint {
  private io: EndpointIo;
  private listenFd = -1;
  private listenPoll: PollHandle | null = null;
  private readonly conns = new Set<Conn>();
  private readonly byToken = new Map<number, RSock>();
  private readonly rx = Buffer.alloc(SLOT * BATCH);
  private readonly rxLen = new Int32Array(BATCH);
  private readonly log: (msg: string) => void;
  /** pipelined calls whose result the library guessed wrong (it reports them too) */
  mismatches = 0;
  /** upcalls the owner's socket had no room for (the kernel drops them too) */
  upcallsDropped = 0;
  /** `pimreg` and the Register input, while a daemon's register vif exists */
  private registerVif: RegisterVif | null = null;

  constructor(
    private readonly router: Router,
    private readonly opts: EndpointOptions,
  ) {
    this.io = opts.io ?? requireNative();
    this.log = opts.log ?? (() => {});
  }

  /** Opens the endpoint; the path must be absent or a stale socket the caller checked. */
  listen(): void {
    const path = this.opts.path;
    try {
      if (lstatSync(path).isSocket()) unlinkSync(path);
    } catch {
      // absent
    }
    const fd = this.io.seqpacketListen(path, this.opts.gid !== undefined && this.opts.gid >= 0 ? 0o660 : 0o600, this.opts.gid ?? -1);
    if (fd < 0) throw new Error(`${path}: ${errnoName(-fd)}`);
    this.listenFd = fd;
    this.listenPoll = this.io.pollStart(fd, () => this.acceptAll());
  }

  private acceptAll(): void {
    for (;;) {
      const a = this.io.seqpacketAccept(this.listenFd);
      if (a === null) return;
      if (typeof a === 'number') {
        this.log(`routing socket: accept: ${errnoName(-a)}`);
        return;
      }
      // The file mode admits the owner (or the group); the credentials say who it is.
      const me = process.geteuid?.() ?? 0;
      if (this.opts.gid === undefined && a.uid !== me && a.uid !== 0) {
        this.log(`routing socket: refused uid ${a.uid} (pid ${a.pid}): only uid ${me} and root may connect`);
        this.io.close(a.fd);
        continue;
      }
      const c: Conn = { fd: a.fd, poll: null, pid: a.pid, uid: a.uid, sock: null };
      this.conns.add(c);
      c.poll = this.io.pollStart(a.fd, () => this.readable(c));
    }
  }

  private readable(c: Conn): void {
    if (!this.conns.has(c)) return;
    this.router.syncClock();
    // a few batches per wakeup: a pipelining daemon sends faster than one loop turn each
    for (let round = 0; round < ROUNDS; round++) {
      const n = this.io.seqpacketRecv(c.fd, this.rx, SLOT, BATCH, this.rxLen);
      if (n < 0) return this.drop(c, errnoName(-n));
      if (!this.take(c, n)) return;
      if (c.sock) this.run(c.sock);
      if (n < BATCH) break;
    }
    this.router.settle();
  }

  /** false when the connection was closed */
  private take(c: Conn, n: number): boolean {
    for (let i = 0; i < n; i++) {
      const len = this.rxLen[i];
      if (len === -1) return this.drop(c, null), false;
      const off = i * SLOT;
      if (c.sock === null) {
        if (!this.hello(c, len < 0 ? Buffer.alloc(0) : this.rx.subarray(off, off + len))) return false;
        continue;
      }
      if (c.sock.data === c) continue; // nothing is read from the data side but its close
      if (len === -2) {
        this.log(`${who(c.sock)}: a request larger than ${SLOT} bytes, closing`);
        return this.drop(c, null), false;
      }
      const s = c.sock;
      // answered at once when nothing waits before it, so the bytes need no copy
      const now = !s.busy && s.backlog.length === 0;
      const req = P.decodeRequest(this.rx, off, len, !now);
      if (typeof req === 'string') {
        this.log(`${who(s)}: ${req}, closing`);
        return this.drop(c, null), false;
      }
      if (now) this.step(s, req);
      else s.backlog.push(req);
      if (s.closed) return false;
    }
    return true;
  }

  private hello(c: Conn, b: Buffer): boolean {
    const h = P.decodeHello(b);
    const refuse = (err: number, why: string) => {
      this.log(`routing socket from pid ${c.pid}: ${why}`);
      this.io.seqpacketSend(c.fd, P.encodeHelloReply(err, 0));
      this.drop(c, null);
      return false;
    };
    if (typeof h === 'string') return refuse(LINUX_ERRNO.EPROTO ?? 71, h);
    if (h.kind === P.HELLO_CTL) {
      const s = this.byToken.get(h.token);
      if (!s || s.ctl !== null || s.data.uid !== c.uid) return refuse(LINUX_ERRNO.ENOENT, `ctl hello names no socket (token ${h.token})`);
      s.ctl = c;
      c.sock = s;
      this.io.seqpacketSend(c.fd, P.encodeHelloReply(0, s.token));
      return true;
    }
    if (h.kind !== P.HELLO_DATA) return refuse(LINUX_ERRNO.EINVAL, `hello kind ${h.kind}`);
    let family: Family;
    if (h.domain === P.LINUX_AF_INET && h.protocol === P.IPPROTO_IGMP) family = 'inet';
    else if (h.domain === P.LINUX_AF_INET6 && h.protocol === P.IPPROTO_ICMPV6) family = 'inet6';
    else return refuse(LINUX_ERRNO.EPROTONOSUPPORT ?? 93, `socket(${h.domain}, SOCK_RAW, ${h.protocol}) is not a routing socket`);
    let token: number;
    do token = randomInt(1, 0x7fffffff);
    while (this.byToken.has(token));
    const binder: VifBinder = {
      bindVif: (fam, vifi, by) => this.router.bindExternalVif(fam, vifi, by),
      releaseVif: async (fam, vifi) => {
        if (fam === 'inet' && this.registerVif?.vifi === vifi) this.registerVif.close();
        else await this.router.releaseExternalVif(fam, vifi);
      },
      bindRegisterVif: async (vifi) => (this.registerVif ??= new RegisterVif(this.router)).open(vifi),
    };
    const impl = family === 'inet' ? new LinuxMrouteSocket(this.router.inet, binder) : new LinuxMroute6Socket(this.router.inet6, binder);
    const s: RSock = { token, family, program: programName(c.pid, h.comm), pid: c.pid || h.pid, data: c, ctl: null, impl, backlog: [], busy: false, closed: false };
    c.sock = s;
    this.byToken.set(token, s);
    this.io.seqpacketSend(c.fd, P.encodeHelloReply(0, token));
    return true;
  }

  /** Answers a socket's queued requests in order; an asynchronous one holds the rest back. */
  private run(s: RSock): void {
    while (!s.busy && !s.closed && s.backlog.length > 0) this.step(s, s.backlog.shift()!);
  }

  private step(s: RSock, req: P.Request): void {
    let r: ReturnType<LinuxMrouteSocket['setsockopt']>;
    try {
      r = this.dispatch(s, req);
    } catch (e) {
      r = { err: linuxErrno((e as { errno?: string }).errno), message: (e as Error).message };
    }
    if (!(r instanceof Promise)) return this.answer(s, req, r);
    s.busy = true;
    r.then(
      (res) => this.answer(s, req, res),
      (e: Error & { errno?: string }) => this.answer(s, req, { err: linuxErrno(e.errno), message: e.message }),
    ).finally(() => {
      s.busy = false;
      this.router.syncClock();
      this.run(s);
      this.router.settle();
    });
  }

  private dispatch(s: RSock, req: P.Request): ReturnType<LinuxMrouteSocket['setsockopt']> {
    switch (req.op) {
      case P.OP_SETSOCKOPT:
        return s.impl.setsockopt(req.level, req.name, req.payload);
      case P.OP_GETSOCKOPT:
        return s.impl.getsockopt(req.level, req.name, req.payload.length);
      case P.OP_IOCTL:
        return s.impl.ioctl(req.name >>> 0, req.payload);
      default:
        return { err: LINUX_ERRNO.EINVAL, message: `unknown request op ${req.op}` };
    }
  }

  private answer(s: RSock, req: P.Request, r: { err: number; data?: Buffer; message?: string }): void {
    if (s.closed) return;
    // an MFC change cannot change who owns the family: spare the hot path the look
    if (req.name !== MRT_ADD_MFC && req.name !== MRT_DEL_MFC) this.noteOwner(s);
    if (req.flags & P.F_ASYNC) {
      if (r.err === req.expect) return;
      this.mismatches++;
      this.log(`${who(s)}: pipelined ${optName(req.level, req.name)} returned ${req.expect ? errnoName(req.expect) : 0} to the program, mrsh answered ${r.err ? errnoName(r.err) : 0}${r.message ? ` (${r.message})` : ''}`);
      this.reply(s, req, r, P.F_MISMATCH);
      return;
    }
    this.reply(s, req, r, 0);
  }

  private reply(s: RSock, req: P.Request, r: { err: number; data?: Buffer }, flags: number): void {
    if (!s.ctl) return;
    const n = this.io.seqpacketSend(s.ctl.fd, P.encodeReply(req.seq, req.op, flags, r.err, r.data));
    // The library waits for every synchronous reply; one it cannot get is a dead socket.
    if (n < 0 && -n !== EAGAIN) this.closeSocket(s, `reply: ${errnoName(-n)}`);
    else if (n < 0) this.log(`${who(s)}: reply queue full, the program is not reading its replies`);
  }

  /** The router learns who owns a family, and where its upcalls go, as it changes. */
  private noteOwner(s: RSock): void {
    const cur = this.router.externalOwner(s.family);
    const owns = s.impl.isMrouter;
    if (owns && (cur === null || cur.pid !== s.pid || cur.program !== s.program || this.ownerToken(s.family) !== s.token)) {
      this.owners[s.family] = s.token;
      this.router.setExternalOwner(s.family, { program: s.program, pid: s.pid }, (u) => this.upcall(s, u), (ifindex, buf, off, len, hl) => this.packet(s, ifindex, buf, off, len, hl));
      this.log(`${who(s)} owns the ${famName(s.family)} routing socket (MRT${s.family === 'inet6' ? '6' : ''}_INIT)`);
    } else if (!owns && this.ownerToken(s.family) === s.token) {
      this.owners[s.family] = 0;
      this.router.setExternalOwner(s.family, null);
      this.log(`${who(s)} released the ${famName(s.family)} routing socket`);
    }
  }
  private readonly owners: Record<Family, number> = { inet: 0, inet6: 0 };
  private ownerToken(f: Family): number {
    return this.owners[f];
  }

  private upcall(s: RSock, u: Upcall): void {
    if (s.closed) return;
    const bytes = s.family === 'inet' ? LinuxMrouteSocket.upcallBytes(u) : LinuxMroute6Socket.upcallBytes(u);
    if (!bytes) return;
    const e = s.family === 'inet' ? this.router.inet : this.router.inet6;
    const v6 = s.family === 'inet6';
    const src = v6 ? parseIPv6(u.from) : be32(parseIPv4(u.from));
    const ifindex = u.vif >= 0 && u.vif < e.maxVifs ? Math.max(0, e.vifIf[u.vif]) : 0;
    // the destination of ipi_addr / ipi6_addr: the group (igmpmsg im_dst, mrt6msg im6_dst)
    const dst = v6 ? bytes.subarray(24, 40) : bytes.subarray(16, 20);
    const n = this.io.seqpacketSend(s.data.fd, P.encodeData(P.DATA_UPCALL, ifindex, src, dst, bytes));
    if (n < 0) {
      // the kernel's answer to a full receive buffer: the upcall is lost, and counted
      this.upcallsDropped++;
      e.stat.upq_sockfull++;
    }
  }

  /** IGMP/MLD from a vif's link, as the kernel hands them to the mrouter socket */
  private packet(s: RSock, ifindex: number, buf: Uint8Array, off: number, len: number, hdrLen: number): boolean {
    if (s.closed) return false;
    const v6 = s.family === 'inet6';
    const src = v6 ? buf.subarray(off + 8, off + 24) : buf.subarray(off + 12, off + 16);
    const dst = v6 ? buf.subarray(off + 24, off + 40) : buf.subarray(off + 16, off + 20);
    const n = this.io.seqpacketSend(s.data.fd, P.encodeData(P.DATA_PACKET, ifindex, src, dst, buf.subarray(off + hdrLen, off + len)));
    // a daemon that does not read: its socket's buffer bounds what waits, the rest is counted
    return n >= 0;
  }

  private drop(c: Conn, why: string | null): void {
    if (c.sock) this.closeSocket(c.sock, why);
    else this.closeConn(c);
  }

  private closeConn(c: Conn): void {
    if (!this.conns.delete(c)) return;
    if (c.poll) this.io.pollStop(c.poll);
    this.io.close(c.fd);
  }

  private closeSocket(s: RSock, why: string | null): void {
    if (s.closed) return;
    s.closed = true;
    this.byToken.delete(s.token);
    this.closeConn(s.data);
    if (s.ctl) this.closeConn(s.ctl);
    if (!s.impl.isMrouter) return void s.impl.close();
    const e = s.family === 'inet' ? this.router.inet : this.router.inet6;
    let vifs = 0;
    for (let v = 0; v < e.numVifs; v++) if (e.vifUsed[v]) vifs++;
    const entries = e.resolvedCount;
    const pending = e.pending.size;
    void s.impl.close().then(
      () => {
        if (this.ownerToken(s.family) === s.token) {
          this.owners[s.family] = 0;
          this.router.setExternalOwner(s.family, null);
        }
        this.router.settle();
        this.log(
          `${who(s)} closed its ${famName(s.family)} routing socket${why ? ` (${why})` : ''}: ${vifs} ${s.family === 'inet' ? 'vifs' : 'mifs'}, ${entries} MFC entries and ${pending} unresolved removed`,
        );
      },
      (err: Error) => this.log(`${who(s)}: teardown: ${err.message}`),
    );
  }

  get socketCount(): number {
    return this.byToken.size;
  }

  async close(): Promise<void> {
    for (const s of [...this.byToken.values()]) this.closeSocket(s, 'mrsh is stopping');
    for (const c of [...this.conns]) this.closeConn(c);
    this.registerVif?.close();
    if (this.listenPoll) this.io.pollStop(this.listenPoll);
    if (this.listenFd >= 0) this.io.close(this.listenFd);
    this.listenFd = -1;
    try {
      unlinkSync(this.opts.path);
    } catch {
      // gone already
    }
  }
}

/** The endpoint beside a control socket. */
export function mrouteSocketPath(controlPath: string): string {
  return `${controlPath}.mroute`;
}

function who(s: RSock): string {
  return `${s.program} (pid ${s.pid})`;
}

function famName(f: Family): string {
  return f === 'inet' ? 'ipv4' : 'ipv6';
}

function be32(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}

/** The program's name from the kernel (the credentials' pid), else what the hello said. */
function programName(pid: number, comm: string): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() || comm || 'unknown';
  } catch {
    return comm || 'unknown';
  }
}

function errnoName(n: number): string {
  for (const [k, v] of Object.entries(LINUX_ERRNO)) if (v === n) return k;
  return `errno ${n}`;
}
