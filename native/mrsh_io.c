// mrsh_io: the small native layer under the TUN and packet links.
// JS owns all packet memory; C keeps no references to it between calls and starts no
// threads. Readiness comes from libuv (uv_poll, level-triggered) so an idle link costs
// nothing; each receive/send call moves a whole batch through one or a few syscalls.
#define _GNU_SOURCE
#include "mrsh_addon.h"
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

/* ---- AF_XDP input (opt-in) ----
 * Why: with a packet socket the router's input climbs the kernel's receive backlog, and a
 * backlog steered to the router's core (RPS, or a NIC's IRQ there) must be woken by an
 * inter-processor interrupt whenever the router has just emptied it - which a userspace
 * forwarder does after every send, each transmitted frame running the receive softirq.
 * Measured on the forwarding benchmark: ~0.17 IPIs per packet against ~0.01 for the
 * kernel's own forwarding, and on a VM an IPI is a VM exit.
 * An XDP program on the input interface redirects multicast data frames (the same ones the
 * host bypass drops; link-local groups, IGMP, PIM, MLD and ICMPv6 pass to the stack and to
 * the packet socket as before) into an AF_XDP socket in copy mode. Tuned (xsk_tune, when
 * the device is in this process's namespace), the interface's NAPI becomes threaded with
 * its kthread on the router's CPUs, is busy-polled from recvXsk (SO_PREFER_BUSY_POLL),
 * and napi_defer_hard_irqs + gro_flush_timeout keep the device's "interrupt" masked
 * between polls, so input costs no IPI while traffic flows and its work stays on the
 * router's core; when traffic stops the device re-arms, and the next frame wakes the
 * kthread there. Untuned, the NAPI runs wherever the device schedules it (for a veth: on
 * the sending core).
 * The XDP program and map are held by a BPF link owned by the xsk object: closing it, or
 * the process dying, detaches them. Needs native XDP on the device (veth and most NIC
 * drivers) and CAP_NET_ADMIN + CAP_BPF (root). */

#include <dirent.h>
#include <linux/if_xdp.h>
#include <linux/if_link.h>
#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

#define XSK_FRAME 2048u
#define XSK_FRAMES 4096u  /* umem: 8 MiB; every frame starts on the fill ring */
#define XSK_RX_SIZE 2048u
#define XSK_COMP_SIZE 64u /* required by bind; nothing is transmitted on the xsk */
#define XSK_MAP_ENTRIES 64 /* rx queues; only queue 0 is bound, others fall back to XDP_PASS */
#define XSK_GRO_FLUSH_NS 200000 /* re-poll 200 us after the router stops polling: */
#define XSK_DEFER_IRQS 2        /* twice, then the device re-arms. Measured on bench:forward
                                  * (64 B): 20 us woke the NAPI thread between mrsh's own polls
                                  * ~7k times/s and forwarded ~181k pps at 190k offered; 200 us,
                                  * ~188k, and ~201k at 210k. The cost is latency while masked:
                                  * up to 200 us for a packet that arrives just after a poll
                                  * when mrsh is not polling itself. */

typedef struct {
  int alive;
  int fd, map_fd, link_fd;
  uint8_t *umem;
  void *rx_map, *fill_map;
  size_t rx_len, fill_len;
  uint32_t *rx_prod, *rx_cons, *fill_prod, *fill_cons;
  struct xdp_desc *rx_desc;
  uint64_t *fill_desc;
  int busy_poll;
  uint32_t calls;
  struct xdp_statistics seen; /* kernel drop counters already reported */
  /* device settings changed for busy polling, restored on close ("" = none changed) */
  char ifname[IFNAMSIZ];
  char saved_defer[32], saved_timeout[32], saved_threaded[32];
  int napi_threads; /* kthreads moved to this process's CPUs */
} xsk_in;

/* Move the interface's NAPI kthreads ("napi/IFNAME-ID", the comm cut to 15 characters)
 * onto the CPUs this process may run on: the device's receive work then runs where the
 * router runs, as a NIC's IRQ affinity would place it. Returns how many were moved. */
static int pin_napi_threads(const char *ifname) {
  cpu_set_t mine;
  if (sched_getaffinity(0, sizeof mine, &mine) < 0) return -errno;
  char full[IFNAMSIZ + 8];
  snprintf(full, sizeof full, "napi/%s-", ifname);
  size_t fl = strlen(full);
  int moved = 0;
  DIR *d = opendir("/proc");
  if (!d) return -errno;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    char path[64], comm[32] = "";
    snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0) continue;
    ssize_t n = read(f, comm, sizeof comm - 1);
    close(f);
    if (n <= 0) continue;
    comm[n] = 0;
    comm[strcspn(comm, "\n")] = 0;
    size_t len = strlen(comm);
    /* the whole "napi/IF-" prefix, or a comm cut to 15 characters inside it */
    if (!(len >= fl && strncmp(comm, full, fl) == 0) && !(len == 15 && fl > 15 && strncmp(comm, full, 15) == 0)) continue;
    if (sched_setaffinity((pid_t)atoi(e->d_name), sizeof mine, &mine) == 0) moved++;
  }
  closedir(d);
  return moved;
}

static int sysfs_rw(const char *ifname, const char *attr, char *old, size_t oldcap, const char *val) {
  char path[128];
  snprintf(path, sizeof path, "/sys/class/net/%s/%s", ifname, attr);
  if (old) {
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0) return -errno;
    ssize_t n = read(f, old, oldcap - 1);
    close(f);
    if (n <= 0) return -EIO;
    old[n] = 0;
    char *nl = strchr(old, '\n');
    if (nl) *nl = 0;
  }
  int f = open(path, O_WRONLY | O_CLOEXEC);
  if (f < 0) return -errno;
  ssize_t w = write(f, val, strlen(val));
  int e = w < 0 ? errno : 0;
  close(f);
  return -e;
}

static void xsk_untune(xsk_in *x);

static void xsk_in_close(xsk_in *x) {
  if (!x || !x->alive) return;
  x->alive = 0;
  /* while the program (and so the device's NAPI) is still there: with no NAPI left,
   * "threaded" can no longer be written (EOPNOTSUPP) and would stay set */
  xsk_untune(x);
  if (x->link_fd >= 0) close(x->link_fd); /* detaches the XDP program first */
  if (x->map_fd >= 0) close(x->map_fd);
  if (x->fd >= 0) close(x->fd);
  if (x->rx_map) munmap(x->rx_map, x->rx_len);
  if (x->fill_map) munmap(x->fill_map, x->fill_len);
  if (x->umem) munmap(x->umem, (size_t)XSK_FRAME * XSK_FRAMES);
  x->link_fd = x->map_fd = x->fd = -1;
  x->rx_map = x->fill_map = NULL;
  x->umem = NULL;
}

static void xsk_in_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  xsk_in_close(data);
  free(data);
}

#define I_LDX(sz, d, s, o) I_INS(BPF_LDX | (sz) | BPF_MEM, d, s, o, 0)
#define I_ADD64_IMM(d, i) I_INS(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define I_JGT_REG(d, s) I_INS(BPF_JMP | BPF_JGT | BPF_X, d, s, 0, 0)
#define I_CALL(f) I_INS(BPF_JMP | BPF_CALL, 0, 0, 0, f)

static int bpf_sys(int cmd, union bpf_attr *a) { return (int)syscall(__NR_bpf, cmd, a, sizeof *a); }

/* A few instructions with forward jumps to labels, resolved at the end. */
typedef struct {
  struct bpf_insn ins[64];
  int n, nfix, fix_at[32], fix_label[32], label_pc[8];
} bpf_asm;
static void emit(bpf_asm *a, struct bpf_insn i) { a->ins[a->n++] = i; }
static void emit_to(bpf_asm *a, struct bpf_insn i, int label) {
  a->fix_at[a->nfix] = a->n;
  a->fix_label[a->nfix++] = label;
  emit(a, i);
}
static void place(bpf_asm *a, int label) { a->label_pc[label] = a->n; }
static void asm_resolve(bpf_asm *a) {
  for (int i = 0; i < a->nfix; i++) a->ins[a->fix_at[i]].off = (int16_t)(a->label_pc[a->fix_label[i]] - a->fix_at[i] - 1);
}

/* The XDP program: multicast data frames -> xsks_map[rx_queue_index] (XDP_PASS when that
 * queue has no socket), anything else XDP_PASS. The classification is the host bypass's
 * (above), here on direct packet access with the verifier's bounds checks. */
static int xsk_prog_load(int map_fd, char *log, size_t logcap) {
  enum { PASS, IPV4, IPV6, REDIRECT };
  bpf_asm a = {0};
  emit(&a, I_MOV64_REG(BPF_REG_6, BPF_REG_1));
  emit(&a, I_LDX(BPF_W, BPF_REG_2, BPF_REG_6, 0)); /* xdp_md.data */
  emit(&a, I_LDX(BPF_W, BPF_REG_3, BPF_REG_6, 4)); /* xdp_md.data_end */
  emit(&a, I_MOV64_REG(BPF_REG_4, BPF_REG_2));
  emit(&a, I_ADD64_IMM(BPF_REG_4, ETH_HLEN + 20));
  emit_to(&a, I_JGT_REG(BPF_REG_4, BPF_REG_3), PASS);
  emit(&a, I_LDX(BPF_B, BPF_REG_5, BPF_REG_2, 0)); /* destination MAC, first byte */
  emit(&a, I_JMP_IMM(BPF_JSET, BPF_REG_5, 1, 1));  /* group bit set: look further */
  emit_to(&a, I_JA(0), PASS);
  emit(&a, I_LDX(BPF_H, BPF_REG_5, BPF_REG_2, 12)); /* EtherType, loaded little-endian */
  emit_to(&a, I_JMP_IMM(BPF_JEQ, BPF_REG_5, 0x0008, 0), IPV4);
  emit_to(&a, I_JMP_IMM(BPF_JEQ, BPF_REG_5, 0xdd86, 0), IPV6);
  emit_to(&a, I_JA(0), PASS);
  place(&a, IPV4);
  emit(&a, I_LDX(BPF_B, BPF_REG_5, BPF_REG_2, ETH_HLEN + 9)); /* protocol */
  emit_to(&a, I_JMP_IMM(BPF_JEQ, BPF_REG_5, IPPROTO_IGMP, 0), PASS);
  emit_to(&a, I_JMP_IMM(BPF_JEQ, BPF_REG_5, IPPROTO_PIM, 0), PASS);
  emit(&a, I_LDX(BPF_W, BPF_REG_5, BPF_REG_2, ETH_HLEN + 16)); /* destination, little-endian */
  emit(&a, I_MOV64_REG(BPF_REG_0, BPF_REG_5));
  emit(&a, I_ALU64_IMM(BPF_AND, BPF_REG_0, 0xf0));
  emit_to(&a, I_JMP_IMM(BPF_JNE, BPF_REG_0, 0xe0, 0), PASS); /* not 224/4 */
  emit(&a, I_ALU64_IMM(BPF_AND, BPF_REG_5, 0xffffff));
  emit_to(&a, I_JMP_IMM(BPF_JEQ, BPF_REG_5, 0xe0, 0), PASS); /* 224.0.0.0/24 */
  emit_to(&a, I_JA(0), REDIRECT);
  place(&a, IPV6);
  emit(&a, I_MOV64_REG(BPF_REG_4, BPF_REG_2));
  emit(&a, I_ADD64_IMM(BPF_REG_4, ETH_HLEN + 40));
  emit_to(&a, I_JGT_REG(BPF_REG_4, BPF_REG_3), PASS);
  emit(&a, I_LDX(BPF_B, BPF_REG_5, BPF_REG_2, ETH_HLEN + 6)); /* next header */
  emit_to(&a, I_JMP_IMM(BPF_JEQ, BPF_REG_5, 0, 0), PASS);     /* hop-by-hop (MLD) */
  emit_to(&a, I_JMP_IMM(BPF_JEQ, BPF_REG_5, IPPROTO_ICMPV6, 0), PASS);
  emit(&a, I_LDX(BPF_B, BPF_REG_5, BPF_REG_2, ETH_HLEN + 24)); /* destination, first byte */
  emit_to(&a, I_JMP_IMM(BPF_JNE, BPF_REG_5, 0xff, 0), PASS);
  emit(&a, I_LDX(BPF_B, BPF_REG_5, BPF_REG_2, ETH_HLEN + 25)); /* flags | scope */
  emit(&a, I_ALU64_IMM(BPF_AND, BPF_REG_5, 0x0f));
  emit_to(&a, I_JMP_IMM(BPF_JLE, BPF_REG_5, 2, 0), PASS); /* interface/link-local scope */
  place(&a, REDIRECT);
  emit(&a, I_LDX(BPF_W, BPF_REG_2, BPF_REG_6, 16)); /* xdp_md.rx_queue_index */
  emit(&a, I_INS(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd));
  emit(&a, I_INS(0, 0, 0, 0, 0)); /* second half of the 64-bit immediate */
  emit(&a, I_MOV64_IMM(BPF_REG_3, XDP_PASS)); /* what to do when the slot is empty */
  emit(&a, I_CALL(BPF_FUNC_redirect_map));
  emit(&a, I_EXIT());
  place(&a, PASS);
  emit(&a, I_MOV64_IMM(BPF_REG_0, XDP_PASS));
  emit(&a, I_EXIT());
  asm_resolve(&a);

  static const char license[] = "GPL";
  union bpf_attr at;
  memset(&at, 0, sizeof at);
  at.prog_type = BPF_PROG_TYPE_XDP;
  at.expected_attach_type = BPF_XDP;
  at.insns = (uintptr_t)a.ins;
  at.insn_cnt = (uint32_t)a.n;
  at.license = (uintptr_t)license;
  memcpy(at.prog_name, "mrsh_xsk_in", 11);
  int pfd = bpf_sys(BPF_PROG_LOAD, &at);
  if (pfd < 0 && log && logcap) {
    /* load again with the verifier's log, for the error message */
    int e = errno;
    log[0] = 0;
    at.log_buf = (uintptr_t)log;
    at.log_size = (uint32_t)logcap;
    at.log_level = 1;
    bpf_sys(BPF_PROG_LOAD, &at);
    errno = e;
  }
  return pfd < 0 ? -errno : pfd;
}

/* Set up the socket, umem and rings, bound to ifindex queue 0 in copy mode. */
static int xsk_socket_setup(xsk_in *x, unsigned ifindex, const char **step) {
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
  sx.sxdp_queue_id = 0;
  sx.sxdp_flags = XDP_COPY;
  *step = "bind(AF_XDP)";
  if (bind(x->fd, (struct sockaddr *)&sx, sizeof sx) < 0) return -errno;
  return 0;
}

/* The map, its one entry, the program and its attachment (a BPF link, native mode). */
static int xsk_attach(xsk_in *x, unsigned ifindex, const char **step, char *log, size_t logcap) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_XSKMAP;
  a.key_size = 4;
  a.value_size = 4;
  a.max_entries = XSK_MAP_ENTRIES;
  memcpy(a.map_name, "mrsh_xsks", 9);
  *step = "BPF_MAP_CREATE(xskmap)";
  x->map_fd = bpf_sys(BPF_MAP_CREATE, &a);
  if (x->map_fd < 0) return -errno;
  uint32_t key = 0, val = (uint32_t)x->fd;
  memset(&a, 0, sizeof a);
  a.map_fd = (uint32_t)x->map_fd;
  a.key = (uintptr_t)&key;
  a.value = (uintptr_t)&val;
  *step = "BPF_MAP_UPDATE_ELEM(xskmap)";
  if (bpf_sys(BPF_MAP_UPDATE_ELEM, &a) < 0) return -errno;
  *step = "BPF_PROG_LOAD(xdp)";
  int pfd = xsk_prog_load(x->map_fd, log, logcap);
  if (pfd < 0) return pfd;
  memset(&a, 0, sizeof a);
  a.link_create.prog_fd = (uint32_t)pfd;
  a.link_create.target_ifindex = ifindex;
  a.link_create.attach_type = BPF_XDP;
  a.link_create.flags = XDP_FLAGS_DRV_MODE;
  *step = "BPF_LINK_CREATE(xdp, native mode)";
  x->link_fd = bpf_sys(BPF_LINK_CREATE, &a);
  int e = errno;
  close(pfd); /* the link holds the program, the program the map */
  if (x->link_fd < 0) return -e;
  fcntl(x->link_fd, F_SETFD, FD_CLOEXEC);
  return 0;
}

/* Set one device attribute, keeping the old value in saved (left empty unless changed). */
static int tune_attr(const char *ifname, const char *attr, const char *val, char *saved, size_t cap) {
  char old[32];
  int r = sysfs_rw(ifname, attr, old, sizeof old, val);
  if (r == 0) snprintf(saved, cap, "%s", old);
  return r;
}

/* Put the device's restorable settings back (those changed: saved non-empty). */
static void xsk_untune(xsk_in *x) {
  if (!x->ifname[0]) return;
  if (x->saved_threaded[0]) sysfs_rw(x->ifname, "threaded", NULL, 0, x->saved_threaded);
  if (x->saved_defer[0]) sysfs_rw(x->ifname, "napi_defer_hard_irqs", NULL, 0, x->saved_defer);
  if (x->saved_timeout[0]) sysfs_rw(x->ifname, "gro_flush_timeout", NULL, 0, x->saved_timeout);
  x->saved_threaded[0] = x->saved_defer[0] = x->saved_timeout[0] = 0;
  x->ifname[0] = 0;
  x->busy_poll = 0;
}

/* Busy polling and the NAPI settings it needs. Best effort: on failure the caller undoes
 * what was set and the socket works without (err says what failed). */
static int xsk_tune(xsk_in *x, const char *name, char *err, size_t errcap) {
  int one = 1, usecs = 20, budget = BATCH, r = 0;
  const char *step = "SO_PREFER_BUSY_POLL/SO_BUSY_POLL";
  char v[32];
  snprintf(x->ifname, sizeof x->ifname, "%s", name);
  if (setsockopt(x->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof one) < 0 ||
      setsockopt(x->fd, SOL_SOCKET, SO_BUSY_POLL, &usecs, sizeof usecs) < 0 ||
      setsockopt(x->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof budget) < 0)
    r = -errno;
  if (r == 0) {
    step = "napi_defer_hard_irqs";
    snprintf(v, sizeof v, "%d", XSK_DEFER_IRQS);
    r = tune_attr(name, "napi_defer_hard_irqs", v, x->saved_defer, sizeof x->saved_defer);
  }
  if (r == 0) {
    step = "gro_flush_timeout";
    snprintf(v, sizeof v, "%d", XSK_GRO_FLUSH_NS);
    r = tune_attr(name, "gro_flush_timeout", v, x->saved_timeout, sizeof x->saved_timeout);
  }
  if (r == 0) {
    /* threaded NAPI, its kthread on our CPUs: when the device schedules its NAPI (a veth:
     * on the sending core) the work comes here instead of running there */
    step = "threaded NAPI";
    r = tune_attr(name, "threaded", "1", x->saved_threaded, sizeof x->saved_threaded);
  }
  if (r == 0) {
    step = "NAPI kthread affinity";
    int m = pin_napi_threads(name);
    r = m < 0 ? m : m == 0 ? -ESRCH : 0;
    x->napi_threads = m;
  }
  if (r < 0) {
    snprintf(err, errcap, "%s: %s", step, strerror(-r));
    return r;
  }
  x->busy_poll = 1;
  return 0;
}

/* openXsk(ifname, netns|null, busyPoll) -> xsk object (owns everything; closeXsk frees it)
 * with property fd (for pollStart). busyPoll also changes the device's
 * napi_defer_hard_irqs / gro_flush_timeout (restored on close); it needs the device in
 * this process's own namespace (sysfs), so with netns it is refused (EINVAL). */
static napi_value js_open_xsk(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 1], ns[256] = "";
  bool busy = false;
  if (argc < 1 || get_str(env, argv[0], name, sizeof name) < 0) {
    napi_throw_type_error(env, NULL, "openXsk(ifname, netns?, busyPoll?)");
    return NULL;
  }
  if (argc > 1 && !is_nullish(env, argv[1]) && get_str(env, argv[1], ns, sizeof ns) < 0) {
    napi_throw_type_error(env, NULL, "netns must be a string");
    return NULL;
  }
  if (argc > 2 && !is_nullish(env, argv[2]) && napi_get_value_bool(env, argv[2], &busy) != napi_ok) {
    napi_throw_type_error(env, NULL, "busyPoll must be a boolean");
    return NULL;
  }
  if (busy && ns[0]) return throw_errno(env, "openXsk: busy polling tunes the device through sysfs, which shows this process's own namespace only", EINVAL);
  xsk_in *x = calloc(1, sizeof *x);
  if (!x) return throw_errno(env, "openXsk", ENOMEM);
  x->alive = 1;
  x->fd = x->map_fd = x->link_fd = -1;
  static char log[16384];
  log[0] = 0;
  const char *step = "enter netns";
  ns_guard g;
  int r = ns_enter(ns, &g);
  if (r == 0) {
    unsigned ifindex = if_nametoindex(name);
    step = name;
    r = ifindex ? 0 : -(errno ? errno : ENODEV);
    if (r == 0) {
      /* a frame must fit one umem chunk (copy mode places it at the chunk's start) */
      struct ifreq ifr;
      int s4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (s4 >= 0) {
        if (if_ioctl(s4, SIOCGIFMTU, name, &ifr) == 0 && ifr.ifr_mtu + ETH_HLEN + 4 > (int)XSK_FRAME) {
          step = "MTU larger than an AF_XDP frame (2048 bytes with the Ethernet header) holds";
          r = -EMSGSIZE;
        }
        close(s4);
      }
    }
    if (r == 0) r = xsk_socket_setup(x, ifindex, &step);
    if (r == 0) r = xsk_attach(x, ifindex, &step, log, sizeof log);
    ns_leave(&g);
  }
  char tune_err[160] = "";
  if (r == 0 && busy && xsk_tune(x, name, tune_err, sizeof tune_err) < 0) xsk_untune(x);
  if (r < 0) {
    xsk_in_close(x);
    free(x);
    char what[300];
    if (log[0]) {
      /* the verifier's last lines say why */
      size_t L = strlen(log);
      snprintf(what, sizeof what, "openXsk %s: %s [%s]", name, step, L > 200 ? log + L - 200 : log);
    } else {
      snprintf(what, sizeof what, "openXsk %s: %s", name, step);
    }
    return throw_errno(env, what, -r);
  }
  napi_value obj, v, te, bp;
  if (napi_create_object(env, &obj) != napi_ok || napi_create_int32(env, x->fd, &v) != napi_ok ||
      napi_set_named_property(env, obj, "fd", v) != napi_ok ||
      napi_get_boolean(env, x->busy_poll != 0, &bp) != napi_ok || napi_set_named_property(env, obj, "busyPoll", bp) != napi_ok ||
      (tune_err[0] ? napi_create_string_utf8(env, tune_err, NAPI_AUTO_LENGTH, &te) : napi_get_null(env, &te)) != napi_ok ||
      napi_set_named_property(env, obj, "tuneError", te) != napi_ok || napi_wrap(env, obj, x, xsk_in_finalize, NULL, NULL) != napi_ok) {
    xsk_in_close(x);
    free(x);
    napi_throw_error(env, "EIO", "openXsk: N-API call failed");
    return NULL;
  }
  return obj;
}

static xsk_in *get_xsk(napi_env env, napi_value v) {
  void *p = NULL;
  if (is_nullish(env, v) || napi_unwrap(env, v, &p) != napi_ok) return NULL;
  return p;
}

/* 16-bit ones-complement sum of len bytes: 32-bit words into a 64-bit accumulator, which
 * cannot overflow below 2^32 words, folded at the end (RFC 1071: the sum is byte-order
 * neutral up to a final swap). */
static uint32_t csum_words(const uint8_t *p, size_t len) {
  uint64_t s = 0;
  while (len >= 4) {
    uint32_t w;
    memcpy(&w, p, 4);
    s += w;
    p += 4;
    len -= 4;
  }
  uint32_t t = 0;
  memcpy(&t, p, len); /* the tail, zero padded */
  s += t;
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return (uint32_t)__builtin_bswap16((uint16_t)s); /* host order sum of big-endian words */
}

/* A frame that reached XDP carries no checksum offload state, so a UDP datagram sent by a
 * host with tx checksum offload (veth) arrives with only the pseudo-header sum in its
 * checksum field, as a CHECKSUM_PARTIAL skb would have had it. Complete exactly those: a
 * datagram whose checksum already verifies is never touched, and one that neither verifies
 * nor holds the pseudo-header sum is passed on as it came (a router does not judge L4). */
static int xsk_fix_udp(uint8_t *ip, long iplen) {
  uint32_t ps;
  long l4off, l4len;
  if ((ip[0] >> 4) == 4) {
    l4off = (ip[0] & 15) * 4;
    if (ip[9] != IPPROTO_UDP || (ip[6] & 0x3f) || ip[7]) return 0; /* not UDP, or a fragment */
    l4len = iplen - l4off;
    ps = csum_words(ip + 12, 8) + IPPROTO_UDP + (uint32_t)l4len;
  } else {
    l4off = 40;
    if (ip[6] != IPPROTO_UDP) return 0;
    l4len = iplen - 40;
    ps = csum_words(ip + 8, 32) + IPPROTO_UDP + (uint32_t)l4len;
  }
  if (l4len < 8) return 0;
  uint8_t *u = ip + l4off;
  uint16_t field = (uint16_t)(u[6] << 8 | u[7]);
  if (field == 0 && (ip[0] >> 4) == 4) return 0; /* IPv4 "no checksum" */
  if (field != csum_fold32(ps)) return 0;          /* not a partial one: no pass over the data */
  uint32_t data = csum_words(u, (size_t)l4len);
  if (csum_fold32((uint64_t)ps + data) == 0xffff) return 0; /* verifies all the same */
  uint16_t c = (uint16_t)~csum_fold32(data);
  if (c == 0) c = 0xffff;
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return 1;
}

/* recvXsk(xsk, buf, slot, maxSlots, offsets, lengths, stats) -> count | -errno
 * As recvPacket: stats[0] += dropped (ours and the kernel's: a full rx ring or an empty
 * fill ring), stats[1] += checksums completed, stats[2] = frames taken. With busy polling,
 * when the ring runs short the interface's NAPI is polled once from here and the ring
 * read again. */
static napi_value js_recv_xsk(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t slot, max;
  void *bufp, *offp, *lenp, *statp;
  size_t blen, olen, llen, slen;
  xsk_in *x = argc >= 7 ? get_xsk(env, argv[0]) : NULL;
  if (!x || get_bytes(env, argv[1], &bufp, &blen) || get_i32(env, argv[2], &slot) || get_i32(env, argv[3], &max) ||
      get_bytes(env, argv[4], &offp, &olen) || get_bytes(env, argv[5], &lenp, &llen) ||
      get_bytes(env, argv[6], &statp, &slen) || slot <= ETH_HLEN || max < 0 || (size_t)max * slot > blen ||
      olen < (size_t)max * 4 || llen < (size_t)max * 4 || slen < 12) {
    napi_throw_type_error(env, NULL, "recvXsk: bad arguments");
    return NULL;
  }
  napi_value rv;
  if (!x->alive) {
    NAPI_OK(napi_create_int32(env, -EBADF, &rv));
    return rv;
  }
  uint8_t *buf = bufp;
  int32_t *offs = offp, *lens = lenp, *stats = statp;
  int n = 0, out = 0;
  for (int pass = 0; pass < 2; pass++) {
    uint32_t cons = *x->rx_cons;
    uint32_t prod = __atomic_load_n(x->rx_prod, __ATOMIC_ACQUIRE);
    uint32_t fprod = *x->fill_prod;
    uint32_t k = 0;
    for (; cons + k != prod && n < max; k++, n++) {
      struct xdp_desc d = x->rx_desc[(cons + k) & (XSK_RX_SIZE - 1)];
      long iplen = -1;
      if (d.addr + d.len <= (uint64_t)XSK_FRAME * XSK_FRAMES && d.len <= (uint32_t)slot) {
        uint8_t *dst = buf + (size_t)n * slot;
        memcpy(dst, x->umem + d.addr, d.len);
        struct virtio_net_hdr none = {0};
        iplen = accept_frame(dst, (long)d.len, &none, stats);
        if (iplen >= 0) stats[1] += xsk_fix_udp(dst + ETH_HLEN, iplen);
      }
      x->fill_desc[(fprod + k) & (XSK_FRAMES - 1)] = d.addr & ~(uint64_t)(XSK_FRAME - 1);
      if (iplen < 0) {
        stats[0]++;
      } else {
        offs[out] = n * slot + ETH_HLEN;
        lens[out] = (int32_t)iplen;
        out++;
      }
    }
    __atomic_store_n(x->rx_cons, cons + k, __ATOMIC_RELEASE);
    __atomic_store_n(x->fill_prod, fprod + k, __ATOMIC_RELEASE);
    if (n == max || !x->busy_poll || pass == 1) break;
    /* short: run the device's NAPI here, on this core, then look again */
    recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
  }
  stats[2] = n;
  if (n == 0 || ++x->calls % 64 == 0) { /* when idle, else every 64 calls: one syscall */
    /* the kernel's own drops for this socket, as deltas */
    struct xdp_statistics s;
    socklen_t sl = sizeof s;
    if (getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &s, &sl) == 0) {
      uint64_t now = s.rx_dropped + s.rx_ring_full + s.rx_fill_ring_empty_descs + s.rx_invalid_descs;
      uint64_t was = x->seen.rx_dropped + x->seen.rx_ring_full + x->seen.rx_fill_ring_empty_descs + x->seen.rx_invalid_descs;
      stats[0] += (int32_t)(now - was);
      x->seen = s;
    }
  }
  NAPI_OK(napi_create_int32(env, out, &rv));
  return rv;
}

/* closeXsk(xsk): detach the program, close the socket, unmap, restore device settings. */
static napi_value js_close_xsk(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  xsk_in *x = argc >= 1 ? get_xsk(env, argv[0]) : NULL;
  if (x) xsk_in_close(x);
  return NULL;
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
      {"openXsk", NULL, js_open_xsk, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recvXsk", NULL, js_recv_xsk, NULL, NULL, NULL, napi_enumerable, NULL},
      {"closeXsk", NULL, js_close_xsk, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  if (mrsh_rsock_define(env, exports) != napi_ok || mrsh_execve_define(env, exports) != napi_ok ||
      mrsh_cred_define(env, exports) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
