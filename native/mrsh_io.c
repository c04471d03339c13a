// mrsh_io: the small native layer under the TUN and packet links.
// JS owns all packet memory; C keeps no references to it between calls and starts no
// threads. Readiness comes from libuv (uv_poll, level-triggered) so an idle link costs
// nothing; each receive/send call moves a whole batch through one or a few syscalls.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <linux/bpf.h>
#include <node_api.h>
#include <uv.h>

#define BATCH 64 /* messages per recvmmsg/sendmmsg call */

#define NAPI_OK(call)                                                  \
  do {                                                                 \
    if ((call) != napi_ok) {                                           \
      napi_throw_error(env, NULL, "mrsh_io: N-API call failed: " #call); \
      return NULL;                                                     \
    }                                                                  \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  const char *code = NULL;
  switch (err) {
    case EPERM: code = "EPERM"; break;
    case EACCES: code = "EACCES"; break;
    case ENODEV: code = "ENODEV"; break;
    case ENOENT: code = "ENOENT"; break;
    case EBUSY: code = "EBUSY"; break;
    case EINVAL: code = "EINVAL"; break;
    case EEXIST: code = "EEXIST"; break;
    default: code = "EIO"; break;
  }
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, code, msg);
  return NULL;
}

/* ---- argument helpers ---- */

static int get_i32(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

static int get_str(napi_env env, napi_value v, char *buf, size_t cap) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, cap, &len) != napi_ok) return -1;
  return len + 1 < cap ? 0 : -1; /* refuse silently truncated names */
}

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 1;
  return t == napi_undefined || t == napi_null;
}

/* Raw bytes of a Buffer / Uint8Array / Int32Array argument. */
static int get_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) == napi_ok && is_ta) {
    napi_typedarray_type type;
    size_t n;
    napi_value ab;
    size_t off;
    if (napi_get_typedarray_info(env, v, &type, &n, data, &ab, &off) != napi_ok) return -1;
    size_t esz = (type == napi_int32_array || type == napi_uint32_array || type == napi_float32_array) ? 4
                 : (type == napi_int16_array || type == napi_uint16_array)                           ? 2
                 : (type == napi_float64_array || type == napi_bigint64_array ||
                    type == napi_biguint64_array)                                                    ? 8
                                                                                                     : 1;
    *len = n * esz;
    return 0;
  }
  return napi_get_buffer_info(env, v, data, len) == napi_ok ? 0 : -1;
}

/* ---- network namespaces ----
 * A link may be opened inside a named namespace (/run/netns/NAME, as `ip netns` makes).
 * Sockets and TUN devices belong to the namespace they were created in, so switching the
 * calling thread there for the duration of the open call is enough; the fd keeps working
 * after the thread switches back. Only this (the main) thread is switched, and only within
 * one synchronous native call, so no JS ever runs in the other namespace. */

typedef struct {
  int self_fd;
  int active;
} ns_guard;

static int ns_enter(const char *name, ns_guard *g) {
  g->active = 0;
  g->self_fd = -1;
  if (!name || !*name) return 0;
  char path[300];
  if (strchr(name, '/')) snprintf(path, sizeof path, "%s", name);
  else snprintf(path, sizeof path, "/run/netns/%s", name);
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) return -errno;
  g->self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (g->self_fd < 0) {
    int e = errno;
    close(target);
    return -e;
  }
  if (setns(target, CLONE_NEWNET) < 0) {
    int e = errno;
    close(target);
    close(g->self_fd);
    return -e;
  }
  close(target);
  g->active = 1;
  return 0;
}

static void ns_leave(ns_guard *g) {
  if (g->active) {
    if (setns(g->self_fd, CLONE_NEWNET) < 0) {
      /* Staying in the wrong namespace would silently misroute everything after. */
      fprintf(stderr, "mrsh_io: cannot return to the original network namespace: %s\n", strerror(errno));
      abort();
    }
    g->active = 0;
  }
  if (g->self_fd >= 0) close(g->self_fd);
  g->self_fd = -1;
}

/* ---- interface information ---- */

static int if_ioctl(int sock, unsigned long req, const char *name, struct ifreq *ifr) {
  memset(ifr, 0, sizeof *ifr);
  snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
  return ioctl(sock, req, ifr);
}

/* {ifindex, mtu, mac, addrs4, addrs6} of a device in the current namespace. */
static napi_value make_ifinfo(napi_env env, const char *name) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return throw_errno(env, "socket", errno);
  struct ifreq ifr;
  if (if_ioctl(s, SIOCGIFINDEX, name, &ifr) < 0) {
    int e = errno;
    close(s);
    char what[64];
    snprintf(what, sizeof what, "interface %s", name);
    return throw_errno(env, what, e);
  }
  int ifindex = ifr.ifr_ifindex;
  int mtu = if_ioctl(s, SIOCGIFMTU, name, &ifr) == 0 ? ifr.ifr_mtu : 1500;
  unsigned char mac[6] = {0};
  if (if_ioctl(s, SIOCGIFHWADDR, name, &ifr) == 0) memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  close(s);

  napi_value obj, v, a4, a6;
  NAPI_OK(napi_create_object(env, &obj));
  NAPI_OK(napi_create_int32(env, ifindex, &v));
  NAPI_OK(napi_set_named_property(env, obj, "ifindex", v));
  NAPI_OK(napi_create_int32(env, mtu, &v));
  NAPI_OK(napi_set_named_property(env, obj, "mtu", v));
  void *macp;
  NAPI_OK(napi_create_buffer_copy(env, 6, mac, &macp, &v));
  NAPI_OK(napi_set_named_property(env, obj, "mac", v));
  NAPI_OK(napi_create_array(env, &a4));
  NAPI_OK(napi_create_array(env, &a6));
  struct ifaddrs *ifa_list = NULL;
  uint32_t n4 = 0, n6 = 0;
  if (getifaddrs(&ifa_list) == 0) {
    for (struct ifaddrs *ifa = ifa_list; ifa; ifa = ifa->ifa_next) {
      if (!ifa->ifa_addr || strcmp(ifa->ifa_name, name) != 0) continue;
      char text[INET6_ADDRSTRLEN];
      if (ifa->ifa_addr->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr, text, sizeof text);
        NAPI_OK(napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v));
        NAPI_OK(napi_set_element(env, a4, n4++, v));
      } else if (ifa->ifa_addr->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr, text, sizeof text);
        NAPI_OK(napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v));
        NAPI_OK(napi_set_element(env, a6, n6++, v));
      }
    }
    freeifaddrs(ifa_list);
  }
  NAPI_OK(napi_set_named_property(env, obj, "addrs4", a4));
  NAPI_OK(napi_set_named_property(env, obj, "addrs6", a6));
  return obj;
}

/* ifInfo(name, netns|null) */
static napi_value js_if_info(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 1], ns[256] = "";
  if (argc < 1 || get_str(env, argv[0], name, sizeof name) < 0) {
    napi_throw_type_error(env, NULL, "ifInfo(name, netns?)");
    return NULL;
  }
  if (argc > 1 && !is_nullish(env, argv[1]) && get_str(env, argv[1], ns, sizeof ns) < 0) {
    napi_throw_type_error(env, NULL, "netns must be a string");
    return NULL;
  }
  ns_guard g;
  int r = ns_enter(ns, &g);
  if (r < 0) return throw_errno(env, "enter netns", -r);
  napi_value out = make_ifinfo(env, name);
  ns_leave(&g);
  return out;
}

/* ---- TUN ---- */

/* openTun(name, mtu, netns|null) -> {fd, name, created, ifindex, mtu, mac, addrs4, addrs6} */
static napi_value js_open_tun(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 1], ns[256] = "";
  int32_t mtu = 0;
  if (argc < 2 || get_str(env, argv[0], name, sizeof name) < 0 || get_i32(env, argv[1], &mtu) < 0) {
    napi_throw_type_error(env, NULL, "openTun(name, mtu, netns?)");
    return NULL;
  }
  if (argc > 2 && !is_nullish(env, argv[2]) && get_str(env, argv[2], ns, sizeof ns) < 0) {
    napi_throw_type_error(env, NULL, "netns must be a string");
    return NULL;
  }
  ns_guard g;
  int r = ns_enter(ns, &g);
  if (r < 0) return throw_errno(env, "enter netns", -r);

  /* A device that already exists (e.g. made persistent by `ip tuntap add`) is attached to,
   * and close() must then leave it in place. */
  int created = name[0] == 0 || if_nametoindex(name) == 0;
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    ns_leave(&g);
    return throw_errno(env, "open /dev/net/tun", e);
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    ns_leave(&g);
    return throw_errno(env, "TUNSETIFF", e);
  }
  char real[IFNAMSIZ + 1];
  snprintf(real, sizeof real, "%s", ifr.ifr_name);

  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    int e = errno;
    close(fd);
    ns_leave(&g);
    return throw_errno(env, "socket", e);
  }
  if (mtu > 0) {
    struct ifreq m;
    memset(&m, 0, sizeof m);
    snprintf(m.ifr_name, IFNAMSIZ, "%s", real);
    m.ifr_mtu = mtu;
    if (ioctl(s, SIOCSIFMTU, &m) < 0) {
      int e = errno;
      close(s);
      close(fd);
      ns_leave(&g);
      return throw_errno(env, "SIOCSIFMTU", e);
    }
  }
  if (if_ioctl(s, SIOCGIFFLAGS, real, &ifr) == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
      int e = errno;
      close(s);
      close(fd);
      ns_leave(&g);
      return throw_errno(env, "SIOCSIFFLAGS", e);
    }
  }
  close(s);

  napi_value obj = make_ifinfo(env, real);
  ns_leave(&g);
  if (!obj) {
    close(fd);
    return NULL;
  }
  napi_value v;
  NAPI_OK(napi_create_int32(env, fd, &v));
  NAPI_OK(napi_set_named_property(env, obj, "fd", v));
  NAPI_OK(napi_create_string_utf8(env, real, NAPI_AUTO_LENGTH, &v));
  NAPI_OK(napi_set_named_property(env, obj, "name", v));
  NAPI_OK(napi_get_boolean(env, created, &v));
  NAPI_OK(napi_set_named_property(env, obj, "created", v));
  return obj;
}

/* recvTun(fd, buf, slotSize, maxSlots, offsets, lengths) -> count | -errno
 * One read() per datagram (a TUN fd has no batch read), slot i at i*slotSize. */
static napi_value js_recv_tun(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, slot, max;
  void *buf, *offp, *lenp;
  size_t blen, olen, llen;
  if (argc < 6 || get_i32(env, argv[0], &fd) || get_bytes(env, argv[1], &buf, &blen) ||
      get_i32(env, argv[2], &slot) || get_i32(env, argv[3], &max) || get_bytes(env, argv[4], &offp, &olen) ||
      get_bytes(env, argv[5], &lenp, &llen) || slot <= 0 || max < 0 || (size_t)max * slot > blen ||
      olen < (size_t)max * 4 || llen < (size_t)max * 4) {
    napi_throw_type_error(env, NULL, "recvTun: bad arguments");
    return NULL;
  }
  int32_t *offs = offp, *lens = lenp;
  int n = 0, err = 0;
  while (n < max) {
    ssize_t r = read(fd, (char *)buf + (size_t)n * slot, slot);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) err = errno;
      break;
    }
    if (r == 0) break;
    offs[n] = n * slot;
    lens[n] = (int32_t)r;
    n++;
  }
  napi_value out;
  NAPI_OK(napi_create_int32(env, n > 0 ? n : -err, &out));
  return out;
}

/* ---- AF_PACKET ---- */

/* openPacket flags (packet.ts PACKET_* constants mirror these). */
#define PKT_QDISC_BYPASS 1 /* transmit straight to the driver (PACKET_QDISC_BYPASS) */
#define PKT_RX_RING 2      /* receive through a PACKET_MMAP TPACKET_V2 ring */
#define PKT_HOST_BYPASS 4  /* tcx ingress program: multicast data frames skip the host IP stack */
#define PKT_TX_RING 8      /* transmit through a PACKET_MMAP TPACKET_V2 ring */

/* ---- PACKET_MMAP receive ring ----
 * A TPACKET_V2 ring: the kernel writes each frame (behind its virtio_net_hdr) straight
 * into a shared frame and flips tp_status to TP_STATUS_USER; no skb is cloned or queued
 * per frame and one call drains many frames without a syscall. The mapping belongs to a JS
 * object (napi_wrap; unmapped by unmapRing() on close, or by the finalizer), which is
 * handed back to every recvPacket call - C keeps no references of its own. Frames are
 * copied into the caller's slots (JS owns the packet memory the engine reads) and given
 * back to the kernel at once. V2 rather than V3: V3 only signals readiness per retired
 * block (a timeout of >= 1 ms at low rates); V2 signals per frame. */

typedef struct {
  uint8_t *base;
  uint32_t fsize, fnr, head;
} ring_half;

typedef struct {
  int alive;         /* 0 once unmapped */
  uint8_t *rxmap, *txmap;
  size_t rxlen, txlen;
  int txfd;          /* the transmit ring's own socket, -1 if none */
  ring_half rx, tx;  /* base NULL: that direction uses recvmmsg / sendmmsg */
  int32_t mtu;       /* at open: longer datagrams are refused before they reach the TX ring */
} rx_ring;

#define RING_BYTES (2u << 20) /* per direction */

static void rx_ring_unmap(rx_ring *r) {
  if (!r || !r->alive) return;
  if (r->rxmap) munmap(r->rxmap, r->rxlen);
  if (r->txmap) munmap(r->txmap, r->txlen);
  if (r->txfd >= 0) close(r->txfd);
  r->rxmap = r->txmap = NULL;
  r->txfd = -1;
  r->rx.base = r->tx.base = NULL;
  r->alive = 0;
}

static void rx_ring_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  rx_ring_unmap(data);
  free(data);
}

static void ring_req(int mtu, struct tpacket_req *req) {
  /* frame: tpacket2_hdr + sockaddr_ll (aligned), the vnet header, Ethernet + VLAN, the MTU */
  uint32_t need = TPACKET_ALIGN(TPACKET2_HDRLEN) + 16 + sizeof(struct virtio_net_hdr) + ETH_HLEN + 4 + (uint32_t)mtu;
  uint32_t fsize = 2048;
  while (fsize < need) fsize <<= 1;
  uint32_t bsize = fsize > 65536 ? fsize : 65536;
  uint32_t bnr = RING_BYTES / bsize;
  if (bnr < 4) bnr = 4;
  req->tp_block_size = bsize;
  req->tp_block_nr = bnr;
  req->tp_frame_size = fsize;
  req->tp_frame_nr = (bsize / fsize) * bnr;
}

/* Set up and map the rings asked for (before fd is bound). The receive ring is on fd
 * itself. The transmit ring gets a socket of its own, bound to the interface with
 * protocol 0 so it never receives: nothing polls it, so the skb destructor of every frame
 * sent (sock_wfree -> write_space) finds no waiter to wake - on the shared, polled socket
 * that wakeup cost a spinlock round trip per frame. Returns 0 or -errno (r left clean). */
static int rx_ring_setup(int fd, unsigned ifindex, int mtu, int rx, int tx, int qdisc_bypass, rx_ring *r) {
  int v = TPACKET_V2, one = 1, e = 0;
  memset(r, 0, sizeof *r);
  r->txfd = -1;
  r->mtu = mtu;
  r->alive = 1;
  if (rx) {
    struct tpacket_req q;
    ring_req(mtu, &q);
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &q, sizeof q) < 0)
      goto fail;
    size_t len = (size_t)q.tp_block_size * q.tp_block_nr;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (m == MAP_FAILED) goto fail;
    r->rxmap = m;
    r->rxlen = len;
    r->rx = (ring_half){.base = m, .fsize = q.tp_frame_size, .fnr = q.tp_frame_nr, .head = 0};
  }
  if (tx) {
    struct tpacket_req q;
    ring_req(mtu, &q);
    int t = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (t < 0) goto fail;
    r->txfd = t;
    int snd = 4 << 20;
    if (setsockopt(t, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof snd) < 0)
      setsockopt(t, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
    /* PACKET_LOSS: a malformed frame is skipped rather than stalling the ring (set before
     * the ring exists) */
    if (setsockopt(t, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0 ||
        (qdisc_bypass && setsockopt(t, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0) ||
        setsockopt(t, SOL_PACKET, PACKET_LOSS, &one, sizeof one) < 0 ||
        setsockopt(t, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0 ||
        setsockopt(t, SOL_PACKET, PACKET_TX_RING, &q, sizeof q) < 0)
      goto fail;
    size_t len = (size_t)q.tp_block_size * q.tp_block_nr;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, t, 0);
    if (m == MAP_FAILED) goto fail;
    r->txmap = m;
    r->txlen = len;
    r->tx = (ring_half){.base = m, .fsize = q.tp_frame_size, .fnr = q.tp_frame_nr, .head = 0};
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = 0; /* send only */
    sll.sll_ifindex = (int)ifindex;
    if (bind(t, (struct sockaddr *)&sll, sizeof sll) < 0) goto fail;
  }
  return 0;
fail:
  e = errno;
  rx_ring_unmap(r);
  return -e;
}

/* ---- host bypass: a tcx ingress program ----
 * Every frame a packet socket taps also climbs the router host's own IP stack (ip_rcv,
 * the multicast route lookup, the drop) - pure waste for multicast data the router
 * forwards itself. A tcx ingress program runs after the AF_PACKET taps (the socket has
 * the frame already) and before ip_rcv; this one drops multicast IPv4/IPv6 data frames
 * there and passes everything else: unicast, broadcast, ARP, link-local groups
 * (224.0.0.0/24, ff0X with scope <= 2), IGMP, PIM, IPv6 hop-by-hop (MLD) and ICMPv6.
 * The attachment is a BPF link owned by the fd returned: closing it (link close, or the
 * process dying) detaches the program - nothing is left behind in the kernel.
 * Needs Linux >= 6.6 (tcx) and CAP_BPF/CAP_SYS_ADMIN; failure is reported, not fatal. */

#ifndef BPF_TCX_INGRESS_NUM
#define BPF_TCX_INGRESS_NUM 46 /* enum bpf_attach_type BPF_TCX_INGRESS (uapi >= 6.6) */
#endif

#define I_INS(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define I_MOV64_REG(d, s) I_INS(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define I_MOV64_IMM(d, i) I_INS(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define I_ALU64_IMM(op, d, i) I_INS(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define I_LD_ABS(sz, off) I_INS(BPF_LD | (sz) | BPF_ABS, 0, 0, 0, off)
#define I_JMP_IMM(op, d, i, o) I_INS(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define I_JA(o) I_INS(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define I_EXIT() I_INS(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int host_bypass_attach(unsigned ifindex, const char **why) {
  /* LD_ABS offsets count from the Ethernet header (tcx pushes it back before running). */
  const struct bpf_insn prog[] = {
      /* 0 */ I_MOV64_REG(BPF_REG_6, BPF_REG_1),
      /* 1 */ I_LD_ABS(BPF_B, 0),                      /* destination MAC, first byte */
      /* 2 */ I_JMP_IMM(BPF_JSET, BPF_REG_0, 1, 1),     /* group bit set: look further */
      /* 3 */ I_JA(22),                                 /* -> pass (26) */
      /* 4 */ I_LD_ABS(BPF_H, 12),                     /* EtherType */
      /* 5 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, ETH_P_IP, 2),
      /* 6 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, ETH_P_IPV6, 10),
      /* 7 */ I_JA(18),                                 /* -> pass */
      /* 8: IPv4 */ I_LD_ABS(BPF_B, ETH_HLEN + 9),      /* protocol */
      /* 9 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, IPPROTO_IGMP, 16),
      /* 10 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, IPPROTO_PIM, 15),
      /* 11 */ I_LD_ABS(BPF_W, ETH_HLEN + 16),         /* destination address */
      /* 12 */ I_ALU64_IMM(BPF_RSH, BPF_REG_0, 8),
      /* 13 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, 0xe00000, 12), /* 224.0.0.0/24 -> pass */
      /* 14 */ I_ALU64_IMM(BPF_RSH, BPF_REG_0, 20),
      /* 15 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, 0xe, 9),   /* 224/4 -> drop (25) */
      /* 16 */ I_JA(9),                                 /* -> pass */
      /* 17: IPv6 */ I_LD_ABS(BPF_B, ETH_HLEN + 6),     /* next header */
      /* 18 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 7),     /* hop-by-hop (MLD) -> pass */
      /* 19 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, IPPROTO_ICMPV6, 6),
      /* 20 */ I_LD_ABS(BPF_B, ETH_HLEN + 24),         /* destination, first byte */
      /* 21 */ I_JMP_IMM(BPF_JNE, BPF_REG_0, 0xff, 4),
      /* 22 */ I_LD_ABS(BPF_B, ETH_HLEN + 25),         /* flags | scope */
      /* 23 */ I_ALU64_IMM(BPF_AND, BPF_REG_0, 0x0f),
      /* 24 */ I_JMP_IMM(BPF_JLE, BPF_REG_0, 2, 1),     /* interface/link-local scope -> pass */
      /* 25: drop */ I_JA(2),
      /* 26: pass */ I_MOV64_IMM(BPF_REG_0, -1),        /* TCX_NEXT */
      /* 27 */ I_EXIT(),
      /* 28 */ I_MOV64_IMM(BPF_REG_0, 2),               /* TCX_DROP */
      /* 29 */ I_EXIT(),
  };
  static const char license[] = "GPL";
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_SCHED_CLS;
  a.insns = (uintptr_t)prog;
  a.insn_cnt = sizeof prog / sizeof prog[0];
  a.license = (uintptr_t)license;
  memcpy(a.prog_name, "mrsh_hostbypass", 15);
  int pfd = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof a);
  if (pfd < 0) {
    *why = "BPF_PROG_LOAD";
    return -errno;
  }
  memset(&a, 0, sizeof a);
  a.link_create.prog_fd = (uint32_t)pfd;
  a.link_create.target_ifindex = ifindex;
  a.link_create.attach_type = BPF_TCX_INGRESS_NUM;
  int lfd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof a);
  int e = errno;
  close(pfd); /* the link holds the program */
  if (lfd < 0) {
    *why = "BPF_LINK_CREATE(tcx ingress)";
    return -e;
  }
  fcntl(lfd, F_SETFD, FD_CLOEXEC);
  return lfd;
}

/* openPacket(ifname, netns|null) -> {fd, ifindex, mtu, mac, addrs4, addrs6}
 * Created with protocol 0 so nothing is queued before bind() narrows it to one interface;
 * outgoing frames ignored so our own transmissions are not read back; ALLMULTI so the
 * interface accepts every group without joining each; VNET_HDR so CHECKSUM_PARTIAL
 * frames (veth with tx offload) come with csum_start/offset and can be completed. */
static napi_value js_open_packet(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 1], ns[256] = "";
  int32_t flags = 0;
  if (argc < 1 || get_str(env, argv[0], name, sizeof name) < 0) {
    napi_throw_type_error(env, NULL, "openPacket(ifname, netns?, flags?)");
    return NULL;
  }
  if (argc > 1 && !is_nullish(env, argv[1]) && get_str(env, argv[1], ns, sizeof ns) < 0) {
    napi_throw_type_error(env, NULL, "netns must be a string");
    return NULL;
  }
  if (argc > 2 && !is_nullish(env, argv[2]) && get_i32(env, argv[2], &flags) < 0) {
    napi_throw_type_error(env, NULL, "flags must be an integer");
    return NULL;
  }
  rx_ring ring = {.txfd = -1};
  int bypass_fd = -1, bypass_err = 0;
  const char *bypass_why = "";
  ns_guard g;
  int r = ns_enter(ns, &g);
  if (r < 0) return throw_errno(env, "enter netns", -r);

  const char *step = "socket(AF_PACKET)";
  int fd = -1, e = 0;
  unsigned ifindex = if_nametoindex(name);
  if (ifindex == 0) {
    e = errno ? errno : ENODEV;
    step = name;
    goto fail;
  }
  fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) goto fail_errno;
  int one = 1;
  step = "PACKET_IGNORE_OUTGOING";
  if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) goto fail_errno;
  step = "PACKET_VNET_HDR";
  if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) goto fail_errno;
  /* Deep buffers absorb bursts between event-loop turns; FORCE works as root, else best effort. */
  int rcv = 4 << 20, snd = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof snd) < 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
  if (flags & PKT_QDISC_BYPASS) {
    /* veth and most NICs here have no qdisc worth keeping for best-effort multicast */
    step = "PACKET_QDISC_BYPASS";
    if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0) goto fail_errno;
  }
  if (flags & (PKT_RX_RING | PKT_TX_RING)) {
    struct ifreq ifr;
    int mtu = 1500, s4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s4 >= 0) {
      if (if_ioctl(s4, SIOCGIFMTU, name, &ifr) == 0) mtu = ifr.ifr_mtu;
      close(s4);
    }
    step = "PACKET_RX_RING/PACKET_TX_RING";
    int rr = rx_ring_setup(fd, ifindex, mtu, flags & PKT_RX_RING, flags & PKT_TX_RING, flags & PKT_QDISC_BYPASS, &ring);
    if (rr < 0) {
      e = -rr;
      goto fail;
    }
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = (int)ifindex;
  step = "bind(AF_PACKET)";
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) goto fail_errno;
  struct packet_mreq mr;
  memset(&mr, 0, sizeof mr);
  mr.mr_ifindex = (int)ifindex;
  mr.mr_type = PACKET_MR_ALLMULTI;
  step = "PACKET_MR_ALLMULTI";
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) goto fail_errno;
  if (flags & PKT_HOST_BYPASS) {
    bypass_fd = host_bypass_attach(ifindex, &bypass_why);
    if (bypass_fd < 0) {
      bypass_err = -bypass_fd;
      bypass_fd = -1;
    }
  }

  napi_value obj = make_ifinfo(env, name);
  ns_leave(&g);
  if (!obj) goto fail_late;
  napi_value v;
  if (napi_create_int32(env, fd, &v) != napi_ok || napi_set_named_property(env, obj, "fd", v) != napi_ok) goto fail_late;
  /* ring: an object owning the mapping, or null */
  if (ring.alive) {
    rx_ring *heap = malloc(sizeof *heap);
    if (!heap || napi_create_object(env, &v) != napi_ok) {
      free(heap);
      goto fail_late;
    }
    *heap = ring;
    if (napi_wrap(env, v, heap, rx_ring_finalize, NULL, NULL) != napi_ok) {
      free(heap);
      goto fail_late;
    }
    ring.alive = 0; /* the JS object owns it now */
  } else if (napi_get_null(env, &v) != napi_ok) goto fail_late;
  if (napi_set_named_property(env, obj, "ring", v) != napi_ok) goto fail_late;
  /* hostBypassFd: the tcx link fd (-1 if none); hostBypassError: why it is missing */
  if (napi_create_int32(env, bypass_fd, &v) != napi_ok || napi_set_named_property(env, obj, "hostBypassFd", v) != napi_ok)
    goto fail_late;
  if (bypass_err) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s: %s", bypass_why, strerror(bypass_err));
    if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &v) != napi_ok) goto fail_late;
  } else if (napi_get_null(env, &v) != napi_ok) goto fail_late;
  if (napi_set_named_property(env, obj, "hostBypassError", v) != napi_ok) goto fail_late;
  return obj;

fail_late:
  rx_ring_unmap(&ring);
  if (bypass_fd >= 0) close(bypass_fd);
  close(fd);
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) napi_throw_error(env, "EIO", "openPacket: N-API call failed");
  return NULL;

fail_errno:
  e = errno;
fail:
  rx_ring_unmap(&ring);
  if (bypass_fd >= 0) close(bypass_fd);
  if (fd >= 0) close(fd);
  ns_leave(&g);
  return throw_errno(env, step, e);
}

/* unmapRing(ring): release a receive ring's mapping now (before its fd is closed). */
static napi_value js_unmap_ring(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *p = NULL;
  if (argc >= 1 && !is_nullish(env, argv[0]) && napi_unwrap(env, argv[0], &p) == napi_ok) rx_ring_unmap(p);
  return NULL;
}

/* Fold a 32-bit ones-complement accumulator. */
static inline uint16_t csum_fold32(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

static uint64_t csum_add(const uint8_t *p, size_t len, uint64_t sum) {
  while (len >= 2) {
    sum += (uint32_t)p[0] << 8 | p[1];
    p += 2;
    len -= 2;
  }
  if (len) sum += (uint32_t)p[0] << 8;
  return sum;
}

/* Finish a CHECKSUM_PARTIAL frame as skb_checksum_help would: the field already holds the
 * pseudo-header sum, so sum from csum_start to the end and store the complement. */
static int complete_csum(uint8_t *frame, size_t len, const struct virtio_net_hdr *vh) {
  size_t start = vh->csum_start, off = start + vh->csum_offset;
  if (start >= len || off + 2 > len) return -1;
  uint16_t c = (uint16_t)~csum_fold32(csum_add(frame + start, len - start, 0));
  if (c == 0) c = 0xffff; /* UDP's "no checksum" is 0; the ones-complement equivalent is 0xffff */
  frame[off] = c >> 8;
  frame[off + 1] = c & 0xff;
  return 0;
}

/* Check one received frame (slot at f, flen bytes from the Ethernet header on) and, if
 * it is a whole IPv4/IPv6 datagram, complete a CHECKSUM_PARTIAL and return its IP length;
 * else -1 (counted as dropped by the caller). */
static long accept_frame(uint8_t *f, long flen, const struct virtio_net_hdr *vh, int32_t *stats) {
  if (flen < ETH_HLEN + 20 || vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) return -1;
  uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
  uint8_t *ip = f + ETH_HLEN;
  long avail = flen - ETH_HLEN;
  long iplen;
  if (et == ETH_P_IP && (ip[0] >> 4) == 4) {
    iplen = ip[2] << 8 | ip[3];
  } else if (et == ETH_P_IPV6 && (ip[0] >> 4) == 6 && avail >= 40) {
    iplen = 40 + (ip[4] << 8 | ip[5]);
  } else {
    return -1;
  }
  if (iplen < 20 || iplen > avail) return -1;
  if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
    /* Checksum over the IP datagram only, not the Ethernet padding. */
    if (complete_csum(f, ETH_HLEN + iplen, vh) < 0) return -1;
    stats[1]++;
  }
  return iplen;
}

/* The ring path of recvPacket: take up to max frames the kernel has handed over. */
static int recv_ring(rx_ring *r, uint8_t *buf, int32_t slot, int32_t max, int32_t *offs, int32_t *lens,
                     int32_t *stats, int *taken) {
  int out = 0, n = 0;
  while (n < max) {
    struct tpacket2_hdr *h = (struct tpacket2_hdr *)(r->rx.base + (size_t)r->rx.head * r->rx.fsize);
    uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
    if (!(st & TP_STATUS_USER)) break;
    uint8_t *f = (uint8_t *)h + h->tp_mac;
    uint32_t snap = h->tp_snaplen;
    long iplen = -1;
    if (!(st & TP_STATUS_COPY) && snap == h->tp_len && snap <= (uint32_t)slot &&
        h->tp_mac >= sizeof(struct virtio_net_hdr) + TPACKET2_HDRLEN - sizeof(struct sockaddr_ll) &&
        (size_t)h->tp_mac + snap <= r->rx.fsize) {
      struct virtio_net_hdr vh;
      memcpy(&vh, f - sizeof vh, sizeof vh);
      uint8_t *dst = buf + (size_t)n * slot;
      memcpy(dst, f, snap);
      iplen = accept_frame(dst, (long)snap, &vh, stats);
    }
    __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    if (++r->rx.head == r->rx.fnr) r->rx.head = 0;
    if (iplen < 0) {
      stats[0]++;
    } else {
      offs[out] = n * slot + ETH_HLEN;
      lens[out] = (int32_t)iplen;
      out++;
    }
    n++;
  }
  *taken = n;
  return out;
}

/* recvPacket(fd, buf, slotSize, maxSlots, offsets, lengths, stats, ring?) -> count | -errno
 * Frames land at i*slotSize; delivered datagrams are compacted into offsets/lengths with
 * the Ethernet header stripped and trailing padding trimmed. stats[0] += frames dropped
 * (not IPv4/IPv6, truncated, GSO), stats[1] += frames completed from CHECKSUM_PARTIAL,
 * stats[2] = frames read by this call (so the caller knows whether the queue was drained).
 * With ring (from openPacket), frames come from the PACKET_MMAP ring, not recvmmsg. */
static napi_value js_recv_packet(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, slot, max;
  void *bufp, *offp, *lenp, *statp;
  size_t blen, olen, llen, slen;
  if (argc < 7 || get_i32(env, argv[0], &fd) || get_bytes(env, argv[1], &bufp, &blen) ||
      get_i32(env, argv[2], &slot) || get_i32(env, argv[3], &max) || get_bytes(env, argv[4], &offp, &olen) ||
      get_bytes(env, argv[5], &lenp, &llen) || get_bytes(env, argv[6], &statp, &slen) || slot <= ETH_HLEN ||
      max < 0 || (size_t)max * slot > blen || olen < (size_t)max * 4 || llen < (size_t)max * 4 || slen < 12) {
    napi_throw_type_error(env, NULL, "recvPacket: bad arguments");
    return NULL;
  }
  uint8_t *buf = bufp;
  int32_t *offs = offp, *lens = lenp, *stats = statp;
  napi_value rv;
  if (argc > 7 && !is_nullish(env, argv[7])) {
    void *rp = NULL;
    if (napi_unwrap(env, argv[7], &rp) != napi_ok || !rp) {
      napi_throw_type_error(env, NULL, "recvPacket: bad ring");
      return NULL;
    }
    rx_ring *r = rp;
    if (!r->alive || r->rx.base) {
      int taken = 0, out = r->alive ? recv_ring(r, buf, slot, max, offs, lens, stats, &taken) : 0;
      stats[2] = taken;
      NAPI_OK(napi_create_int32(env, r->alive ? out : -EBADF, &rv));
      return rv;
    }
    /* a transmit-only ring: receive by recvmmsg */
  }
  struct virtio_net_hdr vh[BATCH];
  struct iovec iov[BATCH][2];
  struct mmsghdr msgs[BATCH];
  int out = 0, err = 0, base = 0;
  while (base < max) {
    int want = max - base < BATCH ? max - base : BATCH;
    for (int i = 0; i < want; i++) {
      iov[i][0].iov_base = &vh[i];
      iov[i][0].iov_len = sizeof vh[i];
      iov[i][1].iov_base = buf + (size_t)(base + i) * slot;
      iov[i][1].iov_len = slot;
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = iov[i];
      msgs[i].msg_hdr.msg_iovlen = 2;
    }
    int n = recvmmsg(fd, msgs, want, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) err = errno;
      break;
    }
    for (int i = 0; i < n; i++) {
      int slotno = base + i;
      uint8_t *f = buf + (size_t)slotno * slot;
      long flen = (long)msgs[i].msg_len - (long)sizeof(struct virtio_net_hdr);
      long iplen = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? -1 : accept_frame(f, flen, &vh[i], stats);
      if (iplen < 0) {
        stats[0]++;
        continue;
      }
      offs[out] = slotno * slot + ETH_HLEN;
      lens[out] = (int32_t)iplen;
      out++;
    }
    base += n;
    if (n < want) break;
  }
  stats[2] = base;
  NAPI_OK(napi_create_int32(env, out > 0 || base > 0 ? out : -err, &rv));
  return rv;
}

/* ---- sending ----
 * Datagrams are described by (bufIndex, offset, length) into a small array of distinct
 * buffers, so the caller records a send without allocating and this call resolves each
 * buffer once. */

typedef struct {
  uint8_t *data;
  size_t len;
} span;

#define MAX_BUFS 64
#define TX_RING_BATCH 256

static int get_spans(napi_env env, napi_value arr, span *spans, uint32_t *nspans) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok || n > MAX_BUFS) return -1;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    void *d;
    size_t l;
    if (napi_get_element(env, arr, i, &el) != napi_ok) return -1;
    if (is_nullish(env, el)) {
      spans[i].data = NULL;
      spans[i].len = 0;
      continue;
    }
    if (get_bytes(env, el, &d, &l)) return -1;
    spans[i].data = d;
    spans[i].len = l;
  }
  *nspans = n;
  return 0;
}

/* Resolve datagram i; NULL if it points outside its buffer. */
static uint8_t *resolve(const span *spans, uint32_t nspans, int32_t bi, int32_t off, int32_t len) {
  if (bi < 0 || (uint32_t)bi >= nspans || !spans[bi].data || off < 0 || len <= 0 ||
      (size_t)off + (size_t)len > spans[bi].len)
    return NULL;
  return spans[bi].data + off;
}

typedef struct {
  int32_t fd, count;
  int32_t *bidx, *offs, *lens;
  span spans[MAX_BUFS];
  uint32_t nspans;
} send_args;

static int get_result(napi_env env, napi_value v, double **out) {
  napi_typedarray_type type;
  size_t n, off;
  void *d;
  napi_value ab;
  bool ta = false;
  if (napi_is_typedarray(env, v, &ta) != napi_ok || !ta) return -1;
  if (napi_get_typedarray_info(env, v, &type, &n, &d, &ab, &off) != napi_ok || type != napi_float64_array || n < 1)
    return -1;
  *out = d;
  return 0;
}

/* Common argument parsing: (fd, bufs, bufIdx, offsets, lengths, count, ...) */
static int parse_send(napi_env env, napi_value *argv, size_t argc, send_args *a) {
  void *bp, *op, *lp;
  size_t bl, ol, ll;
  if (argc < 6 || get_i32(env, argv[0], &a->fd) || get_spans(env, argv[1], a->spans, &a->nspans) ||
      get_bytes(env, argv[2], &bp, &bl) || get_bytes(env, argv[3], &op, &ol) || get_bytes(env, argv[4], &lp, &ll) ||
      get_i32(env, argv[5], &a->count) || a->count < 0 || bl < (size_t)a->count * 4 ||
      ol < (size_t)a->count * 4 || ll < (size_t)a->count * 4)
    return -1;
  a->bidx = bp;
  a->offs = op;
  a->lens = lp;
  return 0;
}

/* sendTun(fd, bufs, bufIdx, offsets, lengths, count, result) -> datagrams written
 * result (Float64Array) [0] = bytes written.
 * A TUN fd takes one datagram per write(); errors drop the datagram (EINVAL, EIO) or the
 * rest of the batch (EAGAIN, ENOBUFS) - multicast is best effort and must not queue. */
static napi_value js_send_tun(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  send_args a;
  double *result;
  if (argc < 7 || parse_send(env, argv, argc, &a) < 0 || get_result(env, argv[6], &result) < 0) {
    napi_throw_type_error(env, NULL, "sendTun: bad arguments");
    return NULL;
  }
  int sent = 0;
  double bytes = 0;
  for (int i = 0; i < a.count; i++) {
    uint8_t *p = resolve(a.spans, a.nspans, a.bidx[i], a.offs[i], a.lens[i]);
    if (!p) continue;
    ssize_t r;
    do r = write(a.fd, p, a.lens[i]);
    while (r < 0 && errno == EINTR);
    if (r >= 0) {
      sent++;
      bytes += (double)r;
    } else if (errno == EAGAIN || errno == ENOBUFS) break;
  }
  result[0] = bytes;
  napi_value rv;
  NAPI_OK(napi_create_int32(env, sent, &rv));
  return rv;
}

/* Fill the Ethernet header for datagram p (IPv4/IPv6 multicast MAC); 0, or -1 if neither. */
static int eth_for(uint8_t *e, const uint8_t *p, int32_t len, const uint8_t *mac) {
  uint8_t v = p[0] >> 4;
  if (v == 4 && len >= 20) {
    e[0] = 0x01, e[1] = 0x00, e[2] = 0x5e;
    e[3] = p[17] & 0x7f, e[4] = p[18], e[5] = p[19];
    e[12] = 0x08, e[13] = 0x00;
  } else if (v == 6 && len >= 40) {
    e[0] = 0x33, e[1] = 0x33;
    memcpy(e + 2, p + 36, 4);
    e[12] = 0x86, e[13] = 0xdd;
  } else {
    return -1;
  }
  memcpy(e + 6, mac, 6);
  return 0;
}

/* The ring path of sendPacket: copy each datagram behind a zero vnet header and its
 * Ethernet header into the next free TX frame, then one send() hands them all to the
 * kernel. A frame still in flight (its skb not yet freed downstream) means the ring is
 * full: the rest of the batch is dropped, as EAGAIN would. If the device refuses a frame
 * (ENOBUFS...), the kernel stops there and leaves that frame and the ones after it
 * requested; they are taken back (dropped) and the head rewound to stay in step with the
 * kernel's. */
static int send_ring(rx_ring *r, int fd, const send_args *a, const uint8_t *mac, double *bytes_out) {
  ring_half *t = &r->tx;
  const uint32_t data_off = TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);
  const uint32_t room = t->fsize - data_off - sizeof(struct virtio_net_hdr) - ETH_HLEN;
  uint32_t first = t->head;
  int queued = 0, sent = 0, i = 0;
  int32_t qlen[TX_RING_BATCH];
  double bytes = 0;
  while (i < a->count) {
    int k = 0;
    first = t->head;
    while (i < a->count && k < TX_RING_BATCH) {
      int32_t len = a->lens[i];
      uint8_t *p = resolve(a->spans, a->nspans, a->bidx[i], a->offs[i], len);
      i++;
      if (!p || (uint32_t)len > room || len > r->mtu) continue; /* as EMSGSIZE */
      struct tpacket2_hdr *h = (struct tpacket2_hdr *)(t->base + (size_t)t->head * t->fsize);
      if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) &
          (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING | TP_STATUS_WRONG_FORMAT)) {
        i = a->count; /* ring full: drop the rest */
        break;
      }
      uint8_t *d = (uint8_t *)h + data_off;
      struct virtio_net_hdr *vh = (struct virtio_net_hdr *)d;
      uint8_t *e = d + sizeof *vh;
      if (eth_for(e, p, len, mac) < 0) continue;
      memset(vh, 0, sizeof *vh);
      vh->hdr_len = (uint16_t)(ETH_HLEN + len); /* all of it linear in the skb */
      memcpy(e + ETH_HLEN, p, len);
      h->tp_len = sizeof *vh + ETH_HLEN + len;
      __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
      qlen[k++] = len;
      if (++t->head == t->fnr) t->head = 0;
    }
    if (k == 0) continue;
    queued += k;
    ssize_t r2;
    do r2 = send(fd, NULL, 0, MSG_DONTWAIT);
    while (r2 < 0 && errno == EINTR);
    /* Frames the kernel did not take are still SEND_REQUEST, from its head on. */
    int done = k;
    if (r2 < 0) {
      for (int j = 0; j < k; j++) {
        uint32_t idx = (first + j) % t->fnr;
        struct tpacket2_hdr *h = (struct tpacket2_hdr *)(t->base + (size_t)idx * t->fsize);
        if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) == TP_STATUS_SEND_REQUEST) {
          done = j;
          for (int m = j; m < k; m++) {
            uint32_t im = (first + m) % t->fnr;
            struct tpacket2_hdr *hm = (struct tpacket2_hdr *)(t->base + (size_t)im * t->fsize);
            __atomic_store_n(&hm->tp_status, TP_STATUS_AVAILABLE, __ATOMIC_RELEASE);
          }
          t->head = idx;
          break;
        }
      }
    }
    for (int j = 0; j < done; j++) bytes += qlen[j];
    sent += done;
    if (done < k) break; /* the device refused: drop the rest of the batch */
  }
  (void)queued;
  *bytes_out = bytes;
  return sent;
}

/* sendPacket(fd, bufs, bufIdx, offsets, lengths, count, srcMac, result, ring?) -> datagrams sent
 * result[0] = bytes of IP datagrams sent (Ethernet header not counted).
 * Each datagram goes out as iovec [vnet header, Ethernet header, datagram] - no copy of the
 * payload. The destination MAC is the IP multicast mapping of the destination address. */
static napi_value js_send_packet(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  send_args a;
  void *macp;
  size_t macl;
  double *result;
  if (argc < 8 || parse_send(env, argv, argc, &a) < 0 || get_bytes(env, argv[6], &macp, &macl) || macl < 6 ||
      get_result(env, argv[7], &result) < 0) {
    napi_throw_type_error(env, NULL, "sendPacket: bad arguments");
    return NULL;
  }
  if (argc > 8 && !is_nullish(env, argv[8])) {
    void *rp = NULL;
    if (napi_unwrap(env, argv[8], &rp) != napi_ok || !rp) {
      napi_throw_type_error(env, NULL, "sendPacket: bad ring");
      return NULL;
    }
    rx_ring *r = rp;
    if (!r->alive || r->tx.base) {
      double bytes = 0;
      int sent = r->alive ? send_ring(r, r->txfd, &a, macp, &bytes) : 0;
      result[0] = bytes;
      napi_value rv;
      NAPI_OK(napi_create_int32(env, sent, &rv));
      return rv;
    }
    /* a receive-only ring: send by sendmmsg */
  }
  static const struct virtio_net_hdr zero_vh; /* no offload requested for what we send */
  uint8_t eth[BATCH][ETH_HLEN];
  struct iovec iov[BATCH][3];
  struct mmsghdr msgs[BATCH];
  int sent = 0, i = 0;
  int stop = 0;
  double bytes = 0;
  while (i < a.count && !stop) {
    int k = 0;
    /* Build up to BATCH messages, skipping datagrams that are malformed. */
    while (i < a.count && k < BATCH) {
      int32_t len = a.lens[i];
      uint8_t *p = resolve(a.spans, a.nspans, a.bidx[i], a.offs[i], len);
      i++;
      if (!p) continue;
      uint8_t *e = eth[k];
      if (eth_for(e, p, len, macp) < 0) continue;
      iov[k][0].iov_base = (void *)&zero_vh;
      iov[k][0].iov_len = sizeof zero_vh;
      iov[k][1].iov_base = e;
      iov[k][1].iov_len = ETH_HLEN;
      iov[k][2].iov_base = p;
      iov[k][2].iov_len = len;
      memset(&msgs[k].msg_hdr, 0, sizeof msgs[k].msg_hdr);
      msgs[k].msg_hdr.msg_iov = iov[k];
      msgs[k].msg_hdr.msg_iovlen = 3;
      k++;
    }
    int done = 0;
    while (done < k) {
      int r = sendmmsg(a.fd, msgs + done, k - done, MSG_DONTWAIT);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno == EMSGSIZE || errno == EINVAL) {
          done++; /* this datagram is too big or malformed for the device; the rest may pass */
          continue;
        }
        stop = 1; /* EAGAIN, ENOBUFS, ENETDOWN...: drop the rest of the batch */
        break;
      }
      for (int j = done; j < done + r; j++) bytes += (double)iov[j][2].iov_len;
      sent += r;
      done += r;
    }
  }
  result[0] = bytes;
  napi_value rv;
  NAPI_OK(napi_create_int32(env, sent, &rv));
  return rv;
}

/* close(fd) */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 1 || get_i32(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "close(fd)");
    return NULL;
  }
  int r = close(fd);
  napi_value rv;
  NAPI_OK(napi_create_int32(env, r < 0 ? -errno : 0, &rv));
  return rv;
}

/* ---- readiness ----
 * pollStart(fd, callback) -> handle object; pollStop(handle).
 * The handle object is both the JS-visible token and the `this` of every callback
 * (napi_make_callback needs a real object there). It stays referenced while polling. */

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref self; /* strong while active */
  napi_ref cb;
  napi_async_context actx;
  int stopped;
} poller;

static void poller_closed(uv_handle_t *h) { free(h->data); }

static void poller_stop(poller *p) {
  if (p->stopped) return;
  p->stopped = 1;
  uv_poll_stop(&p->poll);
  napi_async_destroy(p->env, p->actx);
  napi_delete_reference(p->env, p->cb);
  napi_value obj;
  if (napi_get_reference_value(p->env, p->self, &obj) == napi_ok && obj) {
    void *old;
    napi_remove_wrap(p->env, obj, &old);
  }
  napi_delete_reference(p->env, p->self);
  uv_close((uv_handle_t *)&p->poll, poller_closed);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  (void)events;
  poller *p = h->data;
  if (p->stopped) return;
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value self, cb, arg, result;
  if (napi_get_reference_value(env, p->self, &self) == napi_ok &&
      napi_get_reference_value(env, p->cb, &cb) == napi_ok) {
    napi_create_int32(env, status, &arg);
    /* make_callback runs microtasks afterwards, as an ordinary libuv callback would. */
    if (napi_make_callback(env, p->actx, self, cb, 1, &arg, &result) == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

static napi_value js_poll_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  napi_valuetype t;
  if (argc < 2 || get_i32(env, argv[0], &fd) || napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "pollStart(fd, callback)");
    return NULL;
  }
  uv_loop_t *loop;
  NAPI_OK(napi_get_uv_event_loop(env, &loop));
  poller *p = calloc(1, sizeof *p);
  if (!p) return throw_errno(env, "pollStart", ENOMEM);
  p->env = env;
  int r = uv_poll_init(loop, &p->poll, fd);
  if (r < 0) {
    free(p);
    return throw_errno(env, "uv_poll_init", -r);
  }
  p->poll.data = p;
  napi_value obj, name;
  NAPI_OK(napi_create_object(env, &obj));
  NAPI_OK(napi_wrap(env, obj, p, NULL, NULL, NULL));
  NAPI_OK(napi_create_reference(env, obj, 1, &p->self));
  NAPI_OK(napi_create_reference(env, argv[1], 1, &p->cb));
  NAPI_OK(napi_create_string_utf8(env, "mrsh_io.poll", NAPI_AUTO_LENGTH, &name));
  NAPI_OK(napi_async_init(env, obj, name, &p->actx));
  r = uv_poll_start(&p->poll, UV_READABLE, on_poll);
  if (r < 0) {
    poller_stop(p);
    return throw_errno(env, "uv_poll_start", -r);
  }
  return obj;
}

static napi_value js_poll_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *p = NULL;
  if (argc >= 1 && napi_unwrap(env, argv[0], &p) == napi_ok && p) poller_stop(p);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"ifInfo", NULL, js_if_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openTun", NULL, js_open_tun, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openPacket", NULL, js_open_packet, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recvTun", NULL, js_recv_tun, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recvPacket", NULL, js_recv_packet, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendTun", NULL, js_send_tun, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendPacket", NULL, js_send_packet, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unmapRing", NULL, js_unmap_ring, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pollStart", NULL, js_poll_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pollStop", NULL, js_poll_stop, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
