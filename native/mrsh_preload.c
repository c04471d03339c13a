/*
 * libmrsh_preload.so: `mrsh exec` preloads this into an unmodified routing daemon so that
 * its raw IGMP / ICMPv6 socket is served by `mrsh daemon` instead of the kernel's ipmr.
 *
 * A managed socket is three fds (wire protocol: mrsh_rsock_proto.h):
 *   data  the fd socket() returns: a SOCK_SEQPACKET connection whose datagrams are the
 *         upcalls, so select/poll/epoll/O_NONBLOCK/close work on it unmodified;
 *   ctl   hidden: set/getsockopt and ioctl requests, answered in order;
 *   kern  hidden: a real raw socket of the same kind, which takes every call that is not
 *         multicast routing (IP_PKTINFO, memberships, SIOCGIFMTU, sends), so those answer
 *         exactly as the kernel would. A filter that accepts nothing keeps its receive
 *         queue empty: what the program reads comes from mrsh.
 *
 * MRT_ADD_MFC / MRT_DEL_MFC on the socket that owns the routing table are answered here
 * with Linux's rules and sent without waiting (MRSH_F_ASYNC): a daemon installing routes
 * would otherwise pay a round trip through the daemon per entry. The daemon checks each
 * one and answers only when it disagrees; we report that on stderr.
 *
 * Layouts are Linux amd64's (linux/mroute.h, mroute6.h); the header is not included
 * because it clashes with netinet/in.h.
 */
#define _GNU_SOURCE
#include "mrsh_rsock_proto.h"
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define MRT_BASE 200 /* MRT_* and MRT6_* share the numbers 200..212 */
#define MRT_LAST 212
#define MRT_INIT 200
#define MRT_DONE 201
#define MRT_ADD_MFC 204
#define MRT_DEL_MFC 205
#define MRT_FLUSH 212
#define MAXVIFS 32 /* MAXMIFS is 32 on Linux too */
#define MFCCTL_SIZE 60
#define MF6CCTL_SIZE 92
#define SIOC_FIRST 0x89E0 /* SIOCPROTOPRIVATE: SIOCGETVIFCNT / SIOCGETMIFCNT_IN6 */
#define SIOC_LAST 0x89E2  /* SIOCGETRPF */
#define HDR ((int)sizeof(struct mrsh_data_hdr))

/* ---- the real calls ------------------------------------------------------------------ */

#define REAL(name) real_##name
#define DECLARE(ret, name, ...) static ret (*real_##name)(__VA_ARGS__)
DECLARE(int, socket, int, int, int);
DECLARE(int, close, int);
DECLARE(int, setsockopt, int, int, int, const void *, socklen_t);
DECLARE(int, getsockopt, int, int, int, void *, socklen_t *);
DECLARE(int, ioctl, int, unsigned long, ...);
DECLARE(ssize_t, read, int, void *, size_t);
DECLARE(ssize_t, readv, int, const struct iovec *, int);
DECLARE(ssize_t, recv, int, void *, size_t, int);
DECLARE(ssize_t, recvfrom, int, void *, size_t, int, struct sockaddr *, socklen_t *);
DECLARE(ssize_t, recvmsg, int, struct msghdr *, int);
DECLARE(ssize_t, write, int, const void *, size_t);
DECLARE(ssize_t, writev, int, const struct iovec *, int);
DECLARE(ssize_t, send, int, const void *, size_t, int);
DECLARE(ssize_t, sendto, int, const void *, size_t, int, const struct sockaddr *, socklen_t);
DECLARE(ssize_t, sendmsg, int, const struct msghdr *, int);
DECLARE(int, sendmmsg, int, struct mmsghdr *, unsigned int, int);
DECLARE(int, bind, int, const struct sockaddr *, socklen_t);
DECLARE(int, connect, int, const struct sockaddr *, socklen_t);
DECLARE(int, getsockname, int, struct sockaddr *, socklen_t *);
DECLARE(int, getpeername, int, struct sockaddr *, socklen_t *);
DECLARE(int, shutdown, int, int);
DECLARE(int, dup, int);
DECLARE(int, dup2, int, int);
DECLARE(int, dup3, int, int, int);
DECLARE(int, fcntl, int, int, ...);
DECLARE(int, fcntl64, int, int, ...);

static pthread_once_t resolved = PTHREAD_ONCE_INIT;
static void resolve(void) {
#define R(name) real_##name = dlsym(RTLD_NEXT, #name)
  R(socket), R(close), R(setsockopt), R(getsockopt), R(ioctl), R(read), R(readv), R(recv), R(recvfrom);
  R(recvmsg), R(write), R(writev), R(send), R(sendto), R(sendmsg), R(sendmmsg), R(bind), R(connect);
  R(getsockname), R(getpeername), R(shutdown), R(dup), R(dup2), R(dup3), R(fcntl), R(fcntl64);
#undef R
  if (!real_fcntl64) real_fcntl64 = real_fcntl; /* glibc before 2.28 */
}
/* every wrapper starts here: another library's constructor may call us before ours ran */
#define READY() pthread_once(&resolved, resolve)

/* ---- per-socket state ---------------------------------------------------------------- */

/* A set of (S,G) keys (8 bytes IPv4, 32 IPv6): open addressing, linear probing,
 * backward-shift deletion, so it never fills with tombstones. */
struct sgset {
  uint8_t *keys, *used;
  size_t cap, n, ks;
};

/* Mismatch reports name the call: the few pipelined calls still unanswered, by seq. */
#define RING 4096
struct pending {
  uint32_t seq;
  int16_t name, expect;
};

struct msock {
  int refs;     /* data fds (dup) naming it */
  int domain;   /* AF_INET | AF_INET6 */
  int ctl, kern;
  int pktinfo;  /* IP_PKTINFO / IPV6_RECVPKTINFO is on: synthesize the cmsg */
  int pktinfo2292;
  int mrouter;  /* our MRT_INIT succeeded and no MRT_DONE since: MFC calls are pipelined */
  uint32_t seq;
  unsigned async_since_drain;
  struct sgset mirror; /* the entries this socket added, to answer MRT_DEL_MFC */
  struct pending *ring;
};

/* fd -> socket. Data fds are looked up on every read() of the program, so the table is a
 * flat array read without the lock; it is only written under it. */
#define MAXFD 65536
static struct msock *fds[MAXFD];
static uint8_t hidden[MAXFD]; /* our ctl/kern fds: the program may not close them */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static struct msock *lookup(int fd) {
  return (unsigned)fd < MAXFD ? __atomic_load_n(&fds[fd], __ATOMIC_ACQUIRE) : NULL;
}
static int is_hidden(int fd) { return (unsigned)fd < MAXFD && hidden[fd]; }

static void lock(void) { pthread_mutex_lock(&mu); }
static void unlock(void) { pthread_mutex_unlock(&mu); }
/* a child of fork() must not inherit the lock held by a thread that does not exist there */
__attribute__((constructor)) static void init(void) {
  READY();
  pthread_atfork(lock, unlock, unlock);
}

static size_t sg_slot(const struct sgset *s, const uint8_t *k) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (size_t i = 0; i < s->ks; i++) h = (h ^ k[i]) * 1099511628211ULL;
  return (size_t)(h ^ (h >> 29)) & (s->cap - 1);
}
static int sg_find(const struct sgset *s, const uint8_t *k, size_t *at) {
  if (!s->cap) return 0;
  for (size_t i = sg_slot(s, k);; i = (i + 1) & (s->cap - 1)) {
    if (!s->used[i]) return *at = i, 0;
    if (!memcmp(s->keys + i * s->ks, k, s->ks)) return *at = i, 1;
  }
}
static int sg_has(const struct sgset *s, const uint8_t *k) {
  size_t at;
  return sg_find(s, k, &at);
}
static int sg_add(struct sgset *s, const uint8_t *k);
static int sg_grow(struct sgset *s) {
  struct sgset g = {calloc(s->cap ? s->cap * 2 : 1024, s->ks), calloc(s->cap ? s->cap * 2 : 1024, 1), s->cap ? s->cap * 2 : 1024, 0, s->ks};
  if (!g.keys || !g.used) return free(g.keys), free(g.used), -1;
  for (size_t i = 0; i < s->cap; i++)
    if (s->used[i]) sg_add(&g, s->keys + i * s->ks);
  free(s->keys), free(s->used);
  *s = g;
  return 0;
}
/* -1 only when memory runs out; the caller then stops answering DEL locally */
static int sg_add(struct sgset *s, const uint8_t *k) {
  size_t at;
  if ((s->n + 1) * 4 > s->cap * 3 && sg_grow(s)) return -1;
  if (sg_find(s, k, &at)) return 0;
  memcpy(s->keys + at * s->ks, k, s->ks);
  s->used[at] = 1, s->n++;
  return 0;
}
static void sg_del(struct sgset *s, const uint8_t *k) {
  size_t i, j, mask = s->cap - 1;
  if (!sg_find(s, k, &i)) return;
  s->used[i] = 0, s->n--;
  /* pull back every later entry of the run that may no longer be reachable */
  for (j = (i + 1) & mask; s->used[j]; j = (j + 1) & mask) {
    size_t home = sg_slot(s, s->keys + j * s->ks);
    if (((j - home) & mask) >= ((j - i) & mask)) {
      memcpy(s->keys + i * s->ks, s->keys + j * s->ks, s->ks);
      s->used[i] = 1, s->used[j] = 0, i = j;
    }
  }
}
static void sg_clear(struct sgset *s) {
  free(s->keys), free(s->used);
  s->keys = s->used = NULL, s->cap = s->n = 0;
}

static void msock_free(struct msock *s) {
  if ((unsigned)s->ctl < MAXFD) hidden[s->ctl] = 0;
  if ((unsigned)s->kern < MAXFD) hidden[s->kern] = 0;
  REAL(close)(s->ctl), REAL(close)(s->kern);
  sg_clear(&s->mirror);
  free(s->ring);
  free(s);
}

/* fds[fd] = s (or NULL), dropping whatever the slot named; under the lock */
static void set_fd(int fd, struct msock *s) {
  if ((unsigned)fd >= MAXFD) return;
  struct msock *old = fds[fd];
  if (s) s->refs++;
  __atomic_store_n(&fds[fd], s, __ATOMIC_RELEASE);
  if (old && --old->refs == 0) msock_free(old);
}

/* ---- talking to mrsh ----------------------------------------------------------------- */

static const char *endpoint(void) { return getenv("MRSH_MROUTE_SOCKET"); }

static const char *errname(int e) {
  const char *n = e ? strerrorname_np(e) : "0";
  return n ? n : "an unknown errno";
}

/* hidden fds live high, away from the low numbers a select() daemon uses */
static int move_high(int fd) {
  struct rlimit rl;
  int base = 512;
  if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY) base = rl.rlim_cur / 2 > 4096 ? 4096 : (int)rl.rlim_cur / 2;
  int hi = base > 3 ? REAL(fcntl)(fd, F_DUPFD_CLOEXEC, base) : -1;
  if (hi < 0) return fd; /* not fatal: it is CLOEXEC already */
  REAL(close)(fd);
  return hi;
}

/* one connection to the endpoint and its hello; -errno on failure, after saying why */
static int hello(int kind, int domain, int protocol, uint32_t token, int flags, uint32_t *token_out) {
  const char *path = endpoint();
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (!path || !*path) {
    fprintf(stderr, "mrsh-preload: MRSH_MROUTE_SOCKET is not set (start the program with mrsh exec)\n");
    return -ENOENT;
  }
  if (strlen(path) >= sizeof sa.sun_path) {
    fprintf(stderr, "mrsh-preload: cannot reach mrsh at %s: %s\n", path, strerror(ENAMETOOLONG));
    return -ENAMETOOLONG;
  }
  strcpy(sa.sun_path, path);
  int fd = REAL(socket)(AF_UNIX, SOCK_SEQPACKET | (flags & SOCK_CLOEXEC), 0);
  if (fd < 0) return -errno;
  struct mrsh_hello h = {MRSH_RSOCK_MAGIC, MRSH_RSOCK_VERSION, kind, domain, protocol, token, getpid(), {0}};
  prctl(PR_GET_NAME, h.comm);
  struct mrsh_hello_reply r;
  int e = 0;
  if (REAL(connect)(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || REAL(send)(fd, &h, sizeof h, MSG_NOSIGNAL) != sizeof h) e = errno;
  else {
    ssize_t n;
    do n = REAL(recv)(fd, &r, sizeof r, 0);
    while (n < 0 && errno == EINTR);
    e = n < 0 ? errno : n < (ssize_t)sizeof r || r.magic != MRSH_RSOCK_MAGIC ? ECONNRESET : 0;
  }
  if (e) {
    fprintf(stderr, "mrsh-preload: cannot reach mrsh at %s: %s\n", path, strerror(e));
    REAL(close)(fd);
    return -e;
  }
  if (r.err) { /* mrsh said no, the way the kernel would refuse socket() */
    fprintf(stderr, "mrsh-preload: mrsh at %s refused the socket: %s\n", path, strerror(r.err));
    REAL(close)(fd);
    return -(int)r.err;
  }
  *token_out = r.token;
  return fd;
}

static void report_mismatch(struct msock *s, const struct mrsh_reply *r) {
  struct pending *p = s->ring ? &s->ring[r->seq % RING] : NULL;
  int known = p && p->seq == r->seq;
  char name[24];
  int v6 = s->domain == AF_INET6;
  if (known) snprintf(name, sizeof name, "MRT%s_%s_MFC", v6 ? "6" : "", p->name == MRT_ADD_MFC ? "ADD" : "DEL");
  else snprintf(name, sizeof name, "an MRT%s option", v6 ? "6" : "");
  fprintf(stderr, "mrsh-preload: setsockopt(%s) returned %s but mrsh answered %s\n", name, known ? errname(p->expect) : "?", errname(r->err));
}

/* Reads replies until the one for `seq` (0: only what is queued now), reporting the
 * mismatches of pipelined calls met on the way. Returns its errno, copies its payload. */
static int read_replies(struct msock *s, uint32_t seq, void *out, size_t cap, size_t *outlen) {
  for (;;) {
    struct mrsh_reply r;
    struct iovec v[2] = {{&r, sizeof r}, {out, seq ? cap : 0}};
    struct msghdr m = {.msg_iov = v, .msg_iovlen = 2};
    ssize_t n = REAL(recvmsg)(s->ctl, &m, seq ? 0 : MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && !seq) return 0;
    if (n <= 0) {
      fprintf(stderr, "mrsh-preload: mrsh closed the routing socket's control connection%s%s\n", n ? ": " : "", n ? strerror(errno) : "");
      return EIO;
    }
    if (n < (ssize_t)sizeof r) continue;
    if (r.flags & MRSH_F_MISMATCH) report_mismatch(s, &r);
    else if (seq && r.seq == seq) {
      if (outlen) *outlen = r.len < cap ? r.len : cap; /* what was copied, as the kernel's optlen */
      return r.err;
    }
  }
}

/* Sends a request; waits for its reply unless `async`. Under the lock. */
static int request(struct msock *s, int op, int level, int name, const void *payload, size_t len, int async, int expect, void *out, size_t cap, size_t *outlen) {
  if (++s->seq == 0) s->seq = 1; /* 0 means "no reply wanted" to read_replies */
  struct mrsh_req q = {s->seq, op, async ? MRSH_F_ASYNC : 0, level, name, len, expect};
  struct iovec v[2] = {{&q, sizeof q}, {(void *)payload, len}};
  struct msghdr m = {.msg_iov = v, .msg_iovlen = 2};
  ssize_t n;
  if (async && s->ring) s->ring[q.seq % RING] = (struct pending){q.seq, name, expect};
  do n = REAL(sendmsg)(s->ctl, &m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    int e = errno;
    fprintf(stderr, "mrsh-preload: cannot send to mrsh: %s\n", strerror(e));
    return e == EMSGSIZE ? EINVAL : EIO;
  }
  if (!async) return read_replies(s, q.seq, out, cap, outlen);
  /* a program that only pipelines still hears about mismatches, at one syscall in 64 */
  if (++s->async_since_drain >= 64) {
    int saved = errno; /* its EAGAIN is no business of a call that succeeded */
    s->async_since_drain = 0;
    read_replies(s, 0, NULL, 0, NULL);
    errno = saved;
  }
  return expect;
}

/* ---- socket() ------------------------------------------------------------------------ */

static int managed_kind(int domain, int type, int protocol) {
  if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_RAW) return 0;
  return (domain == AF_INET && protocol == IPPROTO_IGMP) || (domain == AF_INET6 && protocol == IPPROTO_ICMPV6);
}

int socket(int domain, int type, int protocol) {
  READY();
  if (!managed_kind(domain, type, protocol)) return REAL(socket)(domain, type, protocol);
  /* the kernel decides first whether this program may have a raw socket at all */
  int kern = REAL(socket)(domain, type | SOCK_CLOEXEC, protocol);
  if (kern < 0) return -1;
  kern = move_high(kern); /* before data is opened, so data gets the number the kernel would give */
  struct sock_filter none = BPF_STMT(BPF_RET | BPF_K, 0);
  struct sock_fprog prog = {1, &none};
  REAL(setsockopt)(kern, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
  uint32_t token, unused;
  int data = hello(MRSH_HELLO_DATA, domain, protocol, 0, type, &token);
  int ctl = data < 0 ? data : hello(MRSH_HELLO_CTL, domain, protocol, token, SOCK_CLOEXEC, &unused);
  struct msock *s = ctl < 0 || data >= MAXFD ? NULL : calloc(1, sizeof *s);
  if (!s) {
    int e = data < 0 ? -data : ctl < 0 ? -ctl : data >= MAXFD ? EMFILE : ENOMEM;
    if (data >= 0) REAL(close)(data);
    if (ctl >= 0) REAL(close)(ctl);
    REAL(close)(kern);
    errno = e;
    return -1;
  }
  /* room for many pipelined requests before sendmsg blocks (root may exceed wmem_max) */
  int sndbuf = 4 << 20;
  if (REAL(setsockopt)(ctl, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf)) REAL(setsockopt)(ctl, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (type & SOCK_NONBLOCK) {
    REAL(fcntl)(data, F_SETFL, REAL(fcntl)(data, F_GETFL) | O_NONBLOCK);
    REAL(fcntl)(kern, F_SETFL, REAL(fcntl)(kern, F_GETFL) | O_NONBLOCK);
  }
  s->domain = domain;
  s->ctl = move_high(ctl);
  s->kern = kern;
  s->mirror.ks = domain == AF_INET ? 8 : 32;
  lock();
  if ((unsigned)s->ctl < MAXFD) hidden[s->ctl] = 1;
  if ((unsigned)s->kern < MAXFD) hidden[s->kern] = 1;
  set_fd(data, s);
  unlock();
  return data;
}

/* ---- options and ioctls -------------------------------------------------------------- */

static int mrt_level(const struct msock *s, int level, int name) {
  return name >= MRT_BASE && name <= MRT_LAST && level == (s->domain == AF_INET ? IPPROTO_IP : IPPROTO_IPV6);
}

static int fail(int e) {
  if (!e) return 0;
  errno = e;
  return -1;
}

/* Linux's answer to MRT_ADD_MFC / MRT_DEL_MFC on the owning socket (ipmr.c
 * ip_mroute_setsockopt, ipmr_mfc_add/delete; ip6mr.c likewise), or -1 when only the
 * daemon knows: a DEL of an entry this socket did not add. Fills the (S,G) key. */
static int decide_mfc(const struct msock *s, int name, const uint8_t *v, socklen_t len, uint8_t *key) {
  int v6 = s->domain == AF_INET6;
  if (v6 ? len < MF6CCTL_SIZE : len != MFCCTL_SIZE) return EINVAL;
  const uint8_t *src = v6 ? v + 8 : v, *grp = v6 ? v + 36 : v + 4;
  uint16_t parent;
  memcpy(&parent, v + (v6 ? 56 : 8), 2);
  memcpy(key, src, v6 ? 16 : 4);
  memcpy(key + (v6 ? 16 : 4), grp, v6 ? 16 : 4);
  if (name == MRT_DEL_MFC) return sg_has(&s->mirror, key) ? 0 : -1;
  if (parent >= MAXVIFS) return ENFILE;
  static const uint8_t any[16];
  int multicast = v6 ? grp[0] == 0xff : (grp[0] & 0xf0) == 0xe0;
  if (!multicast && memcmp(grp, any, v6 ? 16 : 4)) return EINVAL;
  return 0;
}

/* after the daemon (or our decision) said yes, what the socket now knows */
static void note_set(struct msock *s, int name, const uint8_t *key) {
  if (name == MRT_INIT && !s->ring) s->ring = calloc(RING, sizeof *s->ring);
  if (name == MRT_INIT) s->mrouter = s->ring != NULL;
  if (name == MRT_DONE) s->mrouter = 0;
  if (name == MRT_DONE || name == MRT_FLUSH) sg_clear(&s->mirror); /* a miss only costs a round trip */
  if (name == MRT_ADD_MFC && key && sg_add(&s->mirror, key)) s->mrouter = 0;
  if (name == MRT_DEL_MFC && key) sg_del(&s->mirror, key);
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len) {
  READY();
  struct msock *s = lookup(fd);
  if (!s) return REAL(setsockopt)(fd, level, name, val, len);
  if (!mrt_level(s, level, name)) {
    int r = REAL(setsockopt)(s->kern, level, name, val, len);
    int on = r == 0 && val && len >= (socklen_t)sizeof(int) && *(const int *)val;
    if (r == 0 && s->domain == AF_INET && level == IPPROTO_IP && name == IP_PKTINFO) s->pktinfo = on;
    if (r == 0 && s->domain == AF_INET6 && level == IPPROTO_IPV6 && name == IPV6_RECVPKTINFO) s->pktinfo = on;
    if (r == 0 && s->domain == AF_INET6 && level == IPPROTO_IPV6 && name == IPV6_2292PKTINFO) s->pktinfo2292 = on;
    /* the program's reads block on the data fd, so a receive timeout must hold there */
    if (r == 0 && level == SOL_SOCKET && name == SO_RCVTIMEO) REAL(setsockopt)(fd, level, name, val, len);
    return r;
  }
  if (len > 65536) return fail(EINVAL); /* no routing option is near this; a request must fit the daemon's slot */
  if (len && !val) return fail(EFAULT);
  uint8_t key[32];
  lock();
  int mfc = s->mrouter && (name == MRT_ADD_MFC || name == MRT_DEL_MFC);
  int e = mfc ? decide_mfc(s, name, val, len, key) : -1;
  if (e >= 0) e = request(s, MRSH_OP_SETSOCKOPT, level, name, val, len, 1, e, NULL, 0, NULL);
  else e = request(s, MRSH_OP_SETSOCKOPT, level, name, val, len, 0, 0, NULL, 0, NULL);
  if (!e) note_set(s, name, mfc ? key : NULL);
  unlock();
  return fail(e);
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len) {
  READY();
  struct msock *s = lookup(fd);
  if (!s) return REAL(getsockopt)(fd, level, name, val, len);
  if (!mrt_level(s, level, name)) return REAL(getsockopt)(s->kern, level, name, val, len);
  if (!len || (*len && !val)) return fail(EFAULT);
  size_t cap = *len > 65536 ? 65536 : *len, got = 0;
  lock();
  int e = request(s, MRSH_OP_GETSOCKOPT, level, name, val, cap, 0, 0, val, cap, &got);
  unlock();
  if (!e) *len = got;
  return fail(e);
}

/* the argument struct of each routing ioctl (sioc_vif_req, sioc_sg_req, ...; SIOCGETRPF
 * has none on Linux) */
static size_t sioc_size(int domain, unsigned long req) {
  static const size_t v4[] = {40, 32, 0}, v6[] = {40, 80, 0};
  return (domain == AF_INET ? v4 : v6)[req - SIOC_FIRST];
}

int ioctl(int fd, unsigned long req, ...) {
  READY();
  va_list ap;
  va_start(ap, req);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  struct msock *s = lookup(fd);
  if (!s) return REAL(ioctl)(fd, req, arg);
  if (req == FIONREAD && arg) { /* a raw socket answers the size of its next datagram */
    uint8_t h[HDR];
    ssize_t n = REAL(recv)(fd, h, sizeof h, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN) return -1;
    *(int *)arg = n > HDR ? (int)n - HDR : 0;
    return 0;
  }
  if (req < SIOC_FIRST || req > SIOC_LAST) return REAL(ioctl)(s->kern, req, arg);
  size_t size = sioc_size(s->domain, req), got = 0;
  if (size && !arg) return fail(EFAULT);
  lock();
  int e = request(s, MRSH_OP_IOCTL, 0, (int)req, arg, size, 0, 0, arg, size, &got);
  unlock();
  return fail(e);
}

/* ---- receiving: strip the data header, rebuild what a raw socket adds ----------------- */

static void fill_name(const struct msock *s, const struct mrsh_data_hdr *h, void *name, socklen_t *namelen) {
  union {
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
  } a;
  memset(&a, 0, sizeof a);
  socklen_t n;
  if (s->domain == AF_INET) {
    a.in.sin_family = AF_INET;
    memcpy(&a.in.sin_addr, h->src, 4);
    n = sizeof a.in;
  } else {
    a.in6.sin6_family = AF_INET6;
    memcpy(&a.in6.sin6_addr, h->src, 16);
    if (h->src[0] == 0xfe && (h->src[1] & 0xc0) == 0x80) a.in6.sin6_scope_id = h->ifindex; /* as rawv6_recvmsg */
    n = sizeof a.in6;
  }
  memcpy(name, &a, *namelen < n ? *namelen : n);
  *namelen = n;
}

/* The pktinfo cmsg, as ip_cmsg_recv / ip6_datagram_recv_ctl would put it. ipi_spec_dst
 * stays 0: it is the local address the kernel would pick, which only the kernel knows. */
static void fill_control(const struct msock *s, const struct mrsh_data_hdr *h, struct msghdr *m) {
  size_t cap = m->msg_control ? m->msg_controllen : 0;
  m->msg_controllen = 0;
  int want = s->domain == AF_INET6 ? (s->pktinfo || s->pktinfo2292) : s->pktinfo;
  if (!want) return;
  size_t size = s->domain == AF_INET ? sizeof(struct in_pktinfo) : sizeof(struct in6_pktinfo);
  if (cap < CMSG_SPACE(size)) {
    m->msg_flags |= MSG_CTRUNC;
    return;
  }
  struct cmsghdr *c = m->msg_control;
  memset(c, 0, CMSG_SPACE(size));
  c->cmsg_len = CMSG_LEN(size);
  if (s->domain == AF_INET) {
    struct in_pktinfo *p = (void *)CMSG_DATA(c);
    c->cmsg_level = IPPROTO_IP, c->cmsg_type = IP_PKTINFO;
    p->ipi_ifindex = h->ifindex;
    memcpy(&p->ipi_addr, h->dst, 4);
  } else {
    struct in6_pktinfo *p = (void *)CMSG_DATA(c);
    c->cmsg_level = IPPROTO_IPV6, c->cmsg_type = s->pktinfo ? IPV6_PKTINFO : IPV6_2292PKTINFO;
    p->ipi6_ifindex = h->ifindex;
    memcpy(&p->ipi6_addr, h->dst, 16);
  }
  m->msg_controllen = CMSG_SPACE(size);
}

/* One datagram into [header, the caller's buffers]: the kernel truncates a short buffer
 * (MSG_TRUNC) and honours MSG_PEEK / MSG_TRUNC exactly as on the raw socket. */
static ssize_t data_recvmsg(struct msock *s, int fd, struct msghdr *m, int flags) {
  if (flags & MSG_ERRQUEUE) return REAL(recvmsg)(s->kern, m, flags); /* our sends' errors */
  if (m->msg_iovlen > IOV_MAX - 1) return fail(EMSGSIZE);
  struct mrsh_data_hdr h;
  struct iovec v[m->msg_iovlen + 1];
  v[0] = (struct iovec){&h, sizeof h};
  memcpy(v + 1, m->msg_iov, m->msg_iovlen * sizeof *v);
  struct msghdr k = {.msg_iov = v, .msg_iovlen = m->msg_iovlen + 1};
  ssize_t n = REAL(recvmsg)(fd, &k, flags);
  if (n < 0) return n;
  m->msg_flags = k.msg_flags;
  if (n == 0) {
    /* mrsh went away, and every route with it. A raw socket has no EOF: a daemon would spin
     * on it believing its routes are in place, so it is ended (SIGTERM, which it may catch
     * to clean up) for its supervisor to start it again beside a new mrsh. */
    static int said;
    if (!said++) {
      fprintf(stderr, "mrsh-preload: mrsh closed the routing socket (its daemon stopped): the routes are gone, ending this program\n");
      raise(SIGTERM);
    }
    m->msg_controllen = 0;
    if (m->msg_name) m->msg_namelen = 0;
    return 0;
  }
  if (n < HDR) return fail(EPROTO);
  if (m->msg_name) fill_name(s, &h, m->msg_name, &m->msg_namelen);
  fill_control(s, &h, m);
  return n - HDR;
}

ssize_t recvmsg(int fd, struct msghdr *m, int flags) {
  READY();
  struct msock *s = lookup(fd);
  return s ? data_recvmsg(s, fd, m, flags) : REAL(recvmsg)(fd, m, flags);
}

static ssize_t data_recvfrom(struct msock *s, int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen) {
  struct iovec v = {buf, len};
  struct msghdr m = {.msg_name = from && fromlen ? from : NULL, .msg_namelen = from && fromlen ? *fromlen : 0, .msg_iov = &v, .msg_iovlen = 1};
  ssize_t n = data_recvmsg(s, fd, &m, flags);
  if (n >= 0 && from && fromlen) *fromlen = m.msg_namelen;
  return n;
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen) {
  READY();
  struct msock *s = lookup(fd);
  return s ? data_recvfrom(s, fd, buf, len, flags, from, fromlen) : REAL(recvfrom)(fd, buf, len, flags, from, fromlen);
}

ssize_t recv(int fd, void *buf, size_t len, int flags) {
  READY();
  struct msock *s = lookup(fd);
  return s ? data_recvfrom(s, fd, buf, len, flags, NULL, NULL) : REAL(recv)(fd, buf, len, flags);
}

ssize_t read(int fd, void *buf, size_t len) {
  READY();
  struct msock *s = lookup(fd);
  return s ? data_recvfrom(s, fd, buf, len, 0, NULL, NULL) : REAL(read)(fd, buf, len);
}

ssize_t readv(int fd, const struct iovec *iov, int n) {
  READY();
  struct msock *s = lookup(fd);
  if (!s) return REAL(readv)(fd, iov, n);
  if (n < 0) return fail(EINVAL);
  struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = n};
  return data_recvmsg(s, fd, &m, 0);
}

/* Linux recvmmsg without its timeout: MSG_WAITFORONE, or the first error, ends the batch */
int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags, struct timespec *timeout) {
  READY();
  static int (*real)(int, struct mmsghdr *, unsigned int, int, struct timespec *);
  if (!real) real = dlsym(RTLD_NEXT, "recvmmsg");
  struct msock *s = lookup(fd);
  if (!s) return real(fd, v, n, flags, timeout);
  unsigned i;
  for (i = 0; i < n; i++) {
    int f = flags & ~MSG_WAITFORONE;
    if (i && (flags & MSG_WAITFORONE)) f |= MSG_DONTWAIT;
    ssize_t r = data_recvmsg(s, fd, &v[i].msg_hdr, f);
    if (r < 0) return i ? (int)i : -1;
    v[i].msg_len = r;
  }
  return i;
}

/* glibc's _FORTIFY_SOURCE versions, which Debian's daemons call instead */
extern void __chk_fail(void) __attribute__((noreturn));
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen) {
  if (len > buflen) __chk_fail();
  return read(fd, buf, len);
}
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags) {
  if (len > buflen) __chk_fail();
  return recv(fd, buf, len, flags);
}
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags, struct sockaddr *from, socklen_t *fromlen) {
  if (len > buflen) __chk_fail();
  return recvfrom(fd, buf, len, flags, from, fromlen);
}

/* ---- what the kernel socket answers: sends, addresses ----------------------------------- */

/* the fd the kernel should see for fd */
static int kern_of(int fd) {
  struct msock *s = lookup(fd);
  return s ? s->kern : fd;
}

ssize_t write(int fd, const void *buf, size_t len) {
  READY();
  return REAL(write)(kern_of(fd), buf, len);
}
ssize_t writev(int fd, const struct iovec *iov, int n) {
  READY();
  return REAL(writev)(kern_of(fd), iov, n);
}
ssize_t send(int fd, const void *buf, size_t len, int flags) {
  READY();
  return REAL(send)(kern_of(fd), buf, len, flags);
}
ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen) {
  READY();
  return REAL(sendto)(kern_of(fd), buf, len, flags, to, tolen);
}
ssize_t sendmsg(int fd, const struct msghdr *m, int flags) {
  READY();
  return REAL(sendmsg)(kern_of(fd), m, flags);
}
int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags) {
  READY();
  return REAL(sendmmsg)(kern_of(fd), v, n, flags);
}
int bind(int fd, const struct sockaddr *a, socklen_t len) {
  READY();
  return REAL(bind)(kern_of(fd), a, len);
}
int connect(int fd, const struct sockaddr *a, socklen_t len) {
  READY();
  return REAL(connect)(kern_of(fd), a, len);
}
int getsockname(int fd, struct sockaddr *a, socklen_t *len) {
  READY();
  return REAL(getsockname)(kern_of(fd), a, len);
}
int getpeername(int fd, struct sockaddr *a, socklen_t *len) {
  READY();
  return REAL(getpeername)(kern_of(fd), a, len);
}
/* shutting down the data connection would close the mrouter socket under the program */
int shutdown(int fd, int how) {
  READY();
  return REAL(shutdown)(kern_of(fd), how);
}

/* ---- fd lifecycle: close and dup keep the mapping ------------------------------------- */

int close(int fd) {
  READY();
  if (is_hidden(fd)) return fail(EBADF);
  if (!lookup(fd)) return REAL(close)(fd);
  lock();
  set_fd(fd, NULL); /* the last data fd closes ctl and kern; the daemon sees data's EOF */
  int r = REAL(close)(fd);
  unlock();
  return r;
}

/* newfd now names what oldfd names (r: the real call's result) */
static int dup_result(int oldfd, int r) {
  if (r < 0 || (unsigned)r >= MAXFD) return r;
  lock();
  set_fd(r, lookup(oldfd));
  unlock();
  return r;
}

int dup(int fd) {
  READY();
  return dup_result(fd, REAL(dup)(fd));
}
int dup2(int oldfd, int newfd) {
  READY();
  if (is_hidden(newfd)) return fail(EBADF);
  if (oldfd == newfd) return REAL(dup2)(oldfd, newfd);
  return dup_result(oldfd, REAL(dup2)(oldfd, newfd));
}
int dup3(int oldfd, int newfd, int flags) {
  READY();
  if (is_hidden(newfd)) return fail(EBADF);
  return dup_result(oldfd, REAL(dup3)(oldfd, newfd, flags));
}

static int do_fcntl(int (*real)(int, int, ...), int fd, int cmd, void *arg) {
  struct msock *s = lookup(fd);
  int r = real(fd, cmd, arg);
  if (!s) return r;
  if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) return dup_result(fd, r);
  /* O_NONBLOCK on the kernel socket too, so its sends do not block either */
  if (cmd == F_SETFL && r == 0) real(s->kern, F_SETFL, (void *)((long)arg & O_NONBLOCK));
  return r;
}
int fcntl(int fd, int cmd, ...) {
  READY();
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *); /* as glibc reads it: an int or a pointer */
  va_end(ap);
  return do_fcntl(REAL(fcntl), fd, cmd, arg);
}
int fcntl64(int fd, int cmd, ...) {
  READY();
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  return do_fcntl(REAL(fcntl64), fd, cmd, arg);
}
