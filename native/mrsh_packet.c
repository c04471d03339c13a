// AF_PACKET links: the socket, bound to one interface, and its receive and send calls
// (by recvmmsg/sendmmsg, or through the rings of mrsh_ring.c).
#include "mrsh_io.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>

/* openPacket flags (packet.ts PACKET_* constants mirror these). */
#define PKT_QDISC_BYPASS 1 /* transmit straight to the driver (PACKET_QDISC_BYPASS) */
#define PKT_RX_RING 2      /* receive through a PACKET_MMAP TPACKET_V2 ring */
#define PKT_HOST_BYPASS 4  /* tcx ingress program: multicast data frames skip the host IP stack */
#define PKT_TX_RING 8      /* transmit through a PACKET_MMAP TPACKET_V2 ring */
#define PKT_NO_RX 16       /* send only: bound to no protocol, so nothing is queued; no receive ring */

typedef struct {
  rx_ring ring;       /* alive if flags asked for a ring */
  int bypass_fd;      /* the host bypass's BPF link, -1 if none */
  int bypass_err;     /* why it is missing (errno; bypass_why says where) */
  const char *bypass_why;
  int fanout_id; /* the kernel's id of the fanout group joined, -1 if none */
} packet_extras;

/* The socket on interface name: the fd, or -errno with *step naming what failed.
 * Protocol 0 until bind() so nothing is queued from other interfaces; outgoing frames
 * ignored so ours are not read back; ALLMULTI for every group without joining each;
 * VNET_HDR so CHECKSUM_PARTIAL frames (veth with tx offload) can be completed.
 * fanout (1..65535, 0 for none): the group of this process's links on the interface it
 * joins (mrsh_fanout.c). PKT_NO_RX: bound with protocol 0, which registers no receive
 * hook: the socket only sends. */
static int packet_open(const char *name, int32_t flags, int32_t fanout, packet_extras *x, const char **step) {
  int fd = -1, one = 1, e;
  unsigned ifindex = if_nametoindex(name);
  if (ifindex == 0) {
    *step = name;
    return -(errno ? errno : ENODEV);
  }
  *step = "socket(AF_PACKET)";
  fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  *step = "PACKET_IGNORE_OUTGOING";
  if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) goto fail_errno;
  *step = "PACKET_VNET_HDR";
  if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) goto fail_errno;
  /* deep buffers absorb bursts between event-loop turns; FORCE works as root, else best effort */
  int buf = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) < 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf) < 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  if (flags & PKT_QDISC_BYPASS) {
    *step = "PACKET_QDISC_BYPASS";
    if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0) goto fail_errno;
  }
  int rx = !(flags & PKT_NO_RX);
  if ((rx && (flags & PKT_RX_RING)) || (flags & PKT_TX_RING)) {
    *step = "PACKET_RX_RING/PACKET_TX_RING";
    e = rx_ring_setup(fd, ifindex, if_mtu(name, 1500), rx && (flags & PKT_RX_RING), flags & PKT_TX_RING, flags & PKT_QDISC_BYPASS,
                      &x->ring);
    if (e < 0) goto fail;
  }
  if (rx && fanout) {
    *step = "SO_ATTACH_FILTER (until in the fanout group)";
    if ((e = fanout_hold(fd)) < 0) goto fail;
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = rx ? htons(ETH_P_ALL) : 0;
  sll.sll_ifindex = (int)ifindex;
  *step = "bind(AF_PACKET)";
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) goto fail_errno;
  if (!rx) return fd;
  if (fanout && (e = fanout_join(fd, ifindex, fanout, &x->fanout_id, step)) < 0) goto fail;
  struct packet_mreq mr;
  memset(&mr, 0, sizeof mr);
  mr.mr_ifindex = (int)ifindex;
  mr.mr_type = PACKET_MR_ALLMULTI;
  *step = "PACKET_MR_ALLMULTI";
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) goto fail_errno;
  if (flags & PKT_HOST_BYPASS) {
    int b = host_bypass_attach(ifindex, &x->bypass_why);
    if (b < 0) x->bypass_err = -b;
    else x->bypass_fd = b;
  }
  return fd;
fail_errno:
  e = -errno;
fail:
  rx_ring_unmap(&x->ring);
  close(fd);
  return e;
}

static void packet_extras_release(packet_extras *x) {
  rx_ring_unmap(&x->ring);
  if (x->bypass_fd >= 0) close(x->bypass_fd);
  x->bypass_fd = -1;
}

/* obj.ring: null, or a JS object that owns the mapping from now on (unmapRing or its finalizer). */
static int set_ring(napi_env env, napi_value obj, rx_ring *ring) {
  napi_value v;
  if (!ring->alive) return set_str(env, obj, "ring", NULL);
  rx_ring *heap = malloc(sizeof *heap);
  if (!heap || napi_create_object(env, &v) != napi_ok) {
    free(heap);
    return -1;
  }
  *heap = *ring;
  if (napi_wrap(env, v, heap, rx_ring_finalize, NULL, NULL) != napi_ok) {
    free(heap);
    return -1;
  }
  ring->alive = 0;
  return napi_set_named_property(env, obj, "ring", v) == napi_ok ? 0 : -1;
}

/* openPacket(ifname, netns|null, flags?, fanoutGroup?) -> {fd, ifindex, mtu, mac, addrs4,
 * addrs6, ring, hostBypassFd (-1 if none), hostBypassError (why it is missing, or null),
 * fanoutId (the kernel's id of the group joined, -1 if none)} */
napi_value js_open_packet(napi_env env, napi_callback_info info) {
  NAPI_ARGS(4);
  char name[IFNAMSIZ + 1], ns[NETNS_MAX];
  int32_t flags = 0, fanout = 0;
  if (get_open_args(env, argv, argc, 1, "openPacket(ifname, netns?, flags?, fanoutGroup?)", name, ns) < 0) return NULL;
  if (argc > 2 && !is_nullish(env, argv[2]) && get_i32(env, argv[2], &flags) < 0) {
    napi_throw_type_error(env, NULL, "flags must be an integer");
    return NULL;
  }
  if (argc > 3 && !is_nullish(env, argv[3]) && (get_i32(env, argv[3], &fanout) < 0 || fanout < 0 || fanout > 65535)) {
    napi_throw_range_error(env, "EINVAL", "fanoutGroup must be an integer 1..65535 (0: none)");
    return NULL;
  }
  packet_extras x = {.ring = {.txfd = -1}, .bypass_fd = -1, .bypass_why = "", .fanout_id = -1};
  ns_guard g;
  int r = ns_enter(ns, &g);
  if (r < 0) return throw_errno(env, "enter netns", -r);
  const char *step;
  int fd = packet_open(name, flags, fanout, &x, &step);
  if (fd < 0) {
    ns_leave(&g);
    return throw_errno(env, step, -fd);
  }
  napi_value obj = make_ifinfo(env, name);
  ns_leave(&g);
  char why[160];
  if (x.bypass_err) snprintf(why, sizeof why, "%s: %s", x.bypass_why, strerror(x.bypass_err));
  if (!obj || set_int(env, obj, "fd", fd) || set_ring(env, obj, &x.ring) || set_int(env, obj, "hostBypassFd", x.bypass_fd) ||
      set_str(env, obj, "hostBypassError", x.bypass_err ? why : NULL) || set_int(env, obj, "fanoutId", x.fanout_id)) {
    packet_extras_release(&x);
    close(fd);
    return throw_napi_failed(env, "openPacket");
  }
  track_fd(env, fd);
  track_fd(env, x.bypass_fd);
  return obj;
}

/* unmapRing(ring): release a ring's mapping now (before its fd is closed). */
napi_value js_unmap_ring(napi_env env, napi_callback_info info) {
  NAPI_ARGS(1);
  void *p = NULL;
  if (argc >= 1 && !is_nullish(env, argv[0]) && napi_unwrap(env, argv[0], &p) == napi_ok) rx_ring_unmap(p);
  return NULL;
}

/* The optional ring argument argv[at]: 0 with *out (NULL if none), or -1 thrown. */
static int get_ring(napi_env env, napi_value *argv, size_t argc, size_t at, const char *bad, rx_ring **out) {
  void *p = NULL;
  *out = NULL;
  if (argc <= at || is_nullish(env, argv[at])) return 0;
  if (napi_unwrap(env, argv[at], &p) != napi_ok || !p) {
    napi_throw_type_error(env, NULL, bad);
    return -1;
  }
  *out = p;
  return 0;
}

/* recvPacket(fd, buf, slotSize, maxSlots, offsets, lengths, stats, ring?) -> count | -errno
 * Delivered datagrams without their Ethernet header or padding; stats as RX_ST_* says
 * (drops by reason, checksums completed, frames read: whether the queue was drained). */
napi_value js_recv_packet(napi_env env, napi_callback_info info) {
  NAPI_ARGS(8);
  int32_t fd;
  recv_args a;
  rx_ring *r;
  if (argc < 7 || get_i32(env, argv[0], &fd) || parse_recv(env, argv, argc, ETH_HLEN, 1, &a)) {
    napi_throw_type_error(env, NULL, "recvPacket: bad arguments");
    return NULL;
  }
  if (get_ring(env, argv, argc, 7, "recvPacket: bad ring", &r) < 0) return NULL;
  if (r && (!r->alive || r->rx.base)) { /* else a transmit-only ring: receive by recvmmsg */
    int taken = 0, out = r->alive ? recv_ring(r, &a, &taken) : 0;
    a.stats[RX_ST_READ] = taken;
    return int_value(env, r->alive ? out : -EBADF);
  }
  struct virtio_net_hdr vh[BATCH];
  struct iovec iov[BATCH][2];
  struct mmsghdr msgs[BATCH];
  int out = 0, err = 0, base = 0;
  while (base < a.max) {
    int want = a.max - base < BATCH ? a.max - base : BATCH;
    for (int i = 0; i < want; i++) {
      iov[i][0].iov_base = &vh[i];
      iov[i][0].iov_len = sizeof vh[i];
      iov[i][1].iov_base = a.buf + (size_t)(base + i) * a.slot;
      iov[i][1].iov_len = a.slot;
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
      uint8_t *f = a.buf + (size_t)(base + i) * a.slot;
      long flen = (long)msgs[i].msg_len - (long)sizeof(struct virtio_net_hdr);
      recv_deliver(&a, &out, base + i, (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? rx_drop(a.stats, RX_ST_TRUNCATED) : accept_frame(f, flen, &vh[i], a.stats));
    }
    base += n;
    if (n < want) break;
  }
  a.stats[RX_ST_READ] = base;
  return int_value(env, out > 0 || base > 0 ? out : -err);
}

/* sendPacket(fd, bufs, bufIdx, offsets, lengths, count, srcMac, result, ring?) -> datagrams sent
 * result[0] = bytes of IP datagrams sent. Each goes out as iovec [vnet header, Ethernet
 * header, datagram]: no copy of the payload. */
napi_value js_send_packet(napi_env env, napi_callback_info info) {
  NAPI_ARGS(9);
  send_args a;
  void *macp;
  size_t macl;
  double *result;
  rx_ring *r;
  if (argc < 8 || parse_send(env, argv, argc, &a) < 0 || get_bytes(env, argv[6], &macp, &macl) || macl < 6 ||
      get_result(env, argv[7], &result) < 0) {
    napi_throw_type_error(env, NULL, "sendPacket: bad arguments");
    return NULL;
  }
  if (get_ring(env, argv, argc, 8, "sendPacket: bad ring", &r) < 0) return NULL;
  if (r && (!r->alive || r->tx.base)) { /* else a receive-only ring: send by sendmmsg */
    double bytes = 0;
    int sent = r->alive ? send_ring(r, &a, macp, &bytes) : 0;
    result[0] = bytes;
    return int_value(env, sent);
  }
  static const struct virtio_net_hdr zero_vh; /* no offload asked for what we send */
  uint8_t eth[BATCH][ETH_HLEN];
  struct iovec iov[BATCH][3];
  struct mmsghdr msgs[BATCH];
  int sent = 0, i = 0, stop = 0;
  double bytes = 0;
  while (i < a.count && !stop) {
    int k = 0;
    while (i < a.count && k < BATCH) { /* up to BATCH messages, malformed datagrams skipped */
      int32_t len = a.lens[i];
      uint8_t *p = send_datagram(&a, i);
      i++;
      if (!p || eth_for(eth[k], p, len, macp) < 0) continue;
      iov[k][0].iov_base = (void *)&zero_vh;
      iov[k][0].iov_len = sizeof zero_vh;
      iov[k][1].iov_base = eth[k];
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
      int n = sendmmsg(a.fd, msgs + done, k - done, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EMSGSIZE || errno == EINVAL) {
          done++; /* too big or malformed for the device; the rest may pass */
          continue;
        }
        stop = 1; /* EAGAIN, ENOBUFS, ENETDOWN...: drop the rest of the batch */
        break;
      }
      for (int j = done; j < done + n; j++) bytes += (double)iov[j][2].iov_len;
      sent += n;
      done += n;
    }
  }
  result[0] = bytes;
  return int_value(env, sent);
}

/* packetStats(fd) -> frames the kernel dropped for this socket since the last call (its
 * receive ring or buffer was full: tp_drops of PACKET_STATISTICS, which reading resets). */
napi_value js_packet_stats(napi_env env, napi_callback_info info) {
  NAPI_ARGS(1);
  int32_t fd;
  if (argc < 1 || get_i32(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "packetStats(fd)");
    return NULL;
  }
  struct tpacket_stats st;
  socklen_t sl = sizeof st;
  if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) < 0) return throw_errno(env, "PACKET_STATISTICS", errno);
  return int_value(env, (int32_t)st.tp_drops);
}
