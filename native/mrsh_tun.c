// TUN links: open (create or attach), one read() per datagram in, one write() out.
#include "mrsh_io.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_tun.h>

#define TUN_MQ 1 /* openTun flags: IFF_MULTI_QUEUE, a queue of its own for each open */

/* Open the device (its name into real), set mtu (if > 0) and bring it up: the fd, or
 * -errno with *step naming what failed. With TUN_MQ the device is multi-queue: opening an
 * existing one attaches another queue (TUNSETIFF with the same name and flags on a new
 * fd), and the queue of what the host sends is chosen by (S,G) (mrsh_bpf.c's
 * tun_steer_prog, set from every queue: the device keeps one). */
static int tun_open(const char *name, int32_t mtu, int32_t flags, char *real, const char **step) {
  *step = "open /dev/net/tun";
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC), s = -1;
  if (fd < 0) return -errno;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | ((flags & TUN_MQ) ? IFF_MULTI_QUEUE : 0);
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
  *step = (flags & TUN_MQ) ? "TUNSETIFF (multi-queue: an existing device must be multi-queue too)" : "TUNSETIFF";
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) goto fail;
  snprintf(real, IFNAMSIZ + 1, "%s", ifr.ifr_name);
  if (flags & TUN_MQ) {
    *step = "BPF_PROG_LOAD(tun steering)";
    int p = tun_steer_prog_load(NULL, 0);
    if (p < 0) {
      errno = -p;
      goto fail;
    }
    *step = "TUNSETSTEERINGEBPF";
    int r = ioctl(fd, TUNSETSTEERINGEBPF, &p);
    int e = errno;
    close(p); /* the device holds it */
    errno = e;
    if (r < 0) goto fail;
  }
  *step = "socket";
  if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) goto fail;
  if (mtu > 0) {
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", real);
    ifr.ifr_mtu = mtu;
    *step = "SIOCSIFMTU";
    if (ioctl(s, SIOCSIFMTU, &ifr) < 0) goto fail;
  }
  if (if_ioctl(s, SIOCGIFFLAGS, real, &ifr) == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    *step = "SIOCSIFFLAGS";
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) goto fail;
  }
  close(s);
  return fd;
fail:;
  int e = errno;
  if (s >= 0) close(s);
  close(fd);
  return -e;
}

/* openTun(name, mtu, netns|null, flags?) -> {fd, name, created, ifindex, mtu, mac, addrs4,
 * addrs6}; flags TUN_MQ (1): multi-queue, another queue if the device exists */
napi_value js_open_tun(napi_env env, napi_callback_info info) {
  NAPI_ARGS(4);
  char name[IFNAMSIZ + 1], ns[NETNS_MAX], real[IFNAMSIZ + 1];
  int32_t mtu = 0, flags = 0;
  const char *usage = "openTun(name, mtu, netns?, flags?)";
  if (argc < 2 || get_i32(env, argv[1], &mtu) < 0 || (argc > 3 && !is_nullish(env, argv[3]) && get_i32(env, argv[3], &flags) < 0)) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  if (get_open_args(env, argv, argc, 2, usage, name, ns) < 0) return NULL;
  ns_guard g;
  int r = ns_enter(ns, &g);
  if (r < 0) return throw_errno(env, "enter netns", -r);
  /* an existing device (made persistent by `ip tuntap add`) is attached to and left in place */
  int created = name[0] == 0 || if_nametoindex(name) == 0;
  const char *step;
  int fd = tun_open(name, mtu, flags, real, &step);
  if (fd < 0) {
    ns_leave(&g);
    return throw_errno(env, step, -fd);
  }
  napi_value obj = make_ifinfo(env, real);
  ns_leave(&g);
  if (!obj) {
    close(fd);
    return NULL;
  }
  if (set_int(env, obj, "fd", fd) || set_str(env, obj, "name", real) || set_bool(env, obj, "created", created)) {
    close(fd);
    return throw_napi_failed(env, "openTun");
  }
  track_fd(env, fd);
  return obj;
}

/* recvTun(fd, buf, slotSize, maxSlots, offsets, lengths) -> count | -errno
 * A TUN fd has no batch read: one read() per datagram. */
napi_value js_recv_tun(napi_env env, napi_callback_info info) {
  NAPI_ARGS(6);
  int32_t fd;
  recv_args a;
  if (argc < 6 || get_i32(env, argv[0], &fd) || parse_recv(env, argv, argc, 0, 0, &a)) {
    napi_throw_type_error(env, NULL, "recvTun: bad arguments");
    return NULL;
  }
  int n = 0, err = 0;
  while (n < a.max) {
    ssize_t r = read(fd, a.buf + (size_t)n * a.slot, a.slot);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) err = errno;
      break;
    }
    if (r == 0) break;
    a.offs[n] = n * a.slot;
    a.lens[n] = (int32_t)r;
    n++;
  }
  return int_value(env, n > 0 ? n : -err);
}

/* sendTun(fd, bufs, bufIdx, offsets, lengths, count, result) -> datagrams written
 * result (Float64Array) [0] = bytes written. An error drops the datagram (EINVAL, EIO) or
 * the rest of the batch (EAGAIN, ENOBUFS): multicast is best effort and must not queue. */
napi_value js_send_tun(napi_env env, napi_callback_info info) {
  NAPI_ARGS(7);
  send_args a;
  double *result;
  if (argc < 7 || parse_send(env, argv, argc, &a) < 0 || get_result(env, argv[6], &result) < 0) {
    napi_throw_type_error(env, NULL, "sendTun: bad arguments");
    return NULL;
  }
  int sent = 0;
  double bytes = 0;
  for (int i = 0; i < a.count; i++) {
    uint8_t *p = send_datagram(&a, i);
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
  return int_value(env, sent);
}
