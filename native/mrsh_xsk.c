// AF_XDP input (opt-in; docs/ARCHITECTURE.md, "The addon", says why): an XDP program
// redirects multicast data frames to this socket in copy mode; everything else still
// reaches the packet socket.
//
// Several xsk inputs of one interface (links in several worker threads, each binding its
// own rx queues) share one XDP program and one xskmap: an interface allows one program,
// and the map is keyed by rx queue. A process-wide table of interfaces (keyed by network
// namespace and ifindex; every thread's copy of the addon is the same shared object, so
// the same table) holds them, with the bound queues and the busy-poll settings changed,
// which the first open that busy-polls saves and the last close restores.
#include "mrsh_io.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <linux/virtio_net.h>
#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define XSK_FRAME 2048u
#define XSK_FRAMES 4096u   /* umem: 8 MiB; every frame starts on the fill ring */
#define XSK_RX_SIZE 2048u
#define XSK_COMP_SIZE 64u  /* required by bind; nothing is transmitted on the xsk */
#define XSK_MAP_ENTRIES 64 /* the map's keys are rx queue numbers */
#define XSK_QUEUES_MAX 16  /* queues bound; frames RSS puts on a later one fall back to the packet socket */

/* One AF_XDP socket per rx queue, each with its own umem and rings (an xsk binds one queue). */
typedef struct {
  int fd;
  uint8_t *umem;
  void *rx_map, *fill_map;
  size_t rx_len, fill_len;
  uint32_t *rx_prod, *rx_cons, *fill_prod, *fill_cons;
  struct xdp_desc *rx_desc;
  uint64_t *fill_desc;
  struct xdp_statistics seen; /* kernel drop counters already reported */
} xsk_q;

/* One interface's XDP program and map, shared by its xsk inputs in this process. */
typedef struct xsk_dev {
  dev_t ns_dev;
  ino_t ns_ino;
  unsigned ifindex;
  int refs;          /* xsk inputs open on it */
  int map_fd, link_fd;
  uint64_t bound;    /* rx queues with a socket in the map, a bit each */
  int tuned;         /* busy polling set the device up; tuning restores it */
  dev_tuning tuning;
  struct xsk_dev *next;
} xsk_dev;

static pthread_mutex_t devs_mu = PTHREAD_MUTEX_INITIALIZER;
static xsk_dev *devs;

typedef struct {
  int alive;
  int fd;   /* what readiness is watched on: the first queue's socket, or an epoll set of every queue's */
  int epfd; /* that set, with more than one queue */
  xsk_dev *dev;
  int nq, next; /* queues bound; the one the next read starts at, so none starves */
  xsk_q q[XSK_QUEUES_MAX];
  uint32_t qid[XSK_QUEUES_MAX]; /* the rx queue of each */
  int busy_poll;
} xsk_in;

/* rx queues of the interface (ETHTOOL_GCHANNELS: rx + combined), 1 if the driver says nothing */
static int rx_queue_count(const char *name) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return 1;
  struct ethtool_channels ch;
  memset(&ch, 0, sizeof ch);
  ch.cmd = ETHTOOL_GCHANNELS;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
  ifr.ifr_data = (void *)&ch;
  int n = ioctl(s, SIOCETHTOOL, &ifr) == 0 ? (int)(ch.rx_count + ch.combined_count) : 1;
  close(s);
  return n < 1 ? 1 : n;
}

static void map_delete(int map_fd, uint32_t key) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_fd = (uint32_t)map_fd;
  a.key = (uintptr_t)&key;
  bpf_sys(BPF_MAP_DELETE_ELEM, &a);
}

/* Under devs_mu: this input's queues out of the map; the last input of the interface
 * restores the device (while the program, so the device's NAPI, is still there: without
 * it "threaded" can no longer be written and would stay set), then detaches the program.
 * Returns whether this restored the busy-poll settings. */
static int dev_release(xsk_in *x) {
  xsk_dev *d = x->dev;
  int restored = 0;
  if (!d) return 0;
  x->dev = NULL;
  for (int i = 0; i < x->nq; i++)
    if (d->bound & (1ull << x->qid[i])) {
      if (d->map_fd >= 0) map_delete(d->map_fd, x->qid[i]);
      d->bound &= ~(1ull << x->qid[i]);
    }
  if (--d->refs > 0) return 0;
  if (d->tuned) {
    busy_poll_untune(&d->tuning);
    restored = 1;
  }
  if (d->link_fd >= 0) close(d->link_fd); /* detaches the XDP program */
  if (d->map_fd >= 0) close(d->map_fd);
  for (xsk_dev **p = &devs; *p; p = &(*p)->next)
    if (*p == d) {
      *p = d->next;
      break;
    }
  free(d);
  return restored;
}

/* Returns whether this close restored the device's busy-poll settings. */
static int xsk_in_close(xsk_in *x) {
  if (!x || !x->alive) return 0;
  x->alive = 0;
  pthread_mutex_lock(&devs_mu);
  int restored = dev_release(x);
  pthread_mutex_unlock(&devs_mu);
  x->busy_poll = 0;
  if (x->epfd >= 0) close(x->epfd);
  for (int i = 0; i < XSK_QUEUES_MAX; i++) {
    xsk_q *q = &x->q[i];
    if (q->fd >= 0) close(q->fd);
    if (q->rx_map) munmap(q->rx_map, q->rx_len);
    if (q->fill_map) munmap(q->fill_map, q->fill_len);
    if (q->umem) munmap(q->umem, (size_t)XSK_FRAME * XSK_FRAMES);
    q->fd = -1;
    q->rx_map = q->fill_map = NULL;
    q->umem = NULL;
  }
  x->fd = x->epfd = -1;
  return restored;
}

static void xsk_in_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  xsk_in_close(data);
  free(data);
}

/* Set up a socket, its umem and rings, bound to ifindex's rx queue qid in copy mode. */
static int xsk_socket_setup(xsk_q *x, unsigned ifindex, unsigned qid, const char **step) {
  *step = "socket(AF_XDP)";
  x->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (x->fd < 0) return -errno;
  *step = "umem";
  void *m = mmap(NULL, (size_t)XSK_FRAME * XSK_FRAMES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (m == MAP_FAILED) return -errno;
  x->umem = m;
  struct xdp_umem_reg ur;
  memset(&ur, 0, sizeof ur);
  ur.addr = (uintptr_t)m;
  ur.len = (uint64_t)XSK_FRAME * XSK_FRAMES;
  ur.chunk_size = XSK_FRAME;
  *step = "XDP_UMEM_REG";
  if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &ur, sizeof ur) < 0) return -errno;
  unsigned fill = XSK_FRAMES, comp = XSK_COMP_SIZE, rx = XSK_RX_SIZE;
  *step = "XDP rings";
  if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_FILL_RING, &fill, sizeof fill) < 0 ||
      setsockopt(x->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &comp, sizeof comp) < 0 ||
      setsockopt(x->fd, SOL_XDP, XDP_RX_RING, &rx, sizeof rx) < 0)
    return -errno;
  struct xdp_mmap_offsets off;
  socklen_t ol = sizeof off;
  *step = "XDP_MMAP_OFFSETS";
  if (getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol) < 0) return -errno;
  *step = "mmap(rx ring)";
  x->rx_len = off.rx.desc + XSK_RX_SIZE * sizeof(struct xdp_desc);
  m = mmap(NULL, x->rx_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, x->fd, XDP_PGOFF_RX_RING);
  if (m == MAP_FAILED) return -errno;
  x->rx_map = m;
  x->rx_prod = (uint32_t *)((uint8_t *)m + off.rx.producer);
  x->rx_cons = (uint32_t *)((uint8_t *)m + off.rx.consumer);
  x->rx_desc = (struct xdp_desc *)((uint8_t *)m + off.rx.desc);
  *step = "mmap(fill ring)";
  x->fill_len = off.fr.desc + XSK_FRAMES * sizeof(uint64_t);
  m = mmap(NULL, x->fill_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, x->fd, XDP_UMEM_PGOFF_FILL_RING);
  if (m == MAP_FAILED) return -errno;
  x->fill_map = m;
  x->fill_prod = (uint32_t *)((uint8_t *)m + off.fr.producer);
  x->fill_cons = (uint32_t *)((uint8_t *)m + off.fr.consumer);
  x->fill_desc = (uint64_t *)((uint8_t *)m + off.fr.desc);
  /* every frame to the kernel: the fill ring is as large as the umem, so it never overflows */
  for (uint32_t i = 0; i < XSK_FRAMES; i++) x->fill_desc[i] = (uint64_t)i * XSK_FRAME;
  __atomic_store_n(x->fill_prod, XSK_FRAMES, __ATOMIC_RELEASE);
  struct sockaddr_xdp sx;
  memset(&sx, 0, sizeof sx);
  sx.sxdp_family = AF_XDP;
  sx.sxdp_ifindex = ifindex;
  sx.sxdp_queue_id = qid;
  sx.sxdp_flags = XDP_COPY;
  *step = "bind(AF_XDP)";
  if (bind(x->fd, (struct sockaddr *)&sx, sizeof sx) < 0) return -errno;
  return 0;
}

/* The interface's map, program and its attachment (a BPF link, native mode), into d. */
static int dev_attach(xsk_dev *d, const char **step, char *log, size_t logcap) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_XSKMAP;
  a.key_size = 4;
  a.value_size = 4;
  a.max_entries = XSK_MAP_ENTRIES;
  memcpy(a.map_name, "mrsh_xsks", 9);
  *step = "BPF_MAP_CREATE(xskmap)";
  d->map_fd = bpf_sys(BPF_MAP_CREATE, &a);
  if (d->map_fd < 0) return -errno;
  fcntl(d->map_fd, F_SETFD, FD_CLOEXEC);
  *step = "BPF_PROG_LOAD(xdp)";
  int pfd = xsk_prog_load(d->map_fd, log, logcap);
  if (pfd < 0) return pfd;
  memset(&a, 0, sizeof a);
  a.link_create.prog_fd = (uint32_t)pfd;
  a.link_create.target_ifindex = d->ifindex;
  a.link_create.attach_type = BPF_XDP;
  a.link_create.flags = XDP_FLAGS_DRV_MODE;
  *step = "BPF_LINK_CREATE(xdp, native mode)";
  d->link_fd = bpf_sys(BPF_LINK_CREATE, &a);
  int e = errno;
  close(pfd); /* the link holds the program, the program the map */
  if (d->link_fd < 0) return -e;
  fcntl(d->link_fd, F_SETFD, FD_CLOEXEC);
  return 0;
}

/* Under devs_mu: the interface's entry (made, with its program attached, if new), or NULL
 * with r set. */
static xsk_dev *dev_get(dev_t nd, ino_t ni, unsigned ifindex, int *r, const char **step, char *log, size_t logcap) {
  for (xsk_dev *d = devs; d; d = d->next)
    if (d->ns_dev == nd && d->ns_ino == ni && d->ifindex == ifindex) return d;
  xsk_dev *d = calloc(1, sizeof *d);
  if (!d) {
    *r = -ENOMEM;
    return NULL;
  }
  *d = (xsk_dev){.ns_dev = nd, .ns_ino = ni, .ifindex = ifindex, .map_fd = -1, .link_fd = -1};
  *r = dev_attach(d, step, log, logcap);
  if (*r < 0) {
    if (d->link_fd >= 0) close(d->link_fd);
    if (d->map_fd >= 0) close(d->map_fd);
    free(d);
    return NULL;
  }
  d->next = devs;
  devs = d;
  return d;
}

/* Under devs_mu: x's sockets into its interface's map. */
static int dev_bind(xsk_in *x, const char **step) {
  union bpf_attr a;
  for (int i = 0; i < x->nq; i++) {
    uint32_t key = x->qid[i], val = (uint32_t)x->q[i].fd;
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)x->dev->map_fd;
    a.key = (uintptr_t)&key;
    a.value = (uintptr_t)&val;
    *step = "BPF_MAP_UPDATE_ELEM(xskmap)";
    if (bpf_sys(BPF_MAP_UPDATE_ELEM, &a) < 0) return -errno;
    x->dev->bound |= 1ull << key;
  }
  return 0;
}

/* The rx queues asked for (argv value: an array of queue numbers) into qid: how many, or
 * -1 with a TypeError/RangeError thrown. */
static int get_queues(napi_env env, napi_value v, uint32_t *qid) {
  uint32_t n;
  if (napi_get_array_length(env, v, &n) != napi_ok || n == 0 || n > XSK_QUEUES_MAX) {
    napi_throw_range_error(env, "EINVAL", "xdp queues: a list of 1 to 16 rx queue numbers");
    return -1;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    int32_t q;
    if (napi_get_element(env, v, i, &el) != napi_ok || get_i32(env, el, &q) < 0 || q < 0 || q >= XSK_MAP_ENTRIES) {
      napi_throw_range_error(env, "EINVAL", "xdp queues: each an rx queue number 0..63");
      return -1;
    }
    for (uint32_t j = 0; j < i; j++)
      if (qid[j] == (uint32_t)q) {
        napi_throw_range_error(env, "EINVAL", "xdp queues: a queue listed twice");
        return -1;
      }
    qid[i] = (uint32_t)q;
  }
  return (int)n;
}

/* openXsk(ifname, netns|null, busyPoll, originals?, queues?, coalesceUs?) -> xsk object {fd (for
 * pollStart), queues (how many), queueIds, busyPoll, tuneError}, owning its sockets until
 * closeXsk. queues: the rx queues to bind (default: every one, up to 16); a queue another
 * input of this process holds is refused (EBUSY). busyPoll tunes the device through sysfs,
 * which shows this process's own namespace only: with netns it is refused (EINVAL).
 * originals: [threaded, napi_defer_hard_irqs, gro_flush_timeout] to restore instead of the
 * values read (napi-state.ts keeps them across a crash); the first input of the interface
 * that busy-polls saves them, the last one to close restores them. coalesceUs: how long the
 * device stays masked after a poll (gro_flush_timeout; default 200, 1..10000), set by the
 * interface's first busy-polled input. */
napi_value js_open_xsk(napi_env env, napi_callback_info info) {
  NAPI_ARGS(6);
  char name[IFNAMSIZ + 1], ns[NETNS_MAX];
  bool busy = false;
  if (get_open_args(env, argv, argc, 1, "openXsk(ifname, netns?, busyPoll?, originals?, queues?, coalesceUs?)", name, ns) < 0) return NULL;
  if (argc > 2 && !is_nullish(env, argv[2]) && napi_get_value_bool(env, argv[2], &busy) != napi_ok) {
    napi_throw_type_error(env, NULL, "busyPoll must be a boolean");
    return NULL;
  }
  if (busy && ns[0]) return throw_errno(env, "openXsk: busy polling tunes the device through sysfs, which shows this process's own namespace only", EINVAL);
  uint32_t coalesce_us = 200;
  if (argc > 5 && !is_nullish(env, argv[5]) && (napi_get_value_uint32(env, argv[5], &coalesce_us) != napi_ok || coalesce_us < 1 || coalesce_us > 10000)) {
    napi_throw_range_error(env, NULL, "coalesceUs must be an integer 1..10000 (microseconds)");
    return NULL;
  }
  uint32_t want[XSK_QUEUES_MAX];
  int nwant = 0; /* 0: every queue */
  if (argc > 4 && !is_nullish(env, argv[4]) && (nwant = get_queues(env, argv[4], want)) < 0) return NULL;
  dev_tuning orig = {0};
  if (argc > 3 && !is_nullish(env, argv[3])) {
    char *dst[3] = {orig.orig_threaded, orig.orig_defer, orig.orig_timeout};
    for (uint32_t i = 0; i < 3; i++) {
      napi_value el;
      if (napi_get_element(env, argv[3], i, &el) != napi_ok || get_str(env, el, dst[i], sizeof orig.orig_threaded) < 0) {
        napi_throw_type_error(env, NULL, "originals must be three strings");
        return NULL;
      }
    }
  }
  xsk_in *x = calloc(1, sizeof *x);
  if (!x) return throw_errno(env, "openXsk", ENOMEM);
  x->alive = 1;
  x->fd = x->epfd = -1;
  for (int i = 0; i < XSK_QUEUES_MAX; i++) x->q[i].fd = -1;
  static __thread char log[16384]; /* per thread: links open in worker threads too */
  log[0] = 0;
  char what[300] = "";
  const char *step = "enter netns";
  char tune_err[160] = "";
  ns_guard g;
  int r = ns_enter(ns, &g);
  if (r == 0) {
    unsigned ifindex = if_nametoindex(name);
    step = name;
    r = ifindex ? 0 : -(errno ? errno : ENODEV);
    /* copy mode places a frame at its umem chunk's start: it must fit one */
    if (r == 0 && if_mtu(name, 0) + ETH_HLEN + 4 > (int)XSK_FRAME) {
      step = "MTU larger than an AF_XDP frame (2048 bytes with the Ethernet header) holds";
      r = -EMSGSIZE;
    }
    if (r == 0) {
      int n = rx_queue_count(name);
      if (nwant == 0) {
        x->nq = n > XSK_QUEUES_MAX ? XSK_QUEUES_MAX : n;
        for (int i = 0; i < x->nq; i++) x->qid[i] = (uint32_t)i;
      } else {
        x->nq = nwant;
        for (int i = 0; i < nwant; i++) {
          x->qid[i] = want[i];
          if ((int)want[i] >= n && r == 0) {
            snprintf(what, sizeof what, "openXsk %s: rx queue %u: the interface has %d", name, want[i], n);
            r = -EINVAL;
          }
        }
      }
    }
    dev_t nd = 0;
    ino_t ni = 0;
    if (r == 0) {
      step = "/proc/thread-self/ns/net";
      r = netns_ident(&nd, &ni);
    }
    pthread_mutex_lock(&devs_mu);
    for (xsk_dev *d = devs; r == 0 && d; d = d->next)
      if (d->ns_dev == nd && d->ns_ino == ni && d->ifindex == ifindex)
        for (int i = 0; i < x->nq; i++)
          if (d->bound & (1ull << x->qid[i])) {
            snprintf(what, sizeof what, "openXsk %s: rx queue %u is bound by another xdp link of this process", name, x->qid[i]);
            r = -EBUSY;
            break;
          }
    for (int i = 0; r == 0 && i < x->nq; i++) {
      r = xsk_socket_setup(&x->q[i], ifindex, x->qid[i], &step);
      if (r == -EBUSY) snprintf(what, sizeof what, "openXsk %s: rx queue %u: bind(AF_XDP): another socket (another process?) has it", name, x->qid[i]);
    }
    if (r == 0 && x->nq > 1) {
      step = "epoll (the queues' sockets)";
      x->epfd = epoll_create1(EPOLL_CLOEXEC);
      r = x->epfd < 0 ? -errno : 0;
      for (int i = 0; r == 0 && i < x->nq; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(x->epfd, EPOLL_CTL_ADD, x->q[i].fd, &ev) < 0) r = -errno;
      }
    }
    if (r == 0) x->fd = x->nq > 1 ? x->epfd : x->q[0].fd;
    if (r == 0 && (x->dev = dev_get(nd, ni, ifindex, &r, &step, log, sizeof log))) x->dev->refs++;
    if (r == 0) r = dev_bind(x, &step);
    if (r == 0 && busy) {
      xsk_dev *d = x->dev;
      int t = 0;
      if (!d->tuned) {
        memcpy(d->tuning.orig_threaded, orig.orig_threaded, sizeof orig.orig_threaded);
        memcpy(d->tuning.orig_defer, orig.orig_defer, sizeof orig.orig_defer);
        memcpy(d->tuning.orig_timeout, orig.orig_timeout, sizeof orig.orig_timeout);
        t = busy_poll_tune(&d->tuning, x->q[0].fd, name, (long)coalesce_us * 1000, tune_err, sizeof tune_err);
        if (t < 0) busy_poll_untune(&d->tuning);
        else d->tuned = 1;
      } else if ((t = busy_poll_sockopts(x->q[0].fd)) < 0)
        snprintf(tune_err, sizeof tune_err, "SO_BUSY_POLL on queue %u: %s", x->qid[0], strerror(-t));
      for (int i = 1; t == 0 && i < x->nq; i++)
        if ((t = busy_poll_sockopts(x->q[i].fd)) < 0) snprintf(tune_err, sizeof tune_err, "SO_BUSY_POLL on queue %u: %s", x->qid[i], strerror(-t));
      x->busy_poll = t == 0;
    }
    pthread_mutex_unlock(&devs_mu);
    ns_leave(&g);
  }
  if (r < 0) {
    xsk_in_close(x);
    free(x);
    if (what[0]) {
      /* said already */
    } else if (log[0]) {
      /* the verifier's last lines say why */
      size_t L = strlen(log);
      snprintf(what, sizeof what, "openXsk %s: %s [%s]", name, step, L > 200 ? log + L - 200 : log);
    } else {
      snprintf(what, sizeof what, "openXsk %s: %s", name, step);
    }
    return throw_errno(env, what, -r);
  }
  napi_value obj, ids;
  int bad = napi_create_object(env, &obj) != napi_ok || napi_create_array(env, &ids) != napi_ok;
  for (int i = 0; !bad && i < x->nq; i++) {
    napi_value v;
    bad = napi_create_uint32(env, x->qid[i], &v) != napi_ok || napi_set_element(env, ids, (uint32_t)i, v) != napi_ok;
  }
  if (bad || set_int(env, obj, "fd", x->fd) || set_int(env, obj, "queues", x->nq) || napi_set_named_property(env, obj, "queueIds", ids) != napi_ok ||
      set_bool(env, obj, "busyPoll", x->busy_poll) || set_str(env, obj, "tuneError", tune_err[0] ? tune_err : NULL) ||
      napi_wrap(env, obj, x, xsk_in_finalize, NULL, NULL) != napi_ok) {
    xsk_in_close(x);
    free(x);
    return throw_napi_failed(env, "openXsk");
  }
  return obj;
}

static xsk_in *get_xsk(napi_env env, napi_value v) {
  void *p = NULL;
  if (is_nullish(env, v) || napi_unwrap(env, v, &p) != napi_ok) return NULL;
  return p;
}

/* recvXsk(xsk, buf, slot, maxSlots, offsets, lengths, stats) -> count | -errno
 * As recvPacket (the kernel's own drops are xskStats').
 * With busy polling, a short ring runs the device's NAPI once from here and is read again. */
napi_value js_recv_xsk(napi_env env, napi_callback_info info) {
  NAPI_ARGS(7);
  recv_args a;
  xsk_in *x = argc >= 7 ? get_xsk(env, argv[0]) : NULL;
  if (!x || parse_recv(env, argv, argc, ETH_HLEN, 1, &a)) {
    napi_throw_type_error(env, NULL, "recvXsk: bad arguments");
    return NULL;
  }
  if (!x->alive) return int_value(env, -EBADF);
  int n = 0, out = 0;
  for (int pass = 0; pass < 2; pass++) {
    for (int j = 0; j < x->nq && n < a.max; j++) {
      xsk_q *q = &x->q[(x->next + j) % x->nq];
      uint32_t cons = *q->rx_cons;
      uint32_t prod = __atomic_load_n(q->rx_prod, __ATOMIC_ACQUIRE);
      uint32_t fprod = *q->fill_prod;
      uint32_t k = 0;
      for (; cons + k != prod && n < a.max; k++, n++) {
        struct xdp_desc d = q->rx_desc[(cons + k) & (XSK_RX_SIZE - 1)];
        long iplen;
        if (d.addr + d.len <= (uint64_t)XSK_FRAME * XSK_FRAMES && d.len <= (uint32_t)a.slot) {
          uint8_t *dst = a.buf + (size_t)n * a.slot;
          memcpy(dst, q->umem + d.addr, d.len);
          struct virtio_net_hdr none = {0};
          iplen = accept_frame(dst, (long)d.len, &none, a.stats);
          if (iplen >= 0) a.stats[RX_ST_CSUM] += udp_complete_partial(dst + ETH_HLEN, iplen);
        } else
          iplen = rx_drop(a.stats, RX_ST_TRUNCATED);
        q->fill_desc[(fprod + k) & (XSK_FRAMES - 1)] = d.addr & ~(uint64_t)(XSK_FRAME - 1);
        recv_deliver(&a, &out, n, iplen);
      }
      __atomic_store_n(q->rx_cons, cons + k, __ATOMIC_RELEASE);
      __atomic_store_n(q->fill_prod, fprod + k, __ATOMIC_RELEASE);
    }
    x->next = x->nq > 1 ? (x->next + 1) % x->nq : 0;
    if (n == a.max || !x->busy_poll || pass == 1) break;
    /* run the devices' NAPI here, on this core */
    for (int j = 0; j < x->nq; j++) recvfrom(x->q[j].fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
  }
  a.stats[RX_ST_READ] = n;
  return int_value(env, out);
}

/* closeXsk(xsk) -> whether the device's busy-poll settings were restored (the interface's
 * last input of this process, which also detaches the program): close the sockets, unmap. */
napi_value js_close_xsk(napi_env env, napi_callback_info info) {
  NAPI_ARGS(1);
  xsk_in *x = argc >= 1 ? get_xsk(env, argv[0]) : NULL;
  napi_value rv;
  NAPI_OK(napi_get_boolean(env, x ? xsk_in_close(x) : 0, &rv));
  return rv;
}

/* xskStats(xsk, out Float64Array(2)): the kernel's drops for its sockets since the last call:
 * [0] rx_dropped (no umem frame: the fill ring was empty, which rx_fill_ring_empty_descs also
 * counts; or another reason), [1] rx_ring_full (the rx ring had no room). A frame dropped
 * is in exactly one of them, so their sum is what never reached the ring. */
napi_value js_xsk_stats(napi_env env, napi_callback_info info) {
  NAPI_ARGS(2);
  xsk_in *x = argc >= 2 ? get_xsk(env, argv[0]) : NULL;
  double *out;
  if (!x || get_result(env, argv[1], &out) < 0) {
    napi_throw_type_error(env, NULL, "xskStats(xsk, Float64Array(2))");
    return NULL;
  }
  out[0] = out[1] = 0;
  if (!x->alive) return NULL;
  for (int i = 0; i < x->nq; i++) {
    xsk_q *q = &x->q[i];
    struct xdp_statistics s;
    socklen_t sl = sizeof s;
    if (getsockopt(q->fd, SOL_XDP, XDP_STATISTICS, &s, &sl) < 0) return throw_errno(env, "XDP_STATISTICS", errno);
    out[0] += (double)(s.rx_dropped - q->seen.rx_dropped);
    out[1] += (double)(s.rx_ring_full - q->seen.rx_ring_full);
    q->seen = s;
  }
  return NULL;
}
